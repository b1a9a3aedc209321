/**
 * @module promql/parser
 * A real (small) PromQL grammar: the part Grafana's service map, APM table and data-source
 * health check send, parsed and type-checked as Prometheus does. Anything outside it is
 * refused with a clear error rather than answered approximately.
 *
 *   expr      := binary
 *   binary    := unary (binop modifiers unary)*            precedence, low → high:
 *                                                           or; and unless; == != > < >= <=;
 *                                                           + -; * / %; ^ (right-associative)
 *   modifiers := [bool] [(on | ignoring) "(" labels ")"]
 *   unary     := ("-" | "+") unary | postfix
 *   postfix   := primary ["[" duration "]"]
 *   primary   := number | string | "(" expr ")" | aggregate | call | selector
 *   aggregate := aggop [grouping] "(" [expr ","] expr ")" [grouping]
 *                aggop := sum | avg | min | max | count | group | topk | bottomk
 *   grouping  := (by | without) "(" [label ("," label)* [","]] ")"
 *   call      := rate "(" expr ")" | increase "(" expr ")" | histogram_quantile "(" expr "," expr ")"
 *   selector  := metric ["{" [matcher ("," matcher)* [","]] "}"] | "{" matcher ("," matcher)* [","] "}"
 *   matcher   := label ("=" | "!=" | "=~" | "!~") string
 *
 * Keywords are case-insensitive (`OR`, `BY`, `Sum`), as in Prometheus.
 */
import type { AggregateOp, BinaryOp, Expr, FunctionName, Matcher, MatchOp, ValueType, VectorMatching, VectorSelector } from './ast.ts';
import { compileRegex } from '../traceql/index.ts';
import { skipSpaceAndComments } from '../shared/lexing.ts';

/** The query is not PromQL. The message is Prometheus-style: `1:14: parse error: …`. */
export class PromQLSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly pos: number,
    readonly reason: string,
  ) {
    super(`${position(source, pos)}: parse error: ${reason}`);
    this.name = 'PromQLSyntaxError';
  }
}

/** Valid PromQL that tracebox does not evaluate (it would rather refuse than answer wrongly). */
export class PromQLUnsupportedError extends Error {
  constructor(what: string) {
    super(`${what} is not supported by tracebox's PromQL subset (selectors with =, !=, =~, !~; rate, increase, histogram_quantile; sum, avg, min, max, count, group, topk, bottomk with by/without; arithmetic, comparison and and/or/unless operators)`);
    this.name = 'PromQLUnsupportedError';
  }
}

function position(source: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `${line}:${col}`;
}

const AGGREGATORS: ReadonlySet<string> = new Set<AggregateOp>(['sum', 'avg', 'min', 'max', 'count', 'group', 'topk', 'bottomk']);
const OTHER_AGGREGATORS: ReadonlySet<string> = new Set(['stddev', 'stdvar', 'count_values', 'quantile', 'limitk', 'limit_ratio']);
const KEYWORDS: ReadonlySet<string> = new Set([
  ...AGGREGATORS, ...OTHER_AGGREGATORS,
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2',
]);

const FUNCTIONS: Readonly<Record<FunctionName, { args: readonly ValueType[]; returns: ValueType }>> = {
  rate: { args: ['matrix'], returns: 'vector' },
  increase: { args: ['matrix'], returns: 'vector' },
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector' },
};

/** Prometheus functions tracebox knows by name but does not evaluate. */
const PROMETHEUS_FUNCTIONS: ReadonlySet<string> = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil',
  'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week',
  'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'double_exponential_smoothing', 'exp', 'floor',
  'histogram_avg', 'histogram_count', 'histogram_fraction', 'histogram_stddev', 'histogram_stdvar', 'histogram_sum',
  'holt_winters', 'hour', 'idelta', 'info', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10',
  'log2', 'mad_over_time', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear',
  'present_over_time', 'quantile_over_time', 'rad', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort',
  'sort_by_label', 'sort_by_label_desc', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time',
  'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
]);

const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2, unless: 2,
  '==': 3, '!=': 3, '>': 3, '<': 3, '>=': 3, '<=': 3,
  '+': 4, '-': 4,
  '*': 5, '/': 5, '%': 5, atan2: 5,
  '^': 6,
};

type TokenType = 'ident' | 'number' | 'string' | 'punct' | 'eof';

interface Token {
  readonly type: TokenType;
  /** Identifier / punctuation text, or the decoded string. */
  readonly text: string;
  readonly pos: number;
  readonly value?: number;
}

const PUNCT = ['=~', '!~', '!=', '==', '>=', '<=', '(', ')', '{', '}', '[', ']', ',', '=', '+', '-', '*', '/', '%', '^', '>', '<', ':', '@'];

class Lexer {
  private i = 0;

  constructor(private readonly src: string) {}

  private fail(pos: number, reason: string): never {
    throw new PromQLSyntaxError(this.src, pos, reason);
  }

  private skipSpace(): void {
    this.i = skipSpaceAndComments(this.src, this.i);
  }

  /** The raw text of a duration inside `[…]`, up to `]` or `:`. */
  duration(): Token {
    this.skipSpace();
    const start = this.i;
    while (this.i < this.src.length && /[0-9a-zA-Z.]/.test(this.src[this.i])) this.i++;
    return { type: 'string', text: this.src.slice(start, this.i), pos: start };
  }

  next(): Token {
    this.skipSpace();
    const start = this.i;
    if (this.i >= this.src.length) return { type: 'eof', text: '', pos: start };
    const c = this.src[this.i];
    if (/[a-zA-Z_]/.test(c)) {
      while (this.i < this.src.length && /[a-zA-Z0-9_:]/.test(this.src[this.i])) this.i++;
      const text = this.src.slice(start, this.i);
      const lower = text.toLowerCase();
      if (lower === 'inf' || lower === 'nan') return { type: 'number', text, pos: start, value: lower === 'inf' ? Infinity : NaN };
      return { type: 'ident', text, pos: start };
    }
    if (/[0-9.]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(this.src.slice(this.i));
      if (m === null) this.fail(start, `unexpected character: ${JSON.stringify(c)}`);
      this.i += m[0].length;
      if (/[a-zA-Z_]/.test(this.src[this.i] ?? '')) this.fail(start, `bad number or duration syntax: ${JSON.stringify(this.src.slice(start, this.i + 1))}`);
      return { type: 'number', text: m[0], pos: start, value: Number(m[0]) };
    }
    if (c === '"' || c === "'" || c === '`') return this.string(c);
    for (const p of PUNCT) {
      if (this.src.startsWith(p, this.i)) {
        this.i += p.length;
        return { type: 'punct', text: p, pos: start };
      }
    }
    return this.fail(start, `unexpected character: ${JSON.stringify(c)}`);
  }

  private string(quote: string): Token {
    const start = this.i;
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.src.length) this.fail(start, 'unterminated quoted string');
      const c = this.src[this.i++];
      if (c === quote) break;
      if (quote === '`' || c !== '\\') {
        if (c === '\n' && quote !== '`') this.fail(start, 'unterminated quoted string');
        out += c;
        continue;
      }
      const e = this.src[this.i++];
      const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
      if (e !== undefined && e in simple) {
        if ((e === '"' && quote !== '"') || (e === "'" && quote !== "'")) this.fail(this.i - 2, 'unknown escape sequence');
        out += simple[e];
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.src.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(this.i - 2, 'invalid escape sequence');
        this.i += n;
        out += String.fromCodePoint(parseInt(hex, 16));
      } else if (e !== undefined && /[0-7]/.test(e)) {
        const oct = this.src.slice(this.i - 1, this.i + 2);
        if (!/^[0-7]{3}$/.test(oct)) this.fail(this.i - 2, 'invalid escape sequence');
        this.i += 2;
        out += String.fromCharCode(parseInt(oct, 8));
      } else {
        this.fail(this.i - 2, 'unknown escape sequence');
      }
    }
    return { type: 'string', text: out, pos: start };
  }
}

/** Prometheus durations (`5m`, `1h30m`, `300ms`); milliseconds, or undefined when invalid. */
export function parsePromDurationMs(text: string): number | undefined {
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (m === null || text === '') return undefined;
  const units = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];
  let total = 0;
  units.forEach((u, i) => {
    if (m[i + 1] !== undefined) total += Number(m[i + 1]) * u;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

export interface ParseResult {
  readonly expr: Expr;
  readonly type: ValueType;
}

class Parser {
  private tok: Token;
  private readonly lexer: Lexer;

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src);
    this.tok = this.lexer.next();
  }

  private fail(pos: number, reason: string): never {
    throw new PromQLSyntaxError(this.src, pos, reason);
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'end of input';
      case 'ident':
        return KEYWORDS.has(t.text.toLowerCase()) ? `<${t.text.toLowerCase()}>` : `identifier ${JSON.stringify(t.text)}`;
      case 'number':
        return `number ${JSON.stringify(t.text)}`;
      case 'string':
        return `string ${JSON.stringify(t.text)}`;
      default:
        return `${JSON.stringify(t.text)}`;
    }
  }

  private unexpected(context?: string): never {
    return this.fail(this.tok.pos, `unexpected ${this.describe(this.tok)}${context ? ` ${context}` : ''}`);
  }

  /** The current token (a call, so that TypeScript does not keep a narrowed type across advances). */
  private peek(): Token {
    return this.tok;
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isPunct(p: string): boolean {
    return this.tok.type === 'punct' && this.tok.text === p;
  }

  private isKeyword(k: string): boolean {
    return this.tok.type === 'ident' && this.tok.text.toLowerCase() === k;
  }

  private expect(p: string, context: string): Token {
    if (!this.isPunct(p)) this.unexpected(context);
    return this.advance();
  }

  parse(): ParseResult {
    if (this.tok.type === 'eof') this.fail(0, 'no expression found in input');
    const expr = this.binary(0);
    if (this.peek().type !== 'eof') this.unexpected();
    return { expr, type: typeOf(expr) };
  }

  /** The operator at the current token, if it is a binary one. */
  private binaryOp(): string | undefined {
    if (this.tok.type === 'punct' && this.tok.text in PRECEDENCE) return this.tok.text;
    if (this.tok.type === 'ident') {
      const k = this.tok.text.toLowerCase();
      if (k === 'and' || k === 'or' || k === 'unless' || k === 'atan2') return k;
    }
    return undefined;
  }

  private binary(minPrec: number): Expr {
    let lhs = this.unary();
    for (;;) {
      const op = this.binaryOp();
      if (op === undefined) return lhs;
      const prec = PRECEDENCE[op];
      if (prec < minPrec) return lhs;
      const pos = this.advance().pos;
      if (op === 'atan2') throw new PromQLUnsupportedError('the atan2 operator');
      let returnBool = false;
      if (this.isKeyword('bool')) {
        this.advance();
        returnBool = true;
      }
      let matching: VectorMatching = { on: false, labels: [] };
      if (this.isKeyword('on') || this.isKeyword('ignoring')) {
        const on = this.advance().text.toLowerCase() === 'on';
        matching = { on, labels: this.labelList() };
      }
      if (this.isKeyword('group_left') || this.isKeyword('group_right')) {
        throw new PromQLUnsupportedError(`many-to-one matching (${this.tok.text.toLowerCase()})`);
      }
      // ^ is right-associative: its right side may hold another ^.
      const rhs = this.binary(op === '^' ? prec : prec + 1);
      lhs = checkBinary(this.src, { kind: 'binary', op: op as BinaryOp, lhs, rhs, returnBool, matching, pos });
    }
  }

  private unary(): Expr {
    if (this.isPunct('-') || this.isPunct('+')) {
      const t = this.advance();
      // Unary minus binds tighter than * but looser than ^ (`-2^2` is -4), as in Prometheus.
      const expr = this.binaryPower();
      const type = typeOf(expr);
      if (type !== 'scalar' && type !== 'vector') this.fail(t.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${typeName(type)}`);
      return { kind: 'unary', op: t.text as '-' | '+', expr, pos: t.pos };
    }
    return this.postfix();
  }

  private binaryPower(): Expr {
    const base = this.unary();
    if (!this.isPunct('^')) return base;
    const pos = this.advance().pos;
    const rhs = this.binaryPower();
    return checkBinary(this.src, { kind: 'binary', op: '^', lhs: base, rhs, returnBool: false, matching: { on: false, labels: [] }, pos });
  }

  private postfix(): Expr {
    const expr = this.primary();
    if (this.isPunct('[')) {
      // The lexer stands right after `[`: read the duration as raw text.
      const open = this.tok;
      if (expr.kind !== 'vector') this.fail(open.pos, 'ranges only allowed for vector selectors');
      const d = this.lexer.duration();
      this.tok = this.lexer.next();
      if (this.isPunct(':')) throw new PromQLUnsupportedError('a subquery');
      const ms = parsePromDurationMs(d.text);
      if (ms === undefined) this.fail(d.pos, `bad number or duration syntax: ${JSON.stringify(d.text)}`);
      this.expect(']', 'in range selector; expected "]"');
      return this.modifiers({ kind: 'matrix', vector: expr, rangeMs: ms, pos: expr.pos });
    }
    return this.modifiers(expr);
  }

  private modifiers(expr: Expr): Expr {
    if (this.isKeyword('offset')) throw new PromQLUnsupportedError('the offset modifier');
    if (this.isPunct('@')) throw new PromQLUnsupportedError('the @ modifier');
    return expr;
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.type) {
      case 'number':
        this.advance();
        return { kind: 'number', value: t.value ?? NaN, pos: t.pos };
      case 'string':
        this.advance();
        return { kind: 'string', value: t.text, pos: t.pos };
      case 'punct':
        if (t.text === '(') {
          this.advance();
          const expr = this.binary(0);
          this.expect(')', 'in parenthesized expression; expected ")"');
          return { kind: 'paren', expr, pos: t.pos };
        }
        if (t.text === '{') return this.selector(undefined, t.pos);
        return this.unexpected();
      case 'ident': {
        const lower = t.text.toLowerCase();
        if (AGGREGATORS.has(lower)) return this.aggregate();
        if (OTHER_AGGREGATORS.has(lower)) throw new PromQLUnsupportedError(`the ${lower} aggregation`);
        if (KEYWORDS.has(lower)) return this.unexpected();
        this.advance();
        if (this.isPunct('(')) return this.call(t);
        return this.selector(t.text, t.pos);
      }
      default:
        return this.unexpected();
    }
  }

  private labelList(): string[] {
    this.expect('(', 'in grouping opts; expected "("');
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      if (this.tok.type !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(this.tok.text)) this.unexpected('in grouping opts; expected label');
      labels.push(this.advance().text);
      if (this.isPunct(',')) this.advance();
      else if (!this.isPunct(')')) this.unexpected('in grouping opts; expected "," or ")"');
    }
    this.advance();
    return labels;
  }

  private aggregate(): Expr {
    const t = this.advance();
    const op = t.text.toLowerCase() as AggregateOp;
    let grouping: string[] | undefined;
    let without = false;
    if (this.isKeyword('by') || this.isKeyword('without')) {
      without = this.advance().text.toLowerCase() === 'without';
      grouping = this.labelList();
    }
    this.expect('(', 'in aggregation; expected "("');
    const args: Expr[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        args.push(this.binary(0));
        if (this.isPunct(',')) {
          this.advance();
          if (this.isPunct(')')) break;
        } else break;
      }
    }
    this.expect(')', 'in aggregation; expected ")"');
    if (this.isKeyword('by') || this.isKeyword('without')) {
      if (grouping !== undefined) this.unexpected('in aggregation; grouping given twice');
      without = this.advance().text.toLowerCase() === 'without';
      grouping = this.labelList();
    }
    const wantsParam = op === 'topk' || op === 'bottomk';
    if (args.length !== (wantsParam ? 2 : 1)) {
      this.fail(t.pos, wantsParam ? `wrong number of arguments for aggregate expression provided, expected 2, got ${args.length}` : `wrong number of arguments for aggregate expression provided, expected 1, got ${args.length}`);
    }
    const expr = args[args.length - 1];
    const param = wantsParam ? args[0] : undefined;
    if (typeOf(expr) !== 'vector') this.fail(expr.pos, `expected type instant vector in aggregation expression, got ${typeName(typeOf(expr))}`);
    if (param !== undefined && typeOf(param) !== 'scalar') this.fail(param.pos, `expected type scalar in aggregation parameter, got ${typeName(typeOf(param))}`);
    return { kind: 'aggregate', op, param, expr, grouping: grouping ?? [], without, pos: t.pos };
  }

  private call(name: Token): Expr {
    const fn = name.text;
    if (!(fn in FUNCTIONS)) {
      if (PROMETHEUS_FUNCTIONS.has(fn)) throw new PromQLUnsupportedError(`the function ${fn}()`);
      this.fail(name.pos, `unknown function with name ${JSON.stringify(fn)}`);
    }
    const sig = FUNCTIONS[fn as FunctionName];
    this.advance(); // (
    const args: Expr[] = [];
    while (!this.isPunct(')')) {
      args.push(this.binary(0));
      if (this.isPunct(',')) this.advance();
      else if (!this.isPunct(')')) this.unexpected('in call; expected "," or ")"');
    }
    this.advance();
    if (args.length !== sig.args.length) {
      this.fail(name.pos, `expected ${sig.args.length} argument(s) in call to ${JSON.stringify(fn)}, got ${args.length}`);
    }
    args.forEach((a, i) => {
      const type = typeOf(a);
      if (type !== sig.args[i]) this.fail(a.pos, `expected type ${typeName(sig.args[i])} in call to function ${JSON.stringify(fn)}, got ${typeName(type)}`);
    });
    return { kind: 'call', fn: fn as FunctionName, args, pos: name.pos };
  }

  private selector(name: string | undefined, pos: number): VectorSelector {
    const matchers: Matcher[] = [];
    if (this.isPunct('{')) {
      this.advance();
      while (!this.isPunct('}')) {
        if (this.tok.type !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(this.tok.text)) this.unexpected('in label matching, expected label');
        const label = this.advance();
        const op = this.peek();
        if (!(op.type === 'punct' && ['=', '!=', '=~', '!~'].includes(op.text))) {
          this.unexpected('in label matching, expected one of "=", "!=", "=~" or "!~"');
        }
        this.advance();
        if (this.peek().type !== 'string') this.unexpected('in label matching, expected string');
        const value = this.advance();
        matchers.push(matcher(this.src, label.text, op.text as MatchOp, value.text, value.pos));
        if (this.isPunct(',')) this.advance();
        else if (!this.isPunct('}')) this.unexpected('in label matching, expected "," or "}"');
      }
      this.advance();
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === '__name__')) this.fail(pos, `metric name must not be set twice: ${JSON.stringify(name)}`);
      matchers.unshift({ name: '__name__', op: '=', value: name });
    } else if (!matchers.some((m) => !matchesEmpty(m))) {
      this.fail(pos, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'vector', name, matchers, pos };
  }
}

function matcher(src: string, name: string, op: MatchOp, value: string, pos: number): Matcher {
  if (op === '=~' || op === '!~') {
    const re = compileRegex(value);
    if (re === null) throw new PromQLSyntaxError(src, pos, `invalid regular expression ${JSON.stringify(value)}`);
    return { name, op, value, re };
  }
  return { name, op, value };
}

/** Whether a matcher accepts the empty string (a missing label). */
export function matchesEmpty(m: Matcher): boolean {
  return matchValue(m, '');
}

export function matchValue(m: Matcher, v: string): boolean {
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

function typeName(t: ValueType): string {
  return t === 'vector' ? 'instant vector' : t === 'matrix' ? 'range vector' : t;
}

export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
      return 'vector';
    case 'matrix':
      return 'matrix';
    case 'call':
      return FUNCTIONS[e.fn].returns;
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}

function checkBinary(src: string, e: Expr & { kind: 'binary' }): Expr {
  const lt = typeOf(e.lhs);
  const rt = typeOf(e.rhs);
  const fail = (reason: string): never => {
    throw new PromQLSyntaxError(src, e.pos, reason);
  };
  if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
    fail('binary expression must contain only scalar and instant vector types');
  }
  const comparison = ['==', '!=', '>', '<', '>=', '<='].includes(e.op);
  const set = e.op === 'and' || e.op === 'or' || e.op === 'unless';
  if (e.returnBool && !comparison) fail('bool modifier can only be used on comparison operators');
  if (comparison && lt === 'scalar' && rt === 'scalar' && !e.returnBool) fail('comparisons between scalars must use BOOL modifier');
  if (set && (lt !== 'vector' || rt !== 'vector')) fail(`set operator "${e.op}" not allowed in binary scalar expression`);
  if ((e.matching.on || e.matching.labels.length > 0) && (lt !== 'vector' || rt !== 'vector')) fail('vector matching only allowed between instant vectors');
  return e;
}

/** Parses and type-checks a PromQL expression of the supported subset. */
export function parsePromQL(src: string): ParseResult {
  return new Parser(src).parse();
}

/** Parses a series selector (`match[]` of the label and series APIs). */
export function parseSelector(src: string): VectorSelector {
  const { expr } = parsePromQL(src);
  if (expr.kind !== 'vector') throw new PromQLSyntaxError(src, 0, 'expected a series selector');
  return expr;
}
