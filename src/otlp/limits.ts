/**
 * Attribute limits applied on ingest, as the OpenTelemetry SDK applies its span limits
 * (AttributeValueLengthLimit, AttributeCountLimit): string values longer than
 * `maxAttrLength` characters (and bytes values longer than that many bytes) are
 * truncated, also inside arrays and kvlists; attributes past `maxAttrsPerSpan` on a span,
 * an event or a link are dropped and added to that message's dropped_attributes_count.
 * Keys longer than the limit are truncated too (as Tempo's max_attribute_bytes does).
 * Resource and scope attributes get the length limit only, as the SDK never counts them.
 *
 * A message is rewritten only when it exceeds a limit; everything else stays a zero-copy
 * view of the request. The same walk reads every nested message (events, links, status,
 * attributes, each occurrence of a key or value) within its own bounds: a span that the
 * read side could not decode again, or with values nested deeper than
 * MAX_ANY_VALUE_DEPTH, is invalid (found by fuzzing: such spans were stored, then made
 * trace-by-id and search fail); in a resource or scope, every span under it is.
 */
import { isUtf8 } from 'node:buffer';
import { ProtoError, ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT, decodeUtf8, encodeUtf8 } from '../shared/protowire.ts';
import {
  ANY_VALUE, AnyValue, ArrayValue, InstrumentationScope, KEY_VALUE, KeyValue, LIST, Resource, SPAN as SPAN_TAG, Span, SpanEvent, SpanLink, Status, type MessageSpec, type NamedField,
} from './schema/index.ts';
import { bytesToHex } from '../shared/ids.ts';
import { MAX_ANY_VALUE_DEPTH } from '../shared/protowire.ts';
import { stringAttribute } from './decode-protobuf.ts';
import type { DecodedBatch, DecodedLogBatch, DecodedResource, DecodedScope } from './types.ts';
import { LogRecord } from './schema/index.ts';

export interface AttributeLimits {
  /** Longest attribute key or string value in characters (bytes values: bytes); 0 for no limit. */
  readonly maxAttrLength: number;
  /** Most attributes on one span, event or link; 0 for no limit. */
  readonly maxAttrsPerSpan: number;
}

const SERVICE_NAME = new TextEncoder().encode('service.name');
/** How many rejection reasons are kept, as decode-protobuf.ts keeps. */
const MAX_REASONS = 5;

/** A message that carries attributes (or strings), as the limits see it. */
interface Shape {
  readonly attrs: NamedField | undefined;
  readonly dropped: NamedField | undefined;
  /** Whether the count limit applies (spans, events, links: the SDK's limits). */
  readonly counted: boolean;
  /** Tags of its own string fields, kept valid UTF-8. */
  readonly strings: readonly number[];
  /** The tag of an AnyValue field (a log record's body): kept valid UTF-8 and within the nesting limit, never cut. */
  readonly body?: number;
}

function shapeOf(spec: MessageSpec, counted: boolean): Shape {
  const fields = spec.byNumber.filter((f) => f !== undefined);
  return {
    attrs: fields.find((f) => f.name === 'attributes'),
    dropped: fields.find((f) => f.name === 'droppedAttributesCount'),
    counted,
    strings: fields.filter((f) => f.type === 'string').map((f) => f.tag),
  };
}

const SPAN: Shape = shapeOf(Span, true);
const EVENT: Shape = shapeOf(SpanEvent, true);
const LINK: Shape = shapeOf(SpanLink, true);
const RESOURCE: Shape = shapeOf(Resource, false);
const SCOPE: Shape = shapeOf(InstrumentationScope, false);
const STATUS: Shape = shapeOf(Status, false);
const LOG_RECORD_SHAPE: Shape = { ...shapeOf(LogRecord, true), body: LogRecord.tag.body };

/**
 * Whether bytes [start, end) are valid UTF-8. Protobuf strings must be: strict decoders
 * (Go's, which Grafana's Tempo data source uses on trace-by-id protobuf) refuse the whole
 * message otherwise, so invalid sequences are replaced by U+FFFD on ingest.
 */
function validUtf8(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return isUtf8(buf.subarray(i, end));
  return true;
}

/**
 * The next tag, as strict decoders (Go's, protobufjs) read it: at most five bytes and 32
 * bits, field number not 0. ProtoReader is lenient here (it reads any varint as a tag).
 */
function nextTag(r: ProtoReader): number {
  const start = r.pos;
  const tag = r.uint32();
  const n = r.pos - start;
  if (n > 5 || (n === 5 && r.buf[r.pos - 1] > 0x0f)) throw new ProtoError('invalid tag encoding');
  if (tag >>> 3 === 0) throw new ProtoError('field number 0');
  return tag;
}

/** Code points in UTF-8 bytes [start, end): every byte that does not continue a sequence starts one. */
function codePoints(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((buf[i] & 0xc0) !== 0x80) n++;
  return n;
}

/** The end of the first `max` code points of UTF-8 bytes [start, end). */
function cutAfter(buf: Uint8Array, start: number, end: number, max: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    if ((buf[i] & 0xc0) !== 0x80 && n++ === max) return i;
  }
  return end;
}

class Limiter {
  constructor(private readonly limits: AttributeLimits) {}

  /** Bodies are checked and made valid UTF-8 as attribute values are, but no length limit cuts them. */
  private bodies: Limiter | undefined;
  private get body(): Limiter {
    return (this.bodies ??= new Limiter({ maxAttrLength: 0, maxAttrsPerSpan: 0 }));
  }

  private tooLong(buf: Uint8Array, start: number, end: number): boolean {
    const max = this.limits.maxAttrLength;
    return max > 0 && end - start > max && codePoints(buf, start, end) > max;
  }

  // ---- checks: is there anything to do? (no allocation) ----------------------------

  /**
   * Whether the message in [start, end) with this shape exceeds a limit. Throws ProtoError
   * when it is malformed or nested too deep anywhere the read side looks: every nested
   * message (events, links, status, each occurrence of an attribute's key and value) is
   * read within its own bounds, so what is stored can always be decoded again.
   */
  needs(buf: Uint8Array, start: number, end: number, shape: Shape): boolean {
    const r = new ProtoReader(buf, start, end);
    const attrTag = shape.attrs?.tag ?? -1;
    const maxCount = shape.counted ? this.limits.maxAttrsPerSpan : 0;
    let count = 0;
    let over = false;
    while (r.more()) {
      const tag = nextTag(r);
      if (tag === attrTag) {
        const e = r.lenEnd();
        if (maxCount > 0 && ++count > maxCount) over = true;
        if (this.keyValueNeeds(r, e, 0)) over = true;
        r.pos = e;
      } else if (shape === SPAN && (tag === SPAN_TAG.events || tag === SPAN_TAG.links)) {
        const e = r.lenEnd();
        if (this.needs(buf, r.pos, e, tag === SPAN_TAG.events ? EVENT : LINK)) over = true;
        r.pos = e;
      } else if (shape === SPAN && tag === SPAN_TAG.status) {
        const e = r.lenEnd();
        if (this.needs(buf, r.pos, e, STATUS)) over = true;
        r.pos = e;
      } else if (shape.strings.includes(tag)) {
        const e = r.lenEnd();
        if (!validUtf8(buf, r.pos, e)) over = true;
        r.pos = e;
      } else if (tag === shape.body) {
        const e = r.lenEnd();
        if (this.body.anyValueNeeds(r, e, 0)) over = true;
        r.pos = e;
      } else r.skip(tag & 7);
    }
    return over;
  }

  /** KeyValue payload at [r.pos, end). */
  private keyValueNeeds(r: ProtoReader, end: number, depth: number): boolean {
    const outer = r.end;
    r.end = end;
    let over = false;
    while (r.more()) {
      const tag = nextTag(r);
      const e = (tag & 7) === WIRE_LEN ? r.lenEnd() : -1;
      if (e < 0) r.skip(tag & 7);
      else {
        if (tag === KEY_VALUE.key && (this.tooLong(r.buf, r.pos, e) || !validUtf8(r.buf, r.pos, e))) over = true;
        else if (tag === KEY_VALUE.value && this.anyValueNeeds(r, e, depth)) over = true;
        r.pos = e;
      }
    }
    r.end = outer;
    return over;
  }

  /** AnyValue payload at [r.pos, end); `depth` 0 is an attribute's own value. */
  private anyValueNeeds(r: ProtoReader, end: number, depth: number): boolean {
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
    const outer = r.end;
    r.end = end;
    let over = false;
    while (r.more()) {
      const tag = nextTag(r);
      if ((tag & 7) !== WIRE_LEN) {
        r.skip(tag & 7);
        continue;
      }
      const e = r.lenEnd();
      if (tag === ANY_VALUE.stringValue) {
        if (this.tooLong(r.buf, r.pos, e) || !validUtf8(r.buf, r.pos, e)) over = true;
      } else if (tag === ANY_VALUE.bytesValue) {
        if (this.limits.maxAttrLength > 0 && e - r.pos > this.limits.maxAttrLength) over = true;
      } else if (tag === ANY_VALUE.arrayValue || tag === ANY_VALUE.kvlistValue) {
        // ArrayValue { repeated AnyValue values = 1 }, KeyValueList { repeated KeyValue values = 1 }
        const list = r.end;
        r.end = e;
        while (r.more()) {
          const t = nextTag(r);
          if (t !== LIST.values) {
            r.skip(t & 7);
            continue;
          }
          const ve = r.lenEnd();
          if (tag === ANY_VALUE.arrayValue ? this.anyValueNeeds(r, ve, depth + 1) : this.keyValueNeeds(r, ve, depth + 1)) over = true;
          r.pos = ve;
        }
        r.end = list;
      }
      r.pos = e;
    }
    r.end = outer;
    return over;
  }

  // ---- rewriting ---------------------------------------------------------------------

  /** The message in [start, end) with its attributes limited. */
  rewrite(buf: Uint8Array, start: number, end: number, shape: Shape): Uint8Array {
    const w = new ProtoWriter(end - start);
    const r = new ProtoReader(buf, start, end);
    const attrTag = shape.attrs?.tag ?? -1;
    const droppedTag = shape.dropped?.tag ?? -1;
    const maxCount = shape.counted ? this.limits.maxAttrsPerSpan : 0;
    let count = 0;
    let dropped = 0;
    let droppedBefore = 0;
    while (r.more()) {
      const fieldStart = r.pos;
      const tag = r.uint32();
      if (tag === attrTag) {
        const e = r.lenEnd();
        const payload = r.pos;
        if (maxCount > 0 && ++count > maxCount) dropped++;
        else if (this.keyValueNeeds(r, e, 0)) {
          r.pos = payload;
          w.fork(shape.attrs!.number);
          this.keyValue(r, e, w);
          w.join();
        } else w.raw(buf.subarray(fieldStart, e));
        r.pos = e;
      } else if (tag === droppedTag) {
        droppedBefore = r.uint32();
      } else if (shape === SPAN && (tag === SPAN_TAG.events || tag === SPAN_TAG.links || tag === SPAN_TAG.status)) {
        const e = r.lenEnd();
        const inner = tag === SPAN_TAG.events ? EVENT : tag === SPAN_TAG.links ? LINK : STATUS;
        if (this.needs(buf, r.pos, e, inner)) w.bytesField(tag >>> 3, this.rewrite(buf, r.pos, e, inner));
        else w.raw(buf.subarray(fieldStart, e));
        r.pos = e;
      } else if (shape.strings.includes(tag)) {
        const e = r.lenEnd();
        if (validUtf8(buf, r.pos, e)) w.raw(buf.subarray(fieldStart, e));
        else w.stringField(tag >>> 3, decodeUtf8(buf.subarray(r.pos, e)));
        r.pos = e;
      } else if (tag === shape.body) {
        const e = r.lenEnd();
        const payload = r.pos;
        if (this.body.anyValueNeeds(r, e, 0)) {
          r.pos = payload;
          w.fork(tag >>> 3);
          this.body.anyValue(r, e, w);
          w.join();
        } else w.raw(buf.subarray(fieldStart, e));
        r.pos = e;
      } else {
        r.skip(tag & 7);
        w.raw(buf.subarray(fieldStart, r.pos));
      }
    }
    const total = Math.min(droppedBefore + dropped, 0xffffffff);
    if (total > 0) w.tag(shape.dropped!.number, WIRE_VARINT).uint32(total);
    return w.finish();
  }

  /** A KeyValue payload at [r.pos, end), written with its key and value limited. */
  private keyValue(r: ProtoReader, end: number, w: ProtoWriter): void {
    const outer = r.end;
    r.end = end;
    while (r.more()) {
      const fieldStart = r.pos;
      const tag = r.uint32();
      if ((tag & 7) !== WIRE_LEN) {
        r.skip(tag & 7);
        w.raw(r.buf.subarray(fieldStart, r.pos));
        continue;
      }
      const e = r.lenEnd();
      if (tag === KEY_VALUE.key) this.string(KeyValue.field.key, r.buf, r.pos, e, w);
      else if (tag === KEY_VALUE.value) {
        w.fork(KeyValue.field.value);
        this.anyValue(r, e, w);
        w.join();
      } else w.raw(r.buf.subarray(fieldStart, e));
      r.pos = e;
    }
    r.end = outer;
  }

  private anyValue(r: ProtoReader, end: number, w: ProtoWriter): void {
    const outer = r.end;
    r.end = end;
    const max = this.limits.maxAttrLength;
    while (r.more()) {
      const fieldStart = r.pos;
      const tag = r.uint32();
      if ((tag & 7) !== WIRE_LEN) {
        r.skip(tag & 7);
        w.raw(r.buf.subarray(fieldStart, r.pos));
        continue;
      }
      const e = r.lenEnd();
      if (tag === ANY_VALUE.stringValue) this.string(AnyValue.field.stringValue, r.buf, r.pos, e, w);
      else if (tag === ANY_VALUE.bytesValue && max > 0 && e - r.pos > max) w.bytesField(AnyValue.field.bytesValue, r.buf.subarray(r.pos, r.pos + max));
      else if (tag === ANY_VALUE.arrayValue || tag === ANY_VALUE.kvlistValue) {
        w.fork(tag >>> 3);
        const list = r.end;
        r.end = e;
        while (r.more()) {
          const itemStart = r.pos;
          const t = r.uint32();
          if (t !== LIST.values) {
            r.skip(t & 7);
            w.raw(r.buf.subarray(itemStart, r.pos));
            continue;
          }
          const ve = r.lenEnd();
          w.fork(ArrayValue.field.values);
          if (tag === ANY_VALUE.arrayValue) this.anyValue(r, ve, w);
          else this.keyValue(r, ve, w);
          w.join();
          r.pos = ve;
        }
        r.end = list;
        w.join();
      } else w.raw(r.buf.subarray(fieldStart, e));
      r.pos = e;
    }
    r.end = outer;
  }

  /** A key or string value, made valid UTF-8 and cut to the length limit. */
  private string(field: number, buf: Uint8Array, start: number, end: number, w: ProtoWriter): void {
    if (!validUtf8(buf, start, end)) {
      buf = encodeUtf8(decodeUtf8(buf.subarray(start, end)));
      start = 0;
      end = buf.length;
    }
    const cut = this.tooLong(buf, start, end) ? cutAfter(buf, start, end, this.limits.maxAttrLength) : end;
    w.bytesField(field, buf.subarray(start, cut));
  }
}

/** What limits are applied to: spans or log records, each with its resource and scope. */
interface Limited {
  readonly raw: Uint8Array;
  readonly resource: number;
  readonly scope: number;
}

interface LimitedBatch<T extends Limited> {
  readonly resources: DecodedResource[];
  readonly scopes: DecodedScope[];
  readonly items: T[];
  readonly rejected: number;
  readonly reasons: string[];
  /** False when nothing was rewritten or refused (the batch can be used as it is). */
  readonly changed: boolean;
}

/**
 * Limits every item (in `shape`), its resource and scope; an item whose resource or scope
 * is malformed is refused with it. `name` says which item a reason is about.
 */
function limitItems<T extends Limited>(
  limiter: Limiter,
  batch: { readonly resources: DecodedResource[]; readonly scopes: DecodedScope[] },
  items: readonly T[],
  shape: Shape,
  name: (item: T, index: number) => string,
): LimitedBatch<T> {
  const reasons: string[] = [];
  let changed = false;

  /** Rewrites one resource or scope when needed; undefined when it is malformed or too deep. */
  function limit<R extends DecodedResource | DecodedScope>(item: R, itemShape: Shape, what: string): R | undefined {
    try {
      if (!limiter.needs(item.raw, 0, item.raw.length, itemShape)) return item;
      changed = true;
      return { ...item, raw: limiter.rewrite(item.raw, 0, item.raw.length, itemShape) };
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      changed = true;
      reasons.push(`${what}: ${err.message}`);
      return undefined;
    }
  }

  const resources = batch.resources.map((r) => {
    const limited = limit(r, RESOURCE, 'resource');
    if (limited === undefined || limited === r) return limited;
    return { ...limited, serviceName: stringAttribute(limited.raw, SERVICE_NAME) ?? '' };
  });
  const scopes = batch.scopes.map((s) => limit(s, SCOPE, 'instrumentation scope'));

  const kept: T[] = [];
  let rejected = 0;
  items.forEach((item, i) => {
    if (resources[item.resource] === undefined || scopes[item.scope] === undefined) {
      rejected++;
      return;
    }
    try {
      if (!limiter.needs(item.raw, 0, item.raw.length, shape)) kept.push(item);
      else {
        changed = true;
        kept.push({ ...item, raw: limiter.rewrite(item.raw, 0, item.raw.length, shape) });
      }
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      changed = true;
      rejected++;
      reasons.push(`${name(item, i)}: ${err.message}`);
    }
  });
  if (!changed) return { resources: batch.resources, scopes: batch.scopes, items: kept, rejected, reasons, changed };
  // Rejected resources and scopes leave the batch (nothing refers to them any more).
  const keptResources: DecodedResource[] = [];
  const resourceIndex = resources.map((r) => (r === undefined ? -1 : keptResources.push(r) - 1));
  const keptScopes: DecodedScope[] = [];
  const scopeIndex = scopes.map((s) => (s === undefined ? -1 : keptScopes.push(s) - 1));
  const moved = keptResources.length !== resources.length || keptScopes.length !== scopes.length;
  return {
    resources: keptResources,
    scopes: keptScopes,
    items: moved ? kept.map((s) => ({ ...s, resource: resourceIndex[s.resource], scope: scopeIndex[s.scope] })) : kept,
    rejected,
    reasons,
    changed,
  };
}

/**
 * Applies `limits` to a decoded batch. Returns the batch itself when nothing exceeds a
 * limit, else a copy with the affected messages rewritten and invalid spans moved to
 * `rejected`. Resources and scopes are checked for nesting depth even without limits.
 */
export function applyAttributeLimits(batch: DecodedBatch, limits: AttributeLimits): DecodedBatch {
  const out = limitItems(new Limiter(limits), batch, batch.spans, SPAN, (span) => `span ${bytesToHex(span.spanId)}`);
  if (!out.changed) return batch;
  return {
    resources: out.resources,
    scopes: out.scopes,
    spans: out.items,
    rejected: batch.rejected + out.rejected,
    rejections: [...batch.rejections, ...out.reasons].slice(0, MAX_REASONS),
  };
}

/**
 * The same for log records: the SDK's log record limits (attribute count and length),
 * severity text and event name kept valid UTF-8; the body is not cut.
 */
export function applyLogLimits(batch: DecodedLogBatch, limits: AttributeLimits): DecodedLogBatch {
  const out = limitItems(new Limiter(limits), batch, batch.records, LOG_RECORD_SHAPE, (_record, i) => `log record ${i} of the slice`);
  if (!out.changed) return batch;
  return {
    resources: out.resources,
    scopes: out.scopes,
    records: out.items,
    rejected: batch.rejected + out.rejected,
    rejections: [...batch.rejections, ...out.reasons].slice(0, MAX_REASONS),
  };
}
