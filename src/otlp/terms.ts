/**
 * The search terms of one OTLP Span message, for the store's `span_terms` index: a walk
 * over the span's bytes (its name, attributes, events and links, by the trace schema)
 * that hands each key and value to the store's term hashing (store/terms.ts) and writes
 * the tokens into a TermBytes, without decoding a string. Values the tag dictionary may
 * not know yet are decoded and handed to its TagSink. Arrays flatten one level, as TraceQL
 * compares any element; kvlist and bytes values get no value term, but every nested value
 * is read within its bounds and refused past MAX_ANY_VALUE_DEPTH, as every reader of the
 * stored span would refuse it.
 */
import { MAX_ANY_VALUE_DEPTH, ProtoError, ProtoReader, decodeUtf8 } from '../shared/protowire.ts';
import {
  hashBoolValue,
  hashDoubleValue,
  hashEventNameAt,
  hashIntValue,
  hashKeyAt,
  hashLane1,
  hashLane2,
  hashNameAt,
  hashStringValue,
  valuePrefix,
  type TagSink,
  type TagType,
  type TermBytes,
  type TermScope,
} from '../store/index.ts';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, SPAN } from './schema/index.ts';

// The attribute being indexed, so that emit() can name it to the sink on a miss.
let sink: TagSink | undefined;
let curScope: TermScope = 's';
let curBuf: Uint8Array = new Uint8Array(0);
let curKeyStart = 0;
let curKeyEnd = 0;
let curK1 = 0;
let curK2 = 0;

/** Writes the value term just hashed; a string value is at [start,end) of `buf`, an int in `r.lo`/`r.hi`, any other in `scalar`. */
function emit(out: TermBytes, type: TagType, buf: Uint8Array, start: number, end: number, scalar: number | boolean, r?: ProtoReader): void {
  out.putHashed();
  if (sink === undefined) return;
  const v1 = hashLane1();
  const v2 = hashLane2();
  if (sink.known(v1, v2, curK1, curK2)) return;
  const key = decodeUtf8(curBuf.subarray(curKeyStart, curKeyEnd));
  const value =
    type === 'string'
      ? decodeUtf8(buf.subarray(start, end))
      : type === 'int' && r !== undefined
        ? BigInt.asIntN(64, (BigInt(r.hi >>> 0) << 32n) | BigInt(r.lo >>> 0)).toString()
        : scalar;
  sink.add(v1, v2, curK1, curK2, curScope, key, type, value);
}

/** Reads an AnyValue payload in [r.pos,end) and pushes one term per searchable value (on the current valuePrefix). */
function valueTerms(r: ProtoReader, end: number, out: TermBytes, depth: number): void {
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    switch (tag) {
      case ANY_VALUE.stringValue: {
        const e = r.lenEnd();
        hashStringValue(r.buf, r.pos, e);
        emit(out, 'string', r.buf, r.pos, e, 0);
        r.pos = e;
        break;
      }
      case ANY_VALUE.boolValue: {
        const b = r.uint32() !== 0;
        hashBoolValue(b);
        emit(out, 'bool', r.buf, 0, 0, b);
        break;
      }
      case ANY_VALUE.intValue: {
        r.uint64Words();
        hashIntValue(r.lo, r.hi);
        emit(out, 'int', r.buf, 0, 0, 0, r);
        break;
      }
      case ANY_VALUE.doubleValue: {
        const d = r.double();
        hashDoubleValue(d);
        emit(out, 'float', r.buf, 0, 0, d);
        break;
      }
      case ANY_VALUE.arrayValue: {
        // Elements of a top-level array are searchable.
        const e = r.lenEnd();
        r.end = e;
        while (r.more()) {
          const t = r.uint32();
          if (t === LIST.values) {
            const ve = r.lenEnd();
            if (depth === 0) valueTerms(r, ve, out, depth + 1);
            else checkDepth(r, ve, depth + 1);
            r.pos = ve;
          } else r.skip(t & 7);
        }
        r.end = end;
        break;
      }
      case ANY_VALUE.kvlistValue: {
        const e = r.lenEnd();
        checkKvList(r, e, depth + 1);
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outer;
}

/** Walks an AnyValue payload in [r.pos,end) only to refuse nesting deeper than MAX_ANY_VALUE_DEPTH. */
function checkDepth(r: ProtoReader, end: number, depth: number): void {
  // depth counts from 0 at the attribute's own value; readers allow MAX_ANY_VALUE_DEPTH levels in all.
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  // Each nested message is read within its own bounds, so a field that runs past its
  // message's end is refused here, as every reader of the stored span would refuse it.
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === ANY_VALUE.arrayValue) {
      const e = r.lenEnd();
      const arrayOuter = r.end;
      r.end = e;
      while (r.more()) {
        const t = r.uint32();
        if (t === LIST.values) {
          const ve = r.lenEnd();
          checkDepth(r, ve, depth + 1);
          r.pos = ve;
        } else r.skip(t & 7);
      }
      r.end = arrayOuter;
    } else if (tag === ANY_VALUE.kvlistValue) {
      const e = r.lenEnd();
      checkKvList(r, e, depth + 1);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  r.end = outer;
}

/** A KeyValueList payload in [r.pos,end): each KeyValue's value checked for depth. */
function checkKvList(r: ProtoReader, end: number, depth: number): void {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    if (tag !== LIST.values) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.lenEnd();
    r.end = kvEnd;
    while (r.more()) {
      const t = r.uint32();
      if (t === KEY_VALUE.value) {
        const ve = r.lenEnd();
        checkDepth(r, ve, depth);
        r.pos = ve;
      } else r.skip(t & 7);
    }
    r.end = end;
  }
  r.end = outer;
}

/** Pushes the terms of one KeyValue message in [r.pos,kvEnd) for attribute scope `scope`. */
function attributeTerms(r: ProtoReader, kvEnd: number, scope: TermScope, out: TermBytes): void {
  const outer = r.end;
  r.end = kvEnd;
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === KEY_VALUE.key) {
      keyEnd = r.lenEnd();
      keyStart = r.pos;
      r.pos = keyEnd;
    } else if (tag === KEY_VALUE.value) {
      valueEnd = r.lenEnd();
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag & 7);
  }
  if (keyStart >= 0) {
    hashKeyAt(scope, r.buf, keyStart, keyEnd);
    out.putHashed();
    curK1 = hashLane1();
    curK2 = hashLane2();
    if (valueStart >= 0) {
      curScope = scope;
      curBuf = r.buf;
      curKeyStart = keyStart;
      curKeyEnd = keyEnd;
      valuePrefix(scope, r.buf, keyStart, keyEnd);
      r.pos = valueStart;
      valueTerms(r, valueEnd, out, 0);
    }
  }
  r.pos = kvEnd;
  r.end = outer;
}

/** Terms of an Event or Link message in [r.pos,end): its attributes (tag `attrTag`) and, for events, its name (`nameTag`, -1 for none). */
function nestedTerms(r: ProtoReader, end: number, scope: TermScope, attrTag: number, nameTag: number, out: TermBytes): void {
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === nameTag) {
      const e = r.lenEnd();
      hashEventNameAt(r.buf, r.pos, e);
      out.putHashed();
      r.pos = e;
    } else if (tag === attrTag) {
      attributeTerms(r, r.lenEnd(), scope, out);
    } else r.skip(tag & 7);
  }
  r.end = outer;
}

/**
 * Writes all terms of one OTLP Span message to `out`. Values not yet known to `tags` are
 * handed to it. Throws ProtoError for malformed nested messages, having written some.
 */
export function spanTerms(raw: Uint8Array, out: TermBytes, tags?: TagSink): void {
  sink = tags;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const tag = r.uint32();
    switch (tag) {
      case SPAN.name: {
        const e = r.lenEnd();
        hashNameAt(raw, r.pos, e);
        out.putHashed();
        r.pos = e;
        break;
      }
      case SPAN.attributes:
        attributeTerms(r, r.lenEnd(), 's', out);
        break;
      case SPAN.events: {
        const e = r.lenEnd();
        nestedTerms(r, e, 'e', EVENT.attributes, EVENT.name, out);
        r.pos = e;
        break;
      }
      case SPAN.links: {
        const e = r.lenEnd();
        nestedTerms(r, e, 'l', LINK.attributes, -1, out);
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
}

/**
 * Writes the terms of the attributes (the KeyValue fields with tag `attrTag`, such as
 * LOG_RECORD.attributes) of a message other than a span, hashed as a span's own
 * attributes are (scope 's'), so that keyTerm('s', …) and valueTerm('s', …) find them in
 * that message's own term table. Nothing goes to the tag dictionary. Throws ProtoError
 * for malformed or too deeply nested attributes.
 */
export function attributeListTerms(raw: Uint8Array, attrTag: number, out: TermBytes): void {
  sink = undefined;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const tag = r.uint32();
    if (tag === attrTag) attributeTerms(r, r.lenEnd(), 's', out);
    else r.skip(tag & 7);
  }
}
