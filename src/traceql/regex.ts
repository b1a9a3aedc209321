/**
 * @module traceql/regex
 * A linear-time matcher for RE2 patterns, fully anchored as Tempo anchors them
 * (`^(?s:…)$`). JavaScript's RegExp backtracks: `(a+)+b` or `.*a.*a.*a.*b` against a
 * long attribute value would hold the process for minutes, and it cannot be stopped.
 * Here the pattern becomes a Thompson NFA that is simulated one code point at a time
 * (O(value length × program size), no backtracking), with plain string tests for the
 * shapes most queries use (`foo`, `.*foo.*`, `foo.*`, `.*foo`).
 *
 * Syntax is RE2's (re2.ts checks it): classes with `[:alpha:]`, `\pL`, `\p{Greek}`,
 * `\d\s\w`, flags `(?imsU)` / `(?i:…)`, `\A \z \b \B`, `\Q…\E`, counted repetition.
 * Case folding is simple (a code point, its lower and upper case).
 */

/** Programs larger than this are refused (Go answers "expression too large" past a similar size). */
export const MAX_PROGRAM = 10_000;

/** How many NFA steps run between two looks at the clock, once a deadline is set. */
const CLOCK_EVERY = 1 << 20;

/** Thrown out of a match when the deadline set by withRegexDeadline() has passed. */
export class RegexDeadlineError extends Error {
  constructor() {
    super('regular expression matching exceeded the query deadline');
    this.name = 'RegexDeadlineError';
  }
}

let deadline = Infinity;
let steps = 0;

/**
 * Runs `fn` with regex matching limited to end by `at` (a Date.now() time): a match
 * still running then throws RegexDeadlineError. Nested calls keep the earlier deadline.
 */
export function withRegexDeadline<T>(at: number, fn: () => T): T {
  const outer = deadline;
  deadline = Math.min(outer, at);
  try {
    return fn();
  } finally {
    deadline = outer;
  }
}

/** What a compiled pattern offers: the one operation TraceQL and PromQL need. */
export interface Matcher {
  /** Whether the whole of `s` matches. */
  test(s: string): boolean;
}

// ---- syntax tree ------------------------------------------------------------------

type Pred = (cp: number) => boolean;
type AssertKind = 'bot' | 'eot' | 'bol' | 'eol' | 'word' | 'nonword';

type Node =
  | { readonly t: 'lit'; readonly cp: number; readonly fold: boolean }
  | { readonly t: 'pred'; readonly pred: Pred; readonly any?: boolean }
  | { readonly t: 'assert'; readonly kind: AssertKind }
  | { readonly t: 'cat'; readonly items: Node[] }
  | { readonly t: 'alt'; readonly items: Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number };

class SyntaxErr extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordCp = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpaceCp = (c: number): boolean => c === 9 || c === 10 || c === 12 || c === 13 || c === 32;
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 55;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && (isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));

const POSIX: Readonly<Record<string, Pred>> = {
  alnum: (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
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
  xdigit: (c) => isHex(c),
};

const unicodeCache = new Map<string, Pred>();

/** `\p{name}`: a general category (`L`, `Lu`) or a script (`Greek`), tested by the JS engine on one code point. */
function unicodePred(name: string): Pred {
  let pred = unicodeCache.get(name);
  if (pred !== undefined) return pred;
  if (name === 'Any') pred = () => true;
  else {
    let re: RegExp;
    try {
      re = new RegExp(`^\\p{${name.length <= 2 ? name : `Script=${name}`}}$`, 'u');
    } catch {
      throw new SyntaxErr(`unknown class ${name}`);
    }
    pred = (c) => re.test(String.fromCodePoint(c));
  }
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

class Parser {
  private readonly cps: number[];
  private i = 0;
  private flags: Flags = { i: false, m: false, s: true };

  constructor(pattern: string) {
    this.cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.i + offset];
  }

  private is(ch: string, offset = 0): boolean {
    return this.cps[this.i + offset] === ch.charCodeAt(0);
  }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.cps.length) throw new SyntaxErr('unexpected )');
    return node;
  }

  private alternation(): Node {
    const items = [this.concatenation()];
    while (this.is('|')) {
      this.i++;
      items.push(this.concatenation());
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    while (this.i < this.cps.length && !this.is('|') && !this.is(')')) {
      const atom = this.atom(items);
      if (atom === undefined) continue;
      items.push(this.repetitions(atom));
    }
    return items.length === 1 ? items[0] : { t: 'cat', items };
  }

  /** `*`, `+`, `?`, `{n,m}` after an atom, each with an optional lazy `?` (irrelevant to a yes/no match). */
  private repetitions(atom: Node): Node {
    let node = atom;
    for (;;) {
      let min: number;
      let max: number;
      if (this.is('*')) [min, max] = [0, -1];
      else if (this.is('+')) [min, max] = [1, -1];
      else if (this.is('?')) [min, max] = [0, 1];
      else if (this.is('{')) {
        const count = this.repeatCount();
        if (count === undefined) return node;
        [min, max] = count;
        node = { t: 'rep', node, min, max };
        if (this.is('?')) this.i++;
        continue;
      } else return node;
      this.i++;
      if (this.is('?')) this.i++;
      node = { t: 'rep', node, min, max };
    }
  }

  /** A well-formed `{n}`, `{n,}` or `{n,m}` at i (consumed), or undefined (then `{` is a literal). */
  private repeatCount(): [number, number] | undefined {
    let j = this.i + 1;
    const digits = (): string => {
      let s = '';
      while (j < this.cps.length && isDigit(this.cps[j])) s += String.fromCharCode(this.cps[j++]);
      return s;
    };
    const lo = digits();
    if (lo === '') return undefined;
    let hi: string | null = lo;
    if (this.cps[j] === 44) {
      j++;
      hi = digits();
      if (hi === '') hi = null;
    }
    if (this.cps[j] !== 125) return undefined;
    const min = Number(lo);
    const max = hi === null ? -1 : Number(hi);
    if (min > 1000 || max > 1000 || (max >= 0 && min > max)) throw new SyntaxErr('invalid repeat count');
    this.i = j + 1;
    return [min, max];
  }

  private lit(cp: number): Node {
    if (this.flags.i && lowerCp(cp) !== upperCp(cp)) return { t: 'lit', cp, fold: true };
    return { t: 'lit', cp, fold: false };
  }

  /** One atom; undefined when it only changed flags. `\Q…\E` pushes all but its last character to `items`. */
  private atom(items: Node[]): Node | undefined {
    const c = this.cps[this.i];
    switch (c) {
      case 40: // (
        return this.group();
      case 91: // [
        return this.charClass();
      case 46: // .
        this.i++;
        return this.flags.s ? { t: 'pred', pred: () => true, any: true } : { t: 'pred', pred: (x) => x !== 10 };
      case 94: // ^
        this.i++;
        return { t: 'assert', kind: this.flags.m ? 'bol' : 'bot' };
      case 36: // $
        this.i++;
        return { t: 'assert', kind: this.flags.m ? 'eol' : 'eot' };
      case 92: // backslash
        return this.escapeAtom(items);
      case 42:
      case 43:
      case 63:
        throw new SyntaxErr('missing argument to repetition operator');
      case 123: // {
        if (this.repeatCountPeek()) throw new SyntaxErr('missing argument to repetition operator');
        this.i++;
        return this.lit(c);
      default:
        this.i++;
        return this.lit(c);
    }
  }

  private repeatCountPeek(): boolean {
    const save = this.i;
    try {
      return this.repeatCount() !== undefined;
    } finally {
      this.i = save;
    }
  }

  private group(): Node | undefined {
    this.i++; // (
    if (this.is('?')) {
      // Named capture: (?P<name>…) or (?<name>…).
      const named = this.is('<', 1) ? 2 : this.is('P', 1) && this.is('<', 2) ? 3 : 0;
      if (named > 0) {
        this.i += named;
        while (this.i < this.cps.length && !this.is('>')) this.i++;
        if (this.i >= this.cps.length) throw new SyntaxErr('invalid named capture');
        this.i++;
        return this.groupBody();
      }
      // Flags: (?i) changes the rest of the enclosing group, (?i:…) only its own.
      this.i++;
      const next: Flags = { ...this.flags };
      let on = true;
      for (;;) {
        const ch = this.peek();
        this.i++;
        if (ch === 105) next.i = on;
        else if (ch === 109) next.m = on;
        else if (ch === 115) next.s = on;
        else if (ch === 85) { /* U: laziness does not change a yes/no match */ }
        else if (ch === 45 && on) on = false;
        else if (ch === 41) {
          this.flags = next;
          return undefined;
        } else if (ch === 58) {
          const outer = this.flags;
          this.flags = next;
          const body = this.groupBody();
          this.flags = outer;
          return body;
        } else throw new SyntaxErr('invalid or unsupported Perl syntax');
      }
    }
    return this.groupBody();
  }

  /** The inside of a group up to its `)`; flags set inside end with it. */
  private groupBody(): Node {
    const outer = this.flags;
    const node = this.alternation();
    this.flags = outer;
    if (!this.is(')')) throw new SyntaxErr('missing closing )');
    this.i++;
    return node;
  }

  private escapeAtom(items: Node[]): Node {
    const e = this.peek(1);
    switch (e) {
      case 98: // \b
        this.i += 2;
        return { t: 'assert', kind: 'word' };
      case 66: // \B
        this.i += 2;
        return { t: 'assert', kind: 'nonword' };
      case 65: // \A
        this.i += 2;
        return { t: 'assert', kind: 'bot' };
      case 122: // \z
        this.i += 2;
        return { t: 'assert', kind: 'eot' };
      case 81: {
        // \Q…\E: literal text; a repetition after it applies to its last character.
        this.i += 2;
        const text: Node[] = [];
        while (this.i < this.cps.length && !(this.is('\\') && this.is('E', 1))) text.push(this.lit(this.cps[this.i++]));
        if (this.i < this.cps.length) this.i += 2;
        if (text.length === 0) return { t: 'cat', items: [] };
        items.push(...text.slice(0, -1));
        return text[text.length - 1];
      }
      default: {
        const pred = this.classEscape();
        if (typeof pred === 'number') return this.lit(pred);
        return { t: 'pred', pred: this.flags.i ? folded(pred) : pred };
      }
    }
  }

  /** An escape valid inside and outside classes: a code point, or a predicate for `\d`, `\pL` …. */
  private classEscape(): number | Pred {
    const e = this.peek(1);
    if (e === undefined) throw new SyntaxErr('trailing backslash at end of expression');
    this.i += 2;
    switch (e) {
      case 100: return isDigit; // d
      case 68: return (c) => !isDigit(c); // D
      case 115: return isSpaceCp; // s
      case 83: return (c) => !isSpaceCp(c); // S
      case 119: return isWordCp; // w
      case 87: return (c) => !isWordCp(c); // W
      case 97: return 7; // a
      case 102: return 12; // f
      case 110: return 10; // n
      case 114: return 13; // r
      case 116: return 9; // t
      case 118: return 11; // v
      case 112: // p
      case 80: { // P
        let name: string;
        if (this.is('{')) {
          let j = this.i + 1;
          while (j < this.cps.length && this.cps[j] !== 125) j++;
          if (j >= this.cps.length) throw new SyntaxErr('invalid character class range');
          name = String.fromCodePoint(...this.cps.slice(this.i + 1, j));
          this.i = j + 1;
        } else {
          const ch = this.peek();
          if (ch === undefined) throw new SyntaxErr('invalid character class range');
          name = String.fromCodePoint(ch);
          this.i++;
        }
        let negate = e === 80;
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        const pred = unicodePred(name);
        return negate ? (c) => !pred(c) : pred;
      }
      case 120: { // x
        if (this.is('{')) {
          let j = this.i + 1;
          let hex = '';
          while (isHex(this.cps[j])) hex += String.fromCharCode(this.cps[j++]);
          if (hex === '' || this.cps[j] !== 125 || parseInt(hex, 16) > 0x10ffff) throw new SyntaxErr('invalid escape sequence');
          this.i = j + 1;
          return parseInt(hex, 16);
        }
        if (!isHex(this.peek()) || !isHex(this.peek(1))) throw new SyntaxErr('invalid escape sequence');
        const v = parseInt(String.fromCharCode(this.cps[this.i], this.cps[this.i + 1]), 16);
        this.i += 2;
        return v;
      }
      default:
        if (e >= 49 && e <= 55 && !isOctal(this.peek())) throw new SyntaxErr('invalid escape sequence'); // back-reference
        if (isOctal(e)) {
          let v = e - 48;
          for (let k = 0; k < 2 && isOctal(this.peek()); k++) v = v * 8 + (this.cps[this.i++] - 48);
          return v;
        }
        if (e < 0x80 && !isWordCp(e)) return e;
        throw new SyntaxErr('invalid escape sequence');
    }
  }

  private charClass(): Node {
    this.i++; // [
    let negate = false;
    if (this.is('^')) {
      negate = true;
      this.i++;
    }
    const ranges: number[] = [];
    const preds: Pred[] = [];
    let first = true;
    while (first || !this.is(']')) {
      if (this.i >= this.cps.length) throw new SyntaxErr('missing closing ]');
      first = false;
      if (this.is('[') && this.is(':', 1)) {
        let j = this.i + 2;
        while (j + 1 < this.cps.length && !(this.cps[j] === 58 && this.cps[j + 1] === 93)) j++;
        if (j + 1 < this.cps.length) {
          let name = String.fromCodePoint(...this.cps.slice(this.i + 2, j));
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const p = POSIX[name];
          if (p === undefined) throw new SyntaxErr('invalid character class range');
          preds.push(neg ? (c) => !p(c) : p);
          this.i = j + 2;
          continue;
        }
      }
      const lo = this.classChar();
      if (typeof lo !== 'number') {
        preds.push(lo);
        continue;
      }
      let hi = lo;
      if (this.is('-') && !this.is(']', 1) && this.peek(1) !== undefined) {
        this.i++;
        const h = this.classChar();
        if (typeof h !== 'number' || h < lo) throw new SyntaxErr('invalid character class range');
        hi = h;
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

  private classChar(): number | Pred {
    const c = this.peek();
    if (c === undefined) throw new SyntaxErr('missing closing ]');
    if (c !== 92) {
      this.i++;
      return c;
    }
    return this.classEscape();
  }
}

// ---- program ----------------------------------------------------------------------

const OP_LIT = 0;
const OP_PRED = 1;
const OP_SPLIT = 2;
const OP_JMP = 3;
const OP_ASSERT = 4;
const OP_MATCH = 5;

interface Program {
  readonly op: Uint8Array;
  /** OP_LIT: the code point in x and its case variants in y, z; OP_SPLIT: targets x, y; OP_ASSERT: kind in x. */
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly z: Int32Array;
  readonly preds: Pred[];
  readonly next: Int32Array;
  readonly size: number;
  /** The first instruction. */
  readonly start: number;
}

const ASSERT_CODES: Readonly<Record<AssertKind, number>> = { bot: 0, eot: 1, bol: 2, eol: 3, word: 4, nonword: 5 };

class TooLarge extends Error {}

class Compiler {
  op: number[] = [];
  x: number[] = [];
  y: number[] = [];
  z: number[] = [];
  next: number[] = [];
  preds: Pred[] = [];

  private emit(op: number, x = 0, y = 0, z = 0, pred?: Pred): number {
    if (this.op.length >= MAX_PROGRAM) throw new TooLarge();
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    this.z.push(z);
    this.next.push(-1);
    this.preds.push(pred ?? (() => false));
    return this.op.length - 1;
  }

  emitMatch(): number {
    return this.emit(OP_MATCH);
  }

  /**
   * Emits `node` so that it continues at the instruction `out` returns to later:
   * returns [entry, dangling] where every index in dangling needs its `next` (or, for
   * SPLIT, its `y` when marked negative) set to the continuation.
   */
  compile(node: Node): [number, number[]] {
    switch (node.t) {
      case 'lit': {
        const lower = node.fold ? lowerCp(node.cp) : node.cp;
        const upper = node.fold ? upperCp(node.cp) : node.cp;
        const pc = this.emit(OP_LIT, node.cp, lower, upper);
        return [pc, [pc]];
      }
      case 'pred': {
        const pc = this.emit(OP_PRED, 0, 0, 0, node.pred);
        return [pc, [pc]];
      }
      case 'assert': {
        const pc = this.emit(OP_ASSERT, ASSERT_CODES[node.kind]);
        return [pc, [pc]];
      }
      case 'cat': {
        if (node.items.length === 0) {
          const pc = this.emit(OP_JMP);
          return [pc, [pc]];
        }
        let [entry, dangling] = this.compile(node.items[0]);
        for (let k = 1; k < node.items.length; k++) {
          const [e, d] = this.compile(node.items[k]);
          this.patch(dangling, e);
          dangling = d;
        }
        return [entry, dangling];
      }
      case 'alt': {
        // A chain of splits: split(a, split(b, c)).
        const dangling: number[] = [];
        let entry = -1;
        let prevSplit = -1;
        for (let k = 0; k < node.items.length; k++) {
          const last = k === node.items.length - 1;
          const split = last ? -1 : this.emit(OP_SPLIT);
          const [e, d] = this.compile(node.items[k]);
          dangling.push(...d);
          const head = last ? e : split;
          if (!last) this.x[split] = e;
          if (prevSplit >= 0) this.y[prevSplit] = head;
          else entry = head;
          prevSplit = split;
        }
        return [entry, dangling];
      }
      case 'rep':
        return this.repeat(node.node, node.min, node.max);
    }
  }

  private repeat(inner: Node, min: number, max: number): [number, number[]] {
    const parts: Array<[number, number[]]> = [];
    for (let k = 0; k < min; k++) parts.push(this.compile(inner));
    if (max === -1) {
      // x*: split(x → back to split, out)
      const split = this.emit(OP_SPLIT);
      const [e, d] = this.compile(inner);
      this.x[split] = e;
      this.patch(d, split);
      this.y[split] = -1;
      parts.push([split, [-split - 1]]);
    } else {
      for (let k = min; k < max; k++) {
        // x?: split(x, out)
        const split = this.emit(OP_SPLIT);
        const [e, d] = this.compile(inner);
        this.x[split] = e;
        this.y[split] = -1;
        parts.push([split, [...d, -split - 1]]);
      }
    }
    if (parts.length === 0) {
      const pc = this.emit(OP_JMP);
      return [pc, [pc]];
    }
    // x{2,4} is x x x? x?: the same language as x x (x x?)?, with a smaller stack of splits.
    for (let k = 0; k + 1 < parts.length; k++) this.patch(parts[k][1], parts[k + 1][0]);
    return [parts[0][0], parts[parts.length - 1][1]];
  }

  /** Points dangling exits at `target`: `next` of ordinary instructions, `y` of a split encoded as -(pc+1). */
  patch(dangling: readonly number[], target: number): void {
    for (const d of dangling) {
      if (d < 0) this.y[-d - 1] = target;
      else this.next[d] = target;
    }
  }
}

function compileProgram(node: Node): Program {
  const c = new Compiler();
  const [start, dangling] = c.compile(node);
  const match = c.emitMatch();
  c.patch(dangling, match);
  return {
    op: Uint8Array.from(c.op),
    x: Int32Array.from(c.x),
    y: Int32Array.from(c.y),
    z: Int32Array.from(c.z),
    preds: c.preds,
    next: Int32Array.from(c.next),
    size: c.op.length,
    start,
  };
}

// ---- simulation -------------------------------------------------------------------

function isWordAt(cps: Int32Array, k: number): boolean {
  return k >= 0 && k < cps.length && isWordCp(cps[k]);
}

function assertHolds(kind: number, cps: Int32Array, pos: number): boolean {
  switch (kind) {
    case 0:
      return pos === 0;
    case 1:
      return pos === cps.length;
    case 2:
      return pos === 0 || cps[pos - 1] === 10;
    case 3:
      return pos === cps.length || cps[pos] === 10;
    case 4:
      return isWordAt(cps, pos - 1) !== isWordAt(cps, pos);
    default:
      return isWordAt(cps, pos - 1) === isWordAt(cps, pos);
  }
}

class NfaMatcher implements Matcher {
  private readonly marks: Uint32Array;
  private gen = 0;
  private readonly stack: Int32Array;
  private cur: Int32Array;
  private nxt: Int32Array;

  constructor(private readonly prog: Program) {
    this.marks = new Uint32Array(prog.size);
    this.stack = new Int32Array(prog.size * 2 + 4);
    this.cur = new Int32Array(prog.size);
    this.nxt = new Int32Array(prog.size);
  }

  /** Adds `pc` and everything reachable from it without consuming input; returns the new length of `list`. */
  private add(list: Int32Array, n: number, pc: number, cps: Int32Array, pos: number): number {
    const { op, x, y, next } = this.prog;
    const marks = this.marks;
    const gen = this.gen;
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = pc;
    while (sp > 0) {
      const p = stack[--sp];
      if (p < 0 || marks[p] === gen) continue;
      marks[p] = gen;
      switch (op[p]) {
        case OP_JMP:
          stack[sp++] = next[p];
          break;
        case OP_SPLIT:
          stack[sp++] = y[p];
          stack[sp++] = x[p];
          break;
        case OP_ASSERT:
          if (assertHolds(x[p], cps, pos)) stack[sp++] = next[p];
          break;
        default:
          list[n++] = p;
      }
    }
    return n;
  }

  test(s: string): boolean {
    const prog = this.prog;
    const { op, x, y, z, next, preds } = prog;
    const cps = toCodePoints(s);
    this.gen = (this.gen + 1) >>> 0 || 1;
    if (this.gen === 1) this.marks.fill(0);
    let n = this.add(this.cur, 0, prog.start, cps, 0);
    for (let pos = 0; pos < cps.length; pos++) {
      if (n === 0) return false;
      const c = cps[pos];
      if (deadline !== Infinity) {
        steps += n;
        if (steps >= CLOCK_EVERY) {
          steps = 0;
          if (Date.now() > deadline) throw new RegexDeadlineError();
        }
      }
      this.gen = (this.gen + 1) >>> 0 || 1;
      if (this.gen === 1) this.marks.fill(0);
      let m = 0;
      const cur = this.cur;
      for (let k = 0; k < n; k++) {
        const p = cur[k];
        const o = op[p];
        let ok: boolean;
        if (o === OP_LIT) ok = c === x[p] || c === y[p] || c === z[p];
        else if (o === OP_PRED) ok = preds[p](c);
        else ok = false;
        if (ok) m = this.add(this.nxt, m, next[p], cps, pos + 1);
      }
      this.cur = this.nxt;
      this.nxt = cur;
      n = m;
    }
    const cur = this.cur;
    for (let k = 0; k < n; k++) if (op[cur[k]] === OP_MATCH) return true;
    return false;
  }
}

function toCodePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0xd800 && c <= 0xdbff && k + 1 < s.length) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[n++] = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        k++;
        continue;
      }
    }
    out[n++] = c;
  }
  return n === s.length ? out : out.subarray(0, n);
}

// ---- shortcuts for the common shapes ------------------------------------------------

/** The literal text of a node made only of case-sensitive literals, else undefined. */
function literalText(node: Node): string | undefined {
  if (node.t === 'lit') return node.fold ? undefined : String.fromCodePoint(node.cp);
  if (node.t !== 'cat') return undefined;
  let s = '';
  for (const item of node.items) {
    if (item.t !== 'lit' || item.fold) return undefined;
    s += String.fromCodePoint(item.cp);
  }
  return s;
}

const isDotStar = (n: Node | undefined): boolean =>
  n !== undefined && n.t === 'rep' && n.min === 0 && n.max === -1 && n.node.t === 'pred' && n.node.any === true;

/** `foo`, `.*foo.*`, `foo.*`, `.*foo` (with `.` matching everything) as string tests. */
function shortcut(node: Node): Matcher | undefined {
  const whole = literalText(node);
  if (whole !== undefined) return { test: (s) => s === whole };
  if (node.t !== 'cat' || node.items.length < 2) return undefined;
  const items = node.items;
  const lead = isDotStar(items[0]);
  const trail = isDotStar(items[items.length - 1]);
  const middle = items.slice(lead ? 1 : 0, trail ? items.length - 1 : items.length);
  const text = middle.length === 0 ? '' : literalText({ t: 'cat', items: middle });
  if (text === undefined || (!lead && !trail)) return undefined;
  if (lead && trail) return { test: (s) => s.includes(text) };
  if (lead) return { test: (s) => s.endsWith(text) };
  return { test: (s) => s.startsWith(text) };
}

/** Why `pattern` cannot be compiled (a Go-like error code text), or null when it can. */
export function regexError(pattern: string): string | null {
  try {
    compileProgram(new Parser(pattern).parse());
    return null;
  } catch (err) {
    if (err instanceof TooLarge) return 'expression too large';
    if (err instanceof SyntaxErr) return err.message;
    throw err;
  }
}

/**
 * Compiles an RE2 pattern into a fully anchored linear-time matcher, or returns null
 * when it is not valid RE2 or its program would exceed MAX_PROGRAM instructions.
 */
export function compileLinear(pattern: string): Matcher | null {
  let node: Node;
  try {
    node = new Parser(pattern).parse();
  } catch (err) {
    if (err instanceof SyntaxErr) return null;
    throw err;
  }
  const quick = shortcut(node);
  if (quick !== undefined) return quick;
  let prog: Program;
  try {
    prog = compileProgram(node);
  } catch (err) {
    if (err instanceof TooLarge) return null;
    throw err;
  }
  return new NfaMatcher(prog);
}
