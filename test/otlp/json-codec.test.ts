/**
 * OTLP JSON ⇄ protobuf codecs, checked against protobufjs loaded from our proto/
 * files as the reference implementation.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpJsonError, otlpJsonToProtobuf } from '../../src/otlp/json-to-protobuf.ts';
import { MAX_ANY_VALUE_DEPTH } from '../../src/shared/protowire.ts';
import { tracesDataToJson } from '../../src/otlp/protobuf-to-json.ts';
import { bytesToBase64, hexToBytes } from '../../src/shared/ids.ts';
import { ProtoError, ProtoWriter, WIRE_I32, WIRE_I64, WIRE_VARINT } from '../../src/shared/protowire.ts';
import { ExportTraceServiceRequest, PLAIN, TempoTrace, decodePlain, encode } from '../helpers/proto.ts';

type Json = Record<string, unknown>;

const HEX = { ids: 'hex', enums: 'numbers' } as const;
const TEMPO = { ids: 'base64', enums: 'names' } as const;

/** protobufjs' protobuf-JSON view of encoded bytes, with enums as numbers (OTLP/JSON) or names (Tempo). */
function reference(bytes: Uint8Array, enums: 'numbers' | 'names'): Json {
  if (enums === 'names') return decodePlain(ExportTraceServiceRequest, bytes);
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), { ...PLAIN, enums: Number });
}

/** Rewrites hex trace/span ids to base64, the only difference between OTLP/JSON and protobuf-JSON bytes. */
function idsToBase64(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToBase64);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const isId = k === 'traceId' || k === 'spanId' || k === 'parentSpanId';
    out[k] = isId && typeof v === 'string' ? bytesToBase64(hexToBytes(v) ?? new Uint8Array()) : idsToBase64(v);
  }
  return out;
}

function spansOf(request: Json): Json[] {
  const out: Json[] = [];
  for (const rs of (request.resourceSpans ?? []) as Json[]) {
    for (const ss of (rs.scopeSpans ?? []) as Json[]) out.push(...((ss.spans ?? []) as Json[]));
  }
  return out;
}

const kv = (key: string, value: Json): Json => ({ key, value });

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const OTHER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const BIG_STRING = 'x'.repeat(1 << 20);

/**
 * OTLP/JSON as tracesDataToJson prints it with hex ids and numeric enums: keys in
 * field-number order, defaults omitted, `status` on every span. Covers every field.
 */
const FULL: Json = {
  resourceSpans: [
    {
      resource: {
        attributes: [kv('service.name', { stringValue: 'checkout' }), kv('host.cores', { intValue: '8' })],
        droppedAttributesCount: 2,
      },
      scopeSpans: [
        {
          scope: {
            name: 'io.opentelemetry.http',
            version: '1.2.0',
            attributes: [kv('scope.flag', { boolValue: true })],
            droppedAttributesCount: 1,
          },
          spans: [
            {
              traceId: TRACE_ID,
              spanId: '051581bf3cb55c13',
              traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
              parentSpanId: 'eee19b7ec3c1b174',
              name: 'GET /api/ünïcødé 🚀',
              kind: 2,
              startTimeUnixNano: '1700000000000000001',
              endTimeUnixNano: '18446744073709551615',
              attributes: [
                kv('str', { stringValue: 'héllo 𝄞 😀 中文' }),
                kv('str.empty', { stringValue: '' }),
                kv('bool.true', { boolValue: true }),
                kv('bool.false', { boolValue: false }),
                kv('int.min', { intValue: '-9223372036854775808' }),
                kv('int.max', { intValue: '9223372036854775807' }),
                kv('int.zero', { intValue: '0' }),
                kv('int.neg', { intValue: '-1' }),
                kv('int.big', { intValue: '4294967296' }),
                kv('double', { doubleValue: 3.14159 }),
                kv('double.zero', { doubleValue: 0 }),
                kv('double.tiny', { doubleValue: -1.5e-300 }),
                kv('double.nan', { doubleValue: 'NaN' }),
                kv('double.inf', { doubleValue: 'Infinity' }),
                kv('double.ninf', { doubleValue: '-Infinity' }),
                kv('bytes', { bytesValue: 'AAECA/8=' }),
                kv('bytes.empty', { bytesValue: '' }),
                kv('array', {
                  arrayValue: {
                    values: [
                      { stringValue: 'a' },
                      { intValue: '1' },
                      { arrayValue: { values: [{ boolValue: false }, { doubleValue: 2.5 }] } },
                      {},
                    ],
                  },
                }),
                kv('array.empty', { arrayValue: {} }),
                kv('kvlist', {
                  kvlistValue: {
                    values: [
                      kv('nested', { kvlistValue: { values: [kv('deep', { bytesValue: '3q2+7w==' })] } }),
                      kv('arr', { arrayValue: { values: [{ kvlistValue: {} }] } }),
                    ],
                  },
                }),
                kv('value.empty', {}),
                { key: 'value.absent' },
                { value: { stringValue: 'key absent' } },
                kv('str.astral', { stringValue: '𝕏'.repeat(1000) }),
                kv('str.1mb', { stringValue: BIG_STRING }),
              ],
              droppedAttributesCount: 3,
              events: [
                {
                  timeUnixNano: '1700000000050000000',
                  name: 'exception',
                  attributes: [kv('exception.message', { stringValue: 'boom' })],
                  droppedAttributesCount: 1,
                },
                {},
              ],
              droppedEventsCount: 4,
              links: [
                {
                  traceId: OTHER_TRACE_ID,
                  spanId: 'b7ad6b7169203331',
                  traceState: 'k=v',
                  attributes: [kv('link.kind', { stringValue: 'follows' })],
                  droppedAttributesCount: 5,
                  flags: 257,
                },
                {},
              ],
              droppedLinksCount: 6,
              status: { message: 'deadline exceeded', code: 2 },
              flags: 4294967295,
            },
            {
              traceId: TRACE_ID,
              spanId: 'eee19b7ec3c1b174',
              name: 'root',
              kind: 1,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000120000000',
              status: { code: 1 },
              flags: 1,
            },
          ],
          schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        },
        { spans: [{ traceId: TRACE_ID, spanId: '00000000000000ff', status: {} }] },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
    },
    { resource: {}, scopeSpans: [{ scope: {}, spans: [{ name: 'no ids', status: { message: 'only a message' } }] }] },
    {},
  ],
};

test('otlpJsonToProtobuf output decodes in protobufjs to the input', () => {
  const bytes = otlpJsonToProtobuf(FULL);
  assert.deepEqual(reference(bytes, 'numbers'), idsToBase64(FULL));
});

test('tracesDataToJson with base64 ids and enum names matches protobufjs protobuf-JSON', () => {
  const bytes = encode(ExportTraceServiceRequest, idsToBase64(FULL) as Json);
  assert.deepEqual(reference(bytes, 'numbers'), idsToBase64(FULL), 'reference encoder is faithful');

  // FULL gives every span a status, so Tempo's always-present `status` needs no patching here.
  assert.deepEqual(tracesDataToJson(bytes, TEMPO), reference(bytes, 'names'));
});

test('tracesDataToJson with hex ids and numeric enums prints the OTLP/JSON input back, keys in order', () => {
  const bytes = encode(ExportTraceServiceRequest, idsToBase64(FULL) as Json);
  assert.equal(JSON.stringify(tracesDataToJson(bytes, HEX)), JSON.stringify(FULL));
});

test('JSON → protobuf → JSON is the identity in both dialects', () => {
  const bytes = otlpJsonToProtobuf(FULL);
  assert.equal(JSON.stringify(tracesDataToJson(bytes, HEX)), JSON.stringify(FULL));
  // A Tempo/Grafana download ingests to the very same bytes.
  const tempo = JSON.parse(JSON.stringify(tracesDataToJson(bytes, TEMPO))) as unknown;
  assert.deepEqual(otlpJsonToProtobuf(tempo), bytes);
});

test('tracesDataToJson prints exactly what Tempo prints for a small trace', () => {
  const bytes = encode(TempoTrace, {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'api' })] },
        scopeSpans: [
          {
            scope: { name: 'io.opentelemetry.http', version: '1.2.0' },
            spans: [
              {
                traceId: 'AAAAAAAAAAAAAAAAAAAAEg==',
                spanId: 'AAAAAAAAAAE=',
                name: 'GET /users',
                kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000120000000',
                attributes: [kv('http.status_code', { intValue: '200' })],
              },
            ],
          },
        ],
      },
    ],
  });
  assert.equal(
    JSON.stringify(tracesDataToJson(bytes, TEMPO)),
    '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},' +
      '"scopeSpans":[{"scope":{"name":"io.opentelemetry.http","version":"1.2.0"},' +
      '"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAEg==","spanId":"AAAAAAAAAAE=",' +
      '"name":"GET /users","kind":"SPAN_KIND_SERVER",' +
      '"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000120000000",' +
      '"attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],' +
      '"status":{}}]}]}]}',
  );
});

/** One span inside an otherwise minimal request. */
function request(span: Json): Json {
  return { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] };
}

test('accepts snake_case keys, enum names, base64 and uppercase hex ids as the same request', () => {
  const canonical = request({
    traceId: TRACE_ID,
    spanId: '051581bf3cb55c13',
    parentSpanId: 'eee19b7ec3c1b174',
    traceState: 'a=b',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000000000100',
    attributes: [kv('a', { intValue: '7' }), kv('b', { bytesValue: 'AQI=' })],
    droppedAttributesCount: 1,
    events: [{ timeUnixNano: '1700000000000000050', droppedAttributesCount: 2 }],
    droppedEventsCount: 3,
    links: [{ traceId: OTHER_TRACE_ID, spanId: 'b7ad6b7169203331', traceState: 'c=d', droppedAttributesCount: 4 }],
    droppedLinksCount: 5,
    status: { code: 2 },
  });
  const variant = {
    resource_spans: [
      {
        scope_spans: [
          {
            spans: [
              {
                trace_id: TRACE_ID.toUpperCase(),
                span_id: bytesToBase64(hexToBytes('051581bf3cb55c13')!),
                parent_span_id: 'EEE19B7EC3C1B174',
                trace_state: 'a=b',
                kind: 'SPAN_KIND_CLIENT',
                start_time_unix_nano: '1700000000000000000',
                end_time_unix_nano: '1700000000000000100',
                attributes: [
                  { key: 'a', value: { int_value: 7 } },
                  { key: 'b', value: { bytes_value: 'AQI=' } },
                ],
                dropped_attributes_count: '1',
                events: [{ time_unix_nano: '1700000000000000050', dropped_attributes_count: 2 }],
                dropped_events_count: 3,
                links: [
                  {
                    trace_id: bytesToBase64(hexToBytes(OTHER_TRACE_ID)!),
                    span_id: 'B7AD6B7169203331',
                    trace_state: 'c=d',
                    dropped_attributes_count: 4,
                  },
                ],
                dropped_links_count: 5,
                status: { code: 'STATUS_CODE_ERROR' },
                unknownField: { anything: [1, 2] },
              },
            ],
          },
        ],
      },
    ],
  };
  assert.deepEqual(otlpJsonToProtobuf(variant), otlpJsonToProtobuf(canonical));
});

test('64-bit integers: decimal strings convert exactly, numbers are taken as JSON.parse rounded them', () => {
  const bytes = otlpJsonToProtobuf(
    request({
      startTimeUnixNano: 1700000000123456789, // not a safe integer: already 1700000000123456768
      endTimeUnixNano: '1700000000123456789',
      attributes: [
        kv('n', { intValue: -42 }),
        kv('big', { intValue: 2 ** 62 }),
        kv('s', { intValue: '-000123' }),
        kv('d', { doubleValue: '1.5' }),
      ],
      flags: '3',
    }),
  );
  const [span] = spansOf(tracesDataToJson(bytes, HEX));
  assert.deepEqual(span, {
    startTimeUnixNano: '1700000000123456768',
    endTimeUnixNano: '1700000000123456789',
    attributes: [
      kv('n', { intValue: '-42' }),
      kv('big', { intValue: '4611686018427387904' }),
      kv('s', { intValue: '-123' }),
      kv('d', { doubleValue: 1.5 }),
    ],
    status: {},
    flags: 3,
  });
});

test('null means absent, and an empty request encodes to no bytes', () => {
  assert.equal(otlpJsonToProtobuf({}).length, 0);
  assert.equal(otlpJsonToProtobuf({ resourceSpans: null }).length, 0);
  const bytes = otlpJsonToProtobuf(
    request({ name: null, attributes: null, status: null, kind: null, traceId: null, startTimeUnixNano: null }),
  );
  assert.deepEqual(spansOf(tracesDataToJson(bytes, HEX)), [{ status: {} }]);
  const value = otlpJsonToProtobuf(request({ attributes: [kv('a', { stringValue: null })] }));
  assert.deepEqual(spansOf(tracesDataToJson(value, HEX))[0].attributes, [kv('a', {})]);
});

test('ids that are neither hex nor base64 encode without throwing, for the decoder to reject', () => {
  const bytes = otlpJsonToProtobuf(request({ traceId: 'not an id!', spanId: '!!!!', parentSpanId: 'abc' }));
  const [span] = spansOf(decodePlain(ExportTraceServiceRequest, bytes));
  assert.equal(span.traceId, bytesToBase64(Buffer.from('not an id!', 'base64')));
  assert.equal(span.spanId, undefined, 'decodes to nothing, so the field is left out');
  assert.equal(span.parentSpanId, bytesToBase64(Buffer.from('abc', 'base64')), 'odd-length hex is read as base64');
});

test('tracesDataToJson skips unknown fields and fields with an unexpected wire type', () => {
  const w = new ProtoWriter();
  w.fork(1).fork(2).fork(2);
  w.bytesField(1, hexToBytes(TRACE_ID)!);
  w.tag(100, WIRE_VARINT).uint32(5);
  w.stringField(101, 'unknown');
  w.tag(102, WIRE_I32).fixed32(1);
  w.tag(103, WIRE_I64).fixed64(1n);
  w.tag(5, WIRE_VARINT).uint32(9); // name declared as a string
  w.tag(6, WIRE_VARINT).uint32(9); // a kind with no name prints as its number
  w.fork(9).stringField(1, 'k').fork(2).tag(8, WIRE_VARINT).uint32(3).join().join(); // AnyValue string_value_strindex
  w.join().stringField(9, 'unknown ScopeSpans field').join().tag(2, WIRE_VARINT).uint32(1).join();
  w.fork(7).join();
  assert.deepEqual(tracesDataToJson(w.finish(), TEMPO), {
    resourceSpans: [
      {
        scopeSpans: [
          { spans: [{ traceId: 'W47/95gDgQPSabYzgT/GDA==', kind: 9, attributes: [kv('k', {})], status: {} }] },
        ],
      },
    ],
  });
});

test('tracesDataToJson rejects malformed protobuf and hostile nesting', () => {
  const bytes = otlpJsonToProtobuf(FULL);
  assert.throws(() => tracesDataToJson(bytes.subarray(0, 100), HEX), ProtoError);
  assert.throws(() => tracesDataToJson(Uint8Array.of(0x0a, 0x05, 0x12, 0x09), HEX), ProtoError);

  const w = new ProtoWriter();
  w.fork(1).fork(2).fork(2).fork(9).fork(2);
  for (let i = 0; i < 100; i++) w.fork(5).fork(1);
  for (let i = 0; i < 205; i++) w.join();
  assert.throws(() => tracesDataToJson(w.finish(), HEX), /nested more than 64 levels/);
});

/** A value nested `depth` AnyValues deep, alternating kvlists and arrays. */
function nestedValue(depth: number): Json {
  let v: Json = { stringValue: 'leaf' };
  for (let i = 1; i < depth; i++) v = i % 2 ? { kvlistValue: { values: [kv('k', v)] } } : { arrayValue: { values: [v] } };
  return v;
}

test('values may nest up to the depth limit', () => {
  const json = request({ attributes: [kv('deep', nestedValue(MAX_ANY_VALUE_DEPTH))], status: {} });
  assert.equal(JSON.stringify(tracesDataToJson(otlpJsonToProtobuf(json), HEX)), JSON.stringify(json));
});

test('structural errors throw OtlpJsonError naming the path', () => {
  const span = (fields: Json): Json => ({
    resourceSpans: [{ scopeSpans: [{}, { spans: [{}, {}, {}, fields] }] }],
  });
  const at = 'resourceSpans[0].scopeSpans[1].spans[3]';
  const cases: [unknown, string][] = [
    [[], 'request body: expected an object, got an array'],
    [null, 'request body: expected an object, got null'],
    [{ resourceSpans: {} }, 'resourceSpans: expected an array, got an object'],
    [{ resource_spans: 'x' }, 'resourceSpans: expected an array, got "x"'],
    [{ resourceSpans: [5] }, 'resourceSpans[0]: expected an object, got 5'],
    [{ resourceSpans: [{ resource: [] }] }, 'resourceSpans[0].resource: expected an object, got an array'],
    [{ resourceSpans: [{ schemaUrl: 1 }] }, 'resourceSpans[0].schemaUrl: expected a string, got 1'],
    [
      { resourceSpans: [{ resource: { droppedAttributesCount: -1 } }] },
      'resourceSpans[0].resource.droppedAttributesCount: -1 is out of range for uint32',
    ],
    [
      { resourceSpans: [{ scopeSpans: [{ scope: { attributes: [kv('a', { boolValue: 'true' })] } }] }] },
      'resourceSpans[0].scopeSpans[0].scope.attributes[0].value.boolValue: expected true or false, got "true"',
    ],
    [{ resourceSpans: [{ scopeSpans: [{}, { spans: [{}, {}, {}, 'span'] }] }] }, `${at}: expected an object, got "span"`],
    [
      span({ startTimeUnixNano: 'abc' }),
      `${at}.startTimeUnixNano: expected an integer (number or decimal string), got "abc"`,
    ],
    [span({ endTimeUnixNano: 1.5 }), `${at}.endTimeUnixNano: expected an integer (number or decimal string), got 1.5`],
    [span({ start_time_unix_nano: '-1' }), `${at}.startTimeUnixNano: "-1" is out of range for fixed64`],
    [
      span({ endTimeUnixNano: '18446744073709551616' }),
      `${at}.endTimeUnixNano: "18446744073709551616" is out of range for fixed64`,
    ],
    [span({ traceId: 123 }), `${at}.traceId: expected a hex or base64 string, got 123`],
    [span({ name: ['a'] }), `${at}.name: expected a string, got an array`],
    [
      span({ kind: 'SERVER' }),
      `${at}.kind: expected an int32 or one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, ` +
        'SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER, got "SERVER"',
    ],
    [span({ flags: 2 ** 32 }), `${at}.flags: 4294967296 is out of range for fixed32`],
    [span({ attributes: 'a=b' }), `${at}.attributes: expected an array, got "a=b"`],
    [span({ attributes: [{ key: 7 }] }), `${at}.attributes[0].key: expected a string, got 7`],
    [span({ attributes: [kv('a', { stringValue: 5 })] }), `${at}.attributes[0].value.stringValue: expected a string, got 5`],
    [
      span({ attributes: [kv('a', { intValue: '9223372036854775808' })] }),
      `${at}.attributes[0].value.intValue: "9223372036854775808" is out of range for int64`,
    ],
    [
      span({ attributes: [kv('a', { doubleValue: 'abc' })] }),
      `${at}.attributes[0].value.doubleValue: expected a number, "NaN", "Infinity" or "-Infinity", got "abc"`,
    ],
    [span({ attributes: [kv('a', { bytesValue: 5 })] }), `${at}.attributes[0].value.bytesValue: expected a base64 string, got 5`],
    [
      span({ attributes: [kv('a', { arrayValue: { values: [{}, 'x'] } })] }),
      `${at}.attributes[0].value.arrayValue.values[1]: expected an object, got "x"`,
    ],
    [
      span({ attributes: [kv('a', { kvlistValue: { values: [kv('b', { stringValue: true })] } })] }),
      `${at}.attributes[0].value.kvlistValue.values[0].value.stringValue: expected a string, got true`,
    ],
    [
      span({ events: [{}, { timeUnixNano: 'soon' }] }),
      `${at}.events[1].timeUnixNano: expected an integer (number or decimal string), got "soon"`,
    ],
    [span({ links: [{ flags: 'x' }] }), `${at}.links[0].flags: expected an integer (number or decimal string), got "x"`],
    [span({ status: 'ERROR' }), `${at}.status: expected an object, got "ERROR"`],
    [
      span({ status: { code: 'ERROR' } }),
      `${at}.status.code: expected an int32 or one of STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR, got "ERROR"`,
    ],
    [span({ traceState: { s: 'z' } }), `${at}.traceState: expected a string, got an object`],
    [
      span({ attributes: [kv('a', { intValue: 'x'.repeat(50) })] }),
      `${at}.attributes[0].value.intValue: expected an integer (number or decimal string), got "${'x'.repeat(40)}…"`,
    ],
  ];

  for (const [input, message] of cases) {
    assert.throws(
      () => otlpJsonToProtobuf(input),
      (err: unknown) => err instanceof OtlpJsonError && err.message === message,
      message,
    );
  }
});

test('values nested past the limit throw OtlpJsonError at the offending value', () => {
  const json = request({ attributes: [kv('deep', nestedValue(MAX_ANY_VALUE_DEPTH + 1))] });
  assert.throws(
    () => otlpJsonToProtobuf(json),
    (err: unknown) =>
      err instanceof OtlpJsonError &&
      err.path.startsWith('resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0].kvlistValue.') &&
      err.message.endsWith(`: values nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`),
  );
});
