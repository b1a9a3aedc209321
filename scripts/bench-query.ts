/**
 * Query benchmark: loads a generated corpus (1M spans by default; cached between runs
 * under the OS temp directory, `--fresh` rebuilds it), starts tracebox on it in a child
 * process and times, over real HTTP as Grafana sends them, the searches and tag listings
 * of the query-latency acceptance criteria. Each query runs `--runs` times after a
 * warm-up with varying parameters (user ids, services, time windows), and prints
 * p50/p99, results, the cost reported in the response metrics, and the EXPLAIN QUERY
 * PLAN of the SQL that drives it. Results are checked against the stored data.
 *
 * Then the tag dictionary alone with one key of `--dictionary` values (scripts/lib/dictionary-bench.ts);
 * `--only dictionary` runs just that.
 *
 *   npm run bench:query -- [--spans 1000000] [--runs 100] [--fresh] [--profile DIR] [--only NAME] [--dictionary 2000000]
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { createPlanner, type Plan } from '../src/query/planner.ts';
import { startTracebox } from '../src/server.ts';
import { Store } from '../src/store/index.ts';
import { MAX_VALUES_PER_KEY, TAG_REFRESH_NS } from '../src/store/tags.ts';
import * as storeSearch from '../src/store/search.ts';
import { parse } from '../src/traceql/index.ts';
import { benchDictionary } from './lib/dictionary-bench.ts';
import { loadQueryCorpus } from './lib/query-corpus.ts';
import { runMain } from './lib/run-main.ts';

// ---------------------------------------------------------------- child mode: the server alone

type ToChild = { type: 'close' };
type FromChild = { type: 'ready'; url: string } | { type: 'error'; message: string };

async function childMain(dataDir: string): Promise<void> {
  const send = (msg: FromChild): void => {
    process.send!(msg);
  };
  try {
    const tb = await startTracebox({
      data: dataDir,
      port: 0,
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      log: (line) => process.stderr.write(`tracebox: ${line}\n`),
    });
    process.on('message', (msg: ToChild) => {
      if (msg.type === 'close') {
        void tb.close().then(() => process.disconnect()); // exits normally, so --cpu-prof writes its profile
      }
    });
    send({ type: 'ready', url: tb.apiUrl });
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
    process.disconnect();
  }
}

interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

async function startChildServer(dataDir: string, profileDir: string | undefined): Promise<RunningServer> {
  const execArgv = [...process.execArgv];
  if (profileDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', profileDir);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', '--data', dataDir], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<string>((resolve, reject) => {
    child.once('message', (msg: FromChild) => (msg.type === 'ready' ? resolve(msg.url) : reject(new Error(`server process: ${msg.message}`))));
    child.once('exit', (code) => reject(new Error(`server process exited (code ${code}) before it was ready`)));
  });
  return {
    url: ready,
    close: async () => {
      if (child.connected) child.send({ type: 'close' } satisfies ToChild);
      const code = await exited;
      if (code !== 0) throw new Error(`server process exited with code ${code}`);
    },
  };
}

// ---------------------------------------------------------------- HTTP client

interface Reply {
  status: number;
  body: string;
}

/** GET with keep-alive and gzip, as Grafana's Go client sends it; the time includes decompression. */
function get(agent: http.Agent, base: URL, pathAndQuery: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, method: 'GET', hostname: base.hostname, port: base.port, path: pathAndQuery, headers: { 'Accept-Encoding': 'gzip' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let buf = Buffer.concat(chunks);
          if (res.headers['content-encoding'] === 'gzip') buf = zlib.gunzipSync(buf);
          resolve({ status: res.statusCode ?? 0, body: buf.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- deterministic parameter choice

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// ---------------------------------------------------------------- the queries

interface Window {
  readonly start: number; // unix s
  readonly end: number;
}

interface SearchTrace {
  traceID: string;
  rootServiceName: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSet?: { matched: number };
  spanSets?: Array<{ matched: number }>;
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

interface SearchBody {
  traces: SearchTrace[];
  metrics: { inspectedTraces?: number; inspectedSpans?: string; inspectedBytes?: string };
}

/** One timed request: what to send and how to check what came back. */
interface Instance {
  readonly path: string;
  /** TraceQL text, for search requests (for the plan and the checks). */
  readonly q?: string;
  readonly window?: Window;
  /** Extra parameters for the checks. */
  readonly arg?: string;
}

interface QueryDef {
  readonly name: string;
  /** Acceptance target for p99, ms. */
  readonly targetMs: number;
  readonly example: string;
  readonly make: (rng: Rng) => Instance;
}

interface Sample {
  readonly inst: Instance;
  readonly ms: number;
  readonly status: number;
  readonly results: number;
  readonly traces: number;
  readonly spans: number;
  readonly body: unknown;
}

const SERVICES = ['frontend', 'api-gateway', 'auth', 'user', 'cart', 'checkout', 'payment', 'inventory', 'shipping', 'notification'];
const ROUTE_REGEXES = ['/api/v1/.*', '/carts/.*', '/orders.*', '.*/stock/(reserve|release)', '/users/\\\\{id\\\\}.*', '/(charges|refunds).*'];
const STRUCT_PARENTS = ['frontend', 'api-gateway', 'checkout'];
const STRUCT_CHILDREN = ['payment', 'inventory', 'cart', 'user', 'auth', 'shipping'];
const TAGS = ['span.http.route', 'resource.service.name', 'span.user.id', 'span.http.status_code', 'span.db.system', 'span.tenant.id'];

function searchPath(q: string, w: Window | undefined, limit = 20): string {
  const p = new URLSearchParams({ q, limit: String(limit) });
  if (w !== undefined) {
    p.set('start', String(w.start));
    p.set('end', String(w.end));
  }
  return `/api/search?${p.toString().replace(/\+/g, '%20')}`;
}

function defineQueries(corpusStart: number, corpusEnd: number): QueryDef[] {
  const whole: Window = { start: corpusStart, end: corpusEnd };
  /** A window of `minutes` at a random place inside the corpus, on whole seconds as Grafana sends it. */
  const window = (rng: Rng, minutes: number): Window => {
    const len = minutes * 60;
    const start = corpusStart + rng.int(Math.max(1, corpusEnd - corpusStart - len));
    return { start, end: start + len };
  };
  const search = (q: string, w: Window | undefined, arg?: string): Instance => ({ path: searchPath(q, w), q, window: w, arg });
  return [
    {
      name: 'selective attribute',
      targetMs: 50,
      example: '{ span.user.id = "user-4711" }, whole corpus',
      make: (rng) => {
        const user = `user-${rng.int(10_000)}`;
        return search(`{ span.user.id = "${user}" }`, whole, user);
      },
    },
    {
      name: 'service + duration + range',
      targetMs: 50,
      example: '{ resource.service.name = "checkout" && duration > 1s }, 1 h window',
      make: (rng) => {
        const svc = rng.pick(SERVICES);
        return search(`{ resource.service.name = "${svc}" && duration > 1s }`, window(rng, 60), svc);
      },
    },
    {
      name: 'status = error',
      targetMs: 50,
      example: '{ status = error }, 1 h window',
      make: (rng) => search('{ status = error }', window(rng, 60)),
    },
    {
      name: 'regex on route',
      targetMs: 200,
      example: '{ span.http.route =~ "/api/v1/.*" }, 1 h window',
      make: (rng) => {
        const re = rng.pick(ROUTE_REGEXES);
        return search(`{ span.http.route =~ "${re}" }`, window(rng, 60), re);
      },
    },
    {
      name: 'structural',
      targetMs: 200,
      example: '{ resource.service.name = "frontend" } >> { resource.service.name = "payment" && status = error }, 1 h',
      make: (rng) => {
        const a = rng.pick(STRUCT_PARENTS);
        const b = rng.pick(STRUCT_CHILDREN);
        return search(`{ resource.service.name = "${a}" } >> { resource.service.name = "${b}" && status = error }`, window(rng, 60), `${a}>>${b}`);
      },
    },
    {
      name: 'count() > 5',
      targetMs: 200,
      example: '{ } | count() > 5, 1 h window',
      make: (rng) => search('{ } | count() > 5', window(rng, 60)),
    },
    {
      name: 'newest 20, no filter',
      targetMs: 200,
      example: '{ }, 1 h window',
      make: (rng) => search('{}', window(rng, 60)),
    },
    {
      name: 'tag values (dictionary)',
      targetMs: 200,
      example: '/api/v2/search/tag/span.http.route/values, 1 h window',
      make: (rng) => {
        const tag = rng.pick(TAGS);
        const w = window(rng, 60);
        return { path: `/api/v2/search/tag/${encodeURIComponent(tag)}/values?start=${w.start}&end=${w.end}`, window: w, arg: tag };
      },
    },
    {
      name: 'tag values (intrinsic name)',
      targetMs: 200,
      example: '/api/v2/search/tag/name/values, 1 h window',
      make: (rng) => {
        const w = window(rng, 60);
        return { path: `/api/v2/search/tag/name/values?start=${w.start}&end=${w.end}`, window: w, arg: 'name' };
      },
    },
  ];
}

// ---------------------------------------------------------------- checks against the stored data

/** The stored bytes of `user.id` = value as the generator encodes it (KeyValue key field). */
const USER_KEY = Buffer.from([0x0a, 0x07, ...Buffer.from('user.id')]);

interface Truth {
  /** user id → trace rowids and span count. */
  users: Map<string, { traces: Set<number>; spans: number }>;
}

/** One pass over the raw spans for the users the selective query asks for (independent of the FTS index). */
function userTruth(db: Database.Database, users: Set<string>): Truth {
  const out = new Map<string, { traces: Set<number>; spans: number }>();
  for (const u of users) out.set(u, { traces: new Set(), spans: 0 });
  const stmt = db.prepare('SELECT trace_rowid, raw FROM spans').raw(true);
  for (const [traceRowid, raw] of stmt.iterate() as Iterable<[number, Buffer]>) {
    const at = raw.indexOf(USER_KEY);
    if (at < 0) continue;
    // KeyValue: key field, then 0x12 len AnyValue{ 0x0a len string }
    const p = at + USER_KEY.length;
    if (raw[p] !== 0x12 || raw[p + 2] !== 0x0a) continue;
    const n = raw[p + 3];
    const entry = out.get(raw.toString('latin1', p + 4, p + 4 + n));
    if (entry === undefined) continue;
    entry.traces.add(traceRowid);
    entry.spans++;
  }
  return { users: out };
}

interface OtlpJsonSpan {
  spanId: string;
  parentSpanId?: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: string };
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

interface FetchedTrace {
  spans: Array<OtlpJsonSpan & { service: string }>;
}

async function fetchTrace(agent: http.Agent, base: URL, id: string): Promise<FetchedTrace | undefined> {
  const r = await get(agent, base, `/api/traces/${id}`);
  if (r.status !== 200) return undefined;
  const body = JSON.parse(r.body) as {
    batches: Array<{ resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpJsonSpan[] }> }>;
  };
  const spans: FetchedTrace['spans'] = [];
  for (const b of body.batches) {
    const service = b.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const ss of b.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
  }
  return { spans };
}

const isError = (s: OtlpJsonSpan): boolean => s.status?.code === 'STATUS_CODE_ERROR';
const durNs = (s: OtlpJsonSpan): bigint => BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano);
const attr = (s: OtlpJsonSpan, key: string): string | undefined => s.attributes?.find((a) => a.key === key)?.value.stringValue;

/** Whether a fetched trace satisfies the query `def` with parameter `arg`, checked without TraceQL. */
function satisfies(def: string, arg: string | undefined, t: FetchedTrace): boolean {
  switch (def) {
    case 'status = error':
      return t.spans.some(isError);
    case 'service + duration + range':
      return t.spans.some((s) => s.service === arg && durNs(s) > 1_000_000_000n);
    case 'regex on route': {
      // The TraceQL string literal unescaped once; Go's regexp matches the whole value here (Tempo anchors).
      const re = new RegExp(`^(?:${arg!.replace(/\\\\/g, '\\')})$`);
      return t.spans.some((s) => {
        const r = attr(s, 'http.route');
        return r !== undefined && re.test(r);
      });
    }
    case 'structural': {
      const [a, b] = arg!.split('>>');
      const byId = new Map(t.spans.map((s) => [s.spanId, s]));
      return t.spans.some((s) => {
        if (s.service !== b || !isError(s)) return false;
        for (let p = byId.get(s.parentSpanId ?? ''); p !== undefined; p = byId.get(p.parentSpanId ?? '')) if (p.service === a) return true;
        return false;
      });
    }
    default:
      return true;
  }
}

function overlaps(t: SearchTrace, w: Window): boolean {
  const start = BigInt(t.startTimeUnixNano);
  const end = start + BigInt(Math.ceil(t.durationMs ?? 0) + 1) * 1_000_000n;
  return start <= BigInt(w.end) * 1_000_000_000n && end >= BigInt(w.start) * 1_000_000_000n;
}

const searchId = (blob: Buffer): string => blob.toString('hex').replace(/^0+/, '') || '0';

async function check(
  def: QueryDef,
  samples: readonly Sample[],
  db: Database.Database,
  truth: Truth,
  agent: http.Agent,
  base: URL,
): Promise<string[]> {
  const problems: string[] = [];
  const fail = (msg: string): void => {
    if (problems.length < 5) problems.push(`${def.name}: ${msg}`);
  };
  const newest = db.prepare('SELECT trace_id FROM traces WHERE start_ns <= ? AND end_ns >= ? ORDER BY start_ns DESC LIMIT 20').pluck();
  const newestBig = db.prepare('SELECT trace_id FROM traces WHERE start_ns <= ? AND end_ns >= ? AND span_count > 5 ORDER BY start_ns DESC LIMIT 20').pluck();
  const errorTraces = db.prepare('SELECT count(*) FROM traces WHERE start_ns <= ? AND end_ns >= ? AND error_count > 0').pluck();
  const dictionary = db.prepare(
    `SELECT count(*) FROM tag_values v JOIN tag_keys k ON k.id = v.key_id
     WHERE k.scope = ? AND k.key = ? AND v.last_ns >= ? AND v.first_ns <= ?`,
  ).pluck();
  const surelyInside = db.prepare(
    `SELECT count(*) FROM tag_values v JOIN tag_keys k ON k.id = v.key_id
     WHERE k.scope = ? AND k.key = ? AND (v.last_ns BETWEEN ? AND ? OR v.first_ns BETWEEN ? AND ?)`,
  ).pluck();
  const fullKey = db.prepare('SELECT value_count >= ? FROM tag_keys WHERE scope = ? AND key = ?').pluck();
  const toFetch = new Map<string, string | undefined>();
  for (const s of samples) {
    if (s.status !== 200) {
      fail(`HTTP ${s.status} for ${s.inst.path}`);
      continue;
    }
    const w = s.inst.window;
    const ns = (sec: number): bigint => BigInt(sec) * 1_000_000_000n;
    if (s.inst.q !== undefined) {
      const body = s.body as SearchBody;
      if (w !== undefined) for (const t of body.traces) if (!overlaps(t, w)) fail(`trace ${t.traceID} outside the window for ${s.inst.q}`);
      const ids = body.traces.map((t) => t.traceID);
      switch (def.name) {
        case 'selective attribute': {
          const want = truth.users.get(s.inst.arg!)!;
          const matched = body.traces.reduce((n, t) => n + (t.spanSet?.matched ?? 0), 0);
          if (body.traces.length !== Math.min(20, want.traces.size)) fail(`${s.inst.q}: ${body.traces.length} traces, stored ${want.traces.size}`);
          else if (want.traces.size <= 20 && matched !== want.spans) fail(`${s.inst.q}: ${matched} matching spans, stored ${want.spans}`);
          break;
        }
        case 'status = error': {
          const n = errorTraces.get(ns(w!.end), ns(w!.start)) as number;
          if (ids.length !== Math.min(20, n)) fail(`${ids.length} traces for ${n} stored error traces in the window`);
          break;
        }
        case 'newest 20, no filter':
        case 'count() > 5': {
          const stmt = def.name === 'count() > 5' ? newestBig : newest;
          const want = (stmt.all(ns(w!.end), ns(w!.start)) as Buffer[]).map(searchId);
          if (ids.join() !== want.join()) fail(`traces differ from the newest ${want.length} in SQL (got ${ids.length})`);
          break;
        }
        default:
          break;
      }
      for (const id of ids) if (toFetch.size < 400) toFetch.set(`${id}\0${s.inst.arg ?? ''}`, s.inst.arg);
    } else {
      const body = s.body as { tagValues: Array<{ type: string; value: string }> };
      if (def.name === 'tag values (dictionary)') {
        const [scope, ...rest] = s.inst.arg!.split('.');
        // Exact windows: at least the values last or first seen inside, at most those the
        // widened window holds (first/last seen are refreshed every TAG_REFRESH_NS).
        const pad = BigInt(TAG_REFRESH_NS);
        const most = dictionary.get(scope, rest.join('.'), ns(w!.start) - pad, ns(w!.end) + pad) as number;
        const least = surelyInside.get(scope, rest.join('.'), ns(w!.start), ns(w!.end), ns(w!.start), ns(w!.end)) as number;
        // A full key's other values come from its spans: the dictionary bounds only the least.
        const full = fullKey.get(MAX_VALUES_PER_KEY, scope, rest.join('.')) === 1;
        if ((!full && body.tagValues.length > most) || body.tagValues.length < least) fail(`${s.inst.arg}: ${body.tagValues.length} values, expected ${least} to ${most}`);
      } else if (body.tagValues.length === 0) fail(`${s.inst.arg}: no values`);
    }
  }
  if (['status = error', 'service + duration + range', 'regex on route', 'structural'].includes(def.name)) {
    for (const [key, arg] of toFetch) {
      const id = key.split('\0')[0];
      const t = await fetchTrace(agent, base, id);
      if (t === undefined) fail(`trace ${id} not found by id`);
      else if (!satisfies(def.name, arg, t)) fail(`trace ${id} does not satisfy the query (${arg ?? ''})`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- plans

function explain(db: Database.Database, sql: string, params: unknown[]): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ id: number; parent: number; detail: string }>;
  const depth = new Map<number, number>([[0, 0]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? 0) + 1;
    depth.set(r.id, d);
    return `${'  '.repeat(d)}${r.detail}`;
  });
}

function describeCondition(c: storeSearch.SpanCondition): string[] {
  return [
    c.termGroups.length > 0 ? `terms ${c.termGroups.map((g) => (g.length === 1 ? '1' : `${g.length} OR'd`)).join(' AND ')}` : '',
    c.status !== undefined ? `status=${c.status}` : '',
    c.kind !== undefined ? `kind=${c.kind}` : '',
    c.minDurationNs !== undefined ? `duration>=${c.minDurationNs}` : '',
    c.maxDurationNs !== undefined ? `duration<=${c.maxDurationNs}` : '',
    c.resourceIds !== undefined ? `resource in (${c.resourceIds.join(',')})` : '',
  ].filter((p) => p !== '');
}

function describePlan(store: Store, db: Database.Database, inst: Instance): string[] {
  const ns = (sec: number): bigint => BigInt(sec) * 1_000_000_000n;
  const w = inst.window === undefined ? {} : { startNs: ns(inst.window.start), endNs: ns(inst.window.end) };
  if (inst.q === undefined) {
    if (inst.arg === 'name') {
      return [
        'span names of the 1000 newest traces in the window, from the span_names column (no protobuf decoded):',
        ...explain(db, 'SELECT n.name FROM spans s JOIN span_names n ON n.id = s.name_id WHERE s.trace_rowid = ? ORDER BY s.start_ns, s.id', [1]),
      ];
    }
    return [
      'the tag_values dictionary:',
      ...explain(db, 'SELECT type, value FROM tag_values WHERE key_id = ? AND last_ns >= ? AND first_ns <= ? ORDER BY type, value', [1, 0, 0]),
    ];
  }
  const deps = { search: store.search, tags: store.tags, generation: () => (store as { generation?: number }).generation ?? 0 };
  const plan: Plan = createPlanner(deps as Parameters<typeof createPlanner>[0])(parse(inst.q));
  if (plan.kind === 'never') return ['plan: never (nothing can match)'];
  if (plan.kind === 'scan') {
    return [
      'plan: scan traces newest first',
      ...explain(
        db,
        'SELECT id, start_ns FROM traces WHERE start_ns <= ? AND start_ns >= ? AND end_ns >= ? AND (start_ns < ? OR (start_ns = ? AND id < ?)) ORDER BY start_ns DESC, id DESC LIMIT ?',
        [w.endNs ?? 0n, w.startNs ?? 0n, w.startNs ?? 0n, (1n << 63n) - 1n, (1n << 63n) - 1n, (1n << 63n) - 1n, 256],
      ),
    ];
  }
  const parts = describeCondition(plan.condition);
  const range = store.search.candidateRange(w);
  const { sql, params } = storeSearch.candidateSql(plan.condition, range, { withParent: plan.related !== undefined });
  const span = range === undefined ? '' : `; span starts in [window start - ${fix(Number(range.startNs - range.minStartNs) / 1e9, 1)} s, window end + ${fix(Number(range.maxStartNs - range.endNs) / 1e9, 1)} s]`;
  const related =
    plan.related === undefined
      ? []
      : [`  then per candidate span: its ${plan.related.relation} must have ${describeCondition(plan.related.condition).join(', ')} (index lookups by span id)`];
  return [`plan: candidate spans where ${parts.join(', ')}${span}`, `  ${sql}`, ...explain(db, sql, [...params, (1n << 63n) - 1n, 256]), ...related];
}

// ---------------------------------------------------------------- report

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number): string => n.toFixed(d);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      hours: { type: 'string', default: '2' },
      runs: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '10' },
      'max-seconds': { type: 'string', default: '60' },
      fresh: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      'no-check': { type: 'boolean', default: false },
      child: { type: 'boolean', default: false },
      data: { type: 'string' },
      dictionary: { type: 'string', default: '2000000' },
    },
    strict: true,
  });
  if (values.child) {
    await childMain(values.data!);
    return 0;
  }
  const spans = Number(values.spans);
  const seed = Number(values.seed);
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const maxSeconds = Number(values['max-seconds']);
  if (!Number.isInteger(spans) || spans <= 0) throw new Error(`--spans must be a positive integer, got ${values.spans}`);
  if (!Number.isInteger(runs) || runs <= 0) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const timeSpanMs = Number(values.hours) * 3600_000;
  // A fixed end keeps the corpus byte-identical between runs, so it can be cached.
  const endTimeMs = Date.UTC(2025, 0, 1);
  const profileDir = values.profile === undefined ? undefined : path.resolve(values.profile);

  const cpus = os.cpus();
  console.log(
    `tracebox query benchmark: Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()}/${os.arch()}, ` +
      `load average ${os.loadavg().map((l) => fix(l, 1)).join(' ')}`,
  );

  const dictionaryValues = Number(values.dictionary);
  if (!Number.isInteger(dictionaryValues) || dictionaryValues <= 0) throw new Error(`--dictionary must be a positive integer, got ${values.dictionary}`);
  if (values.only?.toLowerCase() === 'dictionary') {
    for (const line of benchDictionary(dictionaryValues)) console.log(line);
    return 0;
  }

  process.stdout.write('corpus: ');
  const corpus = loadQueryCorpus({
    spans,
    seed,
    timeSpanMs,
    endTimeMs,
    fresh: values.fresh,
    log: (line) => process.stdout.write(`\n${line}`),
  });
  const st = corpus.stats;
  console.log(
    `${int(st.spans)} spans, ${int(st.traces)} traces, ${fix((100 * st.errors) / st.spans, 1)}% errors, ` +
      `${fix((100 * st.slow) / st.spans, 1)}% > 1 s, over ${values.hours} h; ` +
      (corpus.built ? `loaded in ${fix(corpus.loadMs / 1000, 1)} s` : `cached (loaded in ${fix(corpus.loadMs / 1000, 1)} s earlier; --fresh rebuilds)`),
  );
  console.log(`storage: ${corpus.dir} (${fix(corpus.dbBytes / 2 ** 20, 0)} MB, ${fix(corpus.dbBytes / st.spans, 0)} B/span)`);

  const corpusStart = Math.floor(Number(st.minStartNs / 1_000_000_000n)) - 60;
  const corpusEnd = Math.ceil(Number(st.maxEndNs / 1_000_000_000n)) + 60;
  let defs = defineQueries(corpusStart, corpusEnd);
  if (values.only !== undefined) {
    const only = values.only.toLowerCase();
    defs = defs.filter((d) => d.name.toLowerCase().includes(only));
    if (defs.length === 0) throw new Error(`--only ${values.only} matches no query`);
  }

  // Parameters are drawn up front so the ground truth can be computed in one pass.
  const instances = defs.map((def, i) => {
    const rng = new Rng(seed * 1000 + i);
    return Array.from({ length: warmup + runs }, () => def.make(rng));
  });

  const store = Store.open({ dataDir: corpus.dir });
  const db = new Database(path.join(corpus.dir, 'tracebox.db'), { readonly: true });
  let truth: Truth = { users: new Map() };
  const selective = defs.findIndex((d) => d.name === 'selective attribute');
  if (!values['no-check'] && selective >= 0) {
    const t = performance.now();
    truth = userTruth(db, new Set(instances[selective].map((x) => x.arg!)));
    console.log(`checks: ground truth for ${truth.users.size} user ids from the raw spans in ${fix((performance.now() - t) / 1000, 1)} s`);
  }

  const server = await startChildServer(corpus.dir, profileDir);
  const base = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  console.log(
    `server: child process, ${server.url}; ${runs} timed runs per query after ${warmup} warm-up (fewer when a query would take over ${maxSeconds} s), ` +
      `one request at a time, keep-alive, Accept-Encoding: gzip\n`,
  );

  const results: Array<{ def: QueryDef; samples: Sample[] }> = [];
  const problems: string[] = [];
  try {
    for (let d = 0; d < defs.length; d++) {
      const def = defs[d];
      process.stdout.write(`${def.name}… `);
      const samples: Sample[] = [];
      const began = performance.now();
      for (let i = 0; i < instances[d].length; i++) {
        const inst = instances[d][i];
        const t = performance.now();
        const reply = await get(agent, base, inst.path);
        const ms = performance.now() - t;
        if (i < warmup) continue;
        let body: unknown = undefined;
        let results = 0;
        let traces = 0;
        let spansInspected = 0;
        if (reply.status === 200) {
          body = JSON.parse(reply.body);
          if (inst.q !== undefined) {
            const b = body as SearchBody;
            results = b.traces.length;
            traces = b.metrics.inspectedTraces ?? 0;
            spansInspected = Number(b.metrics.inspectedSpans ?? 0);
          } else results = (body as { tagValues: unknown[] }).tagValues.length;
        }
        samples.push({ inst, ms, status: reply.status, results, traces, spans: spansInspected, body });
        if (samples.length >= 10 && performance.now() - began > maxSeconds * 1000) break;
      }
      const sorted = Float64Array.from(samples.map((s) => s.ms)).sort();
      console.log(`p50 ${fix(percentile(sorted, 50), 1)} ms, p99 ${fix(percentile(sorted, 99), 1)} ms`);
      results.push({ def, samples });
      if (!values['no-check']) problems.push(...(await check(def, samples, db, truth, agent, base)));
    }
  } finally {
    agent.destroy();
    await server.close();
  }

  console.log('');
  const rows: string[][] = [['query', 'runs', 'p50 ms', 'p99 ms', 'max ms', 'target p99', 'results p50', 'insp. traces p50/max', 'insp. spans p50', '']];
  for (const { def, samples } of results) {
    const sorted = Float64Array.from(samples.map((s) => s.ms)).sort();
    const p99 = percentile(sorted, 99);
    const traces = samples.map((s) => s.traces);
    const isSearch = samples[0]?.inst.q !== undefined;
    rows.push([
      def.name,
      int(samples.length),
      fix(percentile(sorted, 50), 1),
      fix(p99, 1),
      fix(sorted[sorted.length - 1], 1),
      `< ${def.targetMs}`,
      int(median(samples.map((s) => s.results))),
      isSearch ? `${int(median(traces))} / ${int(Math.max(...traces))}` : '-',
      isSearch ? int(median(samples.map((s) => s.spans))) : '-',
      p99 < def.targetMs ? 'ok' : 'OVER',
    ]);
    if (!(p99 < def.targetMs)) problems.push(`${def.name}: p99 ${fix(p99, 1)} ms is over the ${def.targetMs} ms target`);
  }
  console.log(table(rows));
  console.log(
    `latency: request sent to response read (gzip) at the client, one at a time; load average at the end ${os.loadavg().map((l) => fix(l, 1)).join(' ')} ` +
      `(other processes on the machine inflate p99)`,
  );

  console.log('\nqueries and their plans (first timed run of each; EXPLAIN QUERY PLAN of the SQL that drives the scan):');
  for (const { def, samples } of results) {
    const inst = samples[0].inst;
    console.log(`\n${def.name}: ${def.example}`);
    console.log(`  e.g. GET ${decodeURIComponent(inst.path)}`);
    for (const line of describePlan(store, db, inst)) console.log(`  ${line}`);
  }
  db.close();
  store.close();
  if (profileDir !== undefined) console.log(`\nserver CPU profile written to ${profileDir}`);
  console.log('');
  for (const line of benchDictionary(dictionaryValues)) console.log(line);
  console.log('');
  for (const p of problems) console.error(`FAIL: ${p}`);
  if (problems.length === 0) console.log('all checks passed, every query within its target');
  return problems.length === 0 ? 0 : 1;
}

runMain(main);
