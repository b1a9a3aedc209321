/**
 * @module traceql/re2
 * RE2 syntax as Go's regexp/syntax reads it (Tempo and Prometheus compile `=~` / `!~`
 * with it), parsed into the tree regex.ts compiles to a linear-time matcher. JS RegExp
 * is not a usable stand-in: it rejects valid RE2 (`(?i)`, `(?P<n>…)`, `\z`,
 * `[[:alpha:]]`) and accepts invalid RE2 (look-around, back-references). Errors carry
 * Go's error code text ("missing closing )", "invalid escape sequence" …).
 *
 * Supported: classes with `[:alpha:]`, `\pL`, `\p{Greek}`, `\d\s\w`; flags `(?imsU)` /
 * `(?i:…)`; `\A \z \b \B`; `\Q…\E`; counted repetition up to 1000; named groups. The
 * pattern is read with `(?s)` on, as Tempo anchors patterns as `^(?s:…)$`. Case folding
 * is simple (a code point, its lower and upper case).
 */

/** Parentheses nested deeper than this are refused, as Go refuses them. */
const MAX_NESTING = 1000;
const MAX_REPEAT = 1000;

export type Pred = (cp: number) => boolean;
export type AssertKind = 'bot' | 'eot' | 'bol' | 'eol' | 'word' | 'nonword';

/** A parsed pattern. `lit` carries its case variants (all equal to `cp` unless folded). */
export type Re2Node =
  | { readonly t: 'lit'; readonly cp: number; readonly lower: number; readonly upper: number }
  | { readonly t: 'pred'; readonly pred: Pred; readonly any?: boolean }
  | { readonly t: 'assert'; readonly kind: AssertKind }
  | { readonly t: 'cat'; readonly items: Re2Node[] }
  | { readonly t: 'alt'; readonly items: Re2Node[] }
  | { readonly t: 'rep'; readonly node: Re2Node; readonly min: number; readonly max: number };

/** A pattern that is not valid RE2; the message is Go's error code text. */
export class Re2SyntaxError extends Error {
  constructor(code: string) {
    super(code);
    this.name = 'Re2SyntaxError';
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/** Go's unicode.Categories keys. */
const CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps',
  'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;
const isAsciiAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isWordCp = (c: number): boolean => isAsciiAlnum(c) || c === 95;
const isSpaceCp = (c: number): boolean => c === 9 || c === 10 || c === 12 || c === 13 || c === 32;
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 55;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && (isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));

const POSIX: Readonly<Record<string, Pred>> = {
  alnum: isAsciiAlnum,
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 9 || c === 32,
  cntrl: (c) => c <= 0x1f || c === 0x7f,
  digit: isDigit,
  graph: (c) => c >= 0x21 && c <= 0x7e,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 0x20 && c <= 0x7e,
  punct: (c) => (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e),
  space: (c) => isSpaceCp(c) || c === 11,
  upper: (c) => c >= 65 && c <= 90,
  word: isWordCp,
  xdigit: isHex,
};

const unicodeCache = new Map<string, Pred>();

/**
 * `\p{name}`: a general category Go knows (`L`, `Lu`) or a script (`Greek`), tested by
 * the JS engine on one code point; undefined for a name that is neither.
 */
function unicodePred(name: string): Pred | undefined {
  let pred = unicodeCache.get(name);
  if (pred !== undefined) return pred;
  if (name === 'Any') pred = () => true;
  else if (CATEGORIES.has(name) || name.length > 2) {
    let re: RegExp;
    try {
      re = new RegExp(`^\\p{${CATEGORIES.has(name) ? name : `Script=${name}`}}$`, 'u');
    } catch {
      return undefined;
    }
    pred = (c) => re.test(String.fromCodePoint(c));
  } else return undefined;
  unicodeCache.set(name, pred);
  return pred;
}

function lowerCp(c: number): number {
  const s = String.fromCodePoint(c).toLowerCase();
  const l = s.codePointAt(0) ?? c;
  return s.length === String.fromCodePoint(l).length ? l : c;
}

function upperCp(c: number): number {
  const s = String.fromCodePoint(c).toUpperCase();
  const u = s.codePointAt(0) ?? c;
  return s.length === String.fromCodePoint(u).length ? u : c;
}

/** Matches `pred` on a code point or either of its simple case variants. */
function folded(pred: Pred): Pred {
  return (c) => pred(c) || pred(lowerCp(c)) || pred(upperCp(c));
}

const ch = (s: string): number => s.charCodeAt(0);

class Parser {
  private readonly cps: number[];
  private i = 0;
  private depth = 0;
  private flags: Flags = { i: false, m: false, s: true };

  constructor(pattern: string) {
    this.cps = Array.from(pattern, (c) => c.codePointAt(0) ?? 0);
  }

  private fail(code: string): never {
    throw new Re2SyntaxError(code);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.i + offset];
  }

  private is(c: string, offset = 0): boolean {
    return this.cps[this.i + offset] === ch(c);
  }

  parse(): Re2Node {
    const node = this.alternation();
    if (this.i < this.cps.length) this.fail('unexpected )');
    return node;
  }

  private alternation(): Re2Node {
    const items = [this.concatenation()];
    while (this.is('|')) {
      this.i++;
      items.push(this.concatenation());
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  /**
   * Atoms and the repetitions after them. As in Go, a repetition applies to the item
   * before it even across a flag group (`a(?i)*`), a second repetition directly after one
   * is an error (`a**`), and one with nothing before it in its group is an error too.
   */
  private concatenation(): Re2Node {
    const items: Re2Node[] = [];
    let lastRepeat = false;
    while (this.i < this.cps.length && !this.is('|') && !this.is(')')) {
      const count = this.repetition();
      if (count !== undefined) {
        if (lastRepeat) this.fail('invalid nested repetition operator');
        if (items.length === 0) this.fail('missing argument to repetition operator');
        if (this.is('?')) this.i++; // lazy: the same yes/no answer
        const [min, max] = count;
        items.push({ t: 'rep', node: items.pop()!, min, max });
        lastRepeat = true;
        continue;
      }
      lastRepeat = false;
      this.atom(items);
    }
    return items.length === 1 ? items[0] : { t: 'cat', items };
  }

  /** `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}` at i, consumed; undefined for anything else. */
  private repetition(): [number, number] | undefined {
    if (this.is('*') || this.is('+') || this.is('?')) {
      const c = this.cps[this.i++];
      return c === ch('*') ? [0, -1] : c === ch('+') ? [1, -1] : [0, 1];
    }
    if (!this.is('{')) return undefined;
    let j = this.i + 1;
    // Go reads a count without leading zeros; anything else makes `{` a literal.
    const number = (): number | undefined => {
      const start = j;
      while (isDigit(this.cps[j])) j++;
      if (j === start || (j - start > 1 && this.cps[start] === 48)) return undefined;
      return Number(String.fromCodePoint(...this.cps.slice(start, j)));
    };
    const min = number();
    if (min === undefined) return undefined;
    let max = min;
    if (this.cps[j] === ch(',')) {
      j++;
      if (this.cps[j] === ch('}')) max = -1;
      else {
        const m = number();
        if (m === undefined) return undefined;
        max = m;
      }
    }
    if (this.cps[j] !== ch('}')) return undefined;
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) this.fail('invalid repeat count');
    this.i = j + 1;
    return [min, max];
  }

  private lit(cp: number): Re2Node {
    if (!this.flags.i) return { t: 'lit', cp, lower: cp, upper: cp };
    return { t: 'lit', cp, lower: lowerCp(cp), upper: upperCp(cp) };
  }

  /** One atom pushed to `items`: none for a flag group or an empty `\Q\E`, one per character of `\Q…\E`. */
  private atom(items: Re2Node[]): void {
    const c = this.cps[this.i];
    switch (c) {
      case ch('('):
        this.group(items);
        return;
      case ch('['):
        items.push(this.charClass());
        return;
      case ch('.'):
        this.i++;
        items.push(this.flags.s ? { t: 'pred', pred: () => true, any: true } : { t: 'pred', pred: (x) => x !== 10 });
        return;
      case ch('^'):
        this.i++;
        items.push({ t: 'assert', kind: this.flags.m ? 'bol' : 'bot' });
        return;
      case ch('$'):
        this.i++;
        items.push({ t: 'assert', kind: this.flags.m ? 'eol' : 'eot' });
        return;
      case ch('\\'):
        this.escape(items);
        return;
      default:
        this.i++;
        items.push(this.lit(c));
    }
  }

  private group(items: Re2Node[]): void {
    if (!this.is('?', 1)) {
      this.i++;
      items.push(this.groupBody());
      return;
    }
    // Named capture: (?P<name>…) or (?<name>…).
    const named = this.is('<', 2) ? 3 : this.is('P', 2) && this.is('<', 3) ? 4 : 0;
    if (named > 0) {
      let j = this.i + named;
      while (j < this.cps.length && this.cps[j] !== ch('>')) j++;
      if (j >= this.cps.length) this.fail('invalid named capture');
      const name = this.cps.slice(this.i + named, j);
      if (name.length === 0 || !name.every(isWordCp)) this.fail('invalid named capture');
      this.i = j + 1;
      items.push(this.groupBody());
      return;
    }
    // Flags: (?i) changes the rest of the enclosing group, (?i:…) only its own.
    this.i += 2;
    const next: Flags = { ...this.flags };
    let negated = false;
    let sawFlag = false;
    while (this.i < this.cps.length) {
      const c = this.cps[this.i++];
      if (c === ch('i') || c === ch('m') || c === ch('s') || c === ch('U')) {
        // U (ungreedy) does not change a yes/no match.
        if (c === ch('i')) next.i = !negated;
        else if (c === ch('m')) next.m = !negated;
        else if (c === ch('s')) next.s = !negated;
        sawFlag = true;
      } else if (c === ch('-') && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ch(')') || c === ch(':')) && !(negated && !sawFlag)) {
        if (c === ch(')')) {
          this.flags = next;
          return;
        }
        const outer = this.flags;
        this.flags = next;
        items.push(this.groupBody());
        this.flags = outer;
        return;
      } else break;
    }
    this.fail('invalid or unsupported Perl syntax');
  }

  /** The inside of a group (its `(…` already consumed) up to its `)`; flags set inside end with it. */
  private groupBody(): Re2Node {
    if (++this.depth > MAX_NESTING) this.fail('expression nests too deeply');
    const outer = this.flags;
    const node = this.alternation();
    this.flags = outer;
    if (!this.is(')')) this.fail('missing closing )');
    this.i++;
    this.depth--;
    return node;
  }

  /** `\` outside a class: what a class allows, plus `\b \B \A \z` and `\Q…\E`. */
  private escape(items: Re2Node[]): void {
    const e = this.peek(1);
    const assertion: AssertKind | undefined =
      e === ch('b') ? 'word' : e === ch('B') ? 'nonword' : e === ch('A') ? 'bot' : e === ch('z') ? 'eot' : undefined;
    if (assertion !== undefined) {
      this.i += 2;
      items.push({ t: 'assert', kind: assertion });
      return;
    }
    if (e === ch('Q')) {
      // Literal text up to \E; a repetition after it applies to its last character.
      this.i += 2;
      while (this.i < this.cps.length && !(this.is('\\') && this.is('E', 1))) items.push(this.lit(this.cps[this.i++]));
      if (this.i < this.cps.length) this.i += 2;
      return;
    }
    const x = this.classEscape();
    if (typeof x === 'number') items.push(this.lit(x));
    else items.push({ t: 'pred', pred: this.flags.i ? folded(x) : x });
  }

  /** `\d \s \w \D \S \W`, `\pL` / `\p{Name}` / `\PL` at i (consumed), or undefined. */
  private classPred(): Pred | undefined {
    if (!this.is('\\')) return undefined;
    const e = this.peek(1);
    switch (e) {
      case ch('d'):
        this.i += 2;
        return isDigit;
      case ch('D'):
        this.i += 2;
        return (c) => !isDigit(c);
      case ch('s'):
        this.i += 2;
        return isSpaceCp;
      case ch('S'):
        this.i += 2;
        return (c) => !isSpaceCp(c);
      case ch('w'):
        this.i += 2;
        return isWordCp;
      case ch('W'):
        this.i += 2;
        return (c) => !isWordCp(c);
      case ch('p'):
      case ch('P'): {
        this.i += 2;
        let name: string;
        if (this.is('{')) {
          let j = this.i + 1;
          while (j < this.cps.length && this.cps[j] !== ch('}')) j++;
          if (j >= this.cps.length) this.fail('invalid character class range');
          name = String.fromCodePoint(...this.cps.slice(this.i + 1, j));
          this.i = j + 1;
        } else {
          const c = this.peek();
          if (c === undefined) this.fail('invalid character class range');
          name = String.fromCodePoint(c);
          this.i++;
        }
        let negate = e === ch('P');
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        const pred = unicodePred(name);
        if (pred === undefined) this.fail('invalid character class range');
        return negate ? (c) => !pred(c) : pred;
      }
      default:
        return undefined;
    }
  }

  /** An escape valid inside and outside classes: a predicate for `\d`, `\pL` …, or a code point. */
  private classEscape(): number | Pred {
    return this.classPred() ?? this.escapedChar();
  }

  /** A single-character escape at i (consumed): octal, hex, C escapes, escaped punctuation. */
  private escapedChar(): number {
    const e = this.peek(1);
    if (e === undefined) this.fail('trailing backslash at end of expression');
    this.i += 2;
    switch (e) {
      case ch('a'): return 7;
      case ch('f'): return 12;
      case ch('n'): return 10;
      case ch('r'): return 13;
      case ch('t'): return 9;
      case ch('v'): return 11;
      case ch('x'): {
        if (this.is('{')) {
          let j = this.i + 1;
          let v = 0;
          while (isHex(this.cps[j]) && v <= 0x10ffff) v = v * 16 + parseInt(String.fromCharCode(this.cps[j++]), 16);
          if (j === this.i + 1 || this.cps[j] !== ch('}') || v > 0x10ffff) this.fail('invalid escape sequence');
          this.i = j + 1;
          return v;
        }
        if (!isHex(this.peek()) || !isHex(this.peek(1))) this.fail('invalid escape sequence');
        const v = parseInt(String.fromCharCode(this.cps[this.i], this.cps[this.i + 1]), 16);
        this.i += 2;
        return v;
      }
      default:
        // \1 … \7 alone would be a back-reference; followed by an octal digit they start an octal escape.
        if (e >= ch('1') && e <= ch('7') && !isOctal(this.peek())) this.fail('invalid escape sequence');
        if (isOctal(e)) {
          let v = e - 48;
          for (let k = 0; k < 2 && isOctal(this.peek()); k++) v = v * 8 + (this.cps[this.i++] - 48);
          return v;
        }
        // Other ASCII punctuation stands for itself; letters, digits and non-ASCII do not.
        if (e < 0x80 && !isAsciiAlnum(e)) return e;
        return this.fail('invalid escape sequence');
    }
  }

  /** `[…]`, `[^…]`, with ranges, `[:alpha:]`, `\d`, `\pL` inside. */
  private charClass(): Re2Node {
    this.i++; // [
    let negate = false;
    if (this.is('^')) {
      negate = true;
      this.i++;
    }
    const ranges: number[] = [];
    const preds: Pred[] = [];
    let first = true; // `]` first in a class is a literal
    while (first || !this.is(']')) {
      if (this.i >= this.cps.length) this.fail('missing closing ]');
      first = false;
      if (this.is('[') && this.is(':', 1)) {
        const posix = this.posixClass();
        if (posix !== undefined) {
          preds.push(posix);
          continue;
        }
      }
      const pred = this.classPred();
      if (pred !== undefined) {
        preds.push(pred);
        continue;
      }
      const lo = this.classChar();
      let hi = lo;
      if (this.is('-') && this.peek(1) !== undefined && !this.is(']', 1)) {
        this.i++;
        hi = this.classChar();
        if (hi < lo) this.fail('invalid character class range');
      }
      ranges.push(lo, hi);
    }
    this.i++; // ]
    const inRanges = (c: number): boolean => {
      for (let k = 0; k < ranges.length; k += 2) if (c >= ranges[k] && c <= ranges[k + 1]) return true;
      return false;
    };
    const positive: Pred = preds.length === 0 ? inRanges : (c) => inRanges(c) || preds.some((p) => p(c));
    const matched = this.flags.i ? folded(positive) : positive;
    return { t: 'pred', pred: negate ? (c) => !matched(c) : matched };
  }

  /** `[:name:]` / `[:^name:]` at i (consumed), or undefined when no `:]` follows (then `[` is a literal). */
  private posixClass(): Pred | undefined {
    let j = this.i + 2;
    while (j + 1 < this.cps.length && !(this.cps[j] === ch(':') && this.cps[j + 1] === ch(']'))) j++;
    if (j + 1 >= this.cps.length) return undefined;
    let name = String.fromCodePoint(...this.cps.slice(this.i + 2, j));
    const negate = name.startsWith('^');
    if (negate) name = name.slice(1);
    const p = POSIX[name];
    if (p === undefined) this.fail('invalid character class range');
    this.i = j + 2;
    return negate ? (c) => !p(c) : p;
  }

  /** One character of a class, possibly escaped, as a code point. */
  private classChar(): number {
    const c = this.peek();
    if (c === undefined) this.fail('missing closing ]');
    if (c !== ch('\\')) {
      this.i++;
      return c;
    }
    return this.escapedChar();
  }
}

/** Parses an RE2 pattern; throws Re2SyntaxError with Go's error code text. */
export function parseRe2(pattern: string): Re2Node {
  return new Parser(pattern).parse();
}
