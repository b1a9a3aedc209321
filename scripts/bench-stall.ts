/**
 * @module
 * `npm run bench:stall`: does anything hold up tracebox's other ports while it works?
 *
 *   npm run bench:stall -- [--spans 120000] [--seconds 10] [--traces 12000] [--clients 4]
 *
 * tracebox runs in a child process with a file store. Throughout, two probes run from this
 * process: GET /ready every 20 ms, and a 64-span OTLP/HTTP export every 100 ms.
 *
 * 1. One export of --spans small spans (120,000 by default, ~13 MB of protobuf, under the
 *    16 MiB body limit), with the probes before, during and after it.
 * 2. The store is filled to --traces traces, then --clients clients loop a search no index
 *    can narrow (`{ } | count() > 1000`: every trace must be evaluated) for --seconds.
 *
 * Prints, per phase, the probes' max and p99 latency and any answer that was not 200.
 * Exit status 1 when a probe export did not answer 200.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from '../src/shared/protowire.ts';
import { startChildServer, type ChildServer } from './lib/child-server.ts';
import { runMain } from './lib/run-main.ts';

let seq = 0x1000_0000;
/** A fresh, never-zero id of `n` bytes. */
function id(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const v = ++seq;
  for (let i = 0; i < n; i++) out[i] = (v >>> ((i % 4) * 8)) ^ (i * 31 + 7);
  out[0] |= 1;
  return out;
}

/** An export request of `spans` small spans (about 110 bytes each), in traces of `perTrace`. */
function smallRequest(spans: number, perTrace = 15, service = 'stall'): Uint8Array {
  const w = new ProtoWriter(spans * 128 + 1024);
  const now = BigInt(Date.now()) * 1_000_000n;
  w.fork(1); // ResourceSpans
  w.fork(1).fork(1).stringField(1, 'service.name').fork(2).stringField(1, service).join().join().join(); // Resource
  w.fork(2); // ScopeSpans
  let traceId = id(16);
  let root = id(8);
  for (let i = 0; i < spans; i++) {
    if (i % perTrace === 0) {
      traceId = id(16);
      root = id(8);
    }
    const spanId = i % perTrace === 0 ? root : id(8);
    const start = now - BigInt(spans - i) * 1000n;
    w.fork(2)
      .bytesField(1, traceId)
      .bytesField(2, spanId);
    if (i % perTrace !== 0) w.bytesField(4, root);
    w.stringField(5, i % perTrace === 0 ? 'GET /stall' : 'SELECT item')
      .tag(6, WIRE_VARINT)
      .uint32(i % perTrace === 0 ? 2 : 3)
      .tag(7, WIRE_I64)
      .fixed64(start)
      .tag(8, WIRE_I64)
      .fixed64(start + 500_000n)
      .fork(9)
      .stringField(1, 'item.index')
      .fork(2)
      .tag(3, WIRE_VARINT)
      .uint64(BigInt(i))
      .join()
      .join()
      .join();
  }
  w.join().join();
  return w.finish();
}

interface Timed {
  readonly at: number;
  readonly ms: number;
  readonly status: number;
}

class Probe {
  readonly samples: Timed[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly everyMs: number,
    private readonly call: () => Promise<number>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const at = performance.now();
      this.inFlight++;
      this.call().then(
        (status) => this.samples.push({ at, ms: performance.now() - at, status }),
        () => this.samples.push({ at, ms: performance.now() - at, status: 0 }),
      ).finally(() => this.inFlight--);
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  between(from: number, to: number): Timed[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }
}

function summary(samples: readonly Timed[]): string {
  if (samples.length === 0) return 'no samples';
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const p99 = ms[Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)];
  const bad = samples.filter((s) => s.status !== 200);
  return `${samples.length} probes, p99 ${p99.toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms${bad.length > 0 ? `, ${bad.length} not 200 (${[...new Set(bad.map((b) => b.status))].join(', ')})` : ''}`;
}

async function post(url: string, body: Uint8Array): Promise<number> {
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: body as Uint8Array<ArrayBuffer> });
  await res.arrayBuffer();
  return res.status;
}

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '120000' },
      seconds: { type: 'string', default: '10' },
      traces: { type: 'string', default: '12000' },
      clients: { type: 'string', default: '4' },
    },
    strict: true,
  });
  const spans = Number(values.spans);
  const seconds = Number(values.seconds);
  const traces = Number(values.traces);
  const clients = Number(values.clients);
  const cpus = os.cpus();
  console.log(
    `tracebox stall benchmark: Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-stall-'));
  let server: ChildServer | undefined;
  const problems: string[] = [];
  try {
    server = await startChildServer({ options: { data: dir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 } });
    const { otlpHttpUrl, apiUrl } = server;
    const big = smallRequest(spans);
    const probeBody = smallRequest(64, 16, 'probe');
    console.log(`one export of ${spans.toLocaleString('en-US')} spans, ${(big.length / 2 ** 20).toFixed(1)} MiB; probes: GET /ready every 20 ms, a 64-span export every 100 ms`);
    const ready = new Probe(20, () => get(`${apiUrl}/ready`));
    const exports = new Probe(100, () => post(otlpHttpUrl, probeBody));
    ready.start();
    exports.start();

    // Phase 1: the big export.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t1 = performance.now();
    const bigStatus = await post(otlpHttpUrl, big);
    const t1end = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(`\n1. the ${spans.toLocaleString('en-US')}-span export answered ${bigStatus} after ${(t1end - t1).toFixed(0)} ms`);
    console.log(`   /ready:        ${summary(ready.between(t1, t1end))}`);
    console.log(`   probe exports: ${summary(exports.between(t1, t1end))}`);
    if (bigStatus !== 200) problems.push(`the large export answered ${bigStatus}`);

    // Phase 2: unprunable searches.
    const have = Math.ceil(spans / 15);
    for (let n = have; n < traces; n += 2000) {
      const status = await post(otlpHttpUrl, smallRequest(Math.min(2000, traces - n) * 15, 15, 'filler'));
      if (status !== 200) problems.push(`filling the store: ${status}`);
    }
    const query = '{ } | count() > 1000';
    console.log(`\n2. ${clients} clients loop ${query} over ${traces.toLocaleString('en-US')} traces for ${seconds} s`);
    const searchMs: number[] = [];
    const t2 = performance.now();
    const until = t2 + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const status = await get(`${apiUrl}/api/search?q=${encodeURIComponent(query)}&limit=20`);
          if (status !== 200) problems.push(`a search answered ${status}`);
          searchMs.push(performance.now() - t);
        }
      }),
    );
    const t2end = performance.now();
    searchMs.sort((a, b) => a - b);
    console.log(`   searches:      ${searchMs.length}, p50 ${searchMs[searchMs.length >> 1]?.toFixed(0)} ms, max ${searchMs[searchMs.length - 1]?.toFixed(0)} ms`);
    console.log(`   /ready:        ${summary(ready.between(t2, t2end))}`);
    console.log(`   probe exports: ${summary(exports.between(t2, t2end))}`);
    await ready.stop();
    await exports.stop();
    const failed = exports.samples.filter((s) => s.status !== 200).length;
    if (failed > 0) problems.push(`${failed} probe export(s) did not answer 200`);
  } finally {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const p of problems) console.error(`FAIL: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

runMain(main);
