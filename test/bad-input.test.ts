/**
 * Acceptance: malformed, oversized and partly invalid OTLP input gets the answer the
 * OTLP specification prescribes, and never disturbs the process or what it stored.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import protobuf from 'protobufjs';
import { after, afterEach, before, describe, test } from 'node:test';
import { grpc, grpcExport } from './helpers/grpc.ts';
import { get, getTraceJson, getTraceProtobuf, JSON_TYPE, postChunked, postTraces, PROTOBUF, type Answer } from './helpers/http.ts';
import { decodePlain, ExportTraceServiceResponse, RpcStatus, TempoTrace } from './helpers/proto.ts';
import { b64, encodeRequest, kv, richRequest } from './helpers/requests.ts';
import { spansOf, type Json } from './helpers/tempo-json.ts';
import { ProtoWriter } from '../src/shared/protowire.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

const MAX_BODY = 64 * 1024;
let tb: TestTracebox;
const reference: { traceId: string; protobuf: Buffer; json: string } = { traceId: randomTraceId(), protobuf: Buffer.alloc(0), json: '' };

before(async () => {
  tb = await startTestTracebox({ maxBody: MAX_BODY });
  const res = await postTraces(tb.otlpHttpUrl, encodeRequest(richRequest(reference.traceId).request));
  assert.equal(res.status, 200);
  reference.protobuf = (await getTraceProtobuf(tb.apiUrl, 'v1', reference.traceId)).body;
  reference.json = (await getTraceJson(tb.apiUrl, 'v2', reference.traceId)).body.toString();
  assert.equal(spansOf(decodePlain(TempoTrace, reference.protobuf) as Json).length, 5);
});

after(() => tb?.close());

// After every bad request: the process still serves, and what it stored before is unchanged.
afterEach(async () => {
  assert.equal((await get(`${tb.apiUrl}/ready`)).status, 200);
  assert.deepStrictEqual((await getTraceProtobuf(tb.apiUrl, 'v1', reference.traceId)).body, reference.protobuf);
  assert.equal((await getTraceJson(tb.apiUrl, 'v2', reference.traceId)).body.toString(), reference.json);
  const probe = randomTraceId();
  const ok = await postTraces(tb.otlpHttpUrl, encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(probe), spanId: b64(randomSpanId()), name: 'probe' }] }] }] }));
  assert.equal(ok.status, 200);
  assert.equal((await getTraceProtobuf(tb.apiUrl, 'v1', probe)).status, 200);
});

/** A 400/413/415 answer carries a google.rpc.Status in the request's encoding. */
function assertStatusBody(res: Answer, httpStatus: number, format: 'protobuf' | 'json', message: RegExp): void {
  assert.equal(res.status, httpStatus, res.body.toString());
  if (format === 'json') {
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(res.body.toString()) as { code: number; message: string };
    assert.equal(body.code, 3);
    assert.match(body.message, message);
  } else {
    assert.equal(res.headers.get('content-type'), PROTOBUF);
    const body = decodePlain(RpcStatus, res.body) as { code: number; message: string };
    assert.equal(body.code, 3);
    assert.match(body.message, message);
  }
}

describe('malformed protobuf over OTLP/HTTP → 400 with a google.rpc.Status', () => {
  test('garbage bytes', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, Buffer.from('this is not protobuf at all')), 400, 'protobuf', /invalid ExportTraceServiceRequest/);
  });

  test('0xff bytes (an unterminated varint)', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, Buffer.alloc(32, 0xff)), 400, 'protobuf', /invalid ExportTraceServiceRequest/);
  });

  test('a truncated request', async () => {
    const bytes = encodeRequest(richRequest(randomTraceId()).request);
    for (const cut of [1, 7, Math.floor(bytes.length / 2), bytes.length - 1]) {
      assertStatusBody(await postTraces(tb.otlpHttpUrl, bytes.subarray(0, cut)), 400, 'protobuf', /invalid ExportTraceServiceRequest/);
    }
  });

  test('a varint cut off at the end of a nested message (found by fuzzing: stored, then unreadable)', async () => {
    // Span { trace_id, span_id, status = { 19: <varint tag, no value> }, name = "x" }
    const span = new ProtoWriter()
      .bytesField(1, Buffer.from(randomTraceId(), 'hex'))
      .bytesField(2, Buffer.from(randomSpanId(), 'hex'))
      .bytesField(15, Uint8Array.of(0x98, 0x01))
      .stringField(5, 'x')
      .finish();
    const request = new ProtoWriter().fork(1).fork(2).bytesField(2, span).join().join().finish();
    assertStatusBody(await postTraces(tb.otlpHttpUrl, request), 400, 'protobuf', /truncated varint/);
  });

  // Found by fuzzing: each was stored, then trace by id (and Grafana's strict decoder) failed on it.
  for (const [label, field] of [
    ['an attribute whose first value is malformed, the second fine', [0x4a, 0x08, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x52, 0x12, 0x00]],
    ['field number 0 inside an attribute value', [0x4a, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x02, 0x00, 0x01]],
    ['a six-byte tag inside an event', [0x5a, 0x07, 0x8a, 0x80, 0x80, 0x80, 0x80, 0x10, 0x01]],
  ] as const) {
    test(`${label}: the span is rejected`, async () => {
      const traceId = randomTraceId();
      const span = Buffer.concat([
        new ProtoWriter().bytesField(1, Buffer.from(traceId, 'hex')).bytesField(2, Buffer.from(randomSpanId(), 'hex')).finish(),
        Uint8Array.from(field),
      ]);
      const request = new ProtoWriter().fork(1).fork(2).bytesField(2, span).join().join().finish();
      const res = await postTraces(tb.otlpHttpUrl, request);
      assert.equal(res.status, 200);
      assert.equal((decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string } }).partialSuccess.rejectedSpans, '1');
      assert.equal((await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).status, 404);
    });
  }

  test('resource_spans with the wrong wire type', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, Buffer.from([0x08, 0x01])), 400, 'protobuf', /resource_spans/);
  });

  test('a body that is not gzip but says it is', async () => {
    assertStatusBody(
      await postTraces(tb.otlpHttpUrl, Buffer.from('plain'), { headers: { 'Content-Encoding': 'gzip' } }),
      400,
      'protobuf',
      /gzip/,
    );
  });

  test('an unknown Content-Encoding', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, Buffer.alloc(0), { headers: { 'Content-Encoding': 'br' } }), 400, 'protobuf', /Content-Encoding/);
  });

  test('an empty request is a success with nothing stored', async () => {
    const res = await postTraces(tb.otlpHttpUrl, Buffer.alloc(0));
    assert.equal(res.status, 200);
    assert.deepStrictEqual(decodePlain(ExportTraceServiceResponse, res.body), { partialSuccess: {} });
  });
});

describe('malformed OTLP/JSON → 400 with a google.rpc.Status JSON body', () => {
  for (const [label, body, message] of [
    ['not JSON', '{"resourceSpans": [', /^invalid JSON/],
    ['empty body', '', /^invalid JSON/],
    ['an array', '[]', /^invalid OTLP\/JSON: request body: expected an object/],
    ['resourceSpans of the wrong type', '{"resourceSpans":"x"}', /^invalid OTLP\/JSON: resourceSpans: expected an array/],
    ['a span that is not an object', '{"resourceSpans":[{"scopeSpans":[{"spans":[1]}]}]}', /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: expected an object/],
    ['an unknown enum name', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]}', /kind/],
    ['intValue out of int64 range', '{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"9223372036854775808"}}]}}]}', /intValue.*out of range/],
    ['a fractional time', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1.5}]}]}]}', /startTimeUnixNano/],
  ] as const) {
    test(label, async () => {
      assertStatusBody(await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE }), 400, 'json', message);
    });
  }
});

describe('content type and method', () => {
  for (const contentType of ['text/plain', 'application/octet-stream', 'application/grpc']) {
    test(`Content-Type ${contentType} → 415`, async () => {
      assertStatusBody(await postTraces(tb.otlpHttpUrl, Buffer.from('{}'), { contentType }), 415, 'json', /unsupported Content-Type/);
    });
  }

  test('no Content-Type → 415', async () => {
    const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    assert.equal(res.status, 415);
    await res.arrayBuffer();
  });

  for (const method of ['GET', 'PUT', 'DELETE']) {
    test(`${method} /v1/traces → 405`, async () => {
      const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method });
      assert.equal(res.status, 405);
      assert.match(res.headers.get('allow') ?? '', /POST/);
      await res.arrayBuffer();
    });
  }
});

describe('oversized bodies → 413', () => {
  const big = (): Uint8Array => encodeRequest({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(randomTraceId()), spanId: b64(randomSpanId()), name: 'x'.repeat(MAX_BODY + 1) }] }] }],
  });

  test('with Content-Length (protobuf)', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, big()), 413, 'protobuf', /exceeds the limit of 65536 bytes/);
  });

  test('with Content-Length (JSON)', async () => {
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x'.repeat(MAX_BODY) }] }] }] });
    assertStatusBody(await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE }), 413, 'json', /exceeds the limit/);
  });

  test('chunked, without Content-Length', async () => {
    assertStatusBody(await postChunked(tb.otlpHttpUrl, big(), PROTOBUF, 4096), 413, 'protobuf', /exceeds the limit/);
  });

  test('a gzip bomb: small on the wire, past the limit once inflated', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024));
    assert.ok(bomb.length < MAX_BODY);
    assertStatusBody(await postTraces(tb.otlpHttpUrl, bomb, { headers: { 'Content-Encoding': 'gzip' } }), 413, 'protobuf', /exceeds the limit/);
  });

  test('exactly at the limit is accepted, one byte more is not', async () => {
    const traceId = randomTraceId();
    const overhead = encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: '' }] }] }] }).length;
    // Longer names also lengthen the length prefixes of every enclosing message, so search upwards.
    let n = MAX_BODY - overhead - 20;
    let body: Uint8Array = new Uint8Array(0);
    for (; n < MAX_BODY; n++) {
      body = encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'y'.repeat(n) }] }] }] });
      if (body.length >= MAX_BODY) break;
    }
    assert.equal(body.length, MAX_BODY);
    assert.equal((await postTraces(tb.otlpHttpUrl, body)).status, 200);
    assert.equal((await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).status, 200);
    const oneMore = encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(randomTraceId()), spanId: b64(randomSpanId()), name: 'y'.repeat(n + 1) }] }] }] });
    assert.equal(oneMore.length, MAX_BODY + 1);
    assert.equal((await postTraces(tb.otlpHttpUrl, oneMore)).status, 413);
    assert.equal((await postChunked(tb.otlpHttpUrl, oneMore, PROTOBUF)).status, 413);
  });
});

interface Mixed {
  readonly request: Json;
  readonly validTraceId: string;
  readonly valid: number;
  readonly invalid: number;
}

/** Two valid spans and five with broken ids, in one request. */
function mixedRequest(): Mixed {
  const traceId = randomTraceId();
  const good = (name: string): Json => ({ traceId: b64(traceId), spanId: b64(randomSpanId()), name });
  const spans = [
    good('valid 1'),
    { ...good('short trace id'), traceId: b64('0123456789abcdef') },
    { ...good('zero span id'), spanId: b64('0000000000000000') },
    good('valid 2'),
    { ...good('zero trace id'), traceId: b64('0'.repeat(32)) },
    { traceId: b64(traceId), name: 'no span id' },
    { ...good('bad parent'), parentSpanId: b64('01020304') },
  ];
  return {
    request: { resourceSpans: [{ resource: { attributes: [kv('service.name', { stringValue: 'mixed' })] }, scopeSpans: [{ spans }] }] },
    validTraceId: traceId,
    valid: 2,
    invalid: 5,
  };
}

async function storedSpanNames(traceId: string): Promise<string[]> {
  const res = await getTraceProtobuf(tb.apiUrl, 'v1', traceId);
  assert.equal(res.status, 200);
  return spansOf(decodePlain(TempoTrace, res.body) as Json).map((s) => s.name as string);
}

describe('invalid ids in some spans → 200 with partial success; the valid spans are stored', () => {
  test('protobuf', async () => {
    const m = mixedRequest();
    const res = await postTraces(tb.otlpHttpUrl, encodeRequest(m.request));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PROTOBUF);
    const body = decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, String(m.invalid));
    assert.match(body.partialSuccess.errorMessage, /trace id must be 16 bytes, got 8/);
    assert.match(body.partialSuccess.errorMessage, /span id is all zeros/);
    assert.match(body.partialSuccess.errorMessage, /trace id is all zeros/);
    assert.match(body.partialSuccess.errorMessage, /span id must be 8 bytes, got 0/);
    assert.match(body.partialSuccess.errorMessage, /parent span id must be empty or 8 bytes, got 4/);
    assert.deepStrictEqual(await storedSpanNames(m.validTraceId), ['valid 1', 'valid 2']);
    assert.ok(tb.logs.some((l) => l.includes('rejected 5 invalid span(s)')));
  });

  test('JSON', async () => {
    const traceId = randomTraceId();
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: randomSpanId(), name: 'valid hex' },
                { traceId: 'abcd', spanId: randomSpanId(), name: 'short hex trace id' },
                { traceId, spanId: '0000000000000000', name: 'zero span id' },
                { traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'valid base64' },
                { traceId, spanId: 'not-an-id!', name: 'junk span id' },
              ],
            },
          ],
        },
      ],
    });
    const res = await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const answer = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(answer.partialSuccess.rejectedSpans, '3');
    assert.match(answer.partialSuccess.errorMessage, /^rejected 3 invalid span\(s\)/);
    assert.deepStrictEqual((await storedSpanNames(traceId)).sort(), ['valid base64', 'valid hex']);
  });

  test('gRPC', async () => {
    const m = mixedRequest();
    const { error, response } = await grpcExport(tb.otlpGrpcUrl, encodeRequest(m.request));
    assert.equal(error, undefined);
    const body = decodePlain(ExportTraceServiceResponse, response!) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, String(m.invalid));
    assert.match(body.partialSuccess.errorMessage, /^rejected 5 invalid span\(s\)/);
    assert.deepStrictEqual(await storedSpanNames(m.validTraceId), ['valid 1', 'valid 2']);
  });

  test('a malformed resource attribute after service.name, sent with a test session: its spans are refused, the others stored', async () => {
    // Found by fuzzing: the service name read fine, the session lookup met the bad
    // attribute (a field of wire type 3) and the request failed with a 500.
    const traceId = randomTraceId();
    const kvString = (w: ProtoWriter, key: string, value: string): ProtoWriter => w.fork(1).stringField(1, key).fork(2).stringField(1, value).join().join();
    const span = (name: string): Uint8Array => new ProtoWriter(64).bytesField(1, Buffer.from(traceId, 'hex')).bytesField(2, Buffer.from(randomSpanId(), 'hex')).stringField(5, name).finish();
    const resourceSpans = (resource: Uint8Array, name: string): Uint8Array =>
      new ProtoWriter(128).bytesField(1, resource).fork(2).bytesField(2, span(name)).join().finish();
    const bad = kvString(new ProtoWriter(64), 'service.name', 'bad-resource').fork(1).stringField(1, 'x').fork(2).raw(Uint8Array.of(0x1b)).join().join().finish();
    const good = kvString(new ProtoWriter(64), 'service.name', 'good-resource').finish();
    const request = new ProtoWriter(256).bytesField(1, resourceSpans(bad, 'refused')).bytesField(1, resourceSpans(good, 'kept')).finish();
    const res = await postTraces(tb.otlpHttpUrl, request, { headers: { 'x-tracebox-session': 'fuzz' } });
    assert.equal(res.status, 200);
    const body = decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /resource: invalid wire type 3/);
    assert.deepStrictEqual(await storedSpanNames(traceId), ['kept']);
  });

  test('a request with only invalid spans stores nothing', async () => {
    const traceId = randomTraceId();
    const res = await postTraces(tb.otlpHttpUrl, encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(traceId), name: 'no span id' }] }] }] }));
    assert.equal(res.status, 200);
    assert.equal((decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string } }).partialSuccess.rejectedSpans, '1');
    assert.equal((await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).status, 404);
  });
});

describe('OTLP/gRPC with bad input', () => {
  test('garbage → INVALID_ARGUMENT', async () => {
    const { error } = await grpcExport(tb.otlpGrpcUrl, Buffer.from('this is not protobuf at all'));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error?.details ?? '', /invalid ExportTraceServiceRequest/);
  });

  test('a truncated request → INVALID_ARGUMENT', async () => {
    const bytes = encodeRequest(richRequest(randomTraceId()).request);
    const { error } = await grpcExport(tb.otlpGrpcUrl, bytes.subarray(0, bytes.length - 3));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
  });

  test('larger than the limit → RESOURCE_EXHAUSTED', async () => {
    const big = encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(randomTraceId()), spanId: b64(randomSpanId()), name: 'z'.repeat(MAX_BODY + 1) }] }] }] });
    const { error } = await grpcExport(tb.otlpGrpcUrl, big);
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
  });

  test('an empty request → OK', async () => {
    const { error, response } = await grpcExport(tb.otlpGrpcUrl, new Uint8Array(0));
    assert.equal(error, undefined);
    assert.deepStrictEqual(decodePlain(ExportTraceServiceResponse, response!), { partialSuccess: {} });
  });
});

/** An AnyValue in `depth` kvlists and arrays (in turn) around a string: depth + 1 levels of AnyValue. */
function nested(depth: number): Json {
  let v: Json = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { kvlistValue: { values: [kv(`level${i}`, v)] } } : { arrayValue: { values: [v] } };
  return v;
}

describe('deeply nested attribute values (limit: 64 levels)', () => {
  // Three protobuf messages a level: past protobufjs' default recursion limit of 100.
  before(() => {
    protobuf.util.recursionLimit = 1000;
    protobuf.Reader.recursionLimit = 1000;
  });

  test('protobuf: a span nested too deep is rejected alone; at the limit it is stored', async () => {
    const traceId = randomTraceId();
    const span = (name: string, depth: number): Json => ({ traceId: b64(traceId), spanId: b64(randomSpanId()), name, attributes: [kv('deep', nested(depth))] });
    const res = await postTraces(tb.otlpHttpUrl, encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [span('too deep', 64), span('at the limit', 63)] }] }] }));
    assert.equal(res.status, 200);
    const body = decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /nested deeper than 64 levels/);
    assert.deepStrictEqual(await storedSpanNames(traceId), ['at the limit']);
    assert.equal((await getTraceJson(tb.apiUrl, 'v2', traceId)).status, 200);
  });

  test('protobuf: a resource nested too deep rejects its spans, and stores nothing of it', async () => {
    const traceId = randomTraceId();
    const res = await postTraces(tb.otlpHttpUrl, encodeRequest({
      resourceSpans: [
        { resource: { attributes: [kv('deep', nested(100))] }, scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'under a deep resource' }] }] },
        { scopeSpans: [{ scope: { name: 's', attributes: [kv('deep', nested(100))] }, spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'under a deep scope' }] }] },
        { scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'fine' }] }] },
      ],
    }));
    assert.equal(res.status, 200);
    const body = decodePlain(ExportTraceServiceResponse, res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, '2');
    assert.match(body.partialSuccess.errorMessage, /resource: attribute value nested deeper than 64 levels/);
    assert.deepStrictEqual(await storedSpanNames(traceId), ['fine']);
    // Trace by id as JSON walks every stored resource: it would fail on one nested too deep.
    assert.equal((await getTraceJson(tb.apiUrl, 'v1', traceId)).status, 200);
  });

  test('JSON: nesting past the limit → 400 naming the limit', async () => {
    const levels = 1000;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(levels)}{}${'}]}}'.repeat(levels)}}]}]}]}]}`;
    assertStatusBody(await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE }), 400, 'json', /nested more than 64 levels deep/);
  });
});

describe('oversized bodies far past the limit still get their 413 (no connection reset)', () => {
  const huge = (): Uint8Array => Buffer.alloc(4 * 1024 * 1024, 0x0a);

  test('with Content-Length', async () => {
    assertStatusBody(await postTraces(tb.otlpHttpUrl, huge()), 413, 'protobuf', /exceeds the limit/);
  });

  test('chunked', async () => {
    assertStatusBody(await postChunked(tb.otlpHttpUrl, huge(), PROTOBUF, 64 * 1024), 413, 'protobuf', /exceeds the limit/);
  });
});

describe('hostile queries', () => {
  const bait = randomTraceId();
  before(async () => {
    const span = { traceId: b64(bait), spanId: b64(randomSpanId()), name: 'bait', attributes: [kv('bait', { stringValue: 'a'.repeat(30_000) })] };
    assert.equal((await postTraces(tb.otlpHttpUrl, encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }))).status, 200);
  });

  async function search(q: string): Promise<Answer> {
    return get(`${tb.apiUrl}/api/search?${new URLSearchParams({ q })}`);
  }

  for (const regex of ['(a+)+b', '(a|a)*b', '(a|aa)+b', '(.*a){25}b', '.*a.*a.*a.*a.*a.*a.*b', '((a*)*)*b']) {
    test(`a catastrophic regex answers (linear-time matching): ${regex}`, async () => {
      const res = await search(`{ span.bait =~ "${regex}" || name =~ "${regex}" }`);
      assert.equal(res.status, 200, res.body.toString());
      assert.deepStrictEqual((JSON.parse(res.body.toString()) as { traces: unknown[] }).traces, []);
      // And the negation matches the span: the value was really looked at.
      const negated = JSON.parse((await search(`{ span.bait !~ "${regex}" }`)).body.toString()) as { traces: Array<{ traceID: string }> };
      assert.ok(negated.traces.some((t) => t.traceID === bait.replace(/^0+/, '')), 'the bait trace matches the negated regex');
    });
  }

  for (const [q, message] of [
    ['{ .a =~ "(a{1000}){1000}" }', /invalid regex/],
    ['{ .a =~ "(?=a)" }', /invalid regex/],
    ['{ .a =~ "\\\\1" }', /invalid regex/],
    ['{'.repeat(5000), /invalid TraceQL query/],
    [`{ .a = "${"'; DROP TABLE spans; --"}" } && {`, /invalid TraceQL query/],
  ] as const) {
    test(`${q.slice(0, 40)} → 400`, async () => {
      const res = await search(q);
      assert.equal(res.status, 400);
      assert.match(res.body.toString(), message);
    });
  }
});

describe('malformed ids and parameters → 400', () => {
  for (const path of [
    '/api/traces/xyz',
    `/api/traces/${'f'.repeat(33)}`,
    '/api/v2/traces/0x12',
    '/api/traces/abc?start=1&end=x',
    '/api/traces/abc?start=20&end=10',
    '/api/search?limit=-1',
    '/api/search?limit=1e3',
    '/api/search?spss=101',
    '/api/search?start=99999999999',
    '/api/search?start=10&end=5',
    '/api/search?q={}&tags=a',
    '/api/search/tags?scope=everything',
    '/api/v2/search/tag/%25zz/values',
    '/api/v2/search/tag/not%20a%20tag/values',
    '/api/spans/trace/nothex',
  ]) {
    test(path, async () => {
      const res = await get(`${tb.apiUrl}${path}`);
      assert.equal(res.status, 400, `${path}: ${res.status} ${res.body.toString()}`);
    });
  }
});
