/**
 * Acceptance: Tempo's streaming gRPC API (`tempopb.StreamingQuerier`, what Grafana's Tempo
 * data source calls with its streaming options on) on the query port, beside the HTTP/1.1
 * API on the same port. A client built from the proto's service definitions, dialling
 * the HTTP URL's host and port with insecure credentials as Grafana does, gets the same
 * content as the HTTP API: search results (streamed while the search runs), tag names
 * and values (v1 and v2), TraceQL metrics; bad input gets INVALID_ARGUMENT with Tempo's
 * message; the token is checked; a cancelled call stops its search. Spans are sent by the
 * real OpenTelemetry SDK exporter.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { grpcExport } from '../helpers/grpc.ts';
import { createExporter } from '../helpers/sdk.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { grpc, TempoGrpcClient } from '../helpers/tempo-grpc.ts';
import { PLAIN, root } from '../helpers/proto.ts';

type Plain = Record<string, unknown>;

const SERVICE = 'grpc-checkout';
const TRACES = 6;
/** One-span traces whose names cost SLOW's regex milliseconds each: a search over them takes many slices. */
const SLOW_TRACES = 200;
const SLOW = '{ resource.service.name = "grpc-slow" && name =~ "(.*a){40}.*" }';

let tb: TestTracebox;
let client: TempoGrpcClient;
let startS = 0;
let endS = 0;

async function httpJson(path: string): Promise<Plain> {
  const res = await fetch(`${tb.apiUrl}${path}`);
  const body = await res.text();
  assert.equal(res.status, 200, `${path}: ${body}`);
  return JSON.parse(body) as Plain;
}

/** Sends traces through the SDK's OTLP/gRPC exporter. */
async function send(service: string, build: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(createExporter('grpc', tb), { maxExportBatchSize: 512, maxQueueSize: 4096 })],
  });
  build(provider.getTracer('streaming-grpc-test'));
  await provider.forceFlush();
  await provider.shutdown();
}

before(async () => {
  tb = await startTestTracebox();
  client = new TempoGrpcClient(tb.apiUrl);
  startS = Math.floor(Date.now() / 1000) - 60;
  await send(SERVICE, (tracer) => {
    for (let i = 0; i < TRACES; i++) {
      const root = tracer.startSpan(`GET /cart/${i}`, { attributes: { 'http.route': '/cart/:id', 'cart.items': i } });
      const child = tracer.startSpan('SELECT carts', { attributes: { 'db.system': i % 2 === 0 ? 'postgresql' : 'mysql' } }, trace.setSpan(context.active(), root));
      if (i % 3 === 0) child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
      child.end();
      root.end();
    }
  });
  await send('grpc-slow', (tracer) => {
    for (let i = 0; i < SLOW_TRACES; i++) tracer.startSpan('a'.repeat(2000)).end();
  });
  endS = Math.floor(Date.now() / 1000) + 60;
});

after(async () => {
  client?.close();
  await tb?.close();
});

/** An HTTP API answer as the proto message's plain form (zero values left out, as on the wire). */
function asMessage(type: string, json: Plain): Plain {
  const t = root.lookupType(type);
  return t.toObject(t.fromObject(json), PLAIN) as Plain;
}

/** The messages' traces by id (later messages win), as Grafana gathers them. */
function tracesOf(messages: readonly Plain[]): Map<string, Plain> {
  const out = new Map<string, Plain>();
  for (const m of messages) for (const t of (m.traces as Plain[] | undefined) ?? []) out.set(t.traceID as string, t);
  return out;
}

describe('search', () => {
  test('a search call streams what /api/search answers, on the same port', async () => {
    const q = `{ resource.service.name = "${SERVICE}" && status = error }`;
    const answer = await client.stream('Search', { Query: q, Limit: 20, SpansPerSpanSet: 3, start: startS, end: endS });
    assert.equal(answer.error, undefined, answer.error?.message);
    const last = answer.messages.at(-1)!;
    const http = await httpJson(`/api/search?${new URLSearchParams({ q, limit: '20', spss: '3', start: String(startS), end: String(endS) })}`);
    const expected = asMessage('tempopb.SearchResponse', http).traces as Plain[];
    assert.equal(expected.length, 2);
    // The last message holds the whole answer, field for field what the HTTP API says.
    assert.deepEqual(last.traces, expected);
    assert.equal((last.metrics as Plain).completedJobs, 1);
    assert.equal((last.metrics as Plain).totalJobs, 1);
    assert.equal((last.metrics as Plain).inspectedTraces, (http.metrics as Plain).inspectedTraces);
    const t = (last.traces as Plain[])[0];
    assert.equal(t.rootServiceName, SERVICE);
    assert.match(t.rootTraceName as string, /^GET \/cart\/\d$/);
    const span = ((t.spanSets as Plain[])[0].spans as Plain[])[0];
    assert.equal(span.name, 'SELECT carts');
    assert.ok((span.attributes as Plain[]).some((a) => a.key === 'status'), JSON.stringify(span.attributes));
    assert.deepEqual((t.serviceStats as Record<string, Plain>)[SERVICE], { spanCount: 2, errorCount: 1 });
  });

  test("Grafana's streaming test (Save & test): `{}`, limit 1, the last 15 minutes", async () => {
    const now = Math.floor(Date.now() / 1000);
    const answer = await client.stream('Search', { Query: '{}', Limit: 1, start: now - 900, end: now + 1 });
    assert.equal(answer.error, undefined, answer.error?.message);
    assert.equal((answer.messages.at(-1)!.traces as unknown[]).length, 1);
  });

  test('the legacy tag search (Tags, MinDurationMs) answers as /api/search?tags= does', async () => {
    const answer = await client.stream('Search', { Tags: { 'service.name': SERVICE, 'db.system': 'mysql' }, Limit: 20 });
    assert.equal(answer.error, undefined, answer.error?.message);
    const http = await httpJson(`/api/search?${new URLSearchParams({ tags: `service.name=${SERVICE} db.system=mysql`, limit: '20' })}`);
    assert.equal((http.traces as Plain[]).length, 3);
    assert.deepEqual(answer.messages.at(-1)!.traces, asMessage('tempopb.SearchResponse', http).traces);
  });

  test('a long search streams partial results while it runs, then the whole answer', async () => {
    const answer = await client.stream('Search', { Query: SLOW, Limit: SLOW_TRACES, start: startS, end: endS });
    assert.equal(answer.error, undefined, answer.error?.message);
    assert.ok(answer.messages.length >= 2, `${answer.messages.length} messages`);
    const partials = answer.messages.slice(0, -1);
    const last = answer.messages.at(-1)!;
    // Partial answers are not marked complete; the last one is.
    for (const m of partials) {
      assert.equal((m.metrics as Plain).completedJobs, undefined);
      assert.equal((m.metrics as Plain).totalJobs, 1);
    }
    assert.equal((last.metrics as Plain).completedJobs, 1);
    assert.equal((last.traces as Plain[]).length, SLOW_TRACES);
    // What the partial answers held is in the whole answer, unchanged (Grafana keeps the first copy it sees).
    const whole = tracesOf([last]);
    const early = tracesOf(partials);
    assert.ok(early.size > 0, 'partial answers carried traces');
    for (const [id, t] of early) assert.deepEqual(t, whole.get(id));
    // Inspected counts grow from message to message.
    const inspected = answer.messages.map((m) => Number((m.metrics as Plain).inspectedTraces ?? 0));
    for (let i = 1; i < inspected.length; i++) assert.ok(inspected[i] >= inspected[i - 1], inspected.join(' '));
  });

  test('cancelling the call stops its search', async () => {
    let cancelled = false;
    const answer = await client.stream('Search', { Query: SLOW, Limit: SLOW_TRACES }, {}, (_m, call) => {
      if (!cancelled) {
        cancelled = true;
        call.cancel();
      }
    });
    assert.equal(answer.error?.code, grpc.status.CANCELLED);
    // The query thread is free again at once: a quick call answers.
    const quick = await client.stream('SearchTags', {});
    assert.equal(quick.error, undefined);
  });

  test('a bad query: INVALID_ARGUMENT with the message the HTTP API gives', async () => {
    const q = '{ span.a = }';
    const answer = await client.stream('Search', { Query: q });
    assert.equal(answer.error?.code, grpc.status.INVALID_ARGUMENT);
    const res = await fetch(`${tb.apiUrl}/api/search?${new URLSearchParams({ q })}`);
    assert.equal(res.status, 400);
    const message = (await res.text()).trimEnd();
    assert.match(message, /^invalid TraceQL query: /);
    assert.equal(answer.error?.details, message);
    assert.equal(answer.messages.length, 0);
  });
});

describe('tags and tag values', () => {
  test('SearchTags and SearchTagsV2: the tag names the HTTP API lists', async () => {
    const v1 = await client.stream('SearchTags', { scope: 'span', start: startS, end: endS });
    assert.equal(v1.error, undefined, v1.error?.message);
    const http1 = await httpJson(`/api/search/tags?scope=span&start=${startS}&end=${endS}`);
    assert.deepEqual(v1.messages.at(-1)!.tagNames, http1.tagNames);
    assert.ok((http1.tagNames as string[]).includes('db.system'));

    const v2 = await client.stream('SearchTagsV2', {});
    assert.equal(v2.error, undefined, v2.error?.message);
    const http2 = await httpJson('/api/v2/search/tags');
    assert.deepEqual(v2.messages.at(-1)!.scopes, http2.scopes);
    const names = (http2.scopes as Array<{ name: string }>).map((s) => s.name);
    assert.ok(names.includes('resource') && names.includes('span') && names.includes('intrinsic'), names.join());
  });

  test('SearchTagValues and SearchTagValuesV2: the values the HTTP API lists, typed in v2', async () => {
    const v1 = await client.stream('SearchTagValues', { tagName: 'db.system' });
    assert.equal(v1.error, undefined, v1.error?.message);
    assert.deepEqual([...(v1.messages.at(-1)!.tagValues as string[])].sort(), ['mysql', 'postgresql']);
    assert.deepEqual(v1.messages.at(-1)!.tagValues, (await httpJson('/api/search/tag/db.system/values')).tagValues);

    const v2 = await client.stream('SearchTagValuesV2', { tagName: 'span.cart.items', query: `{ resource.service.name = "${SERVICE}" }` });
    assert.equal(v2.error, undefined, v2.error?.message);
    const http = await httpJson(`/api/v2/search/tag/span.cart.items/values?${new URLSearchParams({ q: `{ resource.service.name = "${SERVICE}" }` })}`);
    assert.deepEqual(v2.messages.at(-1)!.tagValues, http.tagValues);
    assert.equal((http.tagValues as unknown[]).length, TRACES);
    assert.deepEqual((v2.messages.at(-1)!.tagValues as Plain[])[0].type, 'int');
  });

  test('a bad tag name: INVALID_ARGUMENT with the message the HTTP API gives', async () => {
    const answer = await client.stream('SearchTagValuesV2', { tagName: 'not a tag' });
    assert.equal(answer.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(answer.error?.details ?? '', /^please provide a valid tagName/);
  });
});

describe('TraceQL metrics', () => {
  test('MetricsQueryRange: the series /api/metrics/query_range answers', async () => {
    const q = `{ resource.service.name = "${SERVICE}" } | rate() by (span.db.system)`;
    const startNs = BigInt(startS) * 1_000_000_000n;
    const endNs = BigInt(endS) * 1_000_000_000n;
    const answer = await client.stream('MetricsQueryRange', { query: q, start: String(startNs), end: String(endNs), step: String(60_000_000_000n) });
    assert.equal(answer.error, undefined, answer.error?.message);
    const http = await httpJson(`/api/metrics/query_range?${new URLSearchParams({ q, start: String(startNs), end: String(endNs), step: '60s' })}`);
    const series = answer.messages.flatMap((m) => (m.series as Plain[] | undefined) ?? []);
    assert.equal(series.length, 3); // postgresql, mysql, and the root spans without db.system
    assert.deepEqual(series, asMessage('tempopb.QueryRangeResponse', http).series);
  });

  test('MetricsQueryInstant: the series /api/metrics/query answers', async () => {
    const q = `{ resource.service.name = "${SERVICE}" } | count_over_time()`;
    const answer = await client.stream('MetricsQueryInstant', { query: q, start: String(BigInt(startS) * 1_000_000_000n), end: String(BigInt(endS) * 1_000_000_000n) });
    assert.equal(answer.error, undefined, answer.error?.message);
    const series = answer.messages.flatMap((m) => (m.series as Plain[] | undefined) ?? []);
    const http = await httpJson(`/api/metrics/query?${new URLSearchParams({ q, start: String(startS), end: String(endS) })}`);
    assert.deepEqual(series, asMessage('tempopb.QueryInstantResponse', http).series);
    assert.equal(series.length, 1);
    assert.equal(series[0].value, TRACES * 2);
  });

  test('a search query to the metrics call: INVALID_ARGUMENT', async () => {
    const answer = await client.stream('MetricsQueryRange', { query: '{ }' });
    assert.equal(answer.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(answer.error?.details, 'not a metrics query');
  });
});

test('HTTP/1.1 still answers on the same port, between gRPC calls', async () => {
  const ready = await fetch(`${tb.apiUrl}/ready`);
  assert.equal(ready.status, 200);
  assert.equal(await ready.text(), 'ready\n');
  const search = await httpJson(`/api/search?${new URLSearchParams({ q: `{ resource.service.name = "${SERVICE}" }` })}`);
  assert.equal((search.traces as unknown[]).length, TRACES);
  const tags = await client.stream('SearchTags', {});
  assert.equal(tags.error, undefined);
});

test('an HTTP/1.1 request sent a byte at a time is told apart from the HTTP/2 preface', async () => {
  for (const [request, status] of [
    ['GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200'],
    // Starts as the preface does ("P"): still HTTP/1.1.
    ['PUT /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 'HTTP/1.1 4'],
  ] as const) {
    const { port, hostname } = new URL(tb.apiUrl);
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    for (const ch of request) {
      socket.write(ch);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
    assert.ok(Buffer.concat(chunks).toString('latin1').startsWith(status), Buffer.concat(chunks).toString('latin1'));
  }
});

test('an OTLP/gRPC export sent to the query port is told where spans go', async () => {
  const answer = await grpcExport(tb.apiUrl, new Uint8Array(0));
  assert.equal(answer.error?.code, grpc.status.UNIMPLEMENTED);
  assert.match(answer.error?.details ?? '', /query port.*OTLP\/gRPC port \(default 4317\)/);
});

test('an unknown method of the service: UNIMPLEMENTED', async () => {
  const Client = grpc.makeGenericClientConstructor(
    { Nope: { path: '/tempopb.StreamingQuerier/Nope', requestStream: false, responseStream: true, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
    'Nope',
  );
  const c = new Client(new URL(tb.apiUrl).host, grpc.credentials.createInsecure());
  const error = await new Promise<grpc.ServiceError>((resolve) => {
    const call = (c as unknown as Record<string, (r: Buffer) => grpc.ClientReadableStream<Buffer>>).Nope(Buffer.alloc(0));
    call.on('data', () => {});
    call.on('error', resolve);
  });
  c.close();
  assert.equal(error.code, grpc.status.UNIMPLEMENTED);
});

describe('with --auth-token', () => {
  const TOKEN = 'grpc-secret';
  let secured: TestTracebox;
  let securedClient: TempoGrpcClient;
  before(async () => {
    secured = await startTestTracebox({ authToken: TOKEN });
    securedClient = new TempoGrpcClient(secured.apiUrl);
  });
  after(async () => {
    securedClient?.close();
    await secured?.close();
  });

  test('a call without the token or with a wrong one: UNAUTHENTICATED; with it, the answer', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}x` }];
    for (const metadata of attempts) {
      const answer = await securedClient.stream('SearchTagsV2', {}, metadata);
      assert.equal(answer.error?.code, grpc.status.UNAUTHENTICATED, JSON.stringify(metadata));
      assert.equal(answer.messages.length, 0);
    }
    const ok = await securedClient.stream('SearchTagsV2', {}, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.error, undefined, ok.error?.message);
    assert.ok(ok.messages.length > 0);
    // HTTP/1.1 on the same port keeps its own check.
    assert.equal((await fetch(`${secured.apiUrl}/api/search`)).status, 401);
    assert.equal((await fetch(`${secured.apiUrl}/ready`)).status, 200);
  });
});
