/**
 * ExportTraceServiceRequest bytes → DecodedBatch, reading only the fields the store
 * indexes and keeping each Resource, InstrumentationScope and Span as a zero-copy view
 * of the request. Attributes are not decoded here; the store reads what it indexes
 * from the raw span bytes.
 */
import { ProtoError, ProtoReader, WIRE_LEN, decodeUtf8 } from '../shared/protowire.ts';
import { ANY_VALUE, KEY_VALUE, RESOURCE, ResourceSpans, ScopeSpans, SPAN, STATUS, TracesData, type MessageSpec } from './schema/index.ts';
import type { DecodedBatch, DecodedResource, DecodedScope, DecodedSpan } from './types.ts';

/** How many rejection reasons are kept for partial_success.error_message. */
const MAX_REASONS = 5;
const EMPTY = new Uint8Array(0);
const SERVICE_NAME = new TextEncoder().encode('service.name');

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Throws DecodeError when the bytes are not a well-formed request; invalid spans are only counted. */
export function decodeExportRequest(bytes: Uint8Array): DecodedBatch {
  const slices = decodeExportRequestSlices(bytes, Infinity);
  const first = slices.next();
  return first.done === true ? emptyBatch() : first.value;
}

function emptyBatch(): DecodedBatch {
  return { resources: [], scopes: [], spans: [], rejected: 0, rejections: [] };
}

/** What the slicing walk needs of a batch: the resources and scopes its items refer to, and what was refused. */
interface SliceBatch {
  readonly resources: DecodedResource[];
  readonly scopes: DecodedScope[];
  rejected: number;
  readonly rejections: string[];
}

/** What an export request of one signal looks like to requestSlices(). */
export interface SignalShape<B extends SliceBatch> {
  /** The request message's name, for errors. */
  readonly request: string;
  /** The request's repeated resource-level field (resource_spans, resource_logs), and its envelopes. */
  readonly field: number;
  readonly fieldName: string;
  readonly resourceEnvelope: MessageSpec;
  readonly scopeEnvelope: MessageSpec;
  empty(): B;
  /**
   * Reads the item in [start, end) (the reader is there) into the batch: a valid item is
   * pushed; an invalid one is counted, and its reason given when `giveReason`, naming it by
   * `index`, its position in the request.
   */
  readItem(r: ProtoReader, start: number, end: number, batch: B, resource: number, scope: number, index: number, giveReason: boolean): void;
}

/**
 * An export request in slices of at most `maxItems` items (valid and invalid counted), each
 * with the resources and scopes its items refer to, so that a large request can be decoded
 * a slice at a time between other work. Throws DecodeError (from next()) when the bytes are
 * not a well-formed request.
 */
export function* requestSlices<B extends SliceBatch>(bytes: Uint8Array, maxItems: number, shape: SignalShape<B>): Generator<B, void, void> {
  const r = new ProtoReader(bytes);
  let batch = shape.empty();
  let size = 0;
  // Across slices: items read before this slice, and rejection reasons already given.
  let before = 0;
  let reasonsBefore = 0;
  try {
    while (r.more()) {
      const tag = r.uint32();
      if (tag >>> 3 !== shape.field) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, WIRE_LEN, shape.fieldName);
      const outerEnd = r.lenEnd();
      const outer = readEnvelope(r, outerEnd, shape.resourceEnvelope);
      const head = outer.head ?? EMPTY;
      const resource: DecodedResource = { raw: head, present: outer.head !== undefined, schemaUrl: outer.schemaUrl, serviceName: serviceNameOf(head) };
      let resourceIndex = -1;
      for (const [innerStart, innerEnd] of outer.children) {
        r.reset(innerStart, innerEnd);
        const inner = readEnvelope(r, innerEnd, shape.scopeEnvelope);
        if (inner.children.length === 0) continue;
        const scope: DecodedScope = { raw: inner.head ?? EMPTY, present: inner.head !== undefined, schemaUrl: inner.schemaUrl };
        let scopeIndex = -1;
        for (const [s, e] of inner.children) {
          if (size >= maxItems) {
            before += size;
            reasonsBefore += batch.rejections.length;
            yield batch;
            batch = shape.empty();
            size = 0;
            resourceIndex = -1;
            scopeIndex = -1;
          }
          if (resourceIndex < 0) resourceIndex = batch.resources.push(resource) - 1;
          if (scopeIndex < 0) scopeIndex = batch.scopes.push(scope) - 1;
          r.reset(s, e);
          shape.readItem(r, s, e, batch, resourceIndex, scopeIndex, before + size, reasonsBefore + batch.rejections.length < MAX_REASONS);
          size++;
        }
      }
      r.reset(outerEnd, bytes.length);
    }
  } catch (err) {
    if (err instanceof ProtoError) throw new DecodeError(`invalid ${shape.request} at byte ${r.pos}: ${err.message}`);
    throw err;
  }
  if (size > 0 || batch.rejected > 0) yield batch;
}

const TRACES: SignalShape<DecodedBatch> = {
  request: 'ExportTraceServiceRequest',
  field: TracesData.field.resourceSpans,
  fieldName: TracesData.byNumber[TracesData.field.resourceSpans]!.protoName,
  resourceEnvelope: ResourceSpans,
  scopeEnvelope: ScopeSpans,
  empty: emptyBatch,
  readItem: readSpan,
};

/** The request in slices of at most `maxSpans` spans (see requestSlices). */
export function decodeExportRequestSlices(bytes: Uint8Array, maxSpans: number): Generator<DecodedBatch, void, void> {
  return requestSlices(bytes, maxSpans, TRACES);
}

/**
 * ResourceSpans and ScopeSpans (and ResourceLogs and ScopeLogs) share a layout: a head message (resource / scope), repeated
 * children (scope_spans / spans), schema_url, in fields 1, 2 and 3 (`byNumber` names
 * them). Reads [r.pos, end) into that shape; children are returned as ranges, because
 * fields may come in any order and the children need the head first.
 */
export interface Envelope {
  head: Uint8Array | undefined;
  children: Array<[number, number]>;
  schemaUrl: string;
}

export function readEnvelope(r: ProtoReader, end: number, spec: MessageSpec): Envelope {
  r.end = end;
  const out: Envelope = { head: undefined, children: [], schemaUrl: '' };
  while (r.more()) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, spec.byNumber[1]!.protoName);
        out.head = r.bytes();
        break;
      case 2: {
        r.expect(tag, WIRE_LEN, spec.byNumber[2]!.protoName);
        const e = r.lenEnd();
        out.children.push([r.pos, e]);
        r.pos = e;
        break;
      }
      case 3:
        r.expect(tag, WIRE_LEN, spec.byNumber[3]!.protoName);
        out.schemaUrl = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

function readSpan(r: ProtoReader, start: number, end: number, batch: DecodedBatch, resource: number, scope: number, index: number, giveReason: boolean): void {
  let traceId: Uint8Array = EMPTY;
  let spanId: Uint8Array = EMPTY;
  let parentSpanId: Uint8Array = EMPTY;
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  let status = 0;
  while (r.more()) {
    const tag = r.uint32();
    switch (tag) {
      case SPAN.traceId:
        traceId = r.bytes();
        break;
      case SPAN.spanId:
        spanId = r.bytes();
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
        startNs = r.fixed64();
        break;
      case SPAN.endTimeUnixNano:
        endNs = r.fixed64();
        break;
      case SPAN.status: {
        const e = r.lenEnd();
        status = readStatusCode(r, e);
        r.pos = e;
        break;
      }
      default:
        if (tag >>> 3 === 0) throw new ProtoError('field number 0');
        r.skip(tag & 7);
    }
  }
  const reason = invalidSpanReason(traceId, spanId, parentSpanId);
  if (reason !== undefined) {
    batch.rejected++;
    if (giveReason) batch.rejections.push(`span ${index}: ${reason}`);
    return;
  }
  const span: DecodedSpan = {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: kind >= 0 && kind <= 5 ? kind : 0,
    startNs,
    endNs,
    status: status >= 0 && status <= 2 ? status : 0,
    raw: r.buf.subarray(start, end),
    resource,
    scope,
  };
  batch.spans.push(span);
}

function readStatusCode(r: ProtoReader, end: number): number {
  const outer = r.end;
  r.end = end;
  let code = 0;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === STATUS.code) code = r.int32();
    else r.skip(tag & 7);
  }
  r.end = outer;
  return code;
}

/** All-zero ids mean "none" in OTLP. */
export function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function invalidSpanReason(traceId: Uint8Array, spanId: Uint8Array, parent: Uint8Array): string | undefined {
  if (traceId.length !== 16) return `trace id must be 16 bytes, got ${traceId.length}`;
  if (isZero(traceId)) return 'trace id is all zeros';
  if (spanId.length !== 8) return `span id must be 8 bytes, got ${spanId.length}`;
  if (isZero(spanId)) return 'span id is all zeros';
  if (parent.length !== 0 && parent.length !== 8) return `parent span id must be empty or 8 bytes, got ${parent.length}`;
  return undefined;
}

function serviceNameOf(resource: Uint8Array): string {
  return stringAttribute(resource, SERVICE_NAME) ?? '';
}

/**
 * Finds the string value of attribute `key` (UTF-8 bytes) among the attributes of a
 * Resource message without decoding the others; undefined when absent.
 */
export function stringAttribute(resource: Uint8Array, key: Uint8Array): string | undefined {
  if (resource.length === 0) return undefined;
  const r = new ProtoReader(resource);
  while (r.more()) {
    const tag = r.uint32();
    if (tag !== RESOURCE.attributes) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.lenEnd();
    const outer = r.end;
    r.end = kvEnd;
    let found = false;
    let value = '';
    while (r.more()) {
      const t = r.uint32();
      if (t === KEY_VALUE.key) {
        const k = r.bytes();
        found = equalBytes(k, key);
      } else if (t === KEY_VALUE.value) {
        const vEnd = r.lenEnd();
        while (r.pos < vEnd) {
          const vt = r.uint32();
          if (vt === ANY_VALUE.stringValue) value = decodeUtf8(r.bytes());
          else r.skip(vt & 7);
        }
      } else r.skip(t & 7);
    }
    r.end = outer;
    if (found) return value;
  }
  return undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
