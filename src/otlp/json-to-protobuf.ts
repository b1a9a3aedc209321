/**
 * OTLP/JSON → OTLP protobuf, for the OTLP/HTTP JSON receiver and file imports.
 *
 * The JSON is walked once and written straight into a ProtoWriter, so the rest of
 * the ingest path only ever sees protobuf. Input rules follow the OTLP/HTTP JSON
 * mapping, plus what real files contain: snake_case keys, enum names, base64 ids
 * (Tempo and Grafana downloads) and 64-bit integers as numbers or strings.
 *
 * Fields are written in field-number order and proto3 defaults are left out,
 * except the member chosen in AnyValue's oneof, which is always written.
 */

import { base64ToBytes, hexToBytes } from '../shared/ids.ts';
import { MAX_ANY_VALUE_DEPTH, ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../shared/protowire.ts';
import {
  AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, Resource, ResourceSpans, ScopeSpans, Span, SPAN_KIND_NAMES, SpanEvent, SpanLink, Status, STATUS_CODE_NAMES, TracesData, LogRecord, SEVERITY_NUMBER_NAMES,
} from './schema/index.ts';

/** AnyValue nesting limit (kvlists and arrays), so hostile input cannot exhaust the stack. */


/** The request is not OTLP/JSON; the message starts with the JSON path of the offending value. */
export class OtlpJsonError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'OtlpJsonError';
  }
}

/**
 * Encodes an already parsed OTLP/JSON ExportTraceServiceRequest as protobuf bytes.
 *
 * Ids are never rejected here: one that is neither hex nor base64 is written as
 * whatever bytes it decodes to, so the protobuf decoder rejects just that span
 * through partial success instead of failing the whole request.
 *
 * @throws OtlpJsonError when the structure is not OTLP/JSON.
 * @example otlpJsonToProtobuf(JSON.parse(body)) // → ExportTraceServiceRequest bytes
 */
export function otlpJsonToProtobuf(body: unknown): Uint8Array {
  if (!isObject(body)) throw new OtlpJsonError(ROOT, `expected an object, got ${describe(body)}`);
  const enc = new Encoder();
  enc.repeated(TracesData.field.resourceSpans, body.resourceSpans ?? body.resource_spans, 'resourceSpans', enc.resourceSpans);
  return enc.w.finish();
}

/**
 * Encodes an already parsed OTLP/JSON ExportLogsServiceRequest as protobuf bytes, by the
 * same rules as traces.
 *
 * @throws OtlpJsonError when the structure is not OTLP/JSON.
 */
export function otlpLogsJsonToProtobuf(body: unknown): Uint8Array {
  if (!isObject(body)) throw new OtlpJsonError(ROOT, `expected an object, got ${describe(body)}`);
  const enc = new Encoder();
  enc.repeated(1, body.resourceLogs ?? body.resource_logs, 'resourceLogs', enc.resourceLogs);
  return enc.w.finish();
}

/**
 * The same encoding in requests of at most `maxSpans` spans each (every one a valid
 * ExportTraceServiceRequest repeating the resource and scope of its spans), so that a
 * large request can be encoded a piece at a time between other work. Errors name the
 * offending value by its path in the whole request.
 *
 * @throws OtlpJsonError (from next()) when the structure is not OTLP/JSON.
 */
export function* otlpJsonToProtobufChunks(body: unknown, maxSpans: number): Generator<Uint8Array, void, void> {
  if (!isObject(body)) throw new OtlpJsonError(ROOT, `expected an object, got ${describe(body)}`);
  // Counted leniently: what is malformed, the encoder reports, with its path.
  const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
  let total = 0;
  for (const rs of list(body.resourceSpans ?? body.resource_spans)) for (const ss of list(rs.scopeSpans ?? rs.scope_spans)) total += list(ss.spans).length;
  if (total <= maxSpans) {
    yield otlpJsonToProtobuf(body);
    return;
  }
  const rsList = arrayAt(body.resourceSpans ?? body.resource_spans, ['resourceSpans']);
  for (let i = 0; i < rsList.length; i++) {
    const rs = rsList[i];
    const ssList = arrayAt(rs.scopeSpans ?? rs.scope_spans, ['resourceSpans', i, 'scopeSpans']);
    for (let j = 0; j < ssList.length; j++) {
      const spans = arrayAt(ssList[j].spans, ['resourceSpans', i, 'scopeSpans', j, 'spans']);
      for (let from = 0; from < Math.max(spans.length, 1); from += maxSpans) {
        const enc = new Encoder();
        enc.w.fork(TracesData.field.resourceSpans);
        enc.resourceSpansPart(rs, i, j, from, Math.min(spans.length, from + maxSpans));
        enc.w.join();
        yield enc.w.finish();
      }
    }
  }
}

/** `value` as an array of objects (absent: none), or an OtlpJsonError naming `path`. */
function arrayAt(value: unknown, path: (string | number)[]): Obj[] {
  if (value == null) return [];
  const where = () => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  if (!Array.isArray(value)) throw new OtlpJsonError(where() || ROOT, `expected an array, got ${describe(value)}`);
  value.forEach((item: unknown, k) => {
    if (!isObject(item)) throw new OtlpJsonError(`${where()}[${k}]`, `expected an object, got ${describe(item)}`);
  });
  return value as Obj[];
}

type Obj = Record<string, unknown>;
type Integer = number | bigint;

const ROOT = 'request body';
const DECIMAL = /^-?[0-9]+$/;
const TWO_32 = 2 ** 32;
const UINT32_MAX = 0xffffffffn;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const SPAN_KINDS: ReadonlyMap<string, number> = new Map(SPAN_KIND_NAMES.map((name, i) => [name, i]));
const STATUS_CODES: ReadonlyMap<string, number> = new Map(STATUS_CODE_NAMES.map((name, i) => [name, i]));

const SEVERITY_NUMBERS: ReadonlyMap<string, number> = new Map(SEVERITY_NUMBER_NAMES.map((name, i) => [name, i]));

/**
 * One request's walk. Keys are read by name at each call site (`o.traceId ??
 * o.trace_id`) rather than through a key table, which keeps V8's property loads
 * monomorphic and fast; errors name the camelCase key.
 */
class Encoder {
  readonly w = new ProtoWriter(64 * 1024);
  /** Where the walk is; joined into text only when an error is reported. */
  private readonly path: (string | number)[] = [];
  private depth = 0;

  /** ResourceSpans `rsIndex` with only scopeSpans[ssIndex].spans[from, to), errors at their paths in the whole request. */
  resourceSpansPart(rs: Obj, rsIndex: number, ssIndex: number, from: number, to: number): void {
    this.path.push('resourceSpans', rsIndex);
    this.message(ResourceSpans.field.resource, rs.resource, 'resource', this.resource);
    const ss = (rs.scopeSpans ?? rs.scope_spans) as Obj[];
    this.path.push('scopeSpans', ssIndex);
    this.w.fork(ResourceSpans.field.scopeSpans);
    this.message(ScopeSpans.field.scope, ss[ssIndex].scope, 'scope', this.scope);
    this.repeated(ScopeSpans.field.spans, ss[ssIndex].spans, 'spans', this.span, from, to);
    this.string(ScopeSpans.field.schemaUrl, ss[ssIndex].schemaUrl ?? ss[ssIndex].schema_url, 'schemaUrl');
    this.w.join();
    this.path.pop();
    this.path.pop();
    this.string(ResourceSpans.field.schemaUrl, rs.schemaUrl ?? rs.schema_url, 'schemaUrl');
    this.path.pop();
    this.path.pop();
  }

  resourceSpans(rs: Obj): void {
    this.message(ResourceSpans.field.resource, rs.resource, 'resource', this.resource);
    this.repeated(ResourceSpans.field.scopeSpans, rs.scopeSpans ?? rs.scope_spans, 'scopeSpans', this.scopeSpans);
    this.string(ResourceSpans.field.schemaUrl, rs.schemaUrl ?? rs.schema_url, 'schemaUrl');
  }

  resourceLogs(rl: Obj): void {
    this.message(1, rl.resource, 'resource', this.resource);
    this.repeated(2, rl.scopeLogs ?? rl.scope_logs, 'scopeLogs', this.scopeLogs);
    this.string(3, rl.schemaUrl ?? rl.schema_url, 'schemaUrl');
  }

  private scopeLogs(sl: Obj): void {
    this.message(1, sl.scope, 'scope', this.scope);
    this.repeated(2, sl.logRecords ?? sl.log_records, 'logRecords', this.logRecord);
    this.string(3, sl.schemaUrl ?? sl.schema_url, 'schemaUrl');
  }

  /** In field-number order. */
  private logRecord(l: Obj): void {
    const F = LogRecord.field;
    this.fixed64(F.timeUnixNano, l.timeUnixNano ?? l.time_unix_nano, 'timeUnixNano');
    this.enumValue(F.severityNumber, l.severityNumber ?? l.severity_number, 'severityNumber', SEVERITY_NUMBERS);
    this.string(F.severityText, l.severityText ?? l.severity_text, 'severityText');
    this.message(F.body, l.body, 'body', this.anyValue);
    this.repeated(F.attributes, l.attributes, 'attributes', this.keyValue);
    this.uint32(F.droppedAttributesCount, l.droppedAttributesCount ?? l.dropped_attributes_count, 'droppedAttributesCount');
    this.fixed32(F.flags, l.flags, 'flags');
    this.id(F.traceId, l.traceId ?? l.trace_id, 'traceId');
    this.id(F.spanId, l.spanId ?? l.span_id, 'spanId');
    this.fixed64(F.observedTimeUnixNano, l.observedTimeUnixNano ?? l.observed_time_unix_nano, 'observedTimeUnixNano');
    this.string(F.eventName, l.eventName ?? l.event_name, 'eventName');
  }

  private resource(r: Obj): void {
    this.repeated(Resource.field.attributes, r.attributes, 'attributes', this.keyValue);
    this.uint32(Resource.field.droppedAttributesCount, r.droppedAttributesCount ?? r.dropped_attributes_count, 'droppedAttributesCount');
  }

  private scopeSpans(ss: Obj): void {
    this.message(ScopeSpans.field.scope, ss.scope, 'scope', this.scope);
    this.repeated(ScopeSpans.field.spans, ss.spans, 'spans', this.span);
    this.string(ScopeSpans.field.schemaUrl, ss.schemaUrl ?? ss.schema_url, 'schemaUrl');
  }

  private scope(s: Obj): void {
    this.string(InstrumentationScope.field.name, s.name, 'name');
    this.string(InstrumentationScope.field.version, s.version, 'version');
    this.repeated(InstrumentationScope.field.attributes, s.attributes, 'attributes', this.keyValue);
    this.uint32(InstrumentationScope.field.droppedAttributesCount, s.droppedAttributesCount ?? s.dropped_attributes_count, 'droppedAttributesCount');
  }

  private span(s: Obj): void {
    this.id(Span.field.traceId, s.traceId ?? s.trace_id, 'traceId');
    this.id(Span.field.spanId, s.spanId ?? s.span_id, 'spanId');
    this.string(Span.field.traceState, s.traceState ?? s.trace_state, 'traceState');
    this.id(Span.field.parentSpanId, s.parentSpanId ?? s.parent_span_id, 'parentSpanId');
    this.string(Span.field.name, s.name, 'name');
    this.enumValue(Span.field.kind, s.kind, 'kind', SPAN_KINDS);
    this.fixed64(Span.field.startTimeUnixNano, s.startTimeUnixNano ?? s.start_time_unix_nano, 'startTimeUnixNano');
    this.fixed64(Span.field.endTimeUnixNano, s.endTimeUnixNano ?? s.end_time_unix_nano, 'endTimeUnixNano');
    this.repeated(Span.field.attributes, s.attributes, 'attributes', this.keyValue);
    this.uint32(Span.field.droppedAttributesCount, s.droppedAttributesCount ?? s.dropped_attributes_count, 'droppedAttributesCount');
    this.repeated(Span.field.events, s.events, 'events', this.event);
    this.uint32(Span.field.droppedEventsCount, s.droppedEventsCount ?? s.dropped_events_count, 'droppedEventsCount');
    this.repeated(Span.field.links, s.links, 'links', this.link);
    this.uint32(Span.field.droppedLinksCount, s.droppedLinksCount ?? s.dropped_links_count, 'droppedLinksCount');
    this.message(Span.field.status, s.status, 'status', this.status);
    this.fixed32(Span.field.flags, s.flags, 'flags');
  }

  private event(e: Obj): void {
    this.fixed64(SpanEvent.field.timeUnixNano, e.timeUnixNano ?? e.time_unix_nano, 'timeUnixNano');
    this.string(SpanEvent.field.name, e.name, 'name');
    this.repeated(SpanEvent.field.attributes, e.attributes, 'attributes', this.keyValue);
    this.uint32(SpanEvent.field.droppedAttributesCount, e.droppedAttributesCount ?? e.dropped_attributes_count, 'droppedAttributesCount');
  }

  private link(l: Obj): void {
    this.id(SpanLink.field.traceId, l.traceId ?? l.trace_id, 'traceId');
    this.id(SpanLink.field.spanId, l.spanId ?? l.span_id, 'spanId');
    this.string(SpanLink.field.traceState, l.traceState ?? l.trace_state, 'traceState');
    this.repeated(SpanLink.field.attributes, l.attributes, 'attributes', this.keyValue);
    this.uint32(SpanLink.field.droppedAttributesCount, l.droppedAttributesCount ?? l.dropped_attributes_count, 'droppedAttributesCount');
    this.fixed32(SpanLink.field.flags, l.flags, 'flags');
  }

  private status(s: Obj): void {
    this.string(Status.field.message, s.message, 'message');
    this.enumValue(Status.field.code, s.code, 'code', STATUS_CODES);
  }

  private keyValue(kv: Obj): void {
    this.string(KeyValue.field.key, kv.key, 'key');
    this.message(KeyValue.field.value, kv.value, 'value', this.anyValue);
  }

  private anyValue(v: Obj): void {
    if (++this.depth > MAX_ANY_VALUE_DEPTH) {
      this.fail(undefined, `values nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`);
    }
    const w = this.w;
    let x: unknown;
    // The common members first. A value with several members set is malformed;
    // the first one found here wins rather than failing the request.
    if ((x = v.stringValue ?? v.string_value) != null) {
      if (typeof x !== 'string') this.fail('stringValue', `expected a string, got ${describe(x)}`);
      w.stringField(AnyValue.field.stringValue, x);
    } else if ((x = v.intValue ?? v.int_value) != null) {
      this.writeInt64(AnyValue.field.intValue, this.integer(x, 'intValue', INT64_MIN, INT64_MAX, 'int64'));
    } else if ((x = v.boolValue ?? v.bool_value) != null) {
      if (typeof x !== 'boolean') this.fail('boolValue', `expected true or false, got ${describe(x)}`);
      w.tag(AnyValue.field.boolValue, WIRE_VARINT).uint32(x ? 1 : 0);
    } else if ((x = v.doubleValue ?? v.double_value) != null) {
      w.tag(AnyValue.field.doubleValue, WIRE_I64).double(this.double(x, 'doubleValue'));
    } else if ((x = v.arrayValue ?? v.array_value) != null) {
      this.message(AnyValue.field.arrayValue, x, 'arrayValue', this.arrayValue);
    } else if ((x = v.kvlistValue ?? v.kvlist_value) != null) {
      this.message(AnyValue.field.kvlistValue, x, 'kvlistValue', this.kvlistValue);
    } else if ((x = v.bytesValue ?? v.bytes_value) != null) {
      if (typeof x !== 'string') this.fail('bytesValue', `expected a base64 string, got ${describe(x)}`);
      w.bytesField(AnyValue.field.bytesValue, base64ToBytes(x));
    }
    this.depth--;
  }

  private arrayValue(a: Obj): void {
    this.repeated(ArrayValue.field.values, a.values, 'values', this.anyValue);
  }

  private kvlistValue(l: Obj): void {
    this.repeated(KeyValueList.field.values, l.values, 'values', this.keyValue);
  }

  // ---- structure ------------------------------------------------------------

  /** Items [from, to) of the array (all by default), each as a nested message. */
  repeated(field: number, value: unknown, key: string, write: (this: Encoder, o: Obj) => void, from = 0, to = Infinity): void {
    if (value == null) return;
    if (!Array.isArray(value)) this.fail(key, `expected an array, got ${describe(value)}`);
    const { path, w } = this;
    path.push(key);
    for (let i = from, end = Math.min(to, value.length); i < end; i++) {
      const item: unknown = value[i];
      path.push(i);
      if (!isObject(item)) this.fail(undefined, `expected an object, got ${describe(item)}`);
      w.fork(field);
      write.call(this, item);
      w.join();
      path.pop();
    }
    path.pop();
  }

  /** A nested message; an empty object is still written, since message presence is data. */
  private message(field: number, value: unknown, key: string, write: (this: Encoder, o: Obj) => void): void {
    if (value == null) return;
    if (!isObject(value)) this.fail(key, `expected an object, got ${describe(value)}`);
    this.path.push(key);
    this.w.fork(field);
    write.call(this, value);
    this.w.join();
    this.path.pop();
  }

  // ---- scalars ----------------------------------------------------------------

  private string(field: number, value: unknown, key: string): void {
    if (value == null || value === '') return;
    if (typeof value !== 'string') this.fail(key, `expected a string, got ${describe(value)}`);
    this.w.stringField(field, value);
  }

  private id(field: number, value: unknown, key: string): void {
    if (value == null || value === '') return;
    if (typeof value !== 'string') this.fail(key, `expected a hex or base64 string, got ${describe(value)}`);
    const bytes = hexToBytes(value) ?? base64ToBytes(value);
    if (bytes.length > 0) this.w.bytesField(field, bytes);
  }

  private uint32(field: number, value: unknown, key: string): void {
    if (value == null) return;
    const n = Number(this.integer(value, key, 0n, UINT32_MAX, 'uint32'));
    if (n !== 0) this.w.tag(field, WIRE_VARINT).uint32(n);
  }

  private fixed32(field: number, value: unknown, key: string): void {
    if (value == null) return;
    const n = Number(this.integer(value, key, 0n, UINT32_MAX, 'fixed32'));
    if (n !== 0) this.w.tag(field, WIRE_I32).fixed32(n);
  }

  private fixed64(field: number, value: unknown, key: string): void {
    if (value == null) return;
    const n = this.integer(value, key, 0n, UINT64_MAX, 'fixed64');
    if (n === 0 || n === 0n) return;
    this.w.tag(field, WIRE_I64);
    // Two 32-bit halves avoid a BigInt for numbers; the division by 2^32 is exact.
    if (typeof n === 'number') this.w.fixed32(n % TWO_32).fixed32(Math.floor(n / TWO_32));
    else this.w.fixed64(n);
  }

  private writeInt64(field: number, n: Integer): void {
    this.w.tag(field, WIRE_VARINT);
    if (typeof n === 'number' && n >= 0 && n < TWO_32) this.w.uint32(n);
    else this.w.uint64(BigInt(n));
  }

  /** Enums are open in proto3: any int32 passes, names must be known. */
  private enumValue(field: number, value: unknown, key: string, names: ReadonlyMap<string, number>): void {
    if (value == null) return;
    let n: number | undefined;
    if (typeof value === 'string') n = names.get(value);
    else if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) n = value;
    if (n === undefined) {
      const known = [...names.keys()].join(', ');
      this.fail(key, `expected an int32 or one of ${known}, got ${describe(value)}`);
    }
    if (n !== 0) this.writeInt64(field, n);
  }

  /**
   * An integer given as a JSON number or a decimal string, within [min, max].
   * Strings convert exactly (BigInt past 15 digits); numbers beyond 2^53 were
   * already rounded by JSON.parse and are taken as they are.
   */
  private integer(value: unknown, key: string, min: bigint, max: bigint, type: string): Integer {
    let n: Integer | undefined;
    if (typeof value === 'number') {
      if (Number.isInteger(value)) n = value;
    } else if (typeof value === 'string' && DECIMAL.test(value)) {
      n = value.length <= 15 ? Number(value) : BigInt(value);
    }
    if (n === undefined) this.fail(key, `expected an integer (number or decimal string), got ${describe(value)}`);
    if (n < min || n > max) this.fail(key, `${describe(value)} is out of range for ${type}`);
    return n;
  }

  private double(value: unknown, key: string): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'string') {
      // Protobuf JSON spells non-finite doubles as strings and allows numeric strings.
      const n = Number(value);
      if (value === 'NaN' || (!Number.isNaN(n) && value.trim() !== '')) return n;
    }
    return this.fail(key, `expected a number, "NaN", "Infinity" or "-Infinity", got ${describe(value)}`);
  }

  /** Throws for the value at the current path, or at its `key` member. */
  private fail(key: string | undefined, detail: string): never {
    let text = '';
    for (const seg of this.path) text += typeof seg === 'number' ? `[${seg}]` : text === '' ? seg : `.${seg}`;
    if (key !== undefined) text += text === '' ? key : `.${key}`;
    throw new OtlpJsonError(text || ROOT, detail);
  }
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short, unambiguous rendering of a bad value for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
