/**
 * Round trips of hand-built OTLP requests (what the SDK cannot express) over every
 * transport and encoding, and the trace-by-id API's id, window and not-found rules.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { grpcExport } from './helpers/grpc.ts';
import { get, getTraceJson, getTraceProtobuf, json, JSON_TYPE, postTraces, PROTOBUF } from './helpers/http.ts';
import protobuf from 'protobufjs';
import { decodePlain, encode, TempoTrace, TraceByIDResponse, TracesData } from './helpers/proto.ts';
import { b64, encodeRequest, kv, richRequest, toOtlpJson, type JsonSpelling } from './helpers/requests.ts';
import { spansOf, tempoForm, type Json } from './helpers/tempo-json.ts';
import { randomSpanId, randomTraceId, startTestTracebox, tempDir, type TestTracebox } from './helpers/tracebox.ts';
import { DB_FILE } from '../src/store/index.ts';

let tb: TestTracebox;
before(async () => {
  tb = await startTestTracebox();
});
after(() => tb?.close());

type Send = (request: Json) => Promise<void>;

/** Full success, as the Collector's receiver (and Tempo's) answers it: an empty partial_success. */
async function expectEmptyHttpSuccess(res: Awaited<ReturnType<typeof postTraces>>, format: 'protobuf' | 'json'): Promise<void> {
  assert.equal(res.status, 200, res.body.toString());
  if (format === 'json') {
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body.toString(), '{"partialSuccess":{}}');
  } else {
    assert.equal(res.headers.get('content-type'), PROTOBUF);
    assert.deepStrictEqual([...res.body], [0x0a, 0x00]);
  }
}

function httpProtobuf(gzip: boolean): Send {
  return async (request) => expectEmptyHttpSuccess(await postTraces(tb.otlpHttpUrl, encodeRequest(request), { gzip }), 'protobuf');
}

function httpJson(spelling: JsonSpelling, gzip: boolean): Send {
  return async (request) =>
    expectEmptyHttpSuccess(await postTraces(tb.otlpHttpUrl, toOtlpJson(request, spelling), { contentType: JSON_TYPE, gzip }), 'json');
}

function grpcSend(gzip: boolean): Send {
  return async (request) => {
    const { error, response } = await grpcExport(tb.otlpGrpcUrl, encodeRequest(request), { gzip });
    assert.equal(error, undefined);
    assert.deepStrictEqual([...response!], [0x0a, 0x00]);
  };
}

const TRANSPORTS: Array<[string, Send, { bytesPreserved: boolean }]> = [
  ['OTLP/HTTP protobuf', httpProtobuf(false), { bytesPreserved: true }],
  ['OTLP/HTTP protobuf, gzip', httpProtobuf(true), { bytesPreserved: true }],
  ['OTLP/HTTP JSON, enum names, int64 strings, hex ids', httpJson({ enums: 'names', int64: 'strings', ids: 'hex' }, false), { bytesPreserved: false }],
  ['OTLP/HTTP JSON, enum numbers, int64 numbers, base64 ids, gzip', httpJson({ enums: 'numbers', int64: 'numbers', ids: 'base64' }, true), { bytesPreserved: false }],
  ['OTLP/gRPC', grpcSend(false), { bytesPreserved: true }],
  ['OTLP/gRPC, gzip', grpcSend(true), { bytesPreserved: true }],
];

describe('every OTLP field round-trips', () => {
  for (const [name, send, { bytesPreserved }] of TRANSPORTS) {
    test(name, async () => {
      const traceId = randomTraceId();
      const { request } = richRequest(traceId);
      await send(request);
      const sent = encodeRequest(request);
      const expected = decodePlain(TracesData, sent);

      const v2 = await getTraceProtobuf(tb.apiUrl, 'v2', traceId);
      assert.equal(v2.status, 200);
      assert.equal(v2.headers.get('content-type'), 'application/protobuf');
      assert.deepStrictEqual(decodePlain(TraceByIDResponse, v2.body), { trace: expected });

      const v1 = await getTraceProtobuf(tb.apiUrl, 'v1', traceId);
      assert.equal(v1.status, 200);
      assert.deepStrictEqual(decodePlain(TempoTrace, v1.body), expected);
      // Spans are stored as received, so a canonical protobuf request comes back byte for byte.
      if (bytesPreserved) assert.deepStrictEqual(Buffer.from(v1.body), Buffer.from(sent));

      const v2json = await getTraceJson(tb.apiUrl, 'v2', traceId);
      assert.deepStrictEqual(json(v2json), { trace: tempoForm(expected) });
      const v1json = await getTraceJson(tb.apiUrl, 'v1', traceId);
      assert.deepStrictEqual(json(v1json), { batches: tempoForm(expected).resourceSpans });
    });
  }

  test('the JSON answer follows Tempo’s encoding of the extremes', async () => {
    const traceId = randomTraceId();
    await httpProtobuf(false)(richRequest(traceId).request);
    const trace = (json(await getTraceJson(tb.apiUrl, 'v2', traceId)) as { trace: { resourceSpans: Json[] } }).trace;
    const rich = spansOf(trace).find((s) => s.name === 'rich ✓ span')!;
    const attr = (key: string): unknown => (rich.attributes as Json[]).find((a) => a.key === key)?.value;
    assert.deepStrictEqual(attr('int.min'), { intValue: '-9223372036854775808' });
    assert.deepStrictEqual(attr('int.max'), { intValue: '9223372036854775807' });
    assert.deepStrictEqual(attr('double.nan'), { doubleValue: 'NaN' });
    assert.deepStrictEqual(attr('double.inf'), { doubleValue: 'Infinity' });
    assert.deepStrictEqual(attr('double.neg_inf'), { doubleValue: '-Infinity' });
    assert.deepStrictEqual(attr('double.zero'), { doubleValue: 0 });
    assert.deepStrictEqual(attr('bytes'), { bytesValue: 'AAEC/v8=' });
    assert.deepStrictEqual(attr('bytes.empty'), { bytesValue: '' });
    assert.deepStrictEqual(attr('value.empty'), {});
    assert.deepStrictEqual(attr('array.empty'), { arrayValue: {} });
    assert.equal(rich.endTimeUnixNano, '18446744073709551615');
    assert.equal(rich.kind, 'SPAN_KIND_CONSUMER');
    assert.equal(rich.flags, 4294967295);
    assert.equal(rich.droppedAttributesCount, 4294967295);
    assert.deepStrictEqual(rich.status, { message: 'it failed: ✗', code: 'STATUS_CODE_ERROR' });
    assert.deepStrictEqual((rich.events as Json[])[1], {});
    const unknown = spansOf(trace).find((s) => s.name === 'unknown enums')!;
    assert.equal(unknown.kind, 7);
    assert.deepStrictEqual(unknown.status, { code: 5 });
    const minimal = spansOf(trace).find((s) => s.name === 'minimal')!;
    assert.deepStrictEqual(minimal, { traceId: b64(traceId), spanId: minimal.spanId, name: 'minimal', status: {} });
    assert.deepStrictEqual(Object.keys(trace.resourceSpans[1]), ['scopeSpans']);
    assert.deepStrictEqual(Object.keys((trace.resourceSpans[1].scopeSpans as Json[])[0]), ['spans']);
  });

  test('times past int64 (fixed64 up to 2^64-1) on spans with attributes are stored', async () => {
    const traceId = randomTraceId();
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', { stringValue: 'far future' })] },
          scopeSpans: [
            {
              scope: { name: 'lib', attributes: [kv('scope.attr', { intValue: '1' })] },
              spans: [
                span(traceId, 'starts at 2^64-1', 18446744073709551615n, 18446744073709551615n, {
                  attributes: [kv('k', { stringValue: 'v' })],
                  events: [{ timeUnixNano: '18446744073709551615', name: 'e', attributes: [kv('ek', { boolValue: true })] }],
                }),
                span(traceId, 'ends before it starts', 18446744073709551614n, 1n, { attributes: [kv('n', { doubleValue: 1.5 })] }),
              ],
            },
          ],
        },
      ],
    };
    const res = await postTraces(tb.otlpHttpUrl, encodeRequest(request));
    assert.equal(res.status, 200, res.body.toString());
    const trace = decodePlain(TempoTrace, (await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).body) as Json;
    assert.deepStrictEqual(spansOf(trace).map((s) => s.name).sort(), ['ends before it starts', 'starts at 2^64-1']);
  });

  test('hand-written OTLP/JSON with snake_case keys, numeric strings and mixed id encodings', async () => {
    const traceId = randomTraceId();
    const spanId = randomSpanId();
    const body = `{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"snake"}}],
      "dropped_attributes_count":"2"},"schema_url":"s","scope_spans":[{"scope":{"name":"sc","version":"1"},"spans":[{
      "trace_id":"${traceId.toUpperCase()}","span_id":"${b64(spanId)}","name":"snake case","kind":3,
      "start_time_unix_nano":1700000000000000000,"end_time_unix_nano":"1700000000000000001",
      "attributes":[{"key":"i","value":{"int_value":"-42"}},{"key":"d","value":{"double_value":"Infinity"}},
      {"key":"b","value":{"bytes_value":"/w=="}},{"key":"n","value":{"double_value":"1.5"}}],
      "dropped_events_count":1,"status":{"code":"STATUS_CODE_OK","message":"fine"}}]}]}]}`;
    await expectEmptyHttpSuccess(await postTraces(tb.otlpHttpUrl, body, { contentType: 'application/json; charset=utf-8' }), 'json');
    const trace = (json(await getTraceJson(tb.apiUrl, 'v2', traceId)) as { trace: Json }).trace;
    assert.deepStrictEqual(trace, {
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', { stringValue: 'snake' })], droppedAttributesCount: 2 },
          scopeSpans: [
            {
              scope: { name: 'sc', version: '1' },
              spans: [
                {
                  traceId: b64(traceId),
                  spanId: b64(spanId),
                  name: 'snake case',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000000000001',
                  attributes: [
                    kv('i', { intValue: '-42' }),
                    kv('d', { doubleValue: 'Infinity' }),
                    kv('b', { bytesValue: '/w==' }),
                    kv('n', { doubleValue: 1.5 }),
                  ],
                  droppedEventsCount: 1,
                  status: { message: 'fine', code: 'STATUS_CODE_OK' },
                },
              ],
            },
          ],
          schemaUrl: 's',
        },
      ],
    });
  });

  test('an empty but present Resource and InstrumentationScope stay present', async () => {
    const traceId = randomTraceId();
    const request = {
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'e' }] }] }],
    };
    await httpProtobuf(false)(request);
    const res = await getTraceProtobuf(tb.apiUrl, 'v1', traceId);
    assert.deepStrictEqual(decodePlain(TempoTrace, res.body), decodePlain(TracesData, encodeRequest(request)));
  });
});

describe('trace by id answers canonical OTLP whatever the exporter wrote', () => {
  // What pdata-based exporters (the Collector, Go tools) send: singular fields written
  // with their default value, e.g. an empty parent_span_id (bytes 22 00) on a root span.
  const traceId = randomTraceId();
  const rootId = randomSpanId();
  const childId = randomSpanId();
  const t = 1_700_000_000_000_000_000n;
  const id = (hex: string): Uint8Array => Buffer.from(hex, 'hex');

  function rawRequest(): Uint8Array {
    const w = protobuf.Writer.create();
    w.uint32(0x0a).fork(); // resource_spans
    w.uint32(0x0a).fork(); // resource
    w.uint32(0x0a).fork().uint32(0x0a).string('service.name').uint32(0x12).fork().uint32(0x0a).string('canon').ldelim().ldelim();
    w.uint32(0x10).uint32(0); // dropped_attributes_count = 0
    w.ldelim();
    w.uint32(0x12).fork(); // scope_spans
    w.uint32(0x0a).fork().uint32(0x0a).string('').uint32(0x12).string('v').uint32(0x20).uint32(0).ldelim(); // scope
    w.uint32(0x12).fork(); // the root span
    w.uint32(0x0a).bytes(id(traceId)).uint32(0x12).bytes(id(rootId));
    w.uint32(0x1a).string('').uint32(0x22).bytes(new Uint8Array(0)).uint32(0x2a).string('root').uint32(0x30).uint32(0);
    w.uint32(0x39).fixed64(String(t)).uint32(0x41).fixed64(String(t + 1000n));
    w.uint32(0x4a).fork().uint32(0x0a).string('flag').uint32(0x12).fork().uint32(0x10).bool(false).ldelim().ldelim();
    w.uint32(0x4a).fork().uint32(0x0a).string('').uint32(0x12).fork().uint32(0x18).int64(0).ldelim().ldelim();
    w.uint32(0x50).uint32(0);
    w.uint32(0x5a).fork().uint32(0x09).fixed64(String(t + 5n)).uint32(0x12).string('').uint32(0x20).uint32(0).ldelim();
    w.uint32(0x60).uint32(0);
    w.uint32(0x6a).fork().uint32(0x0a).bytes(id(traceId)).uint32(0x12).bytes(id(childId));
    w.uint32(0x1a).string('').uint32(0x28).uint32(0).uint32(0x35).fixed32(0).ldelim();
    w.uint32(0x70).uint32(0);
    w.uint32(0x7a).fork().uint32(0x12).string('').uint32(0x18).uint32(0).ldelim();
    w.uint32((16 << 3) | 5).fixed32(0); // flags = 0
    w.ldelim();
    w.uint32(0x12).fork(); // a child whose singular fields come twice: the last one counts
    w.uint32(0x0a).bytes(id(traceId)).uint32(0x12).bytes(id(childId));
    w.uint32(0x22).bytes(id(randomSpanId())).uint32(0x22).bytes(id(rootId));
    w.uint32(0x2a).string('first name').uint32(0x2a).string('child').uint32(0x30).uint32(2).uint32(0x30).uint32(0);
    w.uint32(0x39).fixed64(String(t + 10n)).uint32(0x41).fixed64(String(t + 20n));
    w.ldelim();
    w.ldelim().ldelim();
    return w.finish();
  }

  const canonical = {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'canon' })] },
        scopeSpans: [
          {
            scope: { version: 'v' },
            spans: [
              {
                traceId: b64(traceId),
                spanId: b64(rootId),
                name: 'root',
                startTimeUnixNano: String(t),
                endTimeUnixNano: String(t + 1000n),
                attributes: [kv('flag', { boolValue: false }), { value: { intValue: '0' } }],
                events: [{ timeUnixNano: String(t + 5n) }],
                links: [{ traceId: b64(traceId), spanId: b64(childId) }],
                status: {},
              },
              {
                traceId: b64(traceId),
                spanId: b64(childId),
                parentSpanId: b64(rootId),
                name: 'child',
                startTimeUnixNano: String(t + 10n),
                endTimeUnixNano: String(t + 20n),
              },
            ],
          },
        ],
      },
    ],
  };

  before(async () => {
    const res = await postTraces(tb.otlpHttpUrl, rawRequest());
    assert.equal(res.status, 200, res.body.toString());
  });

  test('protobuf (v1 and v2): no default-valued field, byte for byte what a canonical encoder writes', async () => {
    const expected = Buffer.from(encodeRequest(canonical));
    const v1 = await getTraceProtobuf(tb.apiUrl, 'v1', traceId);
    assert.deepStrictEqual(Buffer.from(v1.body), expected);
    const v2 = await getTraceProtobuf(tb.apiUrl, 'v2', traceId);
    assert.deepStrictEqual(Buffer.from(v2.body), Buffer.from(encode(TraceByIDResponse, { trace: canonical })));
    // protobufjs keeps a field that was on the wire, even empty: the root has no field 4.
    const root = spansOf((decodePlain(TraceByIDResponse, v2.body) as { trace: Json }).trace).find((s) => s.name === 'root')!;
    assert.equal('parentSpanId' in root, false);
  });

  test('JSON (v1 and v2): no parentSpanId key on the root, nothing the exporter sent as a default', async () => {
    const v2 = json(await getTraceJson(tb.apiUrl, 'v2', traceId)) as { trace: Json };
    assert.deepStrictEqual(v2, { trace: tempoForm(canonical) });
    const v1 = json(await getTraceJson(tb.apiUrl, 'v1', traceId));
    assert.deepStrictEqual(v1, { batches: tempoForm(canonical).resourceSpans });
    const root = spansOf(v2.trace).find((s) => s.name === 'root')!;
    assert.equal('parentSpanId' in root, false);
    assert.deepStrictEqual(root.status, {});
  });
});

function span(traceId: string, name: string, startNs: bigint, endNs: bigint, extra: Json = {}): Json {
  return { traceId: b64(traceId), spanId: b64(randomSpanId()), name, startTimeUnixNano: String(startNs), endTimeUnixNano: String(endNs), ...extra };
}

function oneService(service: string, spans: Json[]): Json {
  return { resourceSpans: [{ resource: { attributes: [kv('service.name', { stringValue: service })] }, scopeSpans: [{ scope: { name: 'lib' }, spans }] }] };
}

describe('assembling traces', () => {
  test('a trace sent in two exports by two services comes back as one trace, in Tempo’s order', async () => {
    const traceId = randomTraceId();
    const t = 1_700_000_000_000_000_000n;
    const a = oneService('svc-a', [span(traceId, 'a2', t + 2n, t + 20n), span(traceId, 'a4', t + 4n, t + 40n)]);
    const b = oneService('svc-b', [span(traceId, 'b3', t + 3n, t + 30n), span(traceId, 'b1', t + 1n, t + 10n)]);
    await httpProtobuf(false)(a);
    await grpcSend(false)(b);
    const trace = decodePlain(TempoTrace, (await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).body) as { resourceSpans: Json[] };
    const services = trace.resourceSpans.map((rs) => (((rs.resource as Json).attributes as Json[])[0].value as Json).stringValue);
    assert.deepStrictEqual(services, ['svc-b', 'svc-a']);
    assert.deepStrictEqual(
      trace.resourceSpans.map((rs) => spansOf({ resourceSpans: [rs] }).map((s) => s.name)),
      [['b1', 'b3'], ['a2', 'a4']],
    );
  });

  test('the same export sent again (any transport) stores each span once', async () => {
    const traceId = randomTraceId();
    const { request } = richRequest(traceId);
    await httpProtobuf(false)(request);
    await httpProtobuf(false)(request);
    await grpcSend(false)(request);
    await httpJson({ enums: 'names', int64: 'strings', ids: 'hex' }, false)(request);
    const trace = decodePlain(TempoTrace, (await getTraceProtobuf(tb.apiUrl, 'v1', traceId)).body);
    assert.equal(spansOf(trace as Json).length, 5);
    assert.deepStrictEqual(trace, decodePlain(TracesData, encodeRequest(request)));
  });
});

describe('trace ids in the URL', () => {
  // 17 zero nibbles, then 15 hex digits: stripped of leading zeros the id has odd length.
  const traceId = '00000000000000000' + 'a1b2c3d4e5f6071';
  const stripped = 'a1b2c3d4e5f6071';
  let expected: Json;

  before(async () => {
    const request = oneService('ids', [span(traceId, 'id test', 1_700_000_000_000_000_000n, 1_700_000_001_000_000_000n)]);
    await httpProtobuf(false)(request);
    expected = decodePlain(TracesData, encodeRequest(request));
  });

  for (const [label, id] of [
    ['lower case', traceId],
    ['upper case', traceId.toUpperCase()],
    ['leading zeros stripped (odd length)', stripped],
    ['leading zeros stripped, upper case', stripped.toUpperCase()],
    ['partly zero-padded', '0' + stripped],
  ] as const) {
    test(`${label}: ${id}`, async () => {
      assert.deepStrictEqual(decodePlain(TraceByIDResponse, (await getTraceProtobuf(tb.apiUrl, 'v2', id)).body), { trace: expected });
      assert.deepStrictEqual(decodePlain(TempoTrace, (await getTraceProtobuf(tb.apiUrl, 'v1', id)).body), expected);
      assert.deepStrictEqual(json(await getTraceJson(tb.apiUrl, 'v2', id)), { trace: tempoForm(expected) });
      assert.deepStrictEqual(json(await getTraceJson(tb.apiUrl, 'v1', id)), { batches: tempoForm(expected).resourceSpans });
    });
  }

  for (const [id, message] of [
    ['xyz', "trace IDs can only contain hex characters: invalid character 'x' at position 1"],
    ['12345g', "trace IDs can only contain hex characters: invalid character 'g' at position 6"],
    ['0123456789abcdef-0123456789abcdef', "trace IDs can only contain hex characters: invalid character '-' at position 17"],
    ['1' + '0'.repeat(32), "trace IDs can't be larger than 128 bits"],
    ['00' + 'f'.repeat(32), "trace IDs can't be larger than 128 bits"],
  ] as const) {
    test(`malformed id ${id} → 400 with Tempo's message`, async () => {
      for (const api of ['v1', 'v2'] as const) {
        for (const res of [await getTraceJson(tb.apiUrl, api, id), await getTraceProtobuf(tb.apiUrl, api, id)]) {
          assert.equal(res.status, 400);
          assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
          assert.equal(res.body.toString().trim(), message);
        }
      }
    });
  }

  test('an unknown id: v1 404 with an empty body, v2 200 with an empty trace', async () => {
    const unknown = randomTraceId();
    for (const res of [await getTraceJson(tb.apiUrl, 'v1', unknown), await getTraceProtobuf(tb.apiUrl, 'v1', unknown)]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.length, 0);
    }
    const v2json = await getTraceJson(tb.apiUrl, 'v2', unknown);
    assert.equal(v2json.status, 200);
    assert.match(v2json.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(v2json.body.toString(), '{"trace":{}}');
    const v2proto = await getTraceProtobuf(tb.apiUrl, 'v2', unknown);
    assert.equal(v2proto.status, 200);
    assert.equal(v2proto.headers.get('content-type'), 'application/protobuf');
    assert.deepStrictEqual([...v2proto.body], [0x0a, 0x00]);
  });
});

describe('start/end window of trace by id', () => {
  // Tempo reads a trace from its ingesters (about 30 min after it arrived) whatever the window,
  // and older ones from storage blocks, held to it. `traceId` arrived an hour ago (its arrival
  // time is set back in the database file between two runs); `recentId` just now. Both run
  // from 1700000100.5 s to 1700000102.25 s.
  const traceId = randomTraceId();
  const recentId = randomTraceId();
  const data = tempDir();
  let aged: TestTracebox;

  function windowTrace(id: string): Uint8Array {
    return encodeRequest(
      oneService('window', [
        span(id, 'first', 1_700_000_100_500_000_000n, 1_700_000_101_000_000_000n),
        span(id, 'last', 1_700_000_101_000_000_000n, 1_700_000_102_250_000_000n),
      ]),
    );
  }

  before(async () => {
    const first = await startTestTracebox({ data: data.dir });
    assert.equal((await postTraces(first.otlpHttpUrl, windowTrace(traceId))).status, 200);
    await first.close();
    const db = new Database(path.join(data.dir, DB_FILE));
    db.prepare('UPDATE traces SET seen_s = seen_s - 3600').run();
    db.close();
    aged = await startTestTracebox({ data: data.dir });
    assert.equal((await postTraces(aged.otlpHttpUrl, windowTrace(recentId))).status, 200);
  });
  after(async () => {
    await aged?.close();
    data.remove();
  });

  async function found(query: Record<string, string>, id = traceId): Promise<boolean> {
    const v1 = await getTraceProtobuf(aged.apiUrl, 'v1', id, query);
    const v2 = await getTraceProtobuf(aged.apiUrl, 'v2', id, query);
    assert.equal(v2.status, 200);
    const v2Found = v2.body.length > 2;
    assert.equal(v1.status === 200, v2Found, 'v1 and v2 agree');
    if (v1.status !== 200) assert.equal(v1.status, 404);
    return v2Found;
  }

  for (const [query, expected] of [
    [{ start: '1700000101', end: '1700000200' }, true],
    [{ start: '1700000000', end: '1700000101' }, true],
    [{ start: '1700000102', end: '1700000103' }, true],
    [{ start: '1700000000', end: '1700000100' }, false],
    [{ start: '1700000103', end: '1700000200' }, false],
    [{ start: '', end: '' }, true],
  ] as const) {
    test(`start=${query.start} end=${query.end} → ${expected ? 'found' : 'not found'}`, async () => {
      assert.equal(await found(query), expected);
    });
  }

  test('a trace that arrived in the last 30 minutes is found whatever the window, as Tempo\'s ingesters answer', async () => {
    assert.equal(await found({ start: '1700000000', end: '1700000100' }, recentId), true);
    assert.equal(await found({ start: '1700000103', end: '1700000200' }, recentId), true);
  });

  test('start=0&end=0 and a lone end mean no window (Tempo filters only when both are non-zero)', async () => {
    assert.equal(await found({ start: '0', end: '0' }), true);
    assert.equal(await found({ end: '1700000050' }), true);
  });

  for (const [query, message] of [
    [{ start: '1700000000' }, 'http parameter start must be before end. received start=1700000000 end=0'],
    [{ start: '1700000100', end: '1700000100' }, 'http parameter start must be before end. received start=1700000100 end=1700000100'],
    [{ start: '1700000200', end: '1700000100' }, 'http parameter start must be before end. received start=1700000200 end=1700000100'],
    [{ start: 'abc', end: '1700000100' }, 'invalid start: strconv.ParseInt: parsing "abc": invalid syntax'],
    [{ start: '1', end: '99999999999999999999' }, 'invalid end: strconv.ParseInt: parsing "99999999999999999999": value out of range'],
  ] as const) {
    test(`${new URLSearchParams(query)} → 400`, async () => {
      for (const api of ['v1', 'v2'] as const) {
        const res = await getTraceJson(aged.apiUrl, api, traceId, query);
        assert.equal(res.status, 400);
        assert.equal(res.body.toString().trim(), message);
      }
    });
  }
});

describe('health and build info', () => {
  test('GET /api/echo', async () => {
    const res = await get(`${tb.apiUrl}/api/echo`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(res.body.toString(), 'echo\n');
  });

  test('GET /ready', async () => {
    const res = await get(`${tb.apiUrl}/ready`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'ready\n');
  });

  test('GET /api/status/buildinfo', async () => {
    const res = await get(`${tb.apiUrl}/api/status/buildinfo`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const info = json(res);
    assert.deepStrictEqual(Object.keys(info), ['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion']);
    assert.match(info.version as string, /^\d+\.\d+\.\d+$/);
    for (const v of Object.values(info)) assert.equal(typeof v, 'string');
  });
});
