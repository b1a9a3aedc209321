/**
 * @module
 * `npm run bench:logs`: log ingest throughput over OTLP/HTTP protobuf against its
 * in-process floor, and log query latency over a large store.
 *
 *   npm run bench:logs -- [--records N] [--query-records N] [--concurrency C] [--queries Q]
 *                         [--seed S] [--min-ratio R] [--skip-ingest] [--skip-queries]
 *
 * Ingest (N records, default 200,000; scripts/lib/log-generator.ts, encoded up front):
 * 1. Floor: the decode stage (full-text terms included) + Store.write of every request, in
 *    this process, on one thread, into a fresh database.
 * 2. Server: startTracebox() in a CHILD process on another fresh database; C exporters in
 *    this process POST the same requests to /v1/logs over keep-alive connections, each
 *    sending its next request when the previous one is answered (as a
 *    BatchLogRecordProcessor does). Records/s counts until the last answer; the stored
 *    records are counted afterwards and must equal those sent.
 *    ratio = server / floor; the exit status is 1 below --min-ratio (default 0.5).
 *
 * Queries (default 1,000,000 records, stored in-process first, then served by a child
 * tracebox on that database): GET /api/logs, newest first, limit 100, Q queries per kind
 * (default 200, after a warm-up) with varying arguments; p50 and p99 latency, and how
 * many records the queries returned on average. The kinds are a list (QUERY_KINDS
 * below): GET /api/logs, then the same searches as Grafana's Loki data source sends them
 * to /loki/api/v1/query_range (categorize-labels, the corpus's window), and two Loki
 * queries reported without being held to the target: a lone rare number (an exact
 * substring test is a scan of the window) and the log-volume histogram over 2 h.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createIngest } from '../src/otlp/index.ts';
import { DB_FILE, Store } from '../src/store/index.ts';
import { startChildServer } from './lib/child-server.ts';
import { generateLogRequests, LOG_SERVICES, newLogFacts, type GeneratedLogRequest, type LogCorpusFacts } from './lib/log-generator.ts';
import { Rng } from './lib/rng.ts';
import { runMain } from './lib/run-main.ts';
import { postProtobuf } from './lib/post-protobuf.ts';

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tracebox-bench-logs-${name}-`));
}

function countLogs(dir: string): number {
  const db = new Database(path.join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM logs').pluck().get() as number;
  } finally {
    db.close();
  }
}

function dbBytes(dir: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += fs.statSync(path.join(dir, DB_FILE + suffix)).size;
    } catch {
      // no WAL
    }
  }
  return total;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---------------------------------------------------------------- ingest

function postLogs(agent: http.Agent, url: URL, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return postProtobuf(agent, url, '/v1/logs', body);
}

/** Wait before re-sending a refused request (exporters back off for longer; this keeps the store busy). */
const RETRY_MS = 100;

/**
 * Posts every request with `concurrency` exporters; a request refused as retryable (503,
 * the store is behind) is sent again after RETRY_MS, as an exporter retries. Resolves to
 * the wall time, the refusals and the failures.
 */
async function runExporters(baseUrl: string, requests: readonly GeneratedLogRequest[], concurrency: number): Promise<{ wallMs: number; refused: number; failures: string[] }> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const failures: string[] = [];
  let refused = 0;
  let next = 0;
  const exporter = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      let res = await postLogs(agent, url, requests[i].bytes);
      while (res.status === 503) {
        refused++;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        res = await postLogs(agent, url, requests[i].bytes);
      }
      // 200 with an empty partial_success: every record taken.
      if (res.status !== 200 || !(res.body.length === 0 || (res.body.length === 2 && res.body[0] === 0x0a && res.body[1] === 0))) {
        failures.push(`request ${i}: HTTP ${res.status} ${res.body.toString('latin1').slice(0, 200)}`);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, exporter));
  const wallMs = performance.now() - t0;
  agent.destroy();
  return { wallMs, refused, failures };
}

/** Decode + write of every request in this process; resolves to records/s. */
function floor(dir: string, requests: readonly GeneratedLogRequest[]): { perSecond: number; stored: number } {
  const store = Store.open({ dataDir: dir });
  try {
    const ingest = createIngest(store);
    let stored = 0;
    const t0 = performance.now();
    for (const req of requests) {
      const answer = ingest({ body: req.bytes, format: 'protobuf', signal: 'logs' });
      if (!answer.ok || answer.result.rejected > 0) throw new Error(`the floor refused a request: ${JSON.stringify(answer)}`);
      stored += answer.result.stored;
    }
    return { perSecond: stored / ((performance.now() - t0) / 1000), stored };
  } finally {
    store.close();
  }
}

async function benchIngest(records: number, concurrency: number, seed: number, minRatio: number): Promise<boolean> {
  const facts = newLogFacts();
  const requests = [...generateLogRequests({ records, seed }, facts)];
  console.log(`ingest: ${fmt(records)} records in ${fmt(requests.length)} requests of up to 512, ${fmt(facts.bytes / 1e6, 1)} MB of protobuf (${fmt(facts.bytes / records)} B/record)`);
  const floorDir = tempDir('floor');
  const serverDir = tempDir('server');
  try {
    const f = floor(floorDir, requests);
    const server = await startChildServer({ options: { data: serverDir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, maxSize: 0 } });
    let run: { wallMs: number; refused: number; failures: string[] };
    let cpuUs: number;
    try {
      await server.resetCpu();
      run = await runExporters(server.otlpHttpUrl, requests, concurrency);
      cpuUs = (await server.usage()).cpuUs;
    } finally {
      await server.close();
    }
    const stored = countLogs(serverDir);
    const perSecond = records / (run.wallMs / 1000);
    const ratio = perSecond / f.perSecond;
    console.log(`  floor (decode + write, one thread, this process)  ${fmt(f.perSecond)} records/s`);
    console.log(`  server (OTLP/HTTP protobuf, ${concurrency} exporters)          ${fmt(perSecond)} records/s, ${fmt(cpuUs / 1000 / run.wallMs, 2)} cores, ${fmt(dbBytes(serverDir) / records)} B/record on disk`);
    console.log(`  ratio server / floor                               ${fmt(ratio, 2)} (target >= ${minRatio})`);
    if (run.refused > 0) console.log(`  refused as retryable (503, the store behind) and re-sent: ${run.refused} time(s)`);
    let ok = ratio >= minRatio;
    if (run.failures.length > 0) {
      console.log(`  FAILED requests: ${run.failures.length}; first: ${run.failures[0]}`);
      ok = false;
    }
    if (stored !== records) {
      console.log(`  MISSING records: stored ${stored} of ${records}`);
      ok = false;
    }
    return ok;
  } finally {
    fs.rmSync(floorDir, { recursive: true, force: true });
    fs.rmSync(serverDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- queries

/** What the query kinds draw their arguments from. */
interface QueryContext {
  readonly rng: Rng;
  readonly facts: LogCorpusFacts;
  /** Trace ids (hex) sampled from the store. */
  readonly traceIds: readonly string[];
  /** Rare words (numbers from bodies) sampled from the store. */
  readonly rareWords: readonly string[];
}

interface QueryKind {
  readonly name: string;
  /** The path and query of one request. */
  readonly next: (ctx: QueryContext) => string;
  /** False: reported, not held to the p99 target. */
  readonly target?: false;
}

const COMMON_WORDS = ['declined', 'insufficient', 'retrying', 'unavailable', 'signed', 'cache', 'confirmed', 'processed', 'reset', 'slow'];
const WINDOW_NS = 15n * 60n * 1_000_000_000n;

/** A window of WINDOW_NS somewhere in the corpus. */
function window(ctx: QueryContext): { start: bigint; end: bigint } {
  const span = ctx.facts.maxNs - ctx.facts.minNs - WINDOW_NS;
  const start = ctx.facts.minNs + (span * BigInt(ctx.rng.int(1000))) / 1000n;
  return { start, end: start + WINDOW_NS };
}

/** A Loki query_range request over the whole corpus (Loki's default window is the last hour). */
function loki(ctx: QueryContext, query: string, w = { start: ctx.facts.minNs, end: ctx.facts.maxNs + 1n }, extra = 'limit=100'): string {
  return `/loki/api/v1/query_range?query=${encodeURIComponent(query)}&start=${w.start}&end=${w.end}&${extra}`;
}

const QUERY_KINDS: readonly QueryKind[] = [
  { name: 'text: a common word', next: (ctx) => `/api/logs?q=${ctx.rng.pick(COMMON_WORDS)}&limit=100` },
  { name: 'text: a rare word', next: (ctx) => `/api/logs?q=${ctx.rng.pick(ctx.rareWords)}&limit=100` },
  { name: 'text: two words, 15 min window', next: (ctx) => {
    const w = window(ctx);
    return `/api/logs?q=${ctx.rng.pick(COMMON_WORDS)}+${ctx.rng.pick(['for', 'to', 'in', 'from'])}&start=${w.start}&end=${w.end}&limit=100`;
  } },
  { name: 'trace id', next: (ctx) => `/api/logs?traceId=${ctx.rng.pick(ctx.traceIds)}&limit=100` },
  { name: 'severity >= ERROR + service + 15 min window', next: (ctx) => {
    const w = window(ctx);
    return `/api/logs?service=${ctx.rng.pick(LOG_SERVICES)}&minSeverity=ERROR&start=${w.start}&end=${w.end}&limit=100`;
  } },
  { name: 'severity >= WARN + service, no window', next: (ctx) => `/api/logs?service=${ctx.rng.pick(LOG_SERVICES)}&minSeverity=WARN&limit=100` },
  { name: 'Loki: a common word, one service (|= "declined")', next: (ctx) => loki(ctx, `{service_name="${ctx.rng.pick(LOG_SERVICES)}"} |= "declined"`) },
  { name: 'Loki: a rare phrase (|= "order N confirmed")', next: (ctx) => loki(ctx, `{service_name=~".+"} |= "order ${ctx.rng.pick(ctx.rareWords)} confirmed"`) },
  { name: 'Loki: trace id (| trace_id="…")', next: (ctx) => loki(ctx, `{service_name=~".+"} | trace_id="${ctx.rng.pick(ctx.traceIds)}"`) },
  { name: 'Loki: severity + service + 15 min window', next: (ctx) => loki(ctx, `{service_name="${ctx.rng.pick(LOG_SERVICES)}"} | severity_text="ERROR"`, window(ctx)) },
  { name: 'Loki: a lone rare number, every service (a scan)', target: false, next: (ctx) => loki(ctx, `{service_name=~".+"} |= "${ctx.rng.pick(ctx.rareWords)}"`) },
  { name: 'Loki: log volume of a service over 2 h', target: false, next: (ctx) =>
    loki(ctx, `sum by (level, detected_level) (count_over_time({service_name="${ctx.rng.pick(LOG_SERVICES)}"} | drop __error__[1m]))`, undefined, 'step=60000ms') },
];

/** Records in an answer of /api/logs or of Loki (stream values, or matrix points). */
function answered(body: unknown): number {
  const b = body as { logs?: unknown[]; data?: { result: { values: unknown[] }[] } };
  return b.logs?.length ?? (b.data?.result ?? []).reduce((n, s) => n + s.values.length, 0);
}

async function benchQueries(records: number, queries: number, seed: number): Promise<boolean> {
  const dir = tempDir('queries');
  try {
    const facts = newLogFacts();
    const t0 = performance.now();
    const store = Store.open({ dataDir: dir });
    let traceIds: string[];
    let rareWords: string[];
    try {
      const ingest = createIngest(store);
      for (const req of generateLogRequests({ records, seed }, facts)) {
        const answer = ingest({ body: req.bytes, format: 'protobuf', signal: 'logs' });
        if (!answer.ok) throw new Error(answer.message);
      }
      traceIds = (store.db.prepare('SELECT hex(trace_id) FROM logs WHERE trace_id IS NOT NULL ORDER BY random() LIMIT 500').pluck().all() as string[]).map((h) => h.toLowerCase());
      const bodies = store.db.prepare("SELECT body FROM logs WHERE body LIKE 'order % confirmed%' ORDER BY random() LIMIT 500").pluck().all() as string[];
      rareWords = bodies.map((b) => b.split(' ')[1]);
    } finally {
      store.close();
    }
    console.log(`queries: ${fmt(records)} records stored in ${fmt((performance.now() - t0) / 1000, 1)} s (in-process), ${fmt(dbBytes(dir) / 1e6)} MB on disk; GET /api/logs on a child tracebox, ${queries} queries per kind, limit 100`);
    const server = await startChildServer({ options: { data: dir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, maxSize: 0, retentionMs: 0 } });
    let ok = true;
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ctx: QueryContext = { rng: new Rng(seed), facts, traceIds, rareWords };
      const get = async (pathAndQuery: string): Promise<number> => {
        return answered(await fetchJson(agent, new URL(pathAndQuery, server.apiUrl)));
      };
      const rows = [['kind', 'p50 ms', 'p99 ms', 'max ms', 'records/answer']];
      for (const kind of QUERY_KINDS) {
        for (let i = 0; i < 20; i++) await get(kind.next(ctx));
        const ms: number[] = [];
        let returned = 0;
        for (let i = 0; i < queries; i++) {
          const url = kind.next(ctx);
          const t = performance.now();
          returned += await get(url);
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        const p99 = percentile(ms, 99);
        if (p99 >= 50 && kind.target !== false) ok = false;
        rows.push([kind.target === false ? `${kind.name} (not held to the target)` : kind.name, fmt(percentile(ms, 50), 1), fmt(p99, 1), fmt(ms[ms.length - 1], 1), fmt(returned / queries, 1)]);
      }
      agent.destroy();
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) console.log('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
      console.log(`  target: p99 < 50 ms for every kind held to it: ${ok ? 'met' : 'NOT met'}`);
    } finally {
      await server.close();
    }
    return ok;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fetchJson(agent: http.Agent, url: URL): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '200000' },
      'query-records': { type: 'string', default: '1000000' },
      concurrency: { type: 'string', default: '4' },
      queries: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      'min-ratio': { type: 'string', default: '0.5' },
      'skip-ingest': { type: 'boolean', default: false },
      'skip-queries': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  const seed = int('seed', values.seed);
  console.log(`bench:logs on ${os.cpus().length} cores, Node ${process.version}`);
  let ok = true;
  if (!values['skip-ingest']) ok = (await benchIngest(int('records', values.records), int('concurrency', values.concurrency), seed, Number(values['min-ratio']))) && ok;
  if (!values['skip-queries']) ok = (await benchQueries(int('query-records', values['query-records']), int('queries', values.queries), seed)) && ok;
  return ok ? 0 : 1;
}

runMain(main);
