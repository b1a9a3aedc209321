/**
 * The search terms of the `span_terms` FTS5 index: short tokens, each a 64-bit hash of
 * what a TraceQL equality can ask for. This file is their one definition: the planner
 * hashes a query's values here (keyTerm, valueTerm, …), the decode stage hashes a span's
 * raw bytes here (hashKeyAt, hashStringValue, …; otlp/terms.ts walks the span) and writes
 * the tokens as ASCII bytes into a TermBytes (no string per term: FTS5 reads a blob as
 * its text), so both always agree. Hashing raw bytes means no attribute string is decoded
 * on ingest.
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
import { encodeUtf8 } from '../shared/protowire.ts';

export type TermScope = 's' | 'e' | 'l';
/** Scopes whose attributes are hashed only to be remembered (tags.ts), never indexed: resource and instrumentation scope. */
export type HashScope = TermScope | 'r' | 'i';
export type TermValue = string | number | bigint | boolean;

const SCOPE_BYTE: Record<HashScope, number> = { s: 0x73, e: 0x65, l: 0x6c, r: 0x72, i: 0x69 };

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
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Characters in a token: 7 per lane. */
const TOKEN_LENGTH = 14;

/** Writes hash lane `x` as seven characters at `at` of `out`: five bits each, the last's two. */
function writeLane(out: Uint8Array, at: number, x: number): void {
  x >>>= 0;
  out[at] = B32[x >>> 27];
  out[at + 1] = B32[(x >>> 22) & 31];
  out[at + 2] = B32[(x >>> 17) & 31];
  out[at + 3] = B32[(x >>> 12) & 31];
  out[at + 4] = B32[(x >>> 7) & 31];
  out[at + 5] = B32[(x >>> 2) & 31];
  out[at + 6] = B32[x & 3];
}

/** Writes the token of hash lanes (a, b) at `at` of `out`, a lane after the other. */
function writeToken(out: Uint8Array, at: number, a: number, b: number): void {
  writeLane(out, at, a);
  writeLane(out, at + TOKEN_LENGTH / 2, b);
}

const tokenScratch = new Uint8Array(TOKEN_LENGTH);

/** The token of hash lanes (a, b). Fixed width keeps tokens unambiguous. */
export function tokenOf(a: number, b: number): string {
  const t = tokenScratch;
  writeToken(t, 0, a, b);
  // Spread would walk the array with an iterator, allocating per character.
  return String.fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13]);
}

function token(): string {
  return tokenOf(h1, h2);
}

const B32_VALUE = new Int8Array(128).fill(-1);
B32.forEach((c, i) => (B32_VALUE[c] = i));

/** The hash lanes a token was made of, or undefined for a string that is no token. */
export function lanesOf(token: string): [number, number] | undefined {
  if (token.length !== TOKEN_LENGTH) return undefined;
  const lanes: [number, number] = [0, 0];
  for (let lane = 0; lane < 2; lane++) {
    let v = 0;
    for (let i = 0; i < 7; i++) {
      const d = B32_VALUE[token.charCodeAt(lane * 7 + i) & 127];
      if (d < 0 || (i === 6 && d > 3)) return undefined;
      v = i === 6 ? (v << 2) | d : (v << 5) | d;
    }
    lanes[lane] = v | 0;
  }
  return lanes;
}

/**
 * Search terms as ASCII bytes, space-separated: what the decode stage hands the store, in
 * a buffer it owns alone (so it can be transferred), one row's terms after another.
 */
export class TermBytes {
  buf: Uint8Array;
  len = 0;

  /** `bytes`: a hint (about 330 a span); the buffer grows as needed. */
  constructor(bytes = 16 * 1024) {
    this.buf = new Uint8Array(bytes);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.len + n, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  /** Makes room for a word of `n` bytes after the separating space; returns where it starts. */
  private startWord(n: number): number {
    this.room(n + 1);
    if (this.len > 0) this.buf[this.len++] = 0x20;
    return this.len;
  }

  /** Appends the token of the hash just computed (by a hash* function of this module). */
  putHashed(): void {
    const at = this.startWord(TOKEN_LENGTH);
    writeToken(this.buf, at, h1, h2);
    this.len = at + TOKEN_LENGTH;
  }

  /** Appends an ASCII word (a token made elsewhere, hex digits). */
  putWord(word: string): void {
    const at = this.startWord(word.length);
    for (let i = 0; i < word.length; i++) this.buf[at + i] = word.charCodeAt(i) & 0x7f;
    this.len = at + word.length;
  }

  /** Appends `bytes` as lowercase hex digits. */
  putHex(bytes: Uint8Array): void {
    this.startWord(bytes.length * 2);
    for (const b of bytes) {
      this.buf[this.len++] = HEX[b >>> 4];
      this.buf[this.len++] = HEX[b & 15];
    }
  }
}

const scratch = new DataView(new ArrayBuffer(8));

export type TagType = 'string' | 'int' | 'float' | 'bool';

/**
 * Learns attribute values as spans are indexed, for tag-value listings. `known` is
 * asked first with the hash lanes of the value's term (v1, v2) and of its key's term
 * (k1, k2), so that nothing is decoded, and no string made, for values already seen.
 */
export interface TagSink {
  known(v1: number, v2: number, k1: number, k2: number): boolean;
  add(v1: number, v2: number, k1: number, k2: number, scope: TermScope, key: string, type: TagType, value: string | number | boolean): void;
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

// ---- terms of raw bytes, for the decode stage ------------------------------------------
// Each hash* function leaves its term's hash in the lanes: TermBytes.putHashed() writes its
// token, hashLane1/2() read it.

// The (kind, scope, key) hash state that value terms continue from; see valuePrefix().
let p1 = 0;
let p2 = 0;

export function hashLane1(): number {
  return h1 | 0;
}

export function hashLane2(): number {
  return h2 | 0;
}

/** Hashes the term of a span name held as UTF-8 bytes [start, end) of `buf`. */
export function hashNameAt(buf: Uint8Array, start: number, end: number): void {
  begin(0x6e); // 'n'
  feedPart(buf, start, end);
}

/** Hashes the term of an event name held as UTF-8 bytes [start, end) of `buf`. */
export function hashEventNameAt(buf: Uint8Array, start: number, end: number): void {
  begin(0x65); // 'e'
  feedPart(buf, start, end);
}

/** Hashes the term for "attribute key [start, end) of `buf` exists in `scope`". */
export function hashKeyAt(scope: TermScope, buf: Uint8Array, start: number, end: number): void {
  begin(0x6b); // 'k'
  feedByte(SCOPE_BYTE[scope]);
  feedPart(buf, start, end);
}

/** Starts the value terms of attribute key [start, end) of `buf` in `scope`: the hash*Value calls after it hash on top of it. */
export function valuePrefix(scope: TermScope, buf: Uint8Array, start: number, end: number): void {
  begin(0x76); // 'v'
  feedByte(SCOPE_BYTE[scope]);
  feedPart(buf, start, end);
  p1 = h1;
  p2 = h2;
}

/** A string value held as UTF-8 bytes [start, end) of `buf`. */
export function hashStringValue(buf: Uint8Array, start: number, end: number): void {
  h1 = p1;
  h2 = p2;
  feedByte(T_STR);
  feedPart(buf, start, end);
}

export function hashBoolValue(b: boolean): void {
  h1 = p1;
  h2 = p2;
  feedByte(T_BOOL);
  feedByte(b ? 1 : 0);
}

/** An int64 value as read off the wire (two's complement), given as its low and high 32 bits. */
export function hashIntValue(lo: number, hi: number): void {
  h1 = p1;
  h2 = p2;
  feedInt64Words(lo, hi);
}

export function hashDoubleValue(d: number): void {
  h1 = p1;
  h2 = p2;
  feedDouble(d);
}

function feedString(s: string): void {
  const b = encodeUtf8(s);
  feedPart(b, 0, b.length);
}

/** The term for "attribute `key` in `scope` exists". */
export function keyTerm(scope: HashScope, key: string): string {
  begin(0x6b);
  feedByte(SCOPE_BYTE[scope]);
  feedString(key);
  return token();
}

/** The term for "attribute `key` in `scope` equals `value`" (or has it as an array element). */
export function valueTerm(scope: HashScope, key: string, value: TermValue): string {
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
