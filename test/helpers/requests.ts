/**
 * Hand-built OTLP export requests as protobufjs plain objects (camelCase, 64-bit
 * integers as decimal strings, bytes as base64, enums by name), and their OTLP/JSON
 * spellings.
 */
import { ExportTraceServiceRequest, encode } from './proto.ts';
import { randomSpanId } from './tracebox.ts';
import type { Json } from './tempo-json.ts';

export const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
export const kv = (key: string, value?: Json): Json => (value === undefined ? { key } : { key, value });

export const INT64_MIN = '-9223372036854775808';
export const INT64_MAX = '9223372036854775807';
export const UINT64_MAX = '18446744073709551615';
export const UINT32_MAX = 4294967295;

/** Attributes exercising every AnyValue member, limits and nesting. */
export function richAttributes(): Json[] {
  return [
    kv('string', { stringValue: 'héllo 🚀 “quoted” \\ \u0000' }),
    kv('string.empty', { stringValue: '' }),
    kv('bool.true', { boolValue: true }),
    kv('bool.false', { boolValue: false }),
    kv('int.zero', { intValue: '0' }),
    kv('int.neg', { intValue: '-1' }),
    kv('int.min', { intValue: INT64_MIN }),
    kv('int.max', { intValue: INT64_MAX }),
    kv('double', { doubleValue: 0.1 }),
    kv('double.zero', { doubleValue: 0 }),
    kv('double.nan', { doubleValue: NaN }),
    kv('double.inf', { doubleValue: Infinity }),
    kv('double.neg_inf', { doubleValue: -Infinity }),
    kv('double.max', { doubleValue: Number.MAX_VALUE }),
    kv('double.min_subnormal', { doubleValue: Number.MIN_VALUE }),
    kv('bytes', { bytesValue: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64') }),
    kv('bytes.empty', { bytesValue: '' }),
    kv('array', {
      arrayValue: {
        values: [
          { stringValue: 'a' },
          { intValue: INT64_MAX },
          { arrayValue: { values: [{ boolValue: false }, { arrayValue: { values: [{ doubleValue: NaN }] } }] } },
          { kvlistValue: { values: [kv('in.array', { bytesValue: 'AAE=' })] } },
          {},
        ],
      },
    }),
    kv('kvlist', {
      kvlistValue: {
        values: [
          kv('level1', { kvlistValue: { values: [kv('level2', { kvlistValue: { values: [kv('level3', { arrayValue: { values: [{ intValue: INT64_MIN }] } })] } })] } }),
          kv('empty.kvlist', { kvlistValue: {} }),
          kv('no.value'),
        ],
      },
    }),
    kv('array.empty', { arrayValue: {} }),
    kv('kvlist.empty', { kvlistValue: {} }),
    kv('value.empty', {}),
    kv('no.value'),
    kv('', { stringValue: 'empty key' }),
    kv('ключ 🔑', { stringValue: 'unicode key' }),
  ];
}

export interface RichIds {
  readonly traceId: string;
  readonly spanIds: string[];
}

/**
 * A request with everything OTLP can carry, in the order tracebox answers (resources
 * and scopes by their first span's start, spans by start time), so the answer can be
 * compared with the request as it is.
 */
export function richRequest(traceId: string): { request: Json; ids: RichIds } {
  const spanIds = [randomSpanId(), randomSpanId(), randomSpanId(), randomSpanId(), randomSpanId()];
  const other = '0af7651916cd43dd8448eb211c80319c';
  const request = {
    resourceSpans: [
      {
        resource: {
          attributes: [kv('service.name', { stringValue: 'wire-service' }), ...richAttributes()],
          droppedAttributesCount: 7,
        },
        scopeSpans: [
          {
            scope: {
              name: 'wire.scope',
              version: '9.9.9',
              attributes: [kv('scope.attr', { stringValue: 'x' }), kv('scope.nested', { kvlistValue: { values: [kv('k', { intValue: '1' })] } })],
              droppedAttributesCount: 3,
            },
            spans: [
              // No times at all (fixed64 zero), no kind, no status: the minimal span.
              { traceId: b64(traceId), spanId: b64(spanIds[0]), name: 'minimal' },
              {
                traceId: b64(traceId),
                spanId: b64(spanIds[1]),
                traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
                parentSpanId: b64(spanIds[0]),
                flags: UINT32_MAX,
                name: 'rich ✓ span',
                kind: 'SPAN_KIND_CONSUMER',
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: UINT64_MAX,
                attributes: richAttributes(),
                droppedAttributesCount: UINT32_MAX,
                events: [
                  { timeUnixNano: UINT64_MAX, name: 'event ☃', attributes: richAttributes(), droppedAttributesCount: 1 },
                  {},
                  { timeUnixNano: '1', name: 'early' },
                ],
                droppedEventsCount: 5,
                links: [
                  {
                    traceId: b64(other),
                    spanId: b64('b7ad6b7169203331'),
                    traceState: 'k=v',
                    attributes: richAttributes(),
                    droppedAttributesCount: 2,
                    flags: 0x301,
                  },
                  { traceId: b64(other), spanId: b64('00f067aa0ba902b7') },
                ],
                droppedLinksCount: 6,
                status: { message: 'it failed: ✗', code: 'STATUS_CODE_ERROR' },
              },
            ],
            schemaUrl: 'https://example.com/scope/schema',
          },
          {
            scope: { name: 'second.scope' },
            spans: [
              {
                traceId: b64(traceId),
                spanId: b64(spanIds[2]),
                parentSpanId: b64(spanIds[1]),
                name: 'unknown enums',
                kind: 7,
                startTimeUnixNano: '1700000000200000000',
                endTimeUnixNano: '1700000000300000000',
                status: { code: 5 },
              },
              {
                traceId: b64(traceId),
                spanId: b64(spanIds[3]),
                parentSpanId: b64(spanIds[1]),
                name: 'ok',
                kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: '1700000000250000000',
                endTimeUnixNano: '1700000000260000000',
                status: { code: 'STATUS_CODE_OK' },
              },
            ],
          },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      },
      {
        // No resource and no scope.
        scopeSpans: [
          {
            spans: [
              {
                traceId: b64(traceId),
                spanId: b64(spanIds[4]),
                parentSpanId: b64(spanIds[1]),
                name: 'far future',
                kind: 'SPAN_KIND_PRODUCER',
                startTimeUnixNano: '18446744073709551614',
                endTimeUnixNano: UINT64_MAX,
                status: {},
              },
            ],
          },
        ],
      },
    ],
  };
  return { request, ids: { traceId, spanIds } };
}

export function encodeRequest(request: Json): Uint8Array {
  return encode(ExportTraceServiceRequest, request);
}

export interface JsonSpelling {
  /** Enums as names ("SPAN_KIND_SERVER") or numbers. */
  readonly enums: 'names' | 'numbers';
  /** 64-bit integers as strings, or as JSON numbers wherever a double holds them exactly. */
  readonly int64: 'strings' | 'numbers';
  /** Ids as hex (the OTLP/JSON rule) or base64 (Tempo's and protobuf-JSON's). */
  readonly ids: 'hex' | 'base64';
}

const KIND = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const CODE = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
const INT64_KEYS = new Set(['intValue', 'startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'observedTimeUnixNano']);
const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** SEVERITY_NUMBER_ERROR3 → 19. */
function severityNumber(name: string): number {
  const m = /^SEVERITY_NUMBER_([A-Z]+?)([234]?)$/.exec(name);
  if (m === null || !SEVERITY_LEVELS.includes(m[1])) return 0;
  return SEVERITY_LEVELS.indexOf(m[1]) * 4 + (m[2] === '' ? 1 : Number(m[2]));
}
const UINT32_KEYS = new Set(['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount']);

function exactNumber(decimal: string): number | undefined {
  const n = Number(decimal);
  return BigInt(n) === BigInt(decimal) ? n : undefined;
}

/** Marker for a JSON number written verbatim (e.g. -9223372036854775808). */
class RawNumber {
  constructor(readonly text: string) {}
}

function spell(value: unknown, key: string, s: JsonSpelling): unknown {
  if (Array.isArray(value)) return value.map((v) => spell(v, '', s));
  if (typeof value === 'object' && value !== null) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = spell(v, k, s);
    return out;
  }
  if (ID_KEYS.has(key) && typeof value === 'string') return s.ids === 'hex' ? Buffer.from(value, 'base64').toString('hex') : value;
  if (key === 'severityNumber' && typeof value === 'string') return s.enums === 'numbers' ? severityNumber(value) : value;
  if ((key === 'kind' || key === 'code') && typeof value === 'string') {
    const n = (key === 'kind' ? KIND : CODE).indexOf(value);
    return s.enums === 'numbers' ? n : value;
  }
  if (INT64_KEYS.has(key) && typeof value === 'string' && s.int64 === 'numbers') {
    if (value === INT64_MIN) return new RawNumber(value);
    return exactNumber(value) ?? value;
  }
  if (UINT32_KEYS.has(key) && typeof value === 'number' && s.int64 === 'strings') return String(value);
  if (key === 'doubleValue' && typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** The request as an OTLP/JSON body in the given spelling. */
export function toOtlpJson(request: Json, spelling: JsonSpelling): string {
  const raws: string[] = [];
  const text = JSON.stringify(spell(request, '', spelling), (_k, v: unknown) => {
    if (v instanceof RawNumber) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return text.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]);
}
