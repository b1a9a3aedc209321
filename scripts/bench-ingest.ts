/**
 * @module
 * `npm run bench:ingest`: OTLP/HTTP protobuf ingest throughput against its in-process floor.
 *
 *   npm run bench:ingest -- [--spans N] [--concurrency C] [--memory] [--seed S] [--warmup N]
 *                           [--baseline DIR [--rounds N]] [--profile DIR] [--min-ratio R]
 *
 * 1. Generates the corpus up front (scripts/lib/span-generator.ts), so encoding is never timed.
 *    Each store (floor, server, baseline) first takes --warmup spans of another corpus, not
 *    timed: throughput is a running server's, whose JavaScript is compiled. A fresh process
 *    compiles while it takes its first spans: measured with perf, V8's compiler threads used
 *    about half a core during the first 1.5 s of a cold 200k-span run, which a server using
 *    both cores takes from its own work. --warmup 0 measures that cold start.
 * 2. Floor: the decode stage + Store.write of every request, in this process, on one thread,
 *    into a fresh DB.
 * 3. Server: startTracebox() on free ports with another fresh DB, in a CHILD process; C exporters
 *    in this process POST the same requests to /v1/traces over keep-alive connections, each sending
 *    its next request when the previous one is answered (as a BatchSpanProcessor does). Accepted
 *    spans/s counts until the last answer; searchable spans/s until a search finds the last trace.
 *    CPU is the server process's (all its threads); cores used = CPU time / wall time.
 * 4. With --baseline DIR (a checkout of another tracebox version, with node_modules), the same
 *    run against that version's server, in the same way, right before this one. With --rounds N,
 *    N such pairs one after the other, and the median of their ratios: on a shared machine
 *    whose speed drifts over minutes, one pair can be off by a sixth either way.
 *
 * Why a child process: a real server does not share its process with its exporters; the
 * client's CPU is printed so it can be seen not to be the bottleneck.
 *
 * Afterwards the databases are counted: stored spans must equal sent spans. Exit status 1 when a
 * response was not 200, a span is missing, or the ratio to the floor is below --min-ratio.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import { createIngest } from '../src/otlp/index.ts';
import { decodeExportRequestSlices } from '../src/otlp/decode-protobuf.ts';
import { DB_FILE, Store } from '../src/store/index.ts';
import { startChildServer } from './lib/child-server.ts';
import { generateCorpus, type GeneratedRequest } from './lib/span-generator.ts';
import { runMain } from './lib/run-main.ts';
import { postProtobuf } from './lib/post-protobuf.ts';

// ---------------------------------------------------------------- shared helpers

interface DbStats {
  spans: number;
  traces: number;
  /** Database file + WAL after a TRUNCATE checkpoint (page bytes for an in-memory DB). */
  bytes: number;
}

interface ServerStats {
  /** CPU time of the server process (all its threads) between begin and end, µs. */
  cpuUs: number;
  /** Peak resident set of the server process, bytes. */
  maxRss: number;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Counts what a server stored, from its database file once it has closed. */
function fileStats(file: string): DbStats {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const spans = db.prepare('SELECT count(*) FROM spans').pluck().get() as number;
    const traces = db.prepare('SELECT count(*) FROM traces').pluck().get() as number;
    return { spans, traces, bytes: fileSize(file) + fileSize(`${file}-wal`) };
  } finally {
    db.close();
  }
}

function dbStats(store: Store): DbStats {
  const db = store.db;
  if (store.path !== undefined) db.pragma('wal_checkpoint(TRUNCATE)');
  const spans = db.prepare('SELECT count(*) FROM spans').pluck().get() as number;
  const traces = db.prepare('SELECT count(*) FROM traces').pluck().get() as number;
  const bytes =
    store.path !== undefined
      ? fileSize(store.path) + fileSize(`${store.path}-wal`)
      : (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  return { spans, traces, bytes };
}

/** Added to --seed for the warm-up corpus. */
const WARMUP_SEED = 1_000_003;

/** How long a search may take to find the last trace before the run counts as failed. */
const SEARCHABLE_WAIT_MS = 60_000;

/**
 * Waits until a search finds the trace (in a window around its last span); resolves to when
 * it did, or to undefined past SEARCHABLE_WAIT_MS (a refused request may have held it).
 */
async function searchable(apiUrl: string, last: LastSpan): Promise<number | undefined> {
  const q = encodeURIComponent(`{ trace:id = "${last.traceId}" }`);
  const at = Number(last.startNs / 1_000_000_000n);
  const until = performance.now() + SEARCHABLE_WAIT_MS;
  while (performance.now() < until) {
    const res = await fetch(`${apiUrl}/api/search?q=${q}&limit=1&start=${at - 60}&end=${at + 60}`);
    const body = (await res.json()) as { traces?: unknown[] };
    if ((body.traces?.length ?? 0) > 0) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
}

// ---------------------------------------------------------------- the client: C OTLP/HTTP exporters

interface ClientResult {
  wallMs: number;
  latenciesMs: Float64Array;
  failures: string[];
  cpuUs: number;
}

function post(agent: http.Agent, url: URL, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return postProtobuf(agent, url, '/v1/traces', body);
}

async function runExporters(baseUrl: string, requests: readonly GeneratedRequest[], concurrency: number): Promise<ClientResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs = new Float64Array(requests.length);
  const failures: string[] = [];
  let nextIndex = 0;
  const exporter = async (): Promise<void> => {
    for (let i = nextIndex++; i < requests.length; i = nextIndex++) {
      const t = performance.now();
      const res = await post(agent, url, requests[i].bytes);
      latenciesMs[i] = performance.now() - t;
      // 200 with nothing rejected: an empty ExportTraceServiceResponse, or one whose partial_success is empty.
      if (res.status !== 200 || !(res.body.length === 0 || (res.body.length === 2 && res.body[0] === 0x0a && res.body[1] === 0))) {
        failures.push(`request ${i}: HTTP ${res.status} ${res.body.toString('latin1').slice(0, 200)}`);
      }
    }
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, exporter));
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(cpu);
  agent.destroy();
  return { wallMs, latenciesMs, failures, cpuUs: c.user + c.system };
}

// ---------------------------------------------------------------- the floor

interface FloorResult {
  wallMs: number;
  latenciesMs: Float64Array;
  stored: number;
  cpuUs: number;
  db: DbStats;
}

function runFloor(dataDir: string | undefined, requests: readonly GeneratedRequest[], warmup: readonly GeneratedRequest[]): FloorResult {
  const store = Store.open({ dataDir });
  const ingest = createIngest(store);
  try {
    for (const request of warmup) ingest({ body: request.bytes, format: 'protobuf' });
    const latenciesMs = new Float64Array(requests.length);
    let stored = 0;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < requests.length; i++) {
      const t = performance.now();
      const answer = ingest({ body: requests[i].bytes, format: 'protobuf' });
      if (answer.ok) stored += answer.result.stored;
      latenciesMs[i] = performance.now() - t;
    }
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(cpu);
    return { wallMs, latenciesMs, stored, cpuUs: c.user + c.system, db: dbStats(store) };
  } finally {
    store.close();
  }
}

// ---------------------------------------------------------------- report

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const fix = (n: number, d: number): string => n.toFixed(d);
const mb = (bytes: number): string => `${fix(bytes / 2 ** 20, 0)} MB`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

// ---------------------------------------------------------------- one server run

interface ServerRun {
  readonly label: string;
  readonly client: ClientResult;
  readonly srv: ServerStats;
  /** From the first request until a search found the last trace, ms (NaN: it never did). */
  readonly searchableMs: number;
  /** Stored spans and traces (undefined for an in-memory store, which is gone after close). */
  readonly db: DbStats | undefined;
}

async function runServer(
  label: string,
  serverModule: string,
  dataDir: string | undefined,
  requests: readonly GeneratedRequest[],
  warmup: readonly GeneratedRequest[],
  last: LastSpan,
  concurrency: number,
  profileDir: string | undefined,
): Promise<ServerRun> {
  process.stdout.write(`${label}: OTLP/HTTP protobuf… `);
  const server = await startChildServer({
    serverModule,
    options: { memory: dataDir === undefined, data: dataDir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 },
    execArgv: profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
  });
  let client: ClientResult;
  let srv: ServerStats;
  let searchableMs: number;
  try {
    const warm = await runExporters(server.otlpHttpUrl, warmup, concurrency);
    await server.resetCpu();
    const t0 = performance.now();
    client = await runExporters(server.otlpHttpUrl, requests, concurrency);
    client.failures.unshift(...warm.failures.map((f) => `warm-up ${f}`));
    // A refused request may have held the last trace: then there is nothing to wait for.
    const found = client.failures.length > 0 ? undefined : await searchable(server.apiUrl, last);
    searchableMs = found === undefined ? Number.NaN : found - t0;
    srv = await server.usage();
  } finally {
    await server.close();
  }
  console.log(`${int(requests.reduce((n, r) => n + r.spans, 0) / (client.wallMs / 1000))} spans/s`);
  return { label, client, srv, searchableMs, db: dataDir === undefined ? undefined : fileStats(path.join(dataDir, DB_FILE)) };
}

interface LastSpan {
  readonly traceId: string;
  readonly startNs: bigint;
}

/** The trace id (hex) and start of the last span of the last request. */
function lastSpanOf(requests: readonly GeneratedRequest[]): LastSpan {
  const bytes = requests[requests.length - 1].bytes;
  const slices = [...decodeExportRequestSlices(bytes, Infinity)];
  const spans = slices[slices.length - 1].spans;
  const span = spans[spans.length - 1];
  return { traceId: Buffer.from(span.traceId).toString('hex'), startNs: span.startNs };
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '200000' },
      concurrency: { type: 'string', default: '4' },
      memory: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      baseline: { type: 'string' },
      profile: { type: 'string' },
      'min-ratio': { type: 'string' },
      rounds: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '40000' },
    },
    strict: true,
  });
  const ownServer = fileURLToPath(new URL('../src/server.ts', import.meta.url));
  const spans = Number(values.spans);
  const concurrency = Number(values.concurrency);
  const seed = Number(values.seed);
  const minRatio = values['min-ratio'] === undefined ? undefined : Number(values['min-ratio']);
  const rounds = Number(values.rounds);
  const warmupSpans = Number(values.warmup);
  if (!Number.isInteger(warmupSpans) || warmupSpans < 0) throw new Error(`--warmup must be a whole number of spans, got ${values.warmup}`);
  if (!Number.isInteger(rounds) || rounds <= 0) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  if (!Number.isInteger(spans) || spans <= 0) throw new Error(`--spans must be a positive integer, got ${values.spans}`);
  if (!Number.isInteger(concurrency) || concurrency <= 0) throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  const profileDir = values.profile === undefined ? undefined : path.resolve(values.profile);
  const baseline = values.baseline === undefined ? undefined : path.resolve(values.baseline, 'src/server.ts');
  if (baseline !== undefined && !fs.existsSync(baseline)) throw new Error(`--baseline: ${baseline} does not exist`);
  if (rounds > 1 && baseline === undefined) throw new Error('--rounds needs --baseline: it repeats the baseline/server pair');

  const cpus = os.cpus();
  console.log(`tracebox ingest benchmark: Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()}/${os.arch()}`);

  const tGen = performance.now();
  const { requests, stats: corpus } = generateCorpus({ spans, seed });
  const genMs = performance.now() - tGen;
  const last = lastSpanOf(requests);
  console.log(
    `corpus: ${int(corpus.spans)} spans in ${int(corpus.requests)} requests, ${int(corpus.traces)} traces, ` +
      `${fix(corpus.bytes / corpus.spans, 0)} B/span protobuf, ${fix((100 * corpus.errors) / corpus.spans, 1)}% errors, ` +
      `${fix((100 * corpus.withEvents) / corpus.spans, 1)}% with events, ${fix((100 * corpus.slow) / corpus.spans, 1)}% > 1 s ` +
      `(generated in ${fix(genMs / 1000, 1)} s, not timed)`,
  );
  // Another seed: other trace and span ids, so nothing of the warm-up is a duplicate.
  const warm = warmupSpans === 0 ? { requests: [], stats: { spans: 0, traces: 0 } } : generateCorpus({ spans: warmupSpans, seed: seed + WARMUP_SEED });
  console.log(
    warmupSpans === 0
      ? 'warm-up: none (--warmup 0): a cold start, its JavaScript compiled while it is timed'
      : `warm-up: ${int(warm.stats.spans)} spans of another corpus to each store first, not timed (--warmup 0: a cold start)`,
  );
  const expected = { spans: corpus.spans + warm.stats.spans, traces: corpus.traces + warm.stats.traces };

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-bench-'));
  const dir = (name: string): string | undefined => (values.memory ? undefined : path.join(tmp, name));
  console.log(`storage: ${values.memory ? 'in-memory store' : `SQLite file in ${tmp} (removed afterwards)`}`);
  console.log(`server: child process; ${concurrency} exporters (keep-alive HTTP/1.1, one request in flight each) in this process`);

  try {
    process.stdout.write('floor: decode + insert in-process, one thread… ');
    const floor = runFloor(dir('floor'), requests, warm.requests);
    const floorRss = process.resourceUsage().maxRSS * 1024;
    console.log(`${int(corpus.spans / (floor.wallMs / 1000))} spans/s`);

    const runs: ServerRun[] = [];
    /** Accepted spans/s of the server over the baseline's, one a round. */
    const ratios: number[] = [];
    const rate = (run: ServerRun): number => corpus.spans / (run.client.wallMs / 1000);
    for (let round = 1; round <= rounds; round++) {
      const suffix = rounds > 1 ? ` #${round}` : '';
      const before = baseline === undefined ? undefined : await runServer(`baseline (${values.baseline})${suffix}`, baseline, dir(`baseline-${round}`), requests, warm.requests, last, concurrency, undefined);
      const server = await runServer(`server${suffix}`, ownServer, dir(`server-${round}`), requests, warm.requests, last, concurrency, round === 1 ? profileDir : undefined);
      if (before !== undefined) {
        runs.push(before);
        ratios.push(rate(server) / rate(before));
      }
      runs.push(server);
    }
    console.log('');

    const floorRate = corpus.spans / (floor.wallMs / 1000);
    const fl = Float64Array.from(floor.latenciesMs).sort();
    const check = (n: number | undefined): string => (n === undefined ? 'n/a' : n === expected.spans ? `${int(n)} ok` : `${int(n)} MISMATCH`);
    const rows: string[][] = [
      ['phase', 'accepted/s', 'searchable/s', 'p50 ms', 'p99 ms', 'CPU µs/span', 'cores', 'peak RSS', 'DB B/span', 'stored spans'],
      [
        'floor: decode+insert, 1 thread',
        int(floorRate),
        '–',
        fix(percentile(fl, 50), 2),
        fix(percentile(fl, 99), 2),
        fix(floor.cpuUs / corpus.spans, 1),
        fix(floor.cpuUs / 1000 / floor.wallMs, 2),
        `${mb(floorRss)}*`,
        fix(floor.db.bytes / expected.spans, 0),
        check(floor.db.spans),
      ],
    ];
    for (const run of runs) {
      const sl = Float64Array.from(run.client.latenciesMs).sort();
      rows.push([
        run.label,
        int(corpus.spans / (run.client.wallMs / 1000)),
        int(corpus.spans / (run.searchableMs / 1000)),
        fix(percentile(sl, 50), 2),
        fix(percentile(sl, 99), 2),
        fix(run.srv.cpuUs / corpus.spans, 1),
        fix(run.srv.cpuUs / 1000 / run.client.wallMs, 2),
        mb(run.srv.maxRss),
        run.db === undefined ? 'n/a' : fix(run.db.bytes / expected.spans, 0),
        check(run.db?.spans),
      ]);
    }
    console.log(table(rows));
    const server = runs[runs.length - 1];
    const serverRate = corpus.spans / (server.client.wallMs / 1000);
    const ratio = serverRate / floorRate;
    console.log(`\nratio server/floor: ${fix(ratio, 2)}${minRatio === undefined ? '' : ` (required ≥ ${minRatio})`}`);
    if (ratios.length === 1) console.log(`server/baseline accepted: ${fix(ratios[0], 2)}x`);
    else if (ratios.length > 1) {
      const median = percentile(Float64Array.from(ratios).sort(), 50);
      console.log(`server/baseline accepted: median ${fix(median, 2)}x over ${ratios.length} rounds (${ratios.map((r) => `${fix(r, 2)}x`).join(', ')})`);
    }
    console.log(`client CPU µs/span: ${runs.map((r) => `${r.label} ${fix(r.client.cpuUs / corpus.spans, 1)}`).join(', ')}`);
    console.log(
      `latency: floor = decode+insert per ${int(corpus.spans / requests.length)}-span request; server = POST to response at the exporter. ` +
        `cores = CPU time / wall time. * peak RSS of the benchmark process, which also holds the ${mb(corpus.bytes)} corpus.`,
    );
    if (profileDir !== undefined) console.log(`server CPU profile written to ${profileDir}`);

    const problems: string[] = [];
    for (const run of runs) {
      if (run.client.failures.length > 0) problems.push(`${run.label}: ${run.client.failures.length} request(s) failed, e.g. ${run.client.failures[0]}`);
      else if (Number.isNaN(run.searchableMs)) problems.push(`${run.label}: no search found the last trace within ${SEARCHABLE_WAIT_MS / 1000} s`);
      if (run.db !== undefined && run.db.spans !== expected.spans) problems.push(`${run.label}: database holds ${run.db.spans} spans, sent ${expected.spans}`);
      if (run.db !== undefined && run.db.traces !== expected.traces) problems.push(`${run.label}: database holds ${run.db.traces} traces, generated ${expected.traces}`);
    }
    if (floor.stored !== corpus.spans) problems.push(`floor: reported ${floor.stored} stored spans, sent ${corpus.spans}`);
    if (floor.db.spans !== expected.spans) problems.push(`floor: database holds ${floor.db.spans} spans, sent ${expected.spans}`);
    if (minRatio !== undefined && !(ratio >= minRatio)) problems.push(`ratio ${fix(ratio, 2)} is below --min-ratio ${minRatio}`);
    for (const p of problems) console.error(`FAIL: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
