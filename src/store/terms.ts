/**
 * The search terms of the `span_terms` FTS5 index: short tokens, each a 64-bit hash of
 * what a TraceQL equality can ask for. This file is their one definition: the planner
 * hashes a query's values here (keyTerm, valueTerm, …), the decode stage hashes a span's
 * raw bytes here (keyTermAt, stringValueTerm, …; otlp/terms.ts walks the span), so both
 * always agree. Hashing raw bytes means no attribute string is decoded on ingest.
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

// The (kind, scope, key) hash state that value terms continue from; see valuePrefix().
let p1 = 0;
let p2 = 0;

/** The term of a span name held as UTF-8 bytes [start, end) of `buf`. */
export function nameTermAt(buf: Uint8Array, start: number, end: number): string {
  begin(0x6e); // 'n'
  feedPart(buf, start, end);
  return token();
}

/** The term of an event name held as UTF-8 bytes [start, end) of `buf`. */
export function eventNameTermAt(buf: Uint8Array, start: number, end: number): string {
  begin(0x65); // 'e'
  feedPart(buf, start, end);
  return token();
}

/** The term for "attribute key [start, end) of `buf` exists in `scope`". */
export function keyTermAt(scope: TermScope, buf: Uint8Array, start: number, end: number): string {
  begin(0x6b); // 'k'
  feedByte(SCOPE_BYTE[scope]);
  feedPart(buf, start, end);
  return token();
}

/** Starts the value terms of attribute key [start, end) of `buf` in `scope`: the *ValueTerm calls after it hash on top of it. */
export function valuePrefix(scope: TermScope, buf: Uint8Array, start: number, end: number): void {
  begin(0x76); // 'v'
  feedByte(SCOPE_BYTE[scope]);
  feedPart(buf, start, end);
  p1 = h1;
  p2 = h2;
}

/** A string value held as UTF-8 bytes [start, end) of `buf`. */
export function stringValueTerm(buf: Uint8Array, start: number, end: number): string {
  h1 = p1;
  h2 = p2;
  feedByte(T_STR);
  feedPart(buf, start, end);
  return token();
}

export function boolValueTerm(b: boolean): string {
  h1 = p1;
  h2 = p2;
  feedByte(T_BOOL);
  feedByte(b ? 1 : 0);
  return token();
}

/** An int64 as read off the wire (unsigned two's complement). */
export function intValueTerm(v: bigint): string {
  h1 = p1;
  h2 = p2;
  feedInt64Words(Number(v & 0xffffffffn), Number(v >> 32n));
  return token();
}

export function doubleValueTerm(d: number): string {
  h1 = p1;
  h2 = p2;
  feedDouble(d);
  return token();
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
