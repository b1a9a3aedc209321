/**
 * Loki API benchmark: a generated corpus of log records (1M by default; cached between
 * runs under the OS temp directory, `--fresh` rebuilds it) loaded through the OTLP logs
 * ingest into a data directory, tracebox started on it in a child process, and the
 * queries Grafana's Loki data source sends timed over real HTTP: text search (a common
 * and a rare word), trace id, severity + service + time window, the log-volume histogram
 * and a metric query. Each runs `--runs` times after a warm-up with varying parameters;
 * p50/p99 are printed, and every answer is checked against what the generator made.
 *
 *   npm run bench:loki -- [--records 1000000] [--runs 50] [--fresh]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createIngest } from '../src/otlp/index.ts';
import { ProtoWriter, WIRE_I64 } from '../src/shared/protowire.ts';
import { Store } from '../src/store/index.ts';
import { startChildServer } from './lib/child-server.ts';
import { Rng } from './lib/rng.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '50' },
    fresh: { type: 'boolean', default: false },
  },
});
const RECORDS = Number(args.records);
const RUNS = Number(args.runs);
const SERVICES = 10;
const PER_REQUEST = 1000;
const WINDOW_MS = 2 * 3600e3;
/** Fixed so that the corpus (and its cache key) is the same on every run. */
const END_MS = Date.UTC(2026, 0, 1);
const START_NS = BigInt(END_MS - WINDOW_MS) * 1_000_000n;
const END_NS = BigInt(END_MS) * 1_000_000n;
/** One record in RARE_EVERY carries the word `needle<k>`. */
const RARE_EVERY = 100_000;

const WORDS = ['payment', 'declined', 'charging', 'card', 'cart', 'updated', 'shipping', 'quote', 'user', 'login', 'session', 'cache', 'miss', 'query', 'slow', 'retry'];
const SEVERITIES: readonly [number, string][] = [[9, 'INFO'], [9, 'INFO'], [9, 'INFO'], [5, 'DEBUG'], [13, 'WARN'], [17, 'ERROR']];

interface Corpus {
  readonly dir: string;
  /** Trace ids used, hex, with how many records each has. */
  readonly traces: [string, number][];
  readonly errorsByService: number[];
}

function keyValue(w: ProtoWriter, field: number, key: string, value: string): void {
  w.fork(field).stringField(1, key).fork(2).stringField(1, value).join().join();
}

function* requests(rng: Rng, traces: Map<string, number>, errorsByService: number[]): Generator<Uint8Array> {
  const step = (END_NS - START_NS) / BigInt(RECORDS);
  let trace: Uint8Array = new Uint8Array(16);
  let traceLeft = 0;
  for (let first = 0; first < RECORDS; first += PER_REQUEST) {
    const service = rng.int(SERVICES);
    const w = new ProtoWriter(PER_REQUEST * 160);
    w.fork(1);
    w.fork(1);
    keyValue(w, 1, 'service.name', `svc-${service}`);
    keyValue(w, 1, 'deployment.environment', 'bench');
    w.join();
    w.fork(2).fork(1).stringField(1, 'bench-logger').join();
    for (let i = first; i < Math.min(first + PER_REQUEST, RECORDS); i++) {
      const [severity, text] = SEVERITIES[rng.int(SEVERITIES.length)];
      if (severity === 17) errorsByService[service]++;
      let body = `${WORDS[rng.int(WORDS.length)]} ${WORDS[rng.int(WORDS.length)]} for order ${rng.int(1_000_000)}`;
      if (i % RARE_EVERY === 0) body += ` needle${i / RARE_EVERY}`;
      w.fork(2);
      w.tag(1, WIRE_I64).fixed64(START_NS + BigInt(i) * step);
      w.tag(2, 0).uint32(severity);
      w.stringField(3, text);
      w.fork(5).stringField(1, body).join();
      keyValue(w, 6, 'order.id', `o-${rng.int(100_000)}`);
      if (rng.chance(0.5)) {
        if (traceLeft === 0) {
          trace = rng.fill(new Uint8Array(16));
          traceLeft = 1 + rng.int(20);
        }
        traceLeft--;
        const hex = Buffer.from(trace).toString('hex');
        traces.set(hex, (traces.get(hex) ?? 0) + 1);
        w.bytesField(9, trace);
        w.bytesField(10, rng.fill(new Uint8Array(8)));
      }
      w.join();
    }
    w.join().join();
    yield w.finish();
  }
}

function digest(): string {
  const here = fileURLToPath(import.meta.url);
  const root = path.resolve(path.dirname(here), '..');
  const h = createHash('sha256').update(fs.readFileSync(here));
  for (const f of ['src/store/schema.ts', 'src/store/write.ts', 'src/store/log-rows.ts', 'src/otlp/ingest.ts']) h.update(fs.readFileSync(path.join(root, f)));
  return h.digest('hex').slice(0, 10);
}

function loadCorpus(): Corpus {
  const dir = path.join(os.tmpdir(), `tracebox-bench-loki-${RECORDS}-${digest()}`);
  const marker = path.join(dir, 'corpus.json');
  if (!args.fresh && fs.existsSync(marker)) return { dir, ...(JSON.parse(fs.readFileSync(marker, 'utf8')) as Omit<Corpus, 'dir'>) };
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (name.startsWith('tracebox-bench-loki-')) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  const store = Store.open({ dataDir: dir });
  const ingest = createIngest(store);
  const traces = new Map<string, number>();
  const errorsByService = new Array<number>(SERVICES).fill(0);
  const t0 = performance.now();
  let stored = 0;
  try {
    for (const body of requests(new Rng(7), traces, errorsByService)) {
      const answer = ingest({ body, format: 'protobuf', signal: 'logs' });
      if (!answer.ok) throw new Error(`corpus load refused: ${JSON.stringify(answer)}`);
      stored += answer.result.stored;
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  if (stored !== RECORDS) throw new Error(`corpus load: stored ${stored} records, generated ${RECORDS}`);
  console.log(`loaded ${RECORDS.toLocaleString('en-US')} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const meta = { traces: [...traces.entries()].slice(0, 5000), errorsByService };
  fs.writeFileSync(marker, JSON.stringify(meta));
  return { dir, ...meta };
}

interface Case {
  readonly name: string;
  /** The i-th run's path and query parameters, and a check of its answer. */
  readonly request: (i: number) => { path: string; params: Record<string, string>; check: (body: LokiBody) => void };
}

interface LokiBody {
  status: string;
  data: { resultType: string; result: { stream?: Record<string, string>; values: [unknown, string, { structuredMetadata?: Record<string, string> }?][]; metric?: Record<string, string> }[] };
  warnings?: string[];
}

const count = (b: LokiBody): number => b.data.result.reduce((n, s) => n + s.values.length, 0);
const allErrors = (b: LokiBody): boolean => b.data.result.every((s) => s.values.every((v) => v[2]?.structuredMetadata?.severity_text === 'ERROR'));

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`wrong answer: ${what}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const corpus = loadCorpus();
  const server = await startChildServer({ options: { data: corpus.dir } });
  const window = { start: String(START_NS), end: String(END_NS) };
  const quarter = (i: number): Record<string, string> => {
    const from = START_NS + (BigInt(i % 7) * (END_NS - START_NS)) / 8n;
    return { start: String(from), end: String(from + (END_NS - START_NS) / 8n) };
  };
  const cases: Case[] = [
    {
      name: 'text search, common word, one service (|= "declined", limit 100)',
      request: (i) => ({
        path: '/loki/api/v1/query_range',
        params: { query: `{service_name="svc-${i % SERVICES}"} |= "declined"`, ...window, limit: '100' },
        check: (b) => expect(count(b) === 100 && b.data.result.every((s) => s.values.every((v) => v[1].includes('declined'))), 'declined'),
      }),
    },
    {
      name: 'text search, rare word, all services (|= "needleK")',
      request: (i) => {
        const k = i % Math.floor(RECORDS / RARE_EVERY);
        return {
          path: '/loki/api/v1/query_range',
          params: { query: `{deployment_environment="bench"} |= "needle${k}"`, ...window, limit: '100' },
          check: (b) => expect(count(b) === 1 && b.data.result[0].values[0][1].endsWith(` needle${k}`), `needle${k}`),
        };
      },
    },
    {
      name: 'trace id (| trace_id="…"), all services',
      request: (i) => {
        const [id, n] = corpus.traces[(i * 37) % corpus.traces.length];
        return {
          path: '/loki/api/v1/query_range',
          params: { query: `{deployment_environment="bench"} | trace_id="${id}"`, ...window, limit: '1000' },
          check: (b) => expect(count(b) === n, `trace ${id}: ${count(b)} of ${n}`),
        };
      },
    },
    {
      name: 'severity + service + 15 min window (| severity_text="ERROR")',
      request: (i) => ({
        path: '/loki/api/v1/query_range',
        params: { query: `{service_name="svc-${i % SERVICES}"} | severity_text="ERROR"`, ...quarter(i), limit: '100' },
        check: (b) => expect(allErrors(b) && !b.warnings, 'errors'),
      }),
    },
    {
      name: 'severity + service + 15 min window (| severity_number >= 17)',
      request: (i) => ({
        path: '/loki/api/v1/query_range',
        params: { query: `{service_name="svc-${i % SERVICES}"} | severity_number >= 17`, ...quarter(i), limit: '100' },
        check: (b) => expect(allErrors(b) && !b.warnings, 'errors by number'),
      }),
    },
    {
      name: 'log volume, 2 h, one service (sum by (level, detected_level) (count_over_time(…[1m])))',
      request: (i) => ({
        path: '/loki/api/v1/query_range',
        params: { query: `sum by (level, detected_level) (count_over_time({service_name="svc-${i % SERVICES}"} | drop __error__[1m]))`, ...window, step: '60000ms' },
        check: (b) => expect(b.data.resultType === 'matrix' && b.data.result.length === 4, 'volume'),
      }),
    },
    {
      name: 'errors per service, 2 h (sum by (service_name) (count_over_time({…} | severity_text="ERROR" [2h])))',
      request: (i) => ({
        path: '/loki/api/v1/query',
        params: { query: `sum by (service_name) (count_over_time({service_name="svc-${i % SERVICES}"} | severity_text="ERROR" [2h]))`, time: String(END_NS - BigInt(i % 2)) },
        check: (b) => expect(Number((b.data.result[0] as unknown as { value: [number, string] }).value[1]) > 0, 'error count'),
      }),
    },
  ];
  console.log(`${RECORDS.toLocaleString('en-US')} records, ${SERVICES} services, ${RUNS} runs per query (p99 target < 50 ms)`);
  try {
    for (const c of cases) {
      const times: number[] = [];
      for (let i = -3; i < RUNS; i++) {
        const { path: p, params, check } = c.request(Math.abs(i));
        const t0 = performance.now();
        const res = await fetch(`${server.apiUrl}${p}?${new URLSearchParams(params)}`, { headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } });
        const text = await res.text();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${c.name}: ${res.status} ${text}`);
        check(JSON.parse(text) as LokiBody);
        if (i >= 0) times.push(ms);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${c.name.padEnd(100)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(times, 99).toFixed(1).padStart(7)} ms`);
    }
  } finally {
    await server.close();
  }
}

await main();
