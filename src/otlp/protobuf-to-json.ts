/**
 * OTLP protobuf → JSON-ready objects, for the read paths (trace by id, export of traces
 * and log records).
 *
 * Two dialects share one walk:
 *   - `{ ids: 'base64', enums: 'names' }` is Tempo's protobuf-JSON (gogo jsonpb),
 *     which Grafana expects from /api/traces;
 *   - `{ ids: 'hex', enums: 'numbers' }` is OTLP/JSON as the OTLP spec prints it,
 *     which otlpJsonToProtobuf reads back.
 * Both use camelCase keys in field-number order, omit proto3 defaults, print
 * 64-bit integers as decimal strings and non-finite doubles as "NaN"/"Infinity"/
 * "-Infinity", and always include `status` on spans (`{}` when unset), as Tempo does.
 *
 * The walk is the schema's (otlp/schema): every message is printed from its description,
 * so a field added there is printed here too.
 */

import { bytesToBase64, bytesToHex } from '../shared/ids.ts';
import { MAX_ANY_VALUE_DEPTH, ProtoError, ProtoReader } from '../shared/protowire.ts';
import {
  AnyValue, LogRecord, LogsData, SEVERITY_NUMBER_NAMES, Span, SPAN_KIND_NAMES, SpanLink, Status, STATUS_CODE_NAMES, TracesData, type FieldType, type MessageSpec, type NamedField,
} from './schema/index.ts';

export interface TracesJsonOptions {
  /** How trace and span ids print; `bytesValue` attributes are base64 either way. */
  readonly ids: 'base64' | 'hex';
  readonly enums: 'names' | 'numbers';
}

/**
 * Decodes a TracesData, ExportTraceServiceRequest or tempopb.Trace (all three are
 * `repeated ResourceSpans = 1` on the wire). Unknown fields are skipped.
 *
 * @throws ProtoError on malformed protobuf.
 * @example JSON.stringify(tracesDataToJson(bytes, { ids: 'base64', enums: 'names' }))
 */
export function tracesDataToJson(bytes: Uint8Array, opts: TracesJsonOptions): { resourceSpans: object[] } {
  const json = new Printer(new ProtoReader(bytes), opts).message(TRACES_DATA);
  return { resourceSpans: (json.resourceSpans as object[] | undefined) ?? [] };
}

/**
 * Decodes a LogsData or ExportLogsServiceRequest (`repeated ResourceLogs = 1`), by the
 * same rules as traces. Unknown fields are skipped.
 *
 * @throws ProtoError on malformed protobuf.
 */
export function logsDataToJson(bytes: Uint8Array, opts: TracesJsonOptions): { resourceLogs: object[] } {
  const json = new Printer(new ProtoReader(bytes), opts).message(LOGS_DATA);
  return { resourceLogs: (json.resourceLogs as object[] | undefined) ?? [] };
}

type Json = Record<string, unknown>;

const enum Kind { Message, String, Bytes, Id, Bool, Int32, Enum, Uint32, Int64, Fixed64, Fixed32, Double }

/** A field as the printer reads it, prepared once per message from the schema. */
interface PrintField {
  readonly tag: number;
  readonly number: number;
  /** Its place among the message's fields. */
  readonly index: number;
  readonly name: string;
  readonly kind: Kind;
  readonly repeated: boolean;
  /** The nested message's fields (Kind.Message). */
  message: PrintMessage | undefined;
  /** Enum names by number (Kind.Enum). */
  readonly names: readonly string[] | undefined;
}

interface PrintMessage {
  readonly spec: MessageSpec;
  /** In field-number order. */
  readonly fields: PrintField[];
  readonly byNumber: Array<PrintField | undefined>;
}

/** Bytes fields printed as ids in the chosen dialect; every other bytes field is base64. */
const IDS = new Set<NamedField>([
  Span.byNumber[Span.field.traceId]!,
  Span.byNumber[Span.field.spanId]!,
  Span.byNumber[Span.field.parentSpanId]!,
  SpanLink.byNumber[SpanLink.field.traceId]!,
  SpanLink.byNumber[SpanLink.field.spanId]!,
  LogRecord.byNumber[LogRecord.field.traceId]!,
  LogRecord.byNumber[LogRecord.field.spanId]!,
]);
const ENUM_NAMES = new Map<NamedField, readonly string[]>([
  [Span.byNumber[Span.field.kind]!, SPAN_KIND_NAMES],
  [Status.byNumber[Status.field.code]!, STATUS_CODE_NAMES],
  [LogRecord.byNumber[LogRecord.field.severityNumber]!, SEVERITY_NUMBER_NAMES],
]);
const KINDS: Record<FieldType, Kind> = {
  message: Kind.Message, string: Kind.String, bytes: Kind.Bytes, bool: Kind.Bool, int32: Kind.Int32, enum: Kind.Enum,
  uint32: Kind.Uint32, int64: Kind.Int64, fixed64: Kind.Fixed64, fixed32: Kind.Fixed32, double: Kind.Double,
};

const prepared = new Map<MessageSpec, PrintMessage>();

function prepare(spec: MessageSpec): PrintMessage {
  const known = prepared.get(spec);
  if (known !== undefined) return known;
  const message: PrintMessage = { spec, fields: [], byNumber: [] };
  prepared.set(spec, message); // before the fields: AnyValue, ArrayValue and KeyValueList refer to each other
  for (const f of spec.byNumber) {
    if (f === undefined) continue;
    const field: PrintField = {
      tag: f.tag,
      number: f.number,
      index: message.fields.length,
      name: f.name,
      kind: IDS.has(f) ? Kind.Id : KINDS[f.type],
      repeated: f.repeated === true,
      message: undefined,
      names: ENUM_NAMES.get(f),
    };
    message.fields.push(field);
    message.byNumber[f.number] = field;
    if (f.message !== undefined) field.message = prepare(f.message());
  }
  return message;
}

const TRACES_DATA = prepare(TracesData);
const LOGS_DATA = prepare(LogsData);
const ANY_VALUE = prepare(AnyValue);
const SPAN = prepare(Span);
const SPAN_STATUS = Span.field.status;

/**
 * Each message's fields are collected by number and printed at the end, so key order
 * follows the schema whatever order the fields arrived in; for a singular field the last
 * occurrence counts. A known field number with an unexpected wire type is skipped, as an
 * unknown field is.
 */
class Printer {
  private readonly hex: boolean;
  private readonly enumNames: boolean;
  private depth = 0;

  constructor(
    private readonly r: ProtoReader,
    opts: TracesJsonOptions,
  ) {
    this.hex = opts.ids === 'hex';
    this.enumNames = opts.enums === 'names';
  }

  /** The message in [r.pos, r.end). */
  message(m: PrintMessage): Json {
    const r = this.r;
    if (m === ANY_VALUE) return this.anyValue();
    const values: unknown[] = new Array(m.fields.length);
    while (r.pos < r.end) {
      const tag = r.uint32();
      const field = m.byNumber[tag >>> 3];
      if (field === undefined || field.tag !== tag) {
        r.skip(tag & 7);
        continue;
      }
      const value = this.value(field);
      if (field.repeated) ((values[field.index] ??= []) as unknown[]).push(value);
      else values[field.index] = value;
    }
    const o: Json = {};
    for (const field of m.fields) {
      const value = values[field.index];
      if (value === undefined) {
        if (m === SPAN && field.number === SPAN_STATUS) o.status = {};
      } else if (!isDefault(value)) o[field.name] = value;
    }
    return o;
  }

  /** AnyValue, a oneof: its member is printed even when it holds its type's default (`"intValue":"0"`). */
  private anyValue(): Json {
    // Protobuf ingest is not bound by the JSON receiver's limit; refuse here too
    // rather than overflow the stack on a hostile stored value.
    if (++this.depth > MAX_ANY_VALUE_DEPTH) {
      throw new ProtoError(`AnyValue nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`);
    }
    const r = this.r;
    let name: string | undefined;
    let value: unknown;
    while (r.pos < r.end) {
      const tag = r.uint32();
      const field = ANY_VALUE.byNumber[tag >>> 3];
      if (field === undefined || field.tag !== tag) {
        r.skip(tag & 7);
        continue;
      }
      name = field.name;
      value = this.value(field);
    }
    this.depth--;
    return name === undefined ? {} : { [name]: value };
  }

  /** The value of `field` at the cursor (its tag just read), as printed. */
  private value(field: PrintField): unknown {
    const r = this.r;
    switch (field.kind) {
      case Kind.Message: {
        const end = r.lenEnd();
        const outer = r.end;
        r.end = end;
        const v = this.message(field.message!);
        r.end = outer;
        return v;
      }
      case Kind.String:
        return r.string();
      case Kind.Bytes: {
        const b = r.bytes();
        return b.length === 0 ? '' : bytesToBase64(b);
      }
      case Kind.Id: {
        const b = r.bytes();
        return b.length === 0 ? '' : this.hex ? bytesToHex(b) : bytesToBase64(b);
      }
      case Kind.Bool:
        return r.bool();
      case Kind.Int32:
        return r.int32();
      case Kind.Enum: {
        const v = r.int32();
        return v !== 0 && this.enumNames ? (field.names?.[v] ?? v) : v;
      }
      case Kind.Uint32:
        return r.uint32();
      case Kind.Int64:
        return r.int64().toString();
      case Kind.Fixed64: {
        const v = r.fixed64();
        return v === 0n ? 0 : v.toString();
      }
      case Kind.Fixed32:
        return r.fixed32();
      case Kind.Double: {
        const d = r.double();
        return Number.isFinite(d) ? d : String(d);
      }
    }
  }
}

/** A singular proto3 field holding its type's default is left out; a present message never is. */
function isDefault(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}
