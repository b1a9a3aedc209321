/**
 * @module traceql/lexer
 * Source text → tokens, pulled one at a time by the parser (so an error early in
 * the query wins over a lexing problem later, as in Tempo's yacc parser).
 *
 * Tempo lexes with Go's text/scanner plus an attribute-name mode; the rules kept
 * here on purpose:
 *  - only space, tab, CR and LF are whitespace; `//` and `/* *\/` are comments;
 *  - after `.`, `span.`, `resource.`, `parent.`, `event.`, `link.` or
 *    `instrumentation.` everything up to whitespace, `{ } ( ) = ~ ! < > & | ^ ,`
 *    or the end is the attribute name, so `span.a+1` names the attribute `a+1`;
 *    `"…"` segments inside it may hold those characters (escapes: `\"`, `\\`);
 *  - a number directly followed by duration characters is a duration if the
 *    whole run parses as one (`1h30m`, `1.5s`), else it stays a number;
 *  - anything unrecognised becomes an IDENTIFIER token, which the grammar only
 *    accepts as a hint name, so the parser reports "unexpected IDENTIFIER".
 */
import { parseDuration } from './duration.ts';
import { TraceQLSyntaxError } from './errors.ts';
import { scanGoString } from './go-string.ts';
import { PUNCTUATORS, isKeyword } from './tokens.ts';
import type { AttributeScope, IntrinsicScopeToken, Punctuator, Token } from './tokens.ts';

const PUNCTUATOR_SET: ReadonlySet<string> = new Set(PUNCTUATORS);

/** Words that start an attribute when directly followed by `.`. */
const DOT_SCOPES: ReadonlyMap<string, AttributeScope | 'parent'> = new Map([
  ['span', 'span'],
  ['resource', 'resource'],
  ['event', 'event'],
  ['link', 'link'],
  ['instrumentation', 'instrumentation'],
  ['parent', 'parent'],
]);

/** Words that form a scoped-intrinsic prefix when directly followed by `:`. */
const COLON_SCOPES: ReadonlySet<string> = new Set(['trace', 'span', 'event', 'link', 'instrumentation']);

/** Characters that end an attribute name (besides whitespace and the end). */
const ATTRIBUTE_ENDERS = new Set(['{', '}', '(', ')', '=', '~', '!', '<', '>', '&', '|', '^', ',']);

/** Go's unicode.IsSpace. */
const UNICODE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
const IDENT_START = /^[\p{L}_]$/u;
const IDENT_PART = /^[\p{L}\p{Nd}_]$/u;
/** Characters Tempo gathers after a number before trying it as a duration. */
const DURATION_CHARS = /^[0-9.nsumhµdwy]$/;

const isAsciiDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** 2^63: the largest magnitude an int64 literal can round to as a double. */
const INT64_LIMIT = 2 ** 63;

export class Lexer {
  readonly source: string;
  private pos = 0;

  constructor(source: string) {
    this.source = source;
  }

  /** The next token; `$end` forever once the input is exhausted. */
  next(): Token {
    this.skipTrivia();
    const src = this.source;
    const start = this.pos;
    if (start >= src.length) return { kind: '$end', from: src.length, to: src.length };
    const c = src[start];

    if (c === '"' || c === '`') return this.string(start);
    if (c === "'") return this.charLiteral(start);
    if (isAsciiDigit(c) || (c === '.' && isAsciiDigit(src[start + 1]))) return this.number(start);
    if (c === '.') return this.attribute(start, start + 1, 'none', false, '.');

    const cp = src.codePointAt(start) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (IDENT_START.test(ch)) return this.word(start);

    for (const len of [3, 2, 1]) {
      const op = src.slice(start, start + len);
      if (op.length === len && PUNCTUATOR_SET.has(op)) {
        this.pos = start + len;
        return { kind: op as Punctuator, from: start, to: this.pos };
      }
    }

    // Unknown character: Tempo turns it into an IDENTIFIER the grammar rejects.
    this.pos = start + ch.length;
    return { kind: 'IDENTIFIER', text: ch, from: start, to: this.pos };
  }

  private fail(reason: string, from: number, to: number = from): never {
    throw new TraceQLSyntaxError(this.source, reason, from, to);
  }

  private skipTrivia(): void {
    const src = this.source;
    // Go's scanner ignores a byte-order mark at the very start.
    if (this.pos === 0 && src.charCodeAt(0) === 0xfeff) this.pos = 1;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
      } else if (c === '/' && src[this.pos + 1] === '/') {
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl;
      } else if (c === '/' && src[this.pos + 1] === '*') {
        const end = src.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('comment not terminated', this.pos, src.length);
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private string(start: number): Token {
    const scan = scanGoString(this.source, start);
    if (!scan.ok) this.fail(scan.message, scan.from, scan.to);
    this.pos = scan.end;
    return { kind: 'STRING', value: scan.value, from: start, to: scan.end };
  }

  /**
   * Go's scanner reads `'x'` as a char literal, which Tempo then treats as an
   * IDENTIFIER; anything longer is a scanner error. Either way: not a string.
   */
  private charLiteral(start: number): Token {
    const src = this.source;
    let i = start + 1;
    let chars = 0;
    while (src[i] !== "'") {
      if (i >= src.length || src[i] === '\n') this.fail('literal not terminated', start, i);
      i += src[i] === '\\' ? 2 : (src.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      chars++;
    }
    this.pos = i + 1;
    if (chars !== 1) this.fail('invalid char literal', start, this.pos);
    return { kind: 'IDENTIFIER', text: src.slice(start, this.pos), from: start, to: this.pos };
  }

  private number(start: number): Token {
    const src = this.source;
    let i = start;
    while (isAsciiDigit(src[i])) i++;
    let isFloat = false;
    if (src[i] === '.') {
      isFloat = true;
      i++;
      while (isAsciiDigit(src[i])) i++;
    }
    if (src[i] === 'e' || src[i] === 'E') {
      isFloat = true;
      i++;
      if (src[i] === '+' || src[i] === '-') i++;
      if (!isAsciiDigit(src[i])) this.fail('exponent has no digits', start, i);
      while (isAsciiDigit(src[i])) i++;
    }
    const text = src.slice(start, i);

    // Tempo's duration attempt: gather duration-ish characters, parse the lot.
    let j = i;
    while (j < src.length && DURATION_CHARS.test(src[j])) j++;
    if (j > i) {
      const ns = parseDuration(src.slice(start, j));
      if (ns !== null) {
        this.pos = j;
        return { kind: 'DURATION', value: ns, from: start, to: j };
      }
    }

    this.pos = i;
    const value = Number(text);
    if (isFloat) {
      if (!Number.isFinite(value)) this.fail(`strconv.ParseFloat: parsing "${text}": value out of range`, start, i);
      return { kind: 'FLOAT', value, from: start, to: i };
    }
    // Go's scanner reads a leading 0 as octal and rejects 8 and 9 in it.
    const badOctal = /^0[0-7]*([89])/.exec(text);
    if (badOctal) this.fail(`invalid digit '${badOctal[1]}' in octal literal`, start, i);
    // Compared as a double so that print → parse of a rounded value never fails.
    if (value > INT64_LIMIT) this.fail(`strconv.Atoi: parsing "${text}": value out of range`, start, i);
    return { kind: 'INTEGER', value, from: start, to: i };
  }

  private word(start: number): Token {
    const src = this.source;
    let i = start;
    for (;;) {
      const cp = src.codePointAt(i);
      if (cp === undefined) break;
      const ch = String.fromCodePoint(cp);
      if (!IDENT_PART.test(ch)) break;
      i += ch.length;
    }
    const word = src.slice(start, i);
    const after = src[i];

    if (after === '.') {
      const scope = DOT_SCOPES.get(word);
      if (scope !== undefined) return this.scopedAttribute(start, i + 1, scope, word + '.');
    }
    if (after === ':' && COLON_SCOPES.has(word)) {
      this.pos = i + 1;
      return { kind: `${word}:` as IntrinsicScopeToken, from: start, to: this.pos };
    }
    this.pos = i;
    if (isKeyword(word)) return { kind: word, from: start, to: i };
    return { kind: 'IDENTIFIER', text: word, from: start, to: i };
  }

  private scopedAttribute(start: number, nameStart: number, scope: AttributeScope | 'parent', prefix: string): Token {
    if (scope !== 'parent') return this.attribute(start, nameStart, scope, false, prefix);
    // `parent.span.x` / `parent.resource.x`; any other text after `parent.` is the name.
    for (const inner of ['span', 'resource'] as const) {
      if (this.source.startsWith(inner + '.', nameStart)) {
        return this.attribute(start, nameStart + inner.length + 1, inner, true, prefix);
      }
    }
    return this.attribute(start, nameStart, 'none', true, prefix);
  }

  /** Attribute-name mode: read the name that starts at `nameStart`. */
  private attribute(start: number, nameStart: number, scope: AttributeScope, parent: boolean, prefix: string): Token {
    const src = this.source;
    let name = '';
    let i = nameStart;
    while (i < src.length) {
      const c = src[i];
      if (c === '"') {
        const segmentStart = i;
        i++;
        for (;;) {
          if (i >= src.length) this.fail('unexpected EOF, expecting "', segmentStart, i);
          const q = src[i];
          if (q === '"') {
            i++;
            break;
          }
          if (q === '\\') {
            const e = src[i + 1];
            if (e !== '"' && e !== '\\') this.fail('invalid escape sequence', i, Math.min(i + 2, src.length));
            name += e;
            i += 2;
          } else {
            name += q;
            i++;
          }
        }
        continue;
      }
      const cp = src.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      if (ATTRIBUTE_ENDERS.has(ch) || UNICODE_SPACE.test(ch)) break;
      name += ch;
      i += ch.length;
    }
    this.pos = i;
    return { kind: 'ATTRIBUTE', scope, parent, name, prefix, from: start, to: i };
  }
}
