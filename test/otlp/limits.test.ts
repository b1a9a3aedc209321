/**
 * Attribute limits on ingest (--max-attr-length, --max-attrs-per-span), checked against
 * a reference that applies the OTel SDK's rules to protobufjs' decoding of the request:
 * strings truncated to N characters (bytes to N bytes, keys too, inside arrays and
 * kvlists), attributes past the count dropped and added to dropped_attributes_count,
 * every other byte of the span unchanged, and nothing copied when nothing is over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { applyAttributeLimits, decodeExportRequest, type AttributeLimits } from '../../src/otlp/index.ts';
import { PLAIN, root } from '../helpers/proto.ts';
import { ProtoWriter } from '../../src/shared/protowire.ts';
import { encodeRequest, kv } from '../helpers/requests.ts';
import type { Json } from '../helpers/tempo-json.ts';
import { startTestTracebox } from '../helpers/tracebox.ts';
import { getTraceJson, postTraces } from '../helpers/http.ts';
import { spansOf } from '../helpers/tempo-json.ts';

// Deep kvlists take 3 messages a level; the reference encoder stops at 100 by default.
protobuf.util.recursionLimit = 1000;
protobuf.Reader.recursionLimit = 1000;

const Span = root.lookupType('opentelemetry.proto.trace.v1.Span');
const Resource = root.lookupType('opentelemetry.proto.resource.v1.Resource');
const plain = (type: typeof Span, bytes: Uint8Array): Json => type.toObject(type.decode(bytes), PLAIN) as Json;

const cut = (s: string, max: number): string => (max > 0 ? Array.from(s).slice(0, max).join('') : s);

function limitValue(v: Json, max: number): Json {
  if (typeof v.stringValue === 'string') return { ...v, stringValue: cut(v.stringValue, max) };
  if (typeof v.bytesValue === 'string' && max > 0) return { ...v, bytesValue: Buffer.from(v.bytesValue, 'base64').subarray(0, max).toString('base64') };
  const array = v.arrayValue as { values?: Json[] } | undefined;
  if (array !== undefined) return { ...v, arrayValue: { ...array, ...(array.values ? { values: array.values.map((x) => limitValue(x, max)) } : {}) } };
  const list = v.kvlistValue as { values?: Json[] } | undefined;
  if (list !== undefined) return { ...v, kvlistValue: { ...list, ...(list.values ? { values: list.values.map((x) => limitKv(x, max)) } : {}) } };
  return v;
}

function limitKv(x: Json, max: number): Json {
  const out: Json = { ...x, key: cut(String(x.key ?? ''), max) };
  if (x.key === undefined && out.key === '') delete out.key;
  if (x.value !== undefined) out.value = limitValue(x.value as Json, max);
  return out;
}

/** The OTel SDK's limits on one message with `attributes` and `droppedAttributesCount`. */
function limitMessage(m: Json, limits: AttributeLimits, counted: boolean): Json {
  const attrs = (m.attributes as Json[] | undefined) ?? [];
  const keep = counted && limits.maxAttrsPerSpan > 0 ? attrs.slice(0, limits.maxAttrsPerSpan) : attrs;
  const out: Json = { ...m };
  if (attrs.length > 0) out.attributes = keep.map((a) => limitKv(a, limits.maxAttrLength));
  const dropped = attrs.length - keep.length;
  if (dropped > 0) out.droppedAttributesCount = Number(m.droppedAttributesCount ?? 0) + dropped;
  return out;
}

function referenceSpan(span: Json, limits: AttributeLimits): Json {
  const out = limitMessage(span, limits, true);
  if (Array.isArray(span.events)) out.events = (span.events as Json[]).map((e) => limitMessage(e, limits, true));
  if (Array.isArray(span.links)) out.links = (span.links as Json[]).map((l) => limitMessage(l, limits, true));
  return out;
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const { value: anyValue, kv: keyValue } = fc.letrec<{ value: Json; kv: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: text }),
    fc.record({ intValue: fc.integer().map(String) }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('kv'), { maxLength: 3 }) }) }),
  ),
  kv: fc.record({ key: text, value: tie('value') }),
}));
const attributes = fc.array(keyValue, { maxLength: 6 });
const id = (n: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b.map((x, i) => (i === 0 ? x | 1 : x))).toString('base64'));
const span = fc.record(
  {
    traceId: id(16),
    spanId: id(8),
    name: text,
    attributes,
    droppedAttributesCount: fc.nat(1000),
    events: fc.array(fc.record({ name: text, attributes, droppedAttributesCount: fc.nat(5) }, { requiredKeys: ['name'] }), { maxLength: 2 }),
    links: fc.array(fc.record({ traceId: id(16), spanId: id(8), attributes }, { requiredKeys: ['traceId', 'spanId'] }), { maxLength: 2 }),
    startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  },
  { requiredKeys: ['traceId', 'spanId'] },
);

test('limited spans equal the reference; other fields and resources are kept', () => {
  fc.assert(
    fc.property(
      fc.array(span, { minLength: 1, maxLength: 3 }),
      attributes,
      fc.record({ maxAttrLength: fc.nat(8), maxAttrsPerSpan: fc.nat(4) }),
      (spans, resourceAttributes, limits) => {
        const request = encodeRequest({ resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ spans }] }] });
        const batch = decodeExportRequest(request);
        const limited = applyAttributeLimits(batch, limits);
        assert.equal(limited.spans.length, batch.spans.length);
        for (let i = 0; i < batch.spans.length; i++) {
          assert.deepStrictEqual(plain(Span, limited.spans[i].raw), referenceSpan(plain(Span, batch.spans[i].raw), limits));
        }
        const resource = plain(Resource, batch.resources[0].raw);
        assert.deepStrictEqual(plain(Resource, limited.resources[0].raw), limitMessage(resource, limits, false));
      },
    ),
    { numRuns: 300 },
  );
});

test('nothing over a limit: the batch itself, spans still views of the request', () => {
  const request = encodeRequest({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==', spanId: 'AQIDBAUGBwg=', attributes: [kv('a', { stringValue: 'short' })] }] }] }],
  });
  const batch = decodeExportRequest(request);
  assert.equal(applyAttributeLimits(batch, { maxAttrLength: 64, maxAttrsPerSpan: 128 }), batch);
  assert.equal(batch.spans[0].raw.buffer, request.buffer);
});

test('a resource nested too deep rejects its spans, not the request', () => {
  let deep: Json = { stringValue: 'bottom' };
  for (let i = 0; i < 70; i++) deep = { kvlistValue: { values: [{ key: `l${i}`, value: deep }] } };
  const span = (n: number): Json => ({ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==', spanId: Buffer.from([1, 2, 3, 4, 5, 6, 7, n]).toString('base64') });
  const batch = decodeExportRequest(
    encodeRequest({
      resourceSpans: [
        { resource: { attributes: [kv('deep', deep)] }, scopeSpans: [{ spans: [span(1), span(2)] }] },
        { resource: { attributes: [kv('service.name', { stringValue: 'ok' })] }, scopeSpans: [{ spans: [span(3)] }] },
      ],
    }),
  );
  const limited = applyAttributeLimits(batch, { maxAttrLength: 0, maxAttrsPerSpan: 0 });
  assert.equal(limited.rejected, 2);
  assert.match(limited.rejections[0], /resource: attribute value nested deeper than 64 levels/);
  assert.equal(limited.spans.length, 1);
  assert.equal(limited.resources[limited.spans[0].resource].serviceName, 'ok');
});

test('over the receivers, by default: values whole, 128 attributes', async () => {
  const tb = await startTestTracebox();
  try {
    const traceId = '1af7651916cd43dd8448eb211c80319c';
    const attributes = [kv('huge', { stringValue: 'é'.repeat(70_000) }), ...Array.from({ length: 199 }, (_, i) => kv(`k${i}`, { intValue: String(i) }))];
    const body = encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(traceId, 'hex').toString('base64'), spanId: 'AQIDBAUGBwg=', name: 'big', attributes }] }] }] });
    assert.equal((await postTraces(tb.otlpHttpUrl, body)).status, 200);
    const [stored] = spansOf(JSON.parse((await getTraceJson(tb.apiUrl, 'v1', traceId)).body.toString()) as Json);
    const kept = stored.attributes as Json[];
    assert.equal(kept.length, 128);
    assert.equal((kept[0].value as { stringValue: string }).stringValue, 'é'.repeat(70_000), 'no length limit unless one is set');
    assert.equal(stored.droppedAttributesCount, 72);
  } finally {
    await tb.close();
  }
});

test('over the receivers, with --max-attrs-per-span and --max-attr-length', async () => {
  const tb = await startTestTracebox({ maxAttrsPerSpan: 2, maxAttrLength: 5 });
  try {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const attributes = [kv('first', { stringValue: 'héllo wörld' }), kv('second', { intValue: '7' }), kv('third', { boolValue: true })];
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: 'b7ad6b7169203331', name: 'limited', attributes, droppedAttributesCount: 1 }] }] }] });
    assert.equal((await postTraces(tb.otlpHttpUrl, body, { contentType: 'application/json' })).status, 200);
    const [stored] = spansOf(JSON.parse((await getTraceJson(tb.apiUrl, 'v1', traceId)).body.toString()) as Json);
    assert.deepStrictEqual(stored.attributes, [kv('first', { stringValue: 'héllo' }), kv('secon', { intValue: '7' })]);
    assert.equal(stored.droppedAttributesCount, 2);
  } finally {
    await tb.close();
  }
});

test('invalid UTF-8 in string fields becomes U+FFFD (found by fuzzing: strict decoders refuse the trace)', () => {
  const bad = Uint8Array.of(0x61, 0xff, 0xc3); // "a", an invalid byte, a cut-off sequence
  const keyValue = new ProtoWriter().bytesField(1, bad).fork(2).bytesField(1, bad).join().finish();
  const bytesValue = new ProtoWriter().stringField(1, 'raw').fork(2).bytesField(7, bad).join().finish();
  const span = new ProtoWriter()
    .bytesField(1, Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'))
    .bytesField(2, Buffer.from('b7ad6b7169203331', 'hex'))
    .bytesField(5, bad)
    .bytesField(9, keyValue)
    .bytesField(9, bytesValue)
    .fork(11).bytesField(2, bad).join()
    .fork(15).bytesField(2, bad).tag(3, 0).uint32(2).join()
    .finish();
  const request = new ProtoWriter().fork(1).fork(2).bytesField(2, span).join().join().finish();
  const batch = applyAttributeLimits(decodeExportRequest(request), { maxAttrLength: 0, maxAttrsPerSpan: 0 });
  assert.deepStrictEqual(plain(Span, batch.spans[0].raw), {
    traceId: 'CvdlGRbNQ92ESOshHIAxnA==',
    spanId: 't61rcWkgMzE=',
    name: 'a\uFFFD\uFFFD',
    attributes: [
      { key: 'a\uFFFD\uFFFD', value: { stringValue: 'a\uFFFD\uFFFD' } },
      { key: 'raw', value: { bytesValue: Buffer.from(bad).toString('base64') } },
    ],
    events: [{ name: 'a\uFFFD\uFFFD' }],
    status: { message: 'a\uFFFD\uFFFD', code: 'STATUS_CODE_ERROR' },
  });
});
