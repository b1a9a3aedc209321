/**
 * Forwarding (--forward): traces relayed to a second tracebox and to a scripted OTLP/HTTP
 * receiver once idle for the wait window; the tail-sampling policies; retries with
 * backoff; a dead or hanging upstream never holding up local ingest; the bounded queue;
 * the flags.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { parseCommandLine } from '../src/config.ts';
import { FORWARD_DEFAULTS, forwardUrl, traceHash, type ForwardOptions, type ForwardStats } from '../src/forward/index.ts';
import { NO_TIMEOUT_MS } from '../src/forward/exporter-env.ts';
import { getTraceJson, json, JSON_TYPE, postTraces } from './helpers/http.ts';
import { ExportTraceServiceRequest, decodePlain } from './helpers/proto.ts';
import { freePort, randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

type Json = Record<string, unknown>;

const WAIT_MS = 200;
const T0 = 1_700_000_000_000_000_000n;

interface SpanSpec {
  name?: string;
  durationMs?: number;
  error?: boolean;
  parent?: string;
}

/** An OTLP/JSON request with one span per spec, all in `traceId`. */
function request(traceId: string, specs: SpanSpec[], service = 'shop'): Json {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'forward-test' },
            spans: specs.map((s, i) => ({
              traceId,
              spanId: randomSpanId(),
              ...(s.parent === undefined ? {} : { parentSpanId: s.parent }),
              name: s.name ?? `op-${i}`,
              kind: 2,
              startTimeUnixNano: String(T0),
              endTimeUnixNano: String(T0 + BigInt(Math.round((s.durationMs ?? 5) * 1e6))),
              status: s.error ? { code: 2, message: 'boom' } : {},
            })),
          },
        ],
      },
    ],
  };
}

async function send(tb: TestTracebox, traceId: string, specs: SpanSpec[]): Promise<void> {
  const res = await postTraces(tb.otlpHttpUrl, JSON.stringify(request(traceId, specs)), { contentType: JSON_TYPE });
  assert.equal(res.status, 200, res.body.toString());
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  /** Trace id (hex) → span names, per request. */
  readonly traces: Map<string, string[]>;
}

interface Upstream {
  readonly url: string;
  readonly received: Received[];
  /** Span names received for a trace, over all requests. */
  spans(traceId: string): string[];
  close(): Promise<void>;
}

/** A scripted OTLP/HTTP receiver: `answer(n)` decides the n-th request's fate (0-based). */
async function upstream(answer: (n: number) => { status: number; headers?: Record<string, string> } | 'hang' = () => ({ status: 200 })): Promise<Upstream> {
  const received: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fate = answer(n++);
      if (fate === 'hang') return;
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      if (fate.status === 200) {
        const traces = new Map<string, string[]>();
        for (const rs of (decodePlain(ExportTraceServiceRequest, body).resourceSpans as Json[] | undefined) ?? []) {
          for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
            for (const s of (ss.spans as Json[] | undefined) ?? []) {
              const id = Buffer.from(String(s.traceId), 'base64').toString('hex');
              traces.set(id, [...(traces.get(id) ?? []), String(s.name)]);
            }
          }
        }
        received.push({ headers: req.headers, traces });
      }
      res.writeHead(fate.status, { 'Content-Type': 'application/x-protobuf', ...fate.headers });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    spans: (traceId) => received.flatMap((r) => r.traces.get(traceId) ?? []),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A target that accepts connections and never reads or answers; counts the connections. */
async function silentTarget(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Full garbage collections every few milliseconds while `wait` runs: what a busy process
 * does to short-lived objects, such as a timeout signal nothing else holds.
 */
async function underGcPressure<T>(wait: Promise<T>): Promise<T> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const timer = setInterval(gc, 20);
  try {
    return await wait;
  } finally {
    clearInterval(timer);
  }
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function forwarding(forward: ForwardOptions): Promise<TestTracebox & { stats: () => Promise<ForwardStats> }> {
  const tb = await startTestTracebox({ forward: { waitMs: WAIT_MS, retryInitialMs: 50, retryMaxMs: 200, flushTimeoutMs: 0, ...forward } });
  cleanups.push(() => tb.close());
  assert.ok(tb.forwarding);
  return Object.assign(tb, { stats: () => tb.forwarding!.stats() });
}

async function storedSpans(tb: { apiUrl: string }, traceId: string): Promise<number> {
  const answer = await getTraceJson(tb.apiUrl, 'v2', traceId);
  if (answer.status !== 200) return 0;
  const trace = (json(answer).trace ?? {}) as Json;
  let n = 0;
  for (const rs of (trace.resourceSpans as Json[] | undefined) ?? []) for (const ss of (rs.scopeSpans as Json[]) ?? []) n += ((ss.spans as Json[]) ?? []).length;
  return n;
}

describe('forwarding to a second tracebox', () => {
  test('with no policy every trace goes upstream, whole, after the wait window', async () => {
    const target = await startTestTracebox();
    cleanups.push(() => target.close());
    const tb = await forwarding({ endpoint: target.otlpHttpUrl });
    const a = randomTraceId();
    const b = randomTraceId();
    await send(tb, a, [{ name: 'root' }]);
    await send(tb, b, [{ name: 'one' }, { name: 'two' }, { name: 'three' }]);
    // Spans of `a` keep arriving: it is decided only once idle, so it arrives in one piece.
    await sleep(WAIT_MS / 2);
    await send(tb, a, [{ name: 'child' }]);
    await until('both traces upstream', async () => (await storedSpans(target, a)) === 2 && (await storedSpans(target, b)) === 3);
    const stats = await until('the counters', async () => ((await tb.stats()).forwardedTraces === 2 ? (await tb.stats()) : undefined));
    assert.equal(stats.forwardedSpans, 5);
    assert.equal(stats.notSelectedTraces, 0);
    assert.equal(stats.pendingTraces, 0);
    assert.equal(stats.queuedTraces, 0);
    assert.equal(stats.droppedTraces + stats.failedTraces, 0);
    // Local storage keeps everything too.
    assert.equal(await storedSpans(tb, a), 2);
    assert.equal(await storedSpans(tb, b), 3);
  });
});

describe('tail-sampling policies', () => {
  test('errors and slow traces are kept, a fast OK trace is dropped at 0% sample; local storage keeps all', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url, slowerThanMs: 1000, samplePercent: 0 });
    const failing = randomTraceId();
    const slow = randomTraceId();
    const fast = randomTraceId();
    await send(tb, failing, [{ name: 'ok' }, { name: 'broken', error: true }]);
    await send(tb, slow, [{ name: 'slow', durationMs: 1500 }]);
    await send(tb, fast, [{ name: 'fast', durationMs: 3 }]);
    await until('the decisions', async () => (await tb.stats()).forwardedTraces + (await tb.stats()).notSelectedTraces === 3);
    assert.deepEqual(up.spans(failing).sort(), ['broken', 'ok']);
    assert.deepEqual(up.spans(slow), ['slow']);
    assert.deepEqual(up.spans(fast), []);
    assert.equal((await tb.stats()).notSelectedTraces, 1);
    assert.equal(await storedSpans(tb, fast), 1);
    assert.equal(up.received[0].headers['content-type'], 'application/x-protobuf');
    assert.equal(up.received[0].headers['content-encoding'], 'gzip');
  });

  test('slower-than alone still keeps errors; errors can be turned off', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const withErrors = await forwarding({ endpoint: up.url, slowerThanMs: 1000 });
    const without = await forwarding({ endpoint: up.url, slowerThanMs: 1000, errors: false });
    const e1 = randomTraceId();
    const e2 = randomTraceId();
    await send(withErrors, e1, [{ error: true }]);
    await send(without, e2, [{ error: true }]);
    await until('the decisions', async () => (await withErrors.stats()).forwardedTraces === 1 && (await without.stats()).notSelectedTraces === 1);
    assert.equal(up.spans(e1).length, 1);
    assert.equal(up.spans(e2).length, 0);
  });

  test('the sample percentage is decided by a hash of the trace id', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url, samplePercent: 50, errors: false });
    const ids = Array.from({ length: 40 }, () => randomTraceId());
    for (const id of ids) await send(tb, id, [{}]);
    await until('the decisions', async () => (await tb.stats()).forwardedTraces + (await tb.stats()).notSelectedTraces === ids.length);
    const expected = ids.filter((id) => traceHash(Buffer.from(id, 'hex')) % 10_000 < 5_000).sort();
    const forwarded = ids.filter((id) => up.spans(id).length > 0).sort();
    assert.deepEqual(forwarded, expected);
    assert.ok(expected.length > 0 && expected.length < ids.length, 'a 50% sample of 40 picks some, not all');
  });

  test('spans arriving after a trace was forwarded follow it; those of a dropped trace stay local', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url, errors: true, samplePercent: 0 });
    const kept = randomTraceId();
    const dropped = randomTraceId();
    await send(tb, kept, [{ name: 'root', error: true }]);
    await send(tb, dropped, [{ name: 'root' }]);
    await until('the decisions', async () => (await tb.stats()).forwardedTraces + (await tb.stats()).notSelectedTraces === 2);
    await send(tb, kept, [{ name: 'late' }]);
    await send(tb, dropped, [{ name: 'late' }]);
    await until('the late span upstream', () => up.spans(kept).length === 2);
    assert.deepEqual(up.spans(kept), ['root', 'late']);
    await until('the count of forwarded spans', async () => (await tb.stats()).forwardedSpans === 2);
    assert.equal((await tb.stats()).forwardedTraces, 1, 'late spans do not count as another trace');
    await sleep(WAIT_MS * 2);
    assert.deepEqual(up.spans(dropped), []);
    assert.equal(await storedSpans(tb, dropped), 2);
  });
});

describe('delivery', () => {
  test('503 twice then 200: retried with backoff (Retry-After honoured) and delivered once', async () => {
    const up = await upstream((n) => (n === 0 ? { status: 503, headers: { 'Retry-After': '0' } } : n === 1 ? { status: 503 } : { status: 200 }));
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: `${up.url}/v1/traces` });
    const id = randomTraceId();
    await send(tb, id, [{ name: 'a' }, { name: 'b' }]);
    await until('delivery', async () => (await tb.stats()).forwardedTraces === 1);
    assert.equal(up.received.length, 1);
    assert.deepEqual(up.spans(id).sort(), ['a', 'b']);
    assert.equal((await tb.stats()).retries, 2);
    assert.equal((await tb.stats()).failedTraces, 0);
    assert.ok(tb.logs.some((l) => l.startsWith('forward: ') && l.includes('HTTP 503')), tb.logs.join('\n'));
  });

  test('another 4xx is final: counted as failed, not retried', async () => {
    let requests = 0;
    const up = await upstream(() => {
      requests++;
      return { status: 400 };
    });
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url });
    await send(tb, randomTraceId(), [{}]);
    await until('the failure', async () => (await tb.stats()).failedTraces === 1);
    await sleep(300);
    assert.equal(requests, 1);
    assert.equal((await tb.stats()).retries, 0);
    assert.ok(tb.logs.some((l) => l.includes('not retryable') && l.includes('HTTP 400')), tb.logs.join('\n'));
  });

  test('upstream down: local ingest still answers 200 at once, and forwarding retries off the write path', async () => {
    const tb = await forwarding({ endpoint: `http://127.0.0.1:${await freePort()}`, waitMs: 0 });
    const ids = Array.from({ length: 20 }, () => randomTraceId());
    // Every export is answered (send() asserts 200) while forwarding fails.
    for (const id of ids) await send(tb, id, [{}, {}]);
    await until('retries', async () => (await tb.stats()).retries > 0);
    for (const id of ids) assert.equal(await storedSpans(tb, id), 2);
    assert.equal((await tb.stats()).forwardedTraces, 0);
    assert.ok(tb.logs.some((l) => l.includes('ECONNREFUSED')), tb.logs.join('\n'));
  });

  test('a hanging upstream holds no export; the bounded queue drops its oldest, counted and logged', async () => {
    const up = await upstream(() => 'hang');
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url, waitMs: 0, maxQueue: 3, maxBatchBytes: 1, timeoutMs: 60_000 });
    const first = randomTraceId();
    await send(tb, first, [{}]);
    await until('the first request in flight', async () => (await tb.stats()).queuedTraces === 1 && (await tb.stats()).pendingTraces === 0);
    for (let i = 0; i < 6; i++) await send(tb, randomTraceId(), [{}]);
    const stats = await until('the drops', async () => ((await tb.stats()).droppedTraces >= 3 ? (await tb.stats()) : undefined));
    assert.equal(stats.droppedTraces, 3);
    assert.equal(stats.queuedTraces, 4); // one in flight + three queued
    assert.ok(tb.logs.some((l) => l.startsWith('forward: the send queue is full')), tb.logs.join('\n'));
    await tb.close();
    assert.equal((await tb.stats()).droppedTraces, 7, 'closing drops what is unsent');
  });

  test('a target that accepts and never answers: each attempt times out, is counted and logged, and retried with backoff', async () => {
    const target = await silentTarget();
    cleanups.push(() => target.close());
    const tb = await forwarding({ endpoint: target.url, waitMs: 0, timeoutMs: 300 });
    await send(tb, randomTraceId(), [{}]);
    await underGcPressure(until('three attempts', async () => target.connections() >= 3 && (await tb.stats()).timeouts >= 2, 20_000));
    const stats = (await tb.stats());
    assert.ok(stats.retries >= 2, JSON.stringify(stats));
    assert.equal(stats.forwardedTraces + stats.failedTraces, 0);
    assert.equal(stats.queuedTraces, 1, 'still in hand, not lost');
    const lines = tb.logs.filter((l) => l.includes('no answer within 300ms'));
    assert.equal(lines.length, 1, 'one line, then counted quietly:\n' + tb.logs.join('\n'));
    assert.match(lines[0], /^forward: http:\/\/127\.0\.0\.1:\d+\/v1\/traces: no answer within 300ms \(1 attempt\(s\) timed out so far\); retrying 1 trace\(s\) \(1 span\(s\)\) in \d+ms$/);
  });

  test('with the default timeout and backoff a silent target is retried within 20 s', async () => {
    const target = await silentTarget();
    cleanups.push(() => target.close());
    const tb = await startTestTracebox({ forward: { endpoint: target.url, waitMs: 0, flushTimeoutMs: 0 } });
    cleanups.push(() => tb.close());
    assert.ok(FORWARD_DEFAULTS.timeoutMs + FORWARD_DEFAULTS.retryInitialMs * 1.2 < 20_000);
    await send(tb, randomTraceId(), [{}]);
    await until('the first attempt', () => target.connections() >= 1);
    await underGcPressure(until('a retry', () => target.connections() >= 2, 20_000));
    assert.equal((await tb.forwarding!.stats()).timeouts, 1);
    assert.equal((await tb.forwarding!.stats()).retries, 1);
  });

  test('an upstream that hangs twice then answers gets the trace once', async () => {
    const up = await upstream((n) => (n < 2 ? 'hang' : { status: 200 }));
    cleanups.push(() => up.close());
    const tb = await forwarding({ endpoint: up.url, waitMs: 0, timeoutMs: 200 });
    const id = randomTraceId();
    await send(tb, id, [{ name: 'patient' }]);
    await until('delivery', async () => (await tb.stats()).forwardedTraces === 1);
    assert.deepEqual(up.spans(id), ['patient']);
    assert.equal((await tb.stats()).timeouts, 2);
  });

  test('closing decides pending traces at once and flushes them', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const tb = await startTestTracebox({ forward: { endpoint: up.url, waitMs: 60_000 } });
    const id = randomTraceId();
    await send(tb, id, [{ name: 'last words' }]);
    assert.equal((await tb.forwarding!.stats()).pendingTraces, 1);
    await tb.close();
    assert.deepEqual(up.spans(id), ['last words']);
    assert.equal((await tb.forwarding!.stats()).forwardedTraces, 1);
  });
});

describe('--forward flags', () => {
  const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): ForwardOptions | undefined => {
    const c = parseCommandLine(argv, env);
    return c.kind === 'serve' ? c.options.forward : undefined;
  };

  test('endpoint, wait window and policies', () => {
    assert.equal(parse([]), undefined);
    assert.deepEqual(parse(['--forward', 'http://tempo:4318']), { endpoint: 'http://tempo:4318' });
    assert.deepEqual(parse(['--forward', 'http://tempo:4318', '--forward-wait', '2s', '--forward-errors', '--forward-slower-than', '1.5s', '--forward-sample', '10']), {
      endpoint: 'http://tempo:4318',
      waitMs: 2000,
      errors: true,
      slowerThanMs: 1500,
      samplePercent: 10,
    });
    assert.deepEqual(parse([], { TRACEBOX_FORWARD: 'http://c:4318', TRACEBOX_FORWARD_ERRORS: 'false', TRACEBOX_FORWARD_SAMPLE: '2.5%' }), {
      endpoint: 'http://c:4318',
      errors: false,
      samplePercent: 2.5,
    });
  });

  test('mistakes are refused with the flag named', () => {
    assert.throws(() => parse(['--forward-sample', '10']), /--forward-sample needs --forward URL/);
    assert.throws(() => parse(['--forward', 'grpc://tempo:4317']), /--forward: expected an http:\/\/ or https:\/\//);
    assert.throws(() => parse(['--forward', 'http://t:4318', '--forward-sample', '101']), /--forward-sample: expected a percentage/);
    assert.throws(() => parse(['--forward', 'http://t:4318', '--forward-wait', 'soon']), /--forward-wait: expected a duration/);
  });

  test('--forward-header, repeatable, over OTEL_EXPORTER_OTLP_[TRACES_]HEADERS; timeout and compression from the OTel variables', () => {
    assert.deepEqual(parse(['--forward', 'http://t:4318', '--forward-header', 'X-Scope-OrgID: tenant-1', '--forward-header', 'Authorization:Bearer a:b ']), {
      endpoint: 'http://t:4318',
      headers: { 'X-Scope-OrgID': 'tenant-1', Authorization: 'Bearer a:b' },
    });
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: ' authorization = Bearer%20general , x-team=a%2Cb%3Dc;prop=1,,',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'NONE',
    };
    assert.deepEqual(parse(['--forward', 'http://t:4318', '--forward-header', 'Authorization: Bearer flag'], env), {
      endpoint: 'http://t:4318',
      headers: { 'x-team': 'a,b=c', Authorization: 'Bearer flag' },
      timeoutMs: 2500,
      compress: false,
    });
    // The traces variables replace the general ones, headers as a whole.
    const traces = { ...env, OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-only=1', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip' };
    assert.deepEqual(parse(['--forward', 'http://t:4318'], traces), { endpoint: 'http://t:4318', headers: { 'x-only': '1' }, timeoutMs: NO_TIMEOUT_MS, compress: true });
    // Without --forward nothing is read; empty variables count as unset.
    assert.equal(parse([], env), undefined);
    assert.deepEqual(parse(['--forward', 'http://t:4318'], { OTEL_EXPORTER_OTLP_HEADERS: '', OTEL_EXPORTER_OTLP_TIMEOUT: '' }), { endpoint: 'http://t:4318' });
    assert.deepEqual(parse([], { TRACEBOX_FORWARD: 'http://t:4318', TRACEBOX_FORWARD_HEADER: 'X-A: 1\nX-B: 2\n' }), { endpoint: 'http://t:4318', headers: { 'X-A': '1', 'X-B': '2' } });
  });

  test('OTel values that cannot be read are ignored with a warning, as the specification asks; a bad --forward-header is an error', () => {
    const c = parseCommandLine(['--forward', 'http://t:4318'], {
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '5s',
      OTEL_EXPORTER_OTLP_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
      OTEL_EXPORTER_OTLP_HEADERS: 'good=1,no-value,bad=%zz',
    });
    assert.ok(c.kind === 'serve');
    assert.deepEqual(c.options.forward, { endpoint: 'http://t:4318', headers: { good: '1' }, timeoutMs: 700 });
    assert.deepEqual(c.warnings, [
      'OTEL_EXPORTER_OTLP_HEADERS: ignored "no-value", expected name=value with the value percent-encoded',
      'OTEL_EXPORTER_OTLP_HEADERS: ignored "bad=%zz", expected name=value with the value percent-encoded',
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: ignored "5s", expected whole milliseconds such as 10000 (0: no limit)',
      'OTEL_EXPORTER_OTLP_COMPRESSION: ignored "zstd", expected gzip or none',
    ]);
    assert.throws(() => parse(['--forward', 'http://t:4318', '--forward-header', 'X-Scope-OrgID=t1']), /--forward-header: expected a header such as "X-Scope-OrgID: tenant-1", got "X-Scope-OrgID=t1"/);
    assert.throws(() => parse(['--forward-header', 'A: b']), /--forward-header needs --forward URL/);
  });

  test('headers from OTEL_EXPORTER_OTLP_HEADERS and --forward-header arrive at the target; compression as set', async () => {
    const up = await upstream();
    cleanups.push(() => up.close());
    const c = parseCommandLine(['--forward', up.url, '--forward-wait', '50ms', '--forward-header', 'X-Scope-OrgID: tenant-1'], {
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dTpw,X-Team=checkout',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none',
    });
    assert.ok(c.kind === 'serve' && c.options.forward !== undefined);
    const tb = await startTestTracebox({ forward: { ...c.options.forward, flushTimeoutMs: 0 } });
    cleanups.push(() => tb.close());
    const id = randomTraceId();
    await send(tb, id, [{ name: 'tenant span' }]);
    await until('delivery', () => up.received.length === 1);
    const { headers } = up.received[0];
    assert.equal(headers['x-scope-orgid'], 'tenant-1');
    assert.equal(headers.authorization, 'Basic dTpw');
    assert.equal(headers['x-team'], 'checkout');
    assert.equal(headers['content-encoding'], undefined);
    assert.deepEqual(up.spans(id), ['tenant span']);
  });

  test('the endpoint takes a base URL or the full traces URL', () => {
    assert.equal(forwardUrl('http://tempo:4318'), 'http://tempo:4318/v1/traces');
    assert.equal(forwardUrl('http://tempo:4318/'), 'http://tempo:4318/v1/traces');
    assert.equal(forwardUrl('https://otlp.example.com/tenant-a'), 'https://otlp.example.com/tenant-a/v1/traces');
    assert.equal(forwardUrl('http://collector:4318/v1/traces'), 'http://collector:4318/v1/traces');
    assert.equal(forwardUrl('localhost:4318'), 'http://localhost:4318/v1/traces');
  });
});
