/**
 * The search terms of a span: short tokens for the `span_terms` FTS5 index, each a
 * 64-bit hash of what a TraceQL equality can ask for. Hashing raw bytes means no
 * attribute string is decoded on ingest.
 *
 * Term kinds (the first hashed byte):
 *   'v' scope key type value  — an attribute value; array elements get one term each
 *   'k' scope key             — an attribute key exists (for `!= nil`)
 *   'n' name                  — the span name intrinsic
 *   'e' name                  — an event name
 * Scopes: 's' span, 'e' event, 'l' link attributes.
 * Numbers: ints and integral doubles hash as the same int64 (`= 200` finds 200 and
 * 200.0); other doubles hash their IEEE bytes.
 */
import { MAX_ANY_VALUE_DEPTH, ProtoError, ProtoReader, WIRE_LEN, decodeUtf8, encodeUtf8 } from '../shared/protowire.ts';

export type TermScope = 's' | 'e' | 'l';
export type TermValue = string | number | bigint | boolean;

const SCOPE_BYTE: Record<TermScope, number> = { s: 0x73, e: 0x65, l: 0x6c };

const T_STR = 0x73; // 's'
const T_INT = 0x69; // 'i'
const T_DBL = 0x64; // 'd'
const T_BOOL = 0x62; // 'b'

// Two independent 32-bit FNV-1a style lanes make a 64-bit hash: collisions stay rare at
// hundreds of millions of distinct values.
let h1 = 0;
let h2 = 0;

function begin(kind: number): void {
  h1 = 0x811c9dc5 ^ kind;
  h2 = 0x01000193 ^ Math.imul(kind, 0x9e3779b1);
}

function feedByte(b: number): void {
  h1 = Math.imul(h1 ^ b, 0x01000193);
  h2 = Math.imul(h2 ^ b, 0x5bd1e995) ^ (h2 >>> 15);
}

function feed(buf: Uint8Array, start: number, end: number): void {
  let a = h1;
  let c = h2;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    a = Math.imul(a ^ b, 0x01000193);
    c = Math.imul(c ^ b, 0x5bd1e995) ^ (c >>> 15);
  }
  h1 = a;
  h2 = c;
}

/** Length-prefixes a part so ("ab","c") and ("a","bc") hash differently. */
function feedPart(buf: Uint8Array, start: number, end: number): void {
  const n = end - start;
  feedByte(n & 0xff);
  feedByte((n >>> 8) & 0xff);
  feedByte((n >>> 16) & 0xff);
  feed(buf, start, end);
}

function feedWord(w: number): void {
  feedByte(w & 0xff);
  feedByte((w >>> 8) & 0xff);
  feedByte((w >>> 16) & 0xff);
  feedByte(w >>> 24);
}

// 32 symbols from FTS5's token alphabet; 7 symbols carry 35 bits, enough for one lane.
const B32 = Array.from('0123456789abcdefghijklmnopqrstuv', (c) => c.charCodeAt(0));

function token(): string {
  const a = h1 >>> 0;
  const b = h2 >>> 0;
  // Fixed width keeps tokens unambiguous; fromCharCode with literal lookups avoids toString/padStart.
  return String.fromCharCode(
    B32[a >>> 27], B32[(a >>> 22) & 31], B32[(a >>> 17) & 31], B32[(a >>> 12) & 31], B32[(a >>> 7) & 31], B32[(a >>> 2) & 31], B32[a & 3],
    B32[b >>> 27], B32[(b >>> 22) & 31], B32[(b >>> 17) & 31], B32[(b >>> 12) & 31], B32[(b >>> 7) & 31], B32[(b >>> 2) & 31], B32[b & 3],
  );
}

const scratch = new DataView(new ArrayBuffer(8));

export type TagType = 'string' | 'int' | 'float' | 'bool';

/**
 * Learns attribute values as spans are indexed, for tag-value listings. `known` is
 * asked first with the value's term so that nothing is decoded for values already seen.
 */
export interface TagSink {
  /** `keyTerm` identifies the attribute key, so a key with too many values can be skipped cheaply. */
  known(term: string, keyTerm: string): boolean;
  add(term: string, keyTerm: string, scope: TermScope, key: string, type: TagType, value: string | number | boolean): void;
}

// The attribute being indexed, so that emitValue() can name it to the sink on a miss.
let sink: TagSink | undefined;
let curScope: TermScope = 's';
let curBuf: Uint8Array = new Uint8Array(0);
let curKeyStart = 0;
let curKeyEnd = 0;
let curKeyTerm = '';

/** Pushes the current hash as a value term; a string value is at [start,end) of `buf`, any other in `scalar`. */
function emitValue(out: string[], type: TagType, buf: Uint8Array, start: number, end: number, scalar: bigint | number | boolean): void {
  const t = token();
  out.push(t);
  if (sink === undefined || sink.known(t, curKeyTerm)) return;
  const key = decodeUtf8(curBuf.subarray(curKeyStart, curKeyEnd));
  const value =
    type === 'string' ? decodeUtf8(buf.subarray(start, end)) : typeof scalar === 'bigint' ? BigInt.asIntN(64, scalar).toString() : scalar;
  sink.add(t, curKeyTerm, curScope, key, type, value);
}

/** Feeds an integral number as its int64 two's-complement words. */
function feedInt64Words(lo: number, hi: number): void {
  feedByte(T_INT);
  feedWord(lo);
  feedWord(hi);
}

function feedDouble(d: number): void {
  if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) {
    const big = BigInt.asUintN(64, BigInt(d));
    feedInt64Words(Number(big & 0xffffffffn), Number(big >> 32n));
    return;
  }
  scratch.setFloat64(0, d, true);
  feedByte(T_DBL);
  feedWord(scratch.getUint32(0, true));
  feedWord(scratch.getUint32(4, true));
}

/**
 * Reads an AnyValue payload in [r.pos,end) and pushes one term per searchable value,
 * each hashed on top of the (scope, key) prefix state p1/p2. Arrays flatten one
 * level, as TraceQL compares any element; kvlist and bytes values get no value term.
 */
function valueTerms(r: ProtoReader, end: number, p1: number, p2: number, out: string[], depth: number): void {
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_LEN: {
        const e = r.lenEnd();
        h1 = p1;
        h2 = p2;
        feedByte(T_STR);
        feedPart(r.buf, r.pos, e);
        emitValue(out, 'string', r.buf, r.pos, e, 0);
        r.pos = e;
        break;
      }
      case (2 << 3) | 0: {
        const b = r.uint32() !== 0;
        h1 = p1;
        h2 = p2;
        feedByte(T_BOOL);
        feedByte(b ? 1 : 0);
        emitValue(out, 'bool', r.buf, 0, 0, b);
        break;
      }
      case (3 << 3) | 0: {
        const v = r.uint64();
        h1 = p1;
        h2 = p2;
        feedInt64Words(Number(v & 0xffffffffn), Number(v >> 32n));
        emitValue(out, 'int', r.buf, 0, 0, v);
        break;
      }
      case (4 << 3) | 1: {
        const d = r.double();
        h1 = p1;
        h2 = p2;
        feedDouble(d);
        emitValue(out, 'float', r.buf, 0, 0, d);
        break;
      }
      case (5 << 3) | WIRE_LEN: {
        // ArrayValue { repeated AnyValue values = 1 }: elements of a top-level array are searchable.
        const e = r.lenEnd();
        r.end = e;
        while (r.more()) {
          const t = r.uint32();
          if (t === ((1 << 3) | WIRE_LEN)) {
            const ve = r.lenEnd();
            if (depth === 0) valueTerms(r, ve, p1, p2, out, depth + 1);
            else checkDepth(r, ve, depth + 1);
            r.pos = ve;
          } else r.skip(t & 7);
        }
        r.end = end;
        break;
      }
      case (6 << 3) | WIRE_LEN: {
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

/** Walks an AnyValue payload in [r.pos,end) only to refuse nesting deeper than MAX_VALUE_DEPTH. */
function checkDepth(r: ProtoReader, end: number, depth: number): void {
  // depth counts from 0 at the attribute's own value; readers allow MAX_ANY_VALUE_DEPTH levels in all.
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  // Each nested message is read within its own bounds, so a field that runs past its
  // message's end is refused here, as every reader of the stored span would refuse it.
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === ((5 << 3) | WIRE_LEN)) {
      const e = r.lenEnd();
      const arrayOuter = r.end;
      r.end = e;
      while (r.more()) {
        const t = r.uint32();
        if (t === ((1 << 3) | WIRE_LEN)) {
          const ve = r.lenEnd();
          checkDepth(r, ve, depth + 1);
          r.pos = ve;
        } else r.skip(t & 7);
      }
      r.end = arrayOuter;
    } else if (tag === ((6 << 3) | WIRE_LEN)) {
      const e = r.lenEnd();
      checkKvList(r, e, depth + 1);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  r.end = outer;
}

/** KeyValueList { repeated KeyValue values = 1 }, each KeyValue { key = 1, AnyValue value = 2 }. */
function checkKvList(r: ProtoReader, end: number, depth: number): void {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.uint32();
    if (tag !== ((1 << 3) | WIRE_LEN)) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.lenEnd();
    r.end = kvEnd;
    while (r.more()) {
      const t = r.uint32();
      if (t === ((2 << 3) | WIRE_LEN)) {
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
function attributeTerms(r: ProtoReader, kvEnd: number, scope: TermScope, out: string[]): void {
  const outer = r.end;
  r.end = kvEnd;
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) {
      keyEnd = r.lenEnd();
      keyStart = r.pos;
      r.pos = keyEnd;
    } else if (tag === ((2 << 3) | WIRE_LEN)) {
      valueEnd = r.lenEnd();
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag & 7);
  }
  if (keyStart >= 0) {
    const scopeByte = SCOPE_BYTE[scope];
    begin(0x6b); // 'k'
    feedByte(scopeByte);
    feedPart(r.buf, keyStart, keyEnd);
    curKeyTerm = token();
    out.push(curKeyTerm);
    if (valueStart >= 0) {
      curScope = scope;
      curBuf = r.buf;
      curKeyStart = keyStart;
      curKeyEnd = keyEnd;
      begin(0x76); // 'v'
      feedByte(scopeByte);
      feedPart(r.buf, keyStart, keyEnd);
      r.pos = valueStart;
      valueTerms(r, valueEnd, h1, h2, out, 0);
    }
  }
  r.pos = kvEnd;
  r.end = outer;
}

/**
 * Terms of an Event or Link message in [r.pos,end): its attributes (field `attrField`)
 * and, for events, its name (field `nameField`, 0 for none).
 */
function nestedTerms(r: ProtoReader, end: number, scope: TermScope, attrField: number, nameField: number, out: string[]): void {
  const outer = r.end;
  r.end = end;
  const attrTag = (attrField << 3) | WIRE_LEN;
  const nameTag = nameField === 0 ? -1 : (nameField << 3) | WIRE_LEN;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === nameTag) {
      const e = r.lenEnd();
      begin(0x65); // 'e'
      feedPart(r.buf, r.pos, e);
      out.push(token());
      r.pos = e;
    } else if (tag === attrTag) {
      attributeTerms(r, r.lenEnd(), scope, out);
    } else r.skip(tag & 7);
  }
  r.end = outer;
}

/**
 * All terms of one OTLP Span message, space-separated for FTS5. Values not yet known
 * to `tags` are handed to it. Throws ProtoError for malformed nested messages.
 */
export function spanTerms(raw: Uint8Array, tags?: TagSink): string {
  const out: string[] = [];
  sink = tags;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const tag = r.uint32();
    switch (tag) {
      case (5 << 3) | WIRE_LEN: {
        const e = r.lenEnd();
        begin(0x6e); // 'n'
        feedPart(raw, r.pos, e);
        out.push(token());
        r.pos = e;
        break;
      }
      case (9 << 3) | WIRE_LEN:
        attributeTerms(r, r.lenEnd(), 's', out);
        break;
      case (11 << 3) | WIRE_LEN: {
        const e = r.lenEnd();
        nestedTerms(r, e, 'e', 3, 2, out); // Event: attributes = 3, name = 2
        r.pos = e;
        break;
      }
      case (13 << 3) | WIRE_LEN: {
        const e = r.lenEnd();
        nestedTerms(r, e, 'l', 4, 0, out); // Link: attributes = 4
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return out.join(' ');
}

/**
 * The terms of the attributes (the KeyValue fields numbered `attrField`) of any other
 * message, hashed as a span's own attributes are (scope 's'), so that keyTerm('s', …) and
 * valueTerm('s', …) find them in that message's own term table. Nothing goes to the tag
 * dictionary. Throws ProtoError for malformed or too deeply nested attributes.
 */
export function attributeListTerms(raw: Uint8Array, attrField: number, out: string[]): void {
  sink = undefined;
  const attrTag = (attrField << 3) | WIRE_LEN;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const tag = r.uint32();
    if (tag === attrTag) attributeTerms(r, r.lenEnd(), 's', out);
    else r.skip(tag & 7);
  }
}

function feedString(s: string): void {
  const b = encodeUtf8(s);
  feedPart(b, 0, b.length);
}

/** The term for "attribute `key` in `scope` exists". */
export function keyTerm(scope: TermScope, key: string): string {
  begin(0x6b);
  feedByte(SCOPE_BYTE[scope]);
  feedString(key);
  return token();
}

/** The term for "attribute `key` in `scope` equals `value`" (or has it as an array element). */
export function valueTerm(scope: TermScope, key: string, value: TermValue): string {
  begin(0x76);
  feedByte(SCOPE_BYTE[scope]);
  feedString(key);
  if (typeof value === 'string') {
    feedByte(T_STR);
    feedString(value);
  } else if (typeof value === 'boolean') {
    feedByte(T_BOOL);
    feedByte(value ? 1 : 0);
  } else if (typeof value === 'bigint') {
    const u = BigInt.asUintN(64, value);
    feedInt64Words(Number(u & 0xffffffffn), Number(u >> 32n));
  } else {
    feedDouble(value);
  }
  return token();
}

export function nameTerm(name: string): string {
  begin(0x6e);
  feedString(name);
  return token();
}

export function eventNameTerm(name: string): string {
  begin(0x65);
  feedString(name);
  return token();
}
