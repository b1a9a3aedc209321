/**
 * @module
 * `npm run bench:ingest`: OTLP/HTTP protobuf ingest throughput against its in-process floor.
 *
 *   npm run bench:ingest -- [--spans N] [--concurrency C] [--memory] [--seed S]
 *                           [--in-process] [--profile DIR] [--min-ratio R]
 *
 * 1. Generates the corpus up front (scripts/lib/span-generator.ts), so encoding is never timed.
 * 2. Floor: decodeExportRequest + Store.insert of every request, in this process, into a fresh DB.
 * 3. Server: startTracebox() on free ports with another fresh DB, in a CHILD process; C exporters
 *    in this process POST the same requests to /v1/traces over keep-alive connections, each sending
 *    its next request when the previous one is answered (as a BatchSpanProcessor does).
 *
 * Why a child process: a real server does not share its event loop with its exporters. With the
 * client in the same process, every request's client-side work (socket writes, response parsing,
 * promise bookkeeping) would run on the server's only JavaScript thread and be charged to the
 * server. In a child, the server's thread does only server work and the client runs on the other
 * core; the client's CPU is printed so it can be seen not to be the bottleneck. `--in-process` runs
 * the server in this process instead, for comparison, and says so in the output.
 *
 * Afterwards both databases are checkpointed and checked: stored spans must equal sent spans.
 * Exit status 1 when a response was not 200, a span is missing, or the ratio is below --min-ratio.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.ts';
import { startTracebox } from '../src/server.ts';
import { Store } from '../src/store/index.ts';
import { generateCorpus, type GeneratedRequest } from './lib/span-generator.ts';

// ---------------------------------------------------------------- shared helpers

interface DbStats {
  spans: number;
  traces: number;
  /** Database file + WAL after a TRUNCATE checkpoint (page bytes for an in-memory DB). */
  bytes: number;
}

interface ServerStats extends DbStats {
  /** CPU time of the server process between begin and end, µs. */
  cpuUs: number;
  /** Event-loop utilization between begin and end (1 = never idle). */
  elu: number;
  /** Peak resident set of the server process, bytes. */
  maxRss: number;
}

type ToChild = { type: 'begin' } | { type: 'end' } | { type: 'close' };
type FromChild =
  | { type: 'ready'; url: string }
  | { type: 'begun' }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'error'; message: string };

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
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

/**
 * startTracebox() keeps its Store to itself; the benchmark needs it afterwards to count and
 * checkpoint, so Store.open is wrapped to hand the instance out. The measured path is unchanged.
 */
function captureStores(): Store[] {
  const opened: Store[] = [];
  const open = Store.open.bind(Store);
  Store.open = (options) => {
    const store = open(options);
    opened.push(store);
    return store;
  };
  return opened;
}

interface RunningServer {
  readonly url: string;
  begin(): Promise<void>;
  end(): Promise<ServerStats>;
  close(): Promise<void>;
}

/** Starts tracebox in this process; with it, begin/end/stats behave as in the child. */
async function startLocalServer(dataDir: string | undefined): Promise<RunningServer> {
  const stores = captureStores();
  const tb = await startTracebox({
    memory: dataDir === undefined,
    data: dataDir,
    port: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    log: (line) => process.stderr.write(`tracebox: ${line}\n`),
  });
  const store = stores[stores.length - 1];
  let cpu = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  return {
    url: tb.otlpHttpUrl,
    async begin() {
      cpu = process.cpuUsage();
      elu = performance.eventLoopUtilization();
    },
    async end() {
      const c = process.cpuUsage(cpu);
      const e = performance.eventLoopUtilization(elu);
      const maxRss = process.resourceUsage().maxRSS * 1024;
      return { ...dbStats(store), cpuUs: c.user + c.system, elu: e.utilization, maxRss };
    },
    close: () => tb.close(),
  };
}

// ---------------------------------------------------------------- child mode: the server alone

async function childMain(dataDir: string | undefined): Promise<void> {
  const send = (msg: FromChild): void => {
    process.send!(msg);
  };
  let server: RunningServer;
  try {
    server = await startLocalServer(dataDir);
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
    process.disconnect();
    return;
  }
  process.on('message', (msg: ToChild) => {
    void (async () => {
      try {
        if (msg.type === 'begin') {
          await server.begin();
          send({ type: 'begun' });
        } else if (msg.type === 'end') {
          send({ type: 'stats', stats: await server.end() });
        } else if (msg.type === 'close') {
          await server.close();
          process.disconnect(); // exits normally, so --cpu-prof writes its profile
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).stack ?? String(err) });
      }
    })();
  });
  send({ type: 'ready', url: server.url });
}

/** Runs the server in a child process and drives it over IPC. */
async function startChildServer(dataDir: string | undefined, profileDir: string | undefined): Promise<RunningServer> {
  const args = ['--child', ...(dataDir === undefined ? ['--memory'] : ['--data', dataDir])];
  const execArgv = [...process.execArgv];
  if (profileDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', profileDir);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  function next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromChild): void => {
        cleanup();
        if (msg.type === type) resolve(msg as Extract<FromChild, { type: T }>);
        else if (msg.type === 'error') reject(new Error(`server process: ${msg.message}`));
        else reject(new Error(`server process: expected ${type}, got ${msg.type}`));
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`server process exited (code ${code}) while waiting for ${type}`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  }
  const ask = <T extends FromChild['type']>(msg: ToChild, reply: T): Promise<Extract<FromChild, { type: T }>> => {
    const p = next(reply);
    child.send(msg);
    return p;
  };

  const ready = await next('ready');
  return {
    url: ready.url,
    begin: async () => {
      await ask({ type: 'begin' }, 'begun');
    },
    end: async () => (await ask({ type: 'end' }, 'stats')).stats,
    close: async () => {
      if (child.connected) child.send({ type: 'close' });
      const code = await exited;
      if (code !== 0) throw new Error(`server process exited with code ${code}`);
    },
  };
}

// ---------------------------------------------------------------- the client: C OTLP/HTTP exporters

interface ClientResult {
  wallMs: number;
  latenciesMs: Float64Array;
  failures: string[];
  cpuUs: number;
}

function post(agent: http.Agent, url: URL, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        method: 'POST',
        hostname: url.hostname,
        port: url.port,
        path: '/v1/traces',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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
      // 200 with an empty ExportTraceServiceResponse: no partial_success, every span accepted.
      if (res.status !== 200 || res.body.length !== 0) {
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

function runFloor(dataDir: string | undefined, requests: readonly GeneratedRequest[]): FloorResult {
  const store = Store.open({ dataDir });
  try {
    const latenciesMs = new Float64Array(requests.length);
    let stored = 0;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < requests.length; i++) {
      const t = performance.now();
      stored += store.insert(decodeExportRequest(requests[i].bytes)).stored;
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

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number): string => n.toFixed(d);
const mb = (bytes: number): string => `${fix(bytes / 2 ** 20, 0)} MB`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '200000' },
      concurrency: { type: 'string', default: '4' },
      memory: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      'in-process': { type: 'boolean', default: false },
      profile: { type: 'string' },
      'min-ratio': { type: 'string' },
      child: { type: 'boolean', default: false },
      data: { type: 'string' },
    },
    strict: true,
  });
  if (values.child) {
    await childMain(values.memory ? undefined : values.data);
    return 0;
  }
  const spans = Number(values.spans);
  const concurrency = Number(values.concurrency);
  const seed = Number(values.seed);
  const minRatio = values['min-ratio'] === undefined ? undefined : Number(values['min-ratio']);
  if (!Number.isInteger(spans) || spans <= 0) throw new Error(`--spans must be a positive integer, got ${values.spans}`);
  if (!Number.isInteger(concurrency) || concurrency <= 0) throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  const inProcess = values['in-process'];
  const profileDir = values.profile === undefined ? undefined : path.resolve(values.profile);

  const cpus = os.cpus();
  console.log(`tracebox ingest benchmark: Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()}/${os.arch()}`);

  const tGen = performance.now();
  const { requests, stats: corpus } = generateCorpus({ spans, seed });
  const genMs = performance.now() - tGen;
  console.log(
    `corpus: ${int(corpus.spans)} spans in ${int(corpus.requests)} requests, ${int(corpus.traces)} traces, ` +
      `${fix(corpus.bytes / corpus.spans, 0)} B/span protobuf, ${fix((100 * corpus.errors) / corpus.spans, 1)}% errors, ` +
      `${fix((100 * corpus.withEvents) / corpus.spans, 1)}% with events, ${fix((100 * corpus.slow) / corpus.spans, 1)}% > 1 s ` +
      `(generated in ${fix(genMs / 1000, 1)} s, not timed)`,
  );

  const tmp = values.memory ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-bench-'));
  console.log(`storage: ${tmp === undefined ? 'in-memory SQLite' : `SQLite file in ${tmp} (removed afterwards)`}`);
  console.log(
    inProcess
      ? `server: in THIS process — the ${concurrency} exporters share the server's event loop and CPU, so their cost is counted against it`
      : `server: child process; ${concurrency} exporters (keep-alive HTTP/1.1, one request in flight each) in this process, on the other core`,
  );

  try {
    process.stdout.write('floor: decode + insert in-process… ');
    const floor = runFloor(tmp === undefined ? undefined : path.join(tmp, 'floor'), requests);
    const floorRss = process.resourceUsage().maxRSS * 1024;
    console.log(`${int(corpus.spans / (floor.wallMs / 1000))} spans/s`);

    process.stdout.write('server: OTLP/HTTP protobuf… ');
    const serverDir = tmp === undefined ? undefined : path.join(tmp, 'server');
    const server = inProcess ? await startLocalServer(serverDir) : await startChildServer(serverDir, profileDir);
    let client: ClientResult;
    let srv: ServerStats;
    try {
      await server.begin();
      client = await runExporters(server.url, requests, concurrency);
      srv = await server.end();
    } finally {
      await server.close();
    }
    console.log(`${int(corpus.spans / (client.wallMs / 1000))} spans/s\n`);

    const floorRate = corpus.spans / (floor.wallMs / 1000);
    const serverRate = corpus.spans / (client.wallMs / 1000);
    const ratio = serverRate / floorRate;
    const fl = Float64Array.from(floor.latenciesMs).sort();
    const sl = Float64Array.from(client.latenciesMs).sort();
    const check = (n: number): string => (n === corpus.spans ? `${int(n)} ok` : `${int(n)} MISMATCH`);
    console.log(
      table([
        ['phase', 'spans', 'requests', 'wall s', 'spans/s', 'p50 ms', 'p99 ms', 'peak RSS', 'DB B/span', 'stored spans'],
        [
          'floor: decode+insert, no HTTP',
          int(corpus.spans),
          int(requests.length),
          fix(floor.wallMs / 1000, 2),
          int(floorRate),
          fix(percentile(fl, 50), 2),
          fix(percentile(fl, 99), 2),
          `${mb(floorRss)}*`,
          fix(floor.db.bytes / corpus.spans, 0),
          check(floor.db.spans),
        ],
        [
          `server: OTLP/HTTP, ${concurrency} exporter${concurrency === 1 ? '' : 's'}`,
          int(corpus.spans),
          int(requests.length),
          fix(client.wallMs / 1000, 2),
          int(serverRate),
          fix(percentile(sl, 50), 2),
          fix(percentile(sl, 99), 2),
          mb(srv.maxRss),
          fix(srv.bytes / corpus.spans, 0),
          check(srv.spans),
        ],
      ]),
    );
    console.log(`\nratio server/floor: ${fix(ratio, 2)}${minRatio === undefined ? '' : ` (required ≥ ${minRatio})`}`);
    console.log(
      `CPU µs/span: floor ${fix(floor.cpuUs / corpus.spans, 1)}, server process ${fix(srv.cpuUs / corpus.spans, 1)} ` +
        `(event loop ${fix(100 * srv.elu, 0)}% busy), client ${fix(client.cpuUs / corpus.spans, 1)}` +
        (inProcess ? ' (client and server share one process: their CPU overlaps)' : ''),
    );
    console.log(
      `latency: floor = decode+insert per ${int(corpus.spans / requests.length)}-span request; server = POST to response at the exporter. ` +
        `* peak RSS of the benchmark process, which also holds the ${mb(corpus.bytes)} corpus; the server row is the ${inProcess ? 'same process' : 'server process alone'}.`,
    );
    if (profileDir !== undefined && !inProcess) console.log(`server CPU profile written to ${profileDir}`);

    const problems: string[] = [];
    if (client.failures.length > 0) problems.push(`${client.failures.length} request(s) failed, e.g. ${client.failures[0]}`);
    if (floor.stored !== corpus.spans) problems.push(`floor: insert() reported ${floor.stored} stored spans, sent ${corpus.spans}`);
    if (floor.db.spans !== corpus.spans) problems.push(`floor: database holds ${floor.db.spans} spans, sent ${corpus.spans}`);
    if (srv.spans !== corpus.spans) problems.push(`server: database holds ${srv.spans} spans, sent ${corpus.spans}`);
    if (floor.db.traces !== corpus.traces || srv.traces !== corpus.traces) {
      problems.push(`traces stored: floor ${floor.db.traces}, server ${srv.traces}, generated ${corpus.traces}`);
    }
    if (minRatio !== undefined && !(ratio >= minRatio)) problems.push(`ratio ${fix(ratio, 2)} is below --min-ratio ${minRatio}`);
    for (const p of problems) console.error(`FAIL: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
