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
 */

import { bytesToBase64, bytesToHex } from '../shared/ids.ts';
import { MAX_ANY_VALUE_DEPTH, ProtoError, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../shared/protowire.ts';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, RESOURCE, RESOURCE_SPANS, SCOPE, SCOPE_SPANS, SEVERITY_NUMBER_NAMES, SPAN, SPAN_KIND_NAMES, STATUS, STATUS_CODE_NAMES, TRACES_DATA } from './schema/index.ts';

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
  const d = new Decoder(new ProtoReader(bytes), opts);
  const r = d.r;
  const resourceSpans: Json[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === TRACES_DATA.resourceSpans) resourceSpans.push(d.nested(d.resourceSpans));
    else r.skip(tag & 7);
  }
  return { resourceSpans };
}

/**
 * Decodes a LogsData or ExportLogsServiceRequest (`repeated ResourceLogs = 1`), by the
 * same rules as traces. Unknown fields are skipped.
 *
 * @throws ProtoError on malformed protobuf.
 */
export function logsDataToJson(bytes: Uint8Array, opts: TracesJsonOptions): { resourceLogs: object[] } {
  const d = new Decoder(new ProtoReader(bytes), opts);
  const r = d.r;
  const resourceLogs: Json[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) resourceLogs.push(d.nested(d.resourceLogs));
    else r.skip(tag & 7);
  }
  return { resourceLogs };
}

type Json = Record<string, unknown>;

/**
 * Each message reader collects its fields into locals and builds the output
 * object at the end, so key order follows the schema whatever order the fields
 * arrived in. A known field number with an unexpected wire type falls through to
 * `skip`, as an unknown field would.
 */
class Decoder {
  private readonly id: (bytes: Uint8Array) => string;
  private readonly enumNames: boolean;
  private depth = 0;

  constructor(
    readonly r: ProtoReader,
    opts: TracesJsonOptions,
  ) {
    this.id = opts.ids === 'hex' ? bytesToHex : bytesToBase64;
    this.enumNames = opts.enums === 'names';
  }

  /** Runs `read` on the length-delimited message at the cursor, confined to its bounds. */
  nested(read: (this: Decoder) => Json): Json {
    const r = this.r;
    const end = r.lenEnd();
    const outer = r.end;
    r.end = end;
    const v = read.call(this);
    r.end = outer;
    return v;
  }

  resourceSpans(): Json {
    const r = this.r;
    let resource: Json | undefined;
    let scopeSpans: Json[] | undefined;
    let schemaUrl = '';
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case RESOURCE_SPANS.resource:
          resource = this.nested(this.resource);
          break;
        case RESOURCE_SPANS.scopeSpans:
          (scopeSpans ??= []).push(this.nested(this.scopeSpans));
          break;
        case RESOURCE_SPANS.schemaUrl:
          schemaUrl = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (resource) o.resource = resource;
    if (scopeSpans) o.scopeSpans = scopeSpans;
    if (schemaUrl) o.schemaUrl = schemaUrl;
    return o;
  }

  resourceLogs(): Json {
    const r = this.r;
    let resource: Json | undefined;
    let scopeLogs: Json[] | undefined;
    let schemaUrl = '';
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case (1 << 3) | WIRE_LEN:
          resource = this.nested(this.resource);
          break;
        case (2 << 3) | WIRE_LEN:
          (scopeLogs ??= []).push(this.nested(this.scopeLogs));
          break;
        case (3 << 3) | WIRE_LEN:
          schemaUrl = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (resource) o.resource = resource;
    if (scopeLogs) o.scopeLogs = scopeLogs;
    if (schemaUrl) o.schemaUrl = schemaUrl;
    return o;
  }

  private scopeLogs(): Json {
    const r = this.r;
    let scope: Json | undefined;
    let logRecords: Json[] | undefined;
    let schemaUrl = '';
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case (1 << 3) | WIRE_LEN:
          scope = this.nested(this.scope);
          break;
        case (2 << 3) | WIRE_LEN:
          (logRecords ??= []).push(this.nested(this.logRecord));
          break;
        case (3 << 3) | WIRE_LEN:
          schemaUrl = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (scope) o.scope = scope;
    if (logRecords) o.logRecords = logRecords;
    if (schemaUrl) o.schemaUrl = schemaUrl;
    return o;
  }

  /** A LogRecord (logs.proto), fields in number order. */
  private logRecord(): Json {
    const r = this.r;
    let time = 0n;
    let severityNumber = 0;
    let severityText = '';
    let body: Json | undefined;
    let attributes: Json[] | undefined;
    let dropped = 0;
    let flags = 0;
    let traceId: Uint8Array | undefined;
    let spanId: Uint8Array | undefined;
    let observed = 0n;
    let eventName = '';
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case (1 << 3) | WIRE_I64:
          time = r.fixed64();
          break;
        case (2 << 3) | WIRE_VARINT:
          severityNumber = r.uint32();
          break;
        case (3 << 3) | WIRE_LEN:
          severityText = r.string();
          break;
        case (5 << 3) | WIRE_LEN:
          body = this.nested(this.anyValue);
          break;
        case (6 << 3) | WIRE_LEN:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case (7 << 3) | WIRE_VARINT:
          dropped = r.uint32();
          break;
        case (8 << 3) | WIRE_I32:
          flags = r.fixed32();
          break;
        case (9 << 3) | WIRE_LEN:
          traceId = r.bytes();
          break;
        case (10 << 3) | WIRE_LEN:
          spanId = r.bytes();
          break;
        case (11 << 3) | WIRE_I64:
          observed = r.fixed64();
          break;
        case (12 << 3) | WIRE_LEN:
          eventName = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (time) o.timeUnixNano = time.toString();
    if (severityNumber) o.severityNumber = this.enumNames ? (SEVERITY_NUMBER_NAMES[severityNumber] ?? severityNumber) : severityNumber;
    if (severityText) o.severityText = severityText;
    if (body) o.body = body;
    if (attributes) o.attributes = attributes;
    if (dropped) o.droppedAttributesCount = dropped;
    if (flags) o.flags = flags;
    if (traceId?.length) o.traceId = this.id(traceId);
    if (spanId?.length) o.spanId = this.id(spanId);
    if (observed) o.observedTimeUnixNano = observed.toString();
    if (eventName) o.eventName = eventName;
    return o;
  }

  private resource(): Json {
    const r = this.r;
    let attributes: Json[] | undefined;
    let dropped = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case RESOURCE.attributes:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case RESOURCE.droppedAttributesCount:
          dropped = r.uint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (attributes) o.attributes = attributes;
    if (dropped) o.droppedAttributesCount = dropped;
    return o;
  }

  private scopeSpans(): Json {
    const r = this.r;
    let scope: Json | undefined;
    let spans: Json[] | undefined;
    let schemaUrl = '';
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case SCOPE_SPANS.scope:
          scope = this.nested(this.scope);
          break;
        case SCOPE_SPANS.spans:
          (spans ??= []).push(this.nested(this.span));
          break;
        case SCOPE_SPANS.schemaUrl:
          schemaUrl = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (scope) o.scope = scope;
    if (spans) o.spans = spans;
    if (schemaUrl) o.schemaUrl = schemaUrl;
    return o;
  }

  private scope(): Json {
    const r = this.r;
    let name = '';
    let version = '';
    let attributes: Json[] | undefined;
    let dropped = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case SCOPE.name:
          name = r.string();
          break;
        case SCOPE.version:
          version = r.string();
          break;
        case SCOPE.attributes:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case SCOPE.droppedAttributesCount:
          dropped = r.uint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (name) o.name = name;
    if (version) o.version = version;
    if (attributes) o.attributes = attributes;
    if (dropped) o.droppedAttributesCount = dropped;
    return o;
  }

  private span(): Json {
    const r = this.r;
    let traceId: Uint8Array | undefined;
    let spanId: Uint8Array | undefined;
    let traceState = '';
    let parentSpanId: Uint8Array | undefined;
    let name = '';
    let kind = 0;
    let start = 0n;
    let end = 0n;
    let attributes: Json[] | undefined;
    let droppedAttributes = 0;
    let events: Json[] | undefined;
    let droppedEvents = 0;
    let links: Json[] | undefined;
    let droppedLinks = 0;
    let status: Json | undefined;
    let flags = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case SPAN.traceId:
          traceId = r.bytes();
          break;
        case SPAN.spanId:
          spanId = r.bytes();
          break;
        case SPAN.traceState:
          traceState = r.string();
          break;
        case SPAN.parentSpanId:
          parentSpanId = r.bytes();
          break;
        case SPAN.name:
          name = r.string();
          break;
        case SPAN.kind:
          kind = r.int32();
          break;
        case SPAN.startTimeUnixNano:
          start = r.fixed64();
          break;
        case SPAN.endTimeUnixNano:
          end = r.fixed64();
          break;
        case SPAN.attributes:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case SPAN.droppedAttributesCount:
          droppedAttributes = r.uint32();
          break;
        case SPAN.events:
          (events ??= []).push(this.nested(this.event));
          break;
        case SPAN.droppedEventsCount:
          droppedEvents = r.uint32();
          break;
        case SPAN.links:
          (links ??= []).push(this.nested(this.link));
          break;
        case SPAN.droppedLinksCount:
          droppedLinks = r.uint32();
          break;
        case SPAN.status:
          status = this.nested(this.status);
          break;
        case SPAN.flags:
          flags = r.fixed32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (traceId?.length) o.traceId = this.id(traceId);
    if (spanId?.length) o.spanId = this.id(spanId);
    if (traceState) o.traceState = traceState;
    if (parentSpanId?.length) o.parentSpanId = this.id(parentSpanId);
    if (name) o.name = name;
    if (kind) o.kind = this.enumNames ? (SPAN_KIND_NAMES[kind] ?? kind) : kind;
    if (start) o.startTimeUnixNano = start.toString();
    if (end) o.endTimeUnixNano = end.toString();
    if (attributes) o.attributes = attributes;
    if (droppedAttributes) o.droppedAttributesCount = droppedAttributes;
    if (events) o.events = events;
    if (droppedEvents) o.droppedEventsCount = droppedEvents;
    if (links) o.links = links;
    if (droppedLinks) o.droppedLinksCount = droppedLinks;
    o.status = status ?? {};
    if (flags) o.flags = flags;
    return o;
  }

  private event(): Json {
    const r = this.r;
    let time = 0n;
    let name = '';
    let attributes: Json[] | undefined;
    let dropped = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case EVENT.timeUnixNano:
          time = r.fixed64();
          break;
        case EVENT.name:
          name = r.string();
          break;
        case EVENT.attributes:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case EVENT.droppedAttributesCount:
          dropped = r.uint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (time) o.timeUnixNano = time.toString();
    if (name) o.name = name;
    if (attributes) o.attributes = attributes;
    if (dropped) o.droppedAttributesCount = dropped;
    return o;
  }

  private link(): Json {
    const r = this.r;
    let traceId: Uint8Array | undefined;
    let spanId: Uint8Array | undefined;
    let traceState = '';
    let attributes: Json[] | undefined;
    let dropped = 0;
    let flags = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case LINK.traceId:
          traceId = r.bytes();
          break;
        case LINK.spanId:
          spanId = r.bytes();
          break;
        case LINK.traceState:
          traceState = r.string();
          break;
        case LINK.attributes:
          (attributes ??= []).push(this.nested(this.keyValue));
          break;
        case LINK.droppedAttributesCount:
          dropped = r.uint32();
          break;
        case LINK.flags:
          flags = r.fixed32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (traceId?.length) o.traceId = this.id(traceId);
    if (spanId?.length) o.spanId = this.id(spanId);
    if (traceState) o.traceState = traceState;
    if (attributes) o.attributes = attributes;
    if (dropped) o.droppedAttributesCount = dropped;
    if (flags) o.flags = flags;
    return o;
  }

  private status(): Json {
    const r = this.r;
    let message = '';
    let code = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case STATUS.message:
          message = r.string();
          break;
        case STATUS.code:
          code = r.int32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (message) o.message = message;
    if (code) o.code = this.enumNames ? (STATUS_CODE_NAMES[code] ?? code) : code;
    return o;
  }

  private keyValue(): Json {
    const r = this.r;
    let key = '';
    let value: Json | undefined;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case KEY_VALUE.key:
          key = r.string();
          break;
        case KEY_VALUE.value:
          value = this.nested(this.anyValue);
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const o: Json = {};
    if (key) o.key = key;
    if (value) o.value = value;
    return o;
  }

  /** The oneof member is printed even when it holds its type's default (`"intValue":"0"`). */
  private anyValue(): Json {
    // Protobuf ingest is not bound by the JSON receiver's limit; refuse here too
    // rather than overflow the stack on a hostile stored value.
    if (++this.depth > MAX_ANY_VALUE_DEPTH) {
      throw new ProtoError(`AnyValue nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`);
    }
    const r = this.r;
    let key: string | undefined;
    let value: unknown;
    while (r.pos < r.end) {
      const tag = r.uint32();
      switch (tag) {
        case ANY_VALUE.stringValue:
          key = 'stringValue';
          value = r.string();
          break;
        case ANY_VALUE.boolValue:
          key = 'boolValue';
          value = r.bool();
          break;
        case ANY_VALUE.intValue:
          key = 'intValue';
          value = r.int64().toString();
          break;
        case ANY_VALUE.doubleValue: {
          const d = r.double();
          key = 'doubleValue';
          value = Number.isFinite(d) ? d : String(d);
          break;
        }
        case ANY_VALUE.arrayValue:
          key = 'arrayValue';
          value = this.nested(this.arrayValue);
          break;
        case ANY_VALUE.kvlistValue:
          key = 'kvlistValue';
          value = this.nested(this.kvlistValue);
          break;
        case ANY_VALUE.bytesValue:
          key = 'bytesValue';
          value = bytesToBase64(r.bytes());
          break;
        default:
          r.skip(tag & 7);
      }
    }
    this.depth--;
    return key === undefined ? {} : { [key]: value };
  }

  private arrayValue(): Json {
    return this.values(this.anyValue);
  }

  private kvlistValue(): Json {
    return this.values(this.keyValue);
  }

  /** ArrayValue and KeyValueList: both are `repeated … values = 1`. */
  private values(read: (this: Decoder) => Json): Json {
    const r = this.r;
    let values: Json[] | undefined;
    while (r.pos < r.end) {
      const tag = r.uint32();
      if (tag === LIST.values) (values ??= []).push(this.nested(read));
      else r.skip(tag & 7);
    }
    return values ? { values } : {};
  }
}
