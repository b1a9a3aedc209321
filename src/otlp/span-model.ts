/**
 * Stored OTLP messages (Span, Resource, InstrumentationScope) decoded into the query
 * side's typed model (src/shared/span.ts). Decoding happens only for spans a query
 * actually looks at.
 */
import { bytesToHex } from '../shared/ids.ts';
import { ProtoReader } from '../shared/protowire.ts';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, RESOURCE, SCOPE, SPAN, STATUS } from './schema/index.ts';
import type { AttrValue, Attributes, QuerySpan, Scope, SpanContext, SpanEvent, SpanLink } from '../shared/span.ts';

export type { AttrValue, Attributes, QuerySpan, Scope, SpanContext, SpanEvent, SpanLink } from '../shared/span.ts';

const EMPTY_ATTRS: Attributes = new Map();
// Shared by spans without events or links; never pushed to (a span gets its own array first).
const NO_EVENTS: SpanEvent[] = [];
const NO_LINKS: SpanLink[] = [];
const OPAQUE: AttrValue = { type: 'opaque' };

/** Reads an AnyValue payload in [r.pos, end). */
function readAnyValue(r: ProtoReader, end: number, depth: number): AttrValue {
  let value: AttrValue = OPAQUE;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case ANY_VALUE.stringValue:
        value = { type: 'string', value: r.string() };
        break;
      case ANY_VALUE.boolValue:
        value = { type: 'bool', value: r.uint32() !== 0 };
        break;
      case ANY_VALUE.intValue:
        value = { type: 'int', value: Number(r.int64()) };
        break;
      case ANY_VALUE.doubleValue:
        value = { type: 'float', value: r.double() };
        break;
      case ANY_VALUE.arrayValue: {
        const e = r.lenEnd();
        const values: AttrValue[] = [];
        while (r.pos < e) {
          const t = r.uint32();
          if (t === LIST.values && depth < 1) {
            const ve = r.lenEnd();
            values.push(readAnyValue(r, ve, depth + 1));
            r.pos = ve;
          } else r.skip(t & 7);
        }
        value = { type: 'array', values };
        break;
      }
      default:
        r.skip(tag & 7);
        value = OPAQUE;
    }
  }
  return value;
}

/** Reads one KeyValue payload in [r.pos, end) into `into`. */
function readKeyValue(r: ProtoReader, end: number, into: Map<string, AttrValue>): void {
  let key = '';
  let value: AttrValue = OPAQUE;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === KEY_VALUE.key) key = r.string();
    else if (tag === KEY_VALUE.value) {
      const e = r.lenEnd();
      value = readAnyValue(r, e, 0);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  into.set(key, value);
}

/**
 * Attributes decoded on first use. A query reads a few attributes of some spans, or
 * none (intrinsics, resource attributes, structure), so decoding every KeyValue of
 * every loaded span up front was most of a search's cost.
 */
class LazyAttributes implements ReadonlyMap<string, AttrValue> {
  private map: Map<string, AttrValue> | undefined;

  /** `start` is the offset of the first attribute field (tag `attrTag`) in `bytes`. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly attrTag: number,
  ) {}

  private load(): Map<string, AttrValue> {
    if (this.map !== undefined) return this.map;
    const map = new Map<string, AttrValue>();
    const r = new ProtoReader(this.bytes, this.start);
    while (r.more()) {
      const tag = r.uint32();
      if (tag === this.attrTag) {
        const e = r.lenEnd();
        readKeyValue(r, e, map);
        r.pos = e;
      } else r.skip(tag & 7);
    }
    this.map = map;
    return map;
  }

  get size(): number {
    return this.load().size;
  }
  get(key: string): AttrValue | undefined {
    return this.load().get(key);
  }
  has(key: string): boolean {
    return this.load().has(key);
  }
  forEach(fn: (value: AttrValue, key: string, map: ReadonlyMap<string, AttrValue>) => void, thisArg?: unknown): void {
    this.load().forEach((v, k) => fn.call(thisArg, v, k, this));
  }
  entries(): MapIterator<[string, AttrValue]> {
    return this.load().entries();
  }
  keys(): MapIterator<string> {
    return this.load().keys();
  }
  values(): MapIterator<AttrValue> {
    return this.load().values();
  }
  [Symbol.iterator](): MapIterator<[string, AttrValue]> {
    return this.load().entries();
  }
}

/** The attributes (tag `attrTag`, decoded lazily) of a message in `bytes`; other fields go to `other`. */
function readMessage(bytes: Uint8Array, attrTag: number, other: (tag: number, r: ProtoReader) => boolean): Attributes {
  if (bytes.length === 0) return EMPTY_ATTRS;
  const r = new ProtoReader(bytes);
  let first = -1;
  while (r.more()) {
    const at = r.pos;
    const tag = r.uint32();
    if (tag === attrTag) {
      if (first < 0) first = at;
      r.pos = r.lenEnd();
    } else if (!other(tag, r)) r.skip(tag & 7);
  }
  return first < 0 ? EMPTY_ATTRS : new LazyAttributes(bytes, first, attrTag);
}

/** Resource message → its attributes. */
export function decodeResource(raw: Uint8Array): Attributes {
  return readMessage(raw, RESOURCE.attributes, () => false);
}

/** InstrumentationScope message → name, version, attributes. */
export function decodeScope(raw: Uint8Array): Scope {
  let name = '';
  let version = '';
  const attributes = readMessage(raw, SCOPE.attributes, (tag, r) => {
    if (tag === SCOPE.name) name = r.string();
    else if (tag === SCOPE.version) version = r.string();
    else return false;
    return true;
  });
  return { name, version, attributes };
}

function decodeEvent(bytes: Uint8Array): SpanEvent {
  let name = '';
  let timeNs = 0n;
  const attributes = readMessage(bytes, EVENT.attributes, (tag, r) => {
    if (tag === EVENT.timeUnixNano) timeNs = r.fixed64();
    else if (tag === EVENT.name) name = r.string();
    else return false;
    return true;
  });
  return { name, timeNs, attributes };
}

function decodeLink(bytes: Uint8Array): SpanLink {
  let traceId = '';
  let spanId = '';
  const attributes = readMessage(bytes, LINK.attributes, (tag, r) => {
    if (tag === LINK.traceId) traceId = bytesToHex(r.bytes());
    else if (tag === LINK.spanId) spanId = bytesToHex(r.bytes());
    else return false;
    return true;
  });
  return { traceId, spanId, attributes };
}

/** Hex of `buf[start, end)`; Buffer.toString does it without a view per id. */
function hexAt(buf: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(buf) ? buf.toString('hex', start, end) : bytesToHex(buf.subarray(start, end));
}

/** Decodes a stored OTLP Span message; attributes are decoded when first read. */
export function decodeSpan(raw: Uint8Array, context: SpanContext): QuerySpan {
  let spanId = '';
  let parentId = '';
  let name = '';
  let kind = 0;
  let status = 0;
  let statusMessage = '';
  let startNs = 0n;
  let endNs = 0n;
  let events: SpanEvent[] = NO_EVENTS;
  let links: SpanLink[] = NO_LINKS;
  let firstAttribute = -1;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const at = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case SPAN.spanId: {
        const e = r.lenEnd();
        spanId = hexAt(raw, r.pos, e);
        r.pos = e;
        break;
      }
      case SPAN.parentSpanId: {
        const e = r.lenEnd();
        parentId = hexAt(raw, r.pos, e);
        r.pos = e;
        break;
      }
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
      case SPAN.attributes:
        if (firstAttribute < 0) firstAttribute = at;
        r.pos = r.lenEnd();
        break;
      case SPAN.events:
        if (events === NO_EVENTS) events = [];
        events.push(decodeEvent(r.bytes()));
        break;
      case SPAN.links:
        if (links === NO_LINKS) links = [];
        links.push(decodeLink(r.bytes()));
        break;
      case SPAN.status: {
        const e = r.lenEnd();
        while (r.pos < e) {
          const t = r.uint32();
          if (t === STATUS.message) statusMessage = r.string();
          else if (t === STATUS.code) status = r.int32();
          else r.skip(t & 7);
        }
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  const attributes = firstAttribute < 0 ? EMPTY_ATTRS : new LazyAttributes(raw, firstAttribute, SPAN.attributes);
  return {
    spanId,
    parentId,
    name,
    kind,
    status,
    statusMessage,
    startNs,
    endNs,
    durationNs: endNs - startNs,
    attributes,
    events,
    links,
    resource: context.resource,
    service: context.service,
    scope: context.scope,
  };
}

