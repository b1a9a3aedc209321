/**
 * Acceptance: the real OpenTelemetry JS SDK exports over OTLP/gRPC, OTLP/HTTP protobuf
 * and OTLP/HTTP JSON, and every field comes back from Tempo's trace-by-id API (v1 and
 * v2, JSON and protobuf) exactly as the SDK recorded it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Link, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { getTraceJson, getTraceProtobuf, json } from './helpers/http.ts';
import { decodePlain, TempoTrace, TraceByIDResponse } from './helpers/proto.ts';
import { createExporter, createProvider, expectedTrace, PROTOCOLS, RecordingExporter, type Protocol } from './helpers/sdk.ts';
import { spansOf, tempoForm, type Json } from './helpers/tempo-json.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

const T0 = 1_700_000_000;
const HUGE = 'é🚀x'.repeat(150_000); // ~1 MB of UTF-8

/**
 * Attributes of every type the SDK accepts. The SDK's OTLP/JSON serializer writes NaN and
 * ±Infinity as null and any integral double (every |x| ≥ 2^53, e.g. 1.8e308) as intValue
 * even past int64, so those go over protobuf only.
 */
function everyType(protocol: Protocol): Attributes {
  const attrs: Attributes = {
    'str': 'hello',
    'str.empty': '',
    'str.unicode': 'héllo wörld 日本語 🚀 “quotes” \\ / \u0000 \u001f </script>',
    'ключ.🔑': 'unicode key',
    'int.zero': 0,
    'int.one': 1,
    'int.neg': -1,
    'int.max_safe': Number.MAX_SAFE_INTEGER,
    'int.min_safe': Number.MIN_SAFE_INTEGER,
    'int.min': -(2 ** 63),
    'int.near_max': 2 ** 63 - 1024,
    'double': 3.141592653589793,
    'double.neg': -0.5,
    'double.tiny': 5e-324,
    'bool.true': true,
    'bool.false': false,
    'arr.str': ['a', '', 'ü', '🚀'],
    'arr.int': [1, -2, Number.MAX_SAFE_INTEGER],
    'arr.double': [0.5, 1.25],
    'arr.mixed_number': [1, 2.5],
    'arr.bool': [true, false],
    'arr.empty': [],
    'arr.with_null': ['a', null, 'b'],
  };
  if (protocol !== 'http/json') {
    attrs['double.nan'] = NaN;
    attrs['double.inf'] = Infinity;
    attrs['double.neg_inf'] = -Infinity;
    attrs['double.huge'] = 1.7976931348623157e308;
  }
  return attrs;
}

interface Emitted {
  readonly traceId: string;
  readonly exporters: RecordingExporter[];
}

/** Creates a two-service trace with every span feature the SDK can express, and flushes it. */
async function emitTrace(tb: TestTracebox, protocol: Protocol): Promise<Emitted> {
  const traceId = randomTraceId(protocol === 'grpc' ? 4 : 0);
  const frontendExporter = new RecordingExporter(createExporter(protocol, tb));
  const backendExporter = new RecordingExporter(createExporter(protocol, tb, 'gzip'));
  const frontend = createProvider({
    exporter: frontendExporter,
    traceId,
    resource: {
      'service.name': `frontend-${protocol}`,
      'service.version': '1.0.0',
      'host.cpus': 8,
      'sampling.ratio': 0.25,
      'feature.enabled': true,
      'team.tags': ['a', 'b'],
      'résumé.ключ': 'ünïcödé 🚀',
    },
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
    spanLimits: {
      attributeCountLimit: 40,
      eventCountLimit: 8,
      linkCountLimit: 4,
      attributePerEventCountLimit: 4,
      attributePerLinkCountLimit: 4,
    },
  });
  const backend = createProvider({
    exporter: backendExporter,
    traceId,
    resource: { 'service.name': `backend-${protocol}` },
    batch: true,
  });
  const checkout = frontend.getTracer('checkout-instrumentation', '2.3.4', { schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' });
  const db = frontend.getTracer('db-instrumentation');
  const server = backend.getTracer('http-server', '0.1.0');

  const otherTrace = randomTraceId();
  const links: Link[] = [
    {
      context: { traceId: otherTrace, spanId: randomSpanId(), traceFlags: 1, isRemote: true, traceState: new TraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7') },
      attributes: { 'link.kind': 'follows_from', 'link.n': 7, 'link.arr': [1.5, 2.5] },
    },
    { context: { traceId: otherTrace, spanId: randomSpanId(), traceFlags: 0 } },
  ];
  const root = checkout.startSpan(
    'GET /checkout ✓',
    { kind: SpanKind.SERVER, startTime: [T0, 1], attributes: everyType(protocol), links },
    ROOT_CONTEXT,
  );
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom ☃', 'exception.stacktrace': 'at a\n\tat b' }, [T0, 500]);
  root.addEvent('', [T0, 600]);
  root.addEvent('retry', { attempt: 2, backoff: 0.5, ok: false, tags: ['x'] }, [T0 + 1, 0]);

  const query = db.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: [T0, 1_000] }, rootCtx);
  query.setAttributes({ 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1', 'db.rows': 3 });
  query.setStatus({ code: SpanStatusCode.OK });
  const internal = db.startSpan('decode rows', { startTime: [T0, 3_000] }, trace.setSpan(ROOT_CONTEXT, query));
  internal.end([T0, 3_500]);
  query.end([T0, 5_000]);

  const producer = checkout.startSpan('publish order', { kind: SpanKind.PRODUCER, startTime: [T0, 2_000] }, rootCtx);
  producer.setStatus({ code: SpanStatusCode.ERROR });
  producer.end([T0, 2_100]);

  // Past the limits: 45 attributes (limit 40), 10 events (limit 8), 6 links (limit 4),
  // an event and a link with 6 attributes each (limit 4).
  const limited = checkout.startSpan('over the limits', { startTime: [T0, 4_000] }, rootCtx);
  for (let i = 0; i < 45; i++) limited.setAttribute(`attr.${i}`, i);
  const six = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
  for (let i = 0; i < 10; i++) limited.addEvent(`event ${i}`, i === 9 ? six : { i }, [T0, 4_100 + i]);
  for (let i = 0; i < 6; i++) limited.addLink({ context: { traceId: otherTrace, spanId: randomSpanId(), traceFlags: 1 }, attributes: i === 5 ? six : undefined });
  limited.end([T0, 4_900]);

  const huge = checkout.startSpan('huge', { kind: SpanKind.INTERNAL, startTime: [T0, 6_000], attributes: { big: HUGE, 'big.ascii': 'x'.repeat(1 << 20) } }, rootCtx);
  huge.end([T0, 6_001]);

  // The backend continues the trace from a remote parent with a trace state.
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: producer.spanContext().spanId,
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('vendor=abc,rojo=00f067aa0ba902b7'),
  });
  const handler = server.startSpan('POST /charge', { kind: SpanKind.SERVER, startTime: [T0, 1_500], attributes: { 'http.status_code': 402 } }, remoteParent);
  const consumer = server.startSpan('consume order', { kind: SpanKind.CONSUMER, startTime: [T0, 2_500] }, trace.setSpan(ROOT_CONTEXT, handler));
  consumer.setStatus({ code: SpanStatusCode.ERROR, message: 'queue closed' });
  consumer.end([T0 + 10, 0]);
  handler.end([T0 + 3, 123_456_789]);

  root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined: “card” é' });
  root.end([T0 + 2, 999_999_999]);

  await flush(frontend, backend);
  frontendExporter.assertAllSucceeded();
  backendExporter.assertAllSucceeded();
  return { traceId, exporters: [frontendExporter, backendExporter] };
}

async function flush(...providers: BasicTracerProvider[]): Promise<void> {
  for (const p of providers) await p.forceFlush();
  for (const p of providers) await p.shutdown();
}

describe('round trips through the OpenTelemetry JS SDK exporters', () => {
  let tb: TestTracebox;
  const emitted = new Map<Protocol, Emitted>();

  before(async () => {
    // Exact round trips of ~1 MB values: without --max-attr-length's default truncation (test/otlp/limits.test.ts).
    tb = await startTestTracebox({ maxAttrLength: 0 });
    // Every protocol's trace is sent before any is read, so each read also shows the traces do not mix.
    for (const protocol of PROTOCOLS) emitted.set(protocol, await emitTrace(tb, protocol));
  });
  after(() => tb?.close());

  for (const protocol of PROTOCOLS) {
    describe(protocol, () => {
      const expected = (): { resourceSpans: Json[] } => expectedTrace(emitted.get(protocol)!.exporters.flatMap((e) => e.spans));
      const id = (): string => emitted.get(protocol)!.traceId;

      test('the model of the trace covers what was emitted', () => {
        const e = expected();
        assert.equal(e.resourceSpans.length, 2);
        assert.equal(spansOf(e).length, 8);
        const limited = spansOf(e).find((s) => s.name === 'over the limits')!;
        assert.equal(limited.droppedAttributesCount, 5);
        assert.equal(limited.droppedEventsCount, 2);
        assert.equal(limited.droppedLinksCount, 2);
        assert.deepEqual(((limited.events as Json[]).at(-1) as Json).droppedAttributesCount, 2);
        assert.deepEqual(((limited.links as Json[]).at(-1) as Json).droppedAttributesCount, 2);
      });

      test('GET /api/v2/traces/<id> (JSON) returns every field', async () => {
        const res = await getTraceJson(tb.apiUrl, 'v2', id());
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepStrictEqual(json(res), { trace: expected() });
      });

      test('GET /api/v2/traces/<id> (protobuf) decodes to the same trace', async () => {
        const res = await getTraceProtobuf(tb.apiUrl, 'v2', id());
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/protobuf');
        const decoded = decodePlain(TraceByIDResponse, res.body);
        assert.deepStrictEqual(Object.keys(decoded), ['trace']);
        assert.deepStrictEqual(tempoForm(decoded.trace as Json), expected());
      });

      test('GET /api/traces/<id> (JSON) returns the trace as `batches`', async () => {
        const res = await getTraceJson(tb.apiUrl, 'v1', id());
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepStrictEqual(json(res), { batches: expected().resourceSpans });
      });

      test('GET /api/traces/<id> (protobuf) decodes to the same trace', async () => {
        const res = await getTraceProtobuf(tb.apiUrl, 'v1', id());
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/protobuf');
        assert.deepStrictEqual(tempoForm(decodePlain(TempoTrace, res.body)), expected());
      });
    });
  }

  test('spot checks of the encoding rules on the JSON answer', async () => {
    const { traceId } = emitted.get('http/protobuf')!;
    const body = json(await getTraceJson(tb.apiUrl, 'v2', traceId)) as { trace: { resourceSpans: Json[] } };
    const spans = spansOf(body.trace);
    const root = spans.find((s) => s.name === 'GET /checkout ✓')!;
    assert.equal(root.traceId, Buffer.from(traceId, 'hex').toString('base64'));
    assert.equal(root.startTimeUnixNano, '1700000000000000001');
    assert.equal(root.endTimeUnixNano, '1700000002999999999');
    assert.equal(root.kind, 'SPAN_KIND_SERVER');
    assert.deepStrictEqual(root.status, { message: 'payment declined: “card” é', code: 'STATUS_CODE_ERROR' });
    assert.equal(root.parentSpanId, undefined);
    const attr = (key: string): unknown => (root.attributes as Json[]).find((a) => a.key === key)?.value;
    assert.deepStrictEqual(attr('int.min'), { intValue: '-9223372036854775808' });
    assert.deepStrictEqual(attr('int.near_max'), { intValue: '9223372036854774784' });
    assert.deepStrictEqual(attr('int.zero'), { intValue: '0' });
    assert.deepStrictEqual(attr('bool.false'), { boolValue: false });
    assert.deepStrictEqual(attr('str.empty'), { stringValue: '' });
    assert.deepStrictEqual(attr('double.nan'), { doubleValue: 'NaN' });
    assert.deepStrictEqual(attr('double.neg_inf'), { doubleValue: '-Infinity' });
    assert.deepStrictEqual(attr('arr.with_null'), { arrayValue: { values: [{ stringValue: 'a' }, {}, { stringValue: 'b' }] } });
    assert.deepStrictEqual(attr('arr.empty'), { arrayValue: {} });
    const internal = spans.find((s) => s.name === 'decode rows')!;
    assert.equal(internal.kind, 'SPAN_KIND_INTERNAL');
    assert.deepStrictEqual(internal.status, {});
    const handler = spans.find((s) => s.name === 'POST /charge')!;
    assert.equal(handler.traceState, 'vendor=abc,rojo=00f067aa0ba902b7');
    assert.equal(handler.flags, 0x301);
    assert.equal(root.flags, 0x101);
    const huge = spans.find((s) => s.name === 'huge')!;
    assert.equal(((huge.attributes as Json[])[0].value as Json).stringValue, HUGE);
  });
});
