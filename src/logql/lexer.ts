/**
 * @module logql/lexer
 * LogQL tokens as Loki's lexer reads them: Go string literals ("…" and `…`), numbers,
 * durations (`5m`, `1.5s`) and byte sizes (`20MB`, `1KiB`) as single tokens, identifiers,
 * and the operators. `#` starts a comment to the end of the line.
 */
import { parseDuration, scanGoString } from '../traceql/index.ts';
import { LogQLSyntaxError } from './errors.ts';
import { skipSpaceAndComments } from '../shared/lexing.ts';

export type TokenType = 'ident' | 'string' | 'number' | 'duration' | 'bytes' | 'punct' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** The identifier or operator, the decoded string, or the literal's source text. */
  readonly text: string;
  readonly pos: number;
  /** number: its value; duration: nanoseconds; bytes: bytes. */
  readonly value?: number;
}

/** Longest first, so that `|=` is not read as `|` then `=`. */
const PUNCT = [
  '|=', '|~', '|>', '!=', '!~', '!>', '=~', '==', '>=', '<=',
  '{', '}', '(', ')', '[', ']', ',', ':', '=', '|', '>', '<', '+', '-', '*', '/', '%', '^',
];

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15, eb: 1e18,
  k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50, eib: 2 ** 60,
  ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40, pi: 2 ** 50, ei: 2 ** 60,
};

/** A byte size as Loki reads one (`10MB`, `1.5 KiB`, `512`); SI units are powers of 1000, IEC of 1024. */
export function parseBytes(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?([a-zA-Z]*)$/.exec(text.trim());
  if (m === null) return null;
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? 1 : BYTE_UNITS[unit];
  return scale === undefined ? null : Number(m[1]) * scale;
}

const isIdentStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string): boolean => isIdentStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

export class Lexer {
  private i = 0;

  constructor(private readonly src: string) {}

  private fail(pos: number, reason: string): never {
    throw LogQLSyntaxError.at(this.src, pos, reason);
  }

  private skipSpace(): void {
    this.i = skipSpaceAndComments(this.src, this.i);
  }

  next(): Token {
    this.skipSpace();
    const src = this.src;
    const start = this.i;
    if (start >= src.length) return { type: 'eof', text: '', pos: start };
    const c = src[start];
    if (isIdentStart(c)) {
      while (this.i < src.length && isIdentPart(src[this.i])) this.i++;
      return { type: 'ident', text: src.slice(start, this.i), pos: start };
    }
    if (isDigit(c) || (c === '.' && isDigit(src[start + 1] ?? ''))) return this.numeric(start);
    if (c === '"' || c === '`') {
      const scan = scanGoString(src, start);
      if (!scan.ok) this.fail(scan.from, scan.message);
      this.i = scan.end;
      return { type: 'string', text: scan.value, pos: start };
    }
    for (const p of PUNCT) {
      if (src.startsWith(p, start)) {
        this.i += p.length;
        return { type: 'punct', text: p, pos: start };
      }
    }
    return this.fail(start, `syntax error: unexpected character ${JSON.stringify(c)}`);
  }

  /** A number, or a duration / byte size when letters follow the digits. */
  private numeric(start: number): Token {
    const src = this.src;
    while (this.i < src.length && (isDigit(src[this.i]) || src[this.i] === '.')) this.i++;
    if (this.i < src.length && (isIdentStart(src[this.i]) || src[this.i] === 'µ')) {
      while (this.i < src.length && (isIdentPart(src[this.i]) || src[this.i] === '.' || src[this.i] === 'µ')) this.i++;
      const text = src.slice(start, this.i);
      const ns = parseDuration(text);
      if (ns !== null) return { type: 'duration', text, pos: start, value: ns };
      const bytes = parseBytes(text);
      if (bytes !== null) return { type: 'bytes', text, pos: start, value: bytes };
      return this.fail(start, `syntax error: bad number, duration or byte size ${JSON.stringify(text)}`);
    }
    const text = src.slice(start, this.i);
    const value = Number(text);
    if (Number.isNaN(value)) this.fail(start, `syntax error: bad number ${JSON.stringify(text)}`);
    return { type: 'number', text, pos: start, value };
  }
}
