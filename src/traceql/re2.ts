/**
 * @module traceql/re2
 * Syntax check for RE2 patterns as Go's regexp.Compile reads them (Tempo
 * validates `=~` / `!~` right-hand sides with it). JS RegExp is not a usable
 * stand-in: it rejects valid RE2 (`(?i)`, `(?P<n>…)`, `\z`, `[[:alpha:]]`) and
 * accepts invalid RE2 (look-around, back-references). Returns Go's error text,
 * or null when the pattern compiles.
 */

const MAX_REPEAT = 1000;
const MAX_NESTING = 1000;

/** Go's unicode.Categories keys. */
const CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps',
  'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

const POSIX_CLASSES = new Set([
  'alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct',
  'space', 'upper', 'word', 'xdigit',
]);

const isAsciiAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';

/** Unicode script names Go knows; the JS engine's script table is the best local stand-in. */
function isUnicodeScript(name: string): boolean {
  if (name === 'Any') return true;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

class Re2Error extends Error {}

class Checker {
  private readonly chars: readonly string[];
  private i = 0;

  constructor(pattern: string) {
    this.chars = Array.from(pattern);
  }

  private fail(code: string): never {
    throw new Re2Error(code);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.i + offset];
  }

  check(): void {
    let depth = 0;
    let canRepeat = false; // an operand precedes (a repetition has something to apply to)
    let lastWasRepeat = false;
    while (this.i < this.chars.length) {
      const c = this.chars[this.i];
      let isRepeat = false;
      switch (c) {
        case '(':
          if (this.peek(1) === '?') {
            const opensGroup = this.perlGroup();
            if (opensGroup) {
              depth++;
              canRepeat = false;
            }
          } else {
            this.i++;
            depth++;
            canRepeat = false;
          }
          if (depth > MAX_NESTING) this.fail('expression nests too deeply');
          break;
        case ')':
          if (depth === 0) this.fail('unexpected )');
          depth--;
          this.i++;
          canRepeat = true;
          break;
        case '|':
          this.i++;
          canRepeat = false;
          break;
        case '*':
        case '+':
        case '?':
          this.repetition(canRepeat, lastWasRepeat, 1);
          isRepeat = true;
          break;
        case '{': {
          const len = this.repeatCountLength();
          if (len === 0) {
            this.i++; // not a well-formed count: a literal `{`
            canRepeat = true;
          } else {
            this.repetition(canRepeat, lastWasRepeat, len);
            isRepeat = true;
          }
          break;
        }
        case '[':
          this.charClass();
          canRepeat = true;
          break;
        case '\\':
          this.topLevelEscape();
          canRepeat = true;
          break;
        default:
          this.i++;
          canRepeat = true;
      }
      lastWasRepeat = isRepeat;
    }
    if (depth > 0) this.fail('missing closing )');
  }

  /** `*`, `+`, `?` or `{n,m}` of `len` characters at i, with an optional lazy `?`. */
  private repetition(canRepeat: boolean, lastWasRepeat: boolean, len: number): void {
    if (lastWasRepeat) this.fail('invalid nested repetition operator');
    if (!canRepeat) this.fail('missing argument to repetition operator');
    this.i += len;
    if (this.peek() === '?') this.i++;
  }

  /** Length of a valid `{n}`, `{n,}` or `{n,m}` at i (0 if it isn't one); checks the counts. */
  private repeatCountLength(): number {
    let j = this.i + 1;
    const digits = (): string => {
      const start = j;
      while (this.chars[j] !== undefined && /^[0-9]$/.test(this.chars[j])) j++;
      return this.chars.slice(start, j).join('');
    };
    const min = digits();
    if (min === '') return 0;
    let max: string | null = min;
    if (this.chars[j] === ',') {
      j++;
      max = digits();
      if (max === '') max = null;
    }
    if (this.chars[j] !== '}') return 0;
    j++;
    const lo = Number(min);
    const hi = max === null ? -1 : Number(max);
    if (lo > MAX_REPEAT || hi > MAX_REPEAT || (hi >= 0 && lo > hi)) this.fail('invalid repeat count');
    return j - this.i;
  }

  /**
   * `(?…`: named capture `(?P<name>` / `(?<name>`, or flags `(?i)` / `(?i-s:`.
   * Returns whether a group was opened.
   */
  private perlGroup(): boolean {
    const named = this.peek(2) === '<' ? 3 : this.peek(2) === 'P' && this.peek(3) === '<' ? 4 : 0;
    if (named > 0) {
      let j = this.i + named;
      const start = j;
      while (j < this.chars.length && this.chars[j] !== '>') j++;
      if (j >= this.chars.length) this.fail('invalid named capture');
      const name = this.chars.slice(start, j);
      if (name.length === 0 || !name.every((ch) => ch === '_' || isAsciiAlnum(ch))) this.fail('invalid named capture');
      this.i = j + 1;
      return true;
    }
    this.i += 2;
    let negated = false;
    let sawFlag = false;
    while (this.i < this.chars.length) {
      const c = this.chars[this.i++];
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        sawFlag = true;
      } else if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && !(negated && !sawFlag)) {
        return c === ':';
      } else {
        break;
      }
    }
    return this.fail('invalid or unsupported Perl syntax');
  }

  /** `\` outside a class: everything a class allows, plus `\b \B \A \z` and `\Q…\E`. */
  private topLevelEscape(): void {
    const next = this.peek(1);
    if (next === 'b' || next === 'B' || next === 'A' || next === 'z') {
      this.i += 2;
      return;
    }
    if (next === 'Q') {
      this.i += 2;
      while (this.i < this.chars.length && !(this.peek() === '\\' && this.peek(1) === 'E')) this.i++;
      if (this.i < this.chars.length) this.i += 2;
      return;
    }
    this.escape();
  }

  /** An escape usable inside and outside classes (`\d`, `\pL`, `\x41`, `\.` …). */
  private escape(): void {
    const c = this.peek(1);
    if (c === undefined) this.fail('trailing backslash at end of expression');
    this.i += 2;
    if ('dDsSwW'.includes(c)) return;
    if ('afnrtv'.includes(c)) return;
    if (c === 'p' || c === 'P') return this.unicodeClass();
    if (c >= '1' && c <= '7' && !isOctal(this.peek())) this.fail('invalid escape sequence'); // back-reference
    if (c >= '0' && c <= '7') {
      for (let k = 0; k < 2 && isOctal(this.peek()); k++) this.i++;
      return;
    }
    if (c === 'x') {
      if (this.peek() === '{') {
        let j = this.i + 1;
        let hex = '';
        while (isHex(this.chars[j])) hex += this.chars[j++];
        if (hex === '' || this.chars[j] !== '}' || parseInt(hex, 16) > 0x10ffff) this.fail('invalid escape sequence');
        this.i = j + 1;
        return;
      }
      if (!isHex(this.peek()) || !isHex(this.peek(1))) this.fail('invalid escape sequence');
      this.i += 2;
      return;
    }
    // Any other ASCII punctuation stands for itself; letters and non-ASCII don't.
    if (c.length === 1 && c < '\u0080' && !isAsciiAlnum(c)) return;
    this.fail('invalid escape sequence');
  }

  /** After `\p` / `\P`: a one-letter category or `{Name}` / `{^Name}`. */
  private unicodeClass(): void {
    let name: string;
    if (this.peek() === '{') {
      let j = this.i + 1;
      while (j < this.chars.length && this.chars[j] !== '}') j++;
      if (j >= this.chars.length) this.fail('invalid character class range');
      name = this.chars.slice(this.i + 1, j).join('');
      this.i = j + 1;
      if (name.startsWith('^')) name = name.slice(1);
    } else {
      const ch = this.peek();
      if (ch === undefined) this.fail('invalid character class range');
      name = ch;
      this.i++;
    }
    if (!CATEGORIES.has(name) && !(name.length > 2 && isUnicodeScript(name))) this.fail('invalid character class range');
  }

  /** `[…]`, `[^…]`, with ranges, `[:alpha:]`, `\d`, `\pL` inside. */
  private charClass(): void {
    this.i++; // [
    if (this.peek() === '^') this.i++;
    let first = true;
    while (first || this.peek() !== ']') {
      if (this.peek() === undefined) this.fail('missing closing ]');
      first = false;
      if (this.peek() === '[' && this.peek(1) === ':') {
        const rest = this.chars.slice(this.i + 2).join('');
        const end = rest.indexOf(':]');
        if (end >= 0) {
          const name = rest.slice(0, end);
          if (!POSIX_CLASSES.has(name.startsWith('^') ? name.slice(1) : name)) this.fail('invalid character class range');
          this.i += 2 + Array.from(rest.slice(0, end)).length + 2;
          continue;
        }
      }
      if (this.peek() === '\\' && (this.peek(1) === 'p' || this.peek(1) === 'P' || 'dDsSwW'.includes(this.peek(1) ?? 'x'))) {
        this.escape();
        continue;
      }
      const lo = this.classChar();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const hi = this.classChar();
        if (hi < lo) this.fail('invalid character class range');
      }
    }
    this.i++; // ]
  }

  /** One character of a class (possibly escaped), as a code point. */
  private classChar(): number {
    const c = this.peek();
    if (c === undefined) this.fail('missing closing ]');
    if (c !== '\\') {
      this.i++;
      return c.codePointAt(0) ?? 0;
    }
    const start = this.i;
    const e = this.peek(1);
    this.escape();
    const body = this.chars.slice(start + 2, this.i).join('');
    switch (e) {
      case 'a': return 7;
      case 'f': return 12;
      case 'n': return 10;
      case 'r': return 13;
      case 't': return 9;
      case 'v': return 11;
      case 'x': return parseInt(body.replace(/[{}]/g, ''), 16);
      default:
        if (e !== undefined && e >= '0' && e <= '7') return parseInt(e + body, 8);
        return (e ?? '').codePointAt(0) ?? 0;
    }
  }
}

/** Go's regexp error code text for `pattern`, or null if it is valid RE2. */
export function re2SyntaxError(pattern: string): string | null {
  try {
    new Checker(pattern).check();
    return null;
  } catch (e) {
    if (e instanceof Re2Error) return e.message;
    throw e;
  }
}
