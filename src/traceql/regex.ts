/**
 * @module traceql/regex
 * A linear-time matcher for RE2 patterns (parsed by re2.ts), fully anchored as Tempo and
 * Prometheus anchor them (`^(?s:…)$`). JavaScript's RegExp backtracks: `(a+)+b` or
 * `.*a.*a.*a.*b` against a long attribute value would hold the process for minutes, and
 * it cannot be stopped. Here the pattern becomes a Thompson NFA that is simulated one
 * code point at a time (O(value length × program size), no backtracking), with plain
 * string tests for the shapes most queries use (`foo`, `.*foo.*`, `foo.*`, `.*foo`).
 * Used by TraceQL (`=~`, `!~`, and the planner's tag-dictionary pushdown) and PromQL
 * matchers.
 */
import { isWordCp, parseRe2, Re2SyntaxError, type AssertKind, type Pred, type Re2Node } from './re2.ts';

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
  compile(node: Re2Node): [number, number[]] {
    switch (node.t) {
      case 'lit': {
        const pc = this.emit(OP_LIT, node.cp, node.lower, node.upper);
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

  private repeat(inner: Re2Node, min: number, max: number): [number, number[]] {
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

function compileProgram(node: Re2Node): Program {
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
function literalText(node: Re2Node): string | undefined {
  const items = node.t === 'cat' ? node.items : [node];
  let s = '';
  for (const item of items) {
    if (item.t !== 'lit' || item.lower !== item.cp || item.upper !== item.cp) return undefined;
    s += String.fromCodePoint(item.cp);
  }
  return s;
}

const isDotStar = (n: Re2Node | undefined): boolean =>
  n !== undefined && n.t === 'rep' && n.min === 0 && n.max === -1 && n.node.t === 'pred' && n.node.any === true;

/** `foo`, `.*foo.*`, `foo.*`, `.*foo` (with `.` matching everything) as string tests. */
function shortcut(node: Re2Node): Matcher | undefined {
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

/** Why `pattern` cannot be compiled (Go's error code text), or null when it can. */
export function regexError(pattern: string): string | null {
  try {
    compileProgram(parseRe2(pattern));
    return null;
  } catch (err) {
    if (err instanceof TooLarge) return 'expression too large';
    if (err instanceof Re2SyntaxError) return err.message;
    throw err;
  }
}

const cache = new Map<string, Matcher | null>();

/** compileLinear() with the last thousand or so patterns kept: queries repeat them on every value. */
export function compileRegex(pattern: string): Matcher | null {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  re = compileLinear(pattern);
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/**
 * Compiles an RE2 pattern into a fully anchored linear-time matcher, or returns null
 * when it is not valid RE2 or its program would exceed MAX_PROGRAM instructions.
 */
export function compileLinear(pattern: string): Matcher | null {
  let node: Re2Node;
  try {
    node = parseRe2(pattern);
  } catch (err) {
    if (err instanceof Re2SyntaxError) return null;
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
