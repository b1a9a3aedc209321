/**
 * @module logql/parser
 * The LogQL grammar tracebox evaluates, read as Loki reads it (its error texts where it
 * refuses a query too); valid LogQL outside the subset is refused by name.
 *
 *   query      := metric | log
 *   log        := selector stage*
 *   selector   := "{" matcher ("," matcher)* [","] "}"          matcher := name (= != =~ !~) string
 *   stage      := ("|=" | "!=" | "|~" | "!~") string ("or" string)*
 *               | "|" ( json | logfmt | pattern string | decolorize | line_format string
 *                     | label_format name "=" (name | string) ("," …)* | (drop | keep) item ("," item)* | filter )
 *   filter     := and ("or" and)*          and := atom (["and" | ","] atom)*
 *   atom       := "(" filter ")" | name (= != =~ !~) string | name (= == != > >= < <=) ["-"] (number | duration | bytes)
 *   metric     := term (("+" | "-") term)*   term := power (("*" | "/" | "%") power)*   power := unary ["^" power]
 *   unary      := "-" unary | primary
 *   primary    := number | "(" metric ")" | vector "(" number ")"
 *               | rangefn "(" log-range ")"                       rangefn := count_over_time | rate | bytes_over_time | bytes_rate
 *               | aggop [grouping] "(" [number ","] metric ")" [grouping]      aggop := sum | count | avg | min | max | topk | bottomk
 *   log-range  := selector ["[" duration "]"] stage* ["[" duration "]"] ["offset" duration]   (exactly one range)
 *   grouping   := (by | without) "(" [name ("," name)*] ")"
 */
import { compileRegex, regexError, type Matcher as RegexMatcher } from '../traceql/index.ts';
import type {
  AggregateOp, BinaryOp, DropKeepStage, Grouping, LabelFormatStage, LabelMatcher, LabelPredicate, LineFilterOp, LineFormatStage, LogExpr,
  MatchOp, MetricExpr, NumberOp, NumberUnit, PatternStage, Query, RangeFn, Stage,
} from './ast.ts';
import { LogQLSyntaxError, LogQLUnsupportedError } from './errors.ts';
import { Lexer, type Token } from './lexer.ts';

/** Longest query text accepted. */
export const MAX_QUERY_LENGTH = 64 * 1024;
/** Deepest nesting of parentheses and aggregations accepted (the parser recurses). */
export const MAX_NESTING = 200;

const RANGE_FNS: ReadonlySet<string> = new Set<RangeFn>(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate']);
const OTHER_RANGE_FNS: ReadonlySet<string> = new Set([
  'avg_over_time', 'sum_over_time', 'min_over_time', 'max_over_time', 'stdvar_over_time', 'stddev_over_time',
  'quantile_over_time', 'first_over_time', 'last_over_time', 'absent_over_time', 'rate_counter',
]);
const AGGREGATORS: ReadonlySet<string> = new Set<AggregateOp>(['sum', 'count', 'avg', 'min', 'max', 'topk', 'bottomk']);
const OTHER_AGGREGATORS: ReadonlySet<string> = new Set(['stddev', 'stdvar', 'sort', 'sort_desc', 'approx_topk']);
const OTHER_FUNCTIONS: ReadonlySet<string> = new Set(['label_replace', 'absent']);
const OTHER_STAGES: ReadonlySet<string> = new Set(['regexp', 'unpack', 'unwrap', 'distinct']);
const MATCH_OPS: ReadonlySet<string> = new Set<MatchOp>(['=', '!=', '=~', '!~']);
const NUMBER_OPS: ReadonlySet<string> = new Set(['=', '==', '!=', '>', '>=', '<', '<=']);
const LINE_OPS: ReadonlySet<string> = new Set<LineFilterOp>(['|=', '!=', '|~', '!~']);

/** Parses a LogQL query; throws LogQLSyntaxError or LogQLUnsupportedError. */
export function parseLogQL(src: string): Query {
  if (src.length > MAX_QUERY_LENGTH) throw new LogQLSyntaxError(`parse error : query is longer than ${MAX_QUERY_LENGTH} characters`);
  return new Parser(src).query();
}

/** Parses a bare stream selector (`match[]` of /series, `query` of /labels and /index/*). */
export function parseSelector(src: string): readonly LabelMatcher[] {
  return new Parser(src).selectorOnly();
}

/** A line-filter pattern found anywhere in the line, as Loki's `|~` matches (RE2, unanchored). */
function unanchored(pattern: string): RegexMatcher | null {
  return compileRegex(`.*(?:${pattern}).*`);
}

class Parser {
  private tok: Token;
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src);
    this.tok = this.lexer.next();
  }

  // ---- token helpers --------------------------------------------------------------

  private fail(pos: number, reason: string): never {
    throw LogQLSyntaxError.at(this.src, pos, reason);
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return '$end';
      case 'ident':
        return 'IDENTIFIER';
      case 'string':
        return 'STRING';
      case 'number':
        return 'NUMBER';
      case 'duration':
        return 'DURATION';
      case 'bytes':
        return 'BYTES';
      default:
        return t.text;
    }
  }

  private unexpected(expecting?: string): never {
    return this.fail(this.tok.pos, `syntax error: unexpected ${this.describe(this.tok)}${expecting === undefined ? '' : `, expecting ${expecting}`}`);
  }

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

  private isWord(w: string): boolean {
    return this.tok.type === 'ident' && this.tok.text.toLowerCase() === w;
  }

  private expectPunct(p: string): Token {
    if (!this.isPunct(p)) this.unexpected(p);
    return this.advance();
  }

  private expectType(type: Token['type'], name: string): Token {
    if (this.tok.type !== type) this.unexpected(name);
    return this.advance();
  }

  /** Runs a nested rule, refusing nesting deeper than MAX_NESTING. */
  private nested<T>(rule: () => T): T {
    if (++this.depth > MAX_NESTING) this.fail(this.tok.pos, `syntax error: expressions nested deeper than ${MAX_NESTING} levels`);
    try {
      return rule();
    } finally {
      this.depth--;
    }
  }

  private expectEnd(): void {
    if (this.tok.type !== 'eof') this.unexpected();
  }

  // ---- entry points ---------------------------------------------------------------

  query(): Query {
    if (this.isPunct('{')) {
      const log = this.logExpr();
      if (this.isPunct('[')) this.fail(this.tok.pos, 'syntax error: unexpected RANGE: a range needs a function such as count_over_time around it');
      this.expectEnd();
      return log;
    }
    const expr = this.metric();
    this.expectEnd();
    return expr;
  }

  selectorOnly(): readonly LabelMatcher[] {
    const matchers = this.selector();
    this.expectEnd();
    return matchers;
  }

  // ---- log queries ----------------------------------------------------------------

  private logExpr(): LogExpr {
    const selector = this.selector();
    return { kind: 'log', selector, stages: this.stages() };
  }

  private selector(): readonly LabelMatcher[] {
    this.expectPunct('{');
    const matchers: LabelMatcher[] = [];
    for (;;) {
      if (this.tok.type !== 'ident') this.unexpected('IDENTIFIER');
      matchers.push(this.stringMatcher(this.advance()));
      if (this.isPunct(',')) {
        this.advance();
        if (this.isPunct('}')) break;
        continue;
      }
      if (this.isPunct('}')) break;
      this.unexpected(', or }');
    }
    this.advance();
    if (!matchers.some(nonEmptyMatcher)) {
      throw new LogQLSyntaxError(
        'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. ' +
        'For instance, app=~".*" does not meet this requirement, but app=~".+" will',
      );
    }
    return matchers;
  }

  /** `name op "value"` after the name, with the operator one of = != =~ !~. */
  private stringMatcher(name: Token): LabelMatcher {
    if (this.tok.type !== 'punct' || !MATCH_OPS.has(this.tok.text)) this.unexpected('=, !=, =~ or !~');
    const op = this.advance().text as MatchOp;
    const value = this.expectType('string', 'STRING');
    return this.matcher(name.text, op, value);
  }

  private matcher(name: string, op: MatchOp, value: Token): LabelMatcher {
    if (op !== '=~' && op !== '!~') return { name, op, value: value.text };
    const re = compileRegex(value.text);
    if (re === null) this.fail(value.pos, `error parsing regexp: ${regexError(value.text) ?? 'invalid pattern'}: \`${value.text}\``);
    return { name, op, value: value.text, re };
  }

  private stages(): Stage[] {
    const stages: Stage[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type !== 'punct') return stages;
      if (LINE_OPS.has(t.text)) stages.push(this.lineFilter());
      else if (t.text === '|>' || t.text === '!>') throw new LogQLUnsupportedError(`the pattern line filter ${t.text}`);
      else if (t.text === '|') {
        this.advance();
        stages.push(this.pipeStage());
      } else return stages;
    }
  }

  private lineFilter(): Stage {
    const op = this.advance().text as LineFilterOp;
    const values: string[] = [];
    const res: RegexMatcher[] = [];
    for (;;) {
      if (this.isWord('ip')) throw new LogQLUnsupportedError('the ip() line filter');
      const value = this.expectType('string', 'STRING');
      values.push(value.text);
      if (op === '|~' || op === '!~') {
        const err = regexError(value.text);
        const re = err === null ? unanchored(value.text) : null;
        if (re === null) this.fail(value.pos, `error parsing regexp: ${err ?? 'expression too large'}: \`${value.text}\``);
        res.push(re);
      }
      if (!this.isWord('or')) break;
      this.advance();
    }
    return op === '|~' || op === '!~' ? { kind: 'line', op, values, res } : { kind: 'line', op, values };
  }

  private pipeStage(): Stage {
    const t = this.peek();
    if (t.type !== 'ident' && !this.isPunct('(')) this.unexpected('IDENTIFIER');
    const word = t.type === 'ident' ? t.text : '';
    if (word === 'json' || word === 'logfmt') {
      this.advance();
      if (this.tok.type === 'ident' || this.isPunct('-')) {
        throw new LogQLUnsupportedError(word === 'json' ? '| json with expressions' : '| logfmt with flags or expressions');
      }
      return { kind: 'parser', parser: word };
    }
    if (word === 'pattern') {
      this.advance();
      return parsePattern(this.expectType('string', 'STRING'), this.src);
    }
    if (word === 'decolorize') {
      this.advance();
      return { kind: 'decolorize' };
    }
    if (word === 'line_format') {
      this.advance();
      return parseLineFormat(this.expectType('string', 'STRING'));
    }
    if (word === 'label_format') {
      this.advance();
      return this.labelFormat();
    }
    if (word === 'drop' || word === 'keep') {
      this.advance();
      return this.dropKeep(word);
    }
    if (OTHER_STAGES.has(word)) throw new LogQLUnsupportedError(`| ${word}`);
    return { kind: 'labelFilter', predicate: this.filterOr() };
  }

  private dropKeep(kind: 'drop' | 'keep'): DropKeepStage {
    const labels: { name: string; matcher?: LabelMatcher }[] = [];
    for (;;) {
      const name = this.expectType('ident', 'IDENTIFIER');
      if (this.tok.type === 'punct' && MATCH_OPS.has(this.tok.text)) labels.push({ name: name.text, matcher: this.stringMatcher(name) });
      else labels.push({ name: name.text });
      if (!this.isPunct(',')) return { kind, labels };
      this.advance();
    }
  }

  private labelFormat(): LabelFormatStage {
    const items: LabelFormatStage['items'][number][] = [];
    for (;;) {
      const dst = this.expectType('ident', 'IDENTIFIER').text;
      this.expectPunct('=');
      const value = this.peek();
      if (value.type === 'ident') items.push({ dst, src: this.advance().text });
      else if (value.type === 'string') items.push({ dst, template: parseLineFormat(this.advance(), 'label_format').parts });
      else this.unexpected('IDENTIFIER or STRING');
      if (!this.isPunct(',')) return { kind: 'labelFormat', items };
      this.advance();
    }
  }

  private filterOr(): LabelPredicate {
    let left = this.filterAnd();
    while (this.isWord('or')) {
      this.advance();
      left = { kind: 'or', left, right: this.filterAnd() };
    }
    return left;
  }

  private filterAnd(): LabelPredicate {
    let left = this.filterAtom();
    for (;;) {
      if (this.isWord('and') || this.isPunct(',')) this.advance();
      else if (!(this.isPunct('(') || (this.tok.type === 'ident' && !this.isWord('or') && !this.isWord('offset')))) return left;
      left = { kind: 'and', left, right: this.filterAtom() };
    }
  }

  private filterAtom(): LabelPredicate {
    if (this.isPunct('(')) {
      this.advance();
      const inner = this.nested(() => this.filterOr());
      this.expectPunct(')');
      return inner;
    }
    const name = this.expectType('ident', 'IDENTIFIER');
    const opTok = this.peek();
    if (opTok.type !== 'punct' || !(MATCH_OPS.has(opTok.text) || NUMBER_OPS.has(opTok.text))) this.unexpected('a comparison operator');
    this.advance();
    if (this.isWord('ip')) throw new LogQLUnsupportedError('the ip() label filter');
    const negative = this.isPunct('-');
    if (negative) this.advance();
    const value = this.peek();
    if (value.type === 'string' && !negative && MATCH_OPS.has(opTok.text)) {
      this.advance();
      return { kind: 'string', matcher: this.matcher(name.text, opTok.text as MatchOp, value) };
    }
    if ((value.type === 'number' || value.type === 'duration' || value.type === 'bytes') && NUMBER_OPS.has(opTok.text)) {
      this.advance();
      const op = (opTok.text === '=' ? '==' : opTok.text) as NumberOp;
      const unit: NumberUnit = value.type === 'number' ? 'number' : value.type;
      const n = value.value ?? 0;
      return { kind: 'number', name: name.text, op, value: negative ? -n : n, unit };
    }
    return this.unexpected(MATCH_OPS.has(opTok.text) && opTok.text !== '=' ? 'STRING' : 'STRING or NUMBER');
  }

  // ---- metric queries -------------------------------------------------------------

  private metric(): MetricExpr {
    let left = this.term();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.advance().text as BinaryOp;
      left = { kind: 'binary', op, left, right: this.term() };
    }
    this.refuseOtherBinary();
    return left;
  }

  private refuseOtherBinary(): void {
    const t = this.peek();
    if (t.type === 'punct' && ['==', '!=', '>', '>=', '<', '<='].includes(t.text)) throw new LogQLUnsupportedError(`the comparison operator ${t.text}`);
    if (this.isWord('and') || this.isWord('or') || this.isWord('unless')) throw new LogQLUnsupportedError(`the set operator ${t.text}`);
  }

  private term(): MetricExpr {
    let left = this.power();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
      const op = this.advance().text as BinaryOp;
      left = { kind: 'binary', op, left, right: this.power() };
    }
    return left;
  }

  private power(): MetricExpr {
    const base = this.unary();
    if (!this.isPunct('^')) return base;
    this.advance();
    return { kind: 'binary', op: '^', left: base, right: this.nested(() => this.power()) };
  }

  private unary(): MetricExpr {
    if (this.isPunct('-')) {
      this.advance();
      const inner = this.nested(() => this.unary());
      return inner.kind === 'number' ? { kind: 'number', value: -inner.value } : { kind: 'binary', op: '*', left: { kind: 'number', value: -1 }, right: inner };
    }
    return this.primary();
  }

  private primary(): MetricExpr {
    const t = this.peek();
    if (t.type === 'number') {
      this.advance();
      return { kind: 'number', value: t.value ?? 0 };
    }
    if (this.isPunct('(')) {
      this.advance();
      const inner = this.nested(() => this.metric());
      this.expectPunct(')');
      return inner;
    }
    if (this.isPunct('{')) this.fail(t.pos, 'syntax error: unexpected {: a log query cannot be combined with a metric expression');
    if (t.type !== 'ident') return this.unexpected();
    const word = t.text;
    if (RANGE_FNS.has(word)) return this.rangeAggregation(word as RangeFn);
    if (AGGREGATORS.has(word)) return this.aggregation(word as AggregateOp);
    if (word === 'vector') {
      this.advance();
      this.expectPunct('(');
      const n = this.expectType('number', 'NUMBER');
      this.expectPunct(')');
      return { kind: 'vector', value: n.value ?? 0 };
    }
    if (OTHER_RANGE_FNS.has(word) || OTHER_AGGREGATORS.has(word) || OTHER_FUNCTIONS.has(word)) throw new LogQLUnsupportedError(word);
    return this.unexpected();
  }

  private rangeAggregation(fn: RangeFn): MetricExpr {
    this.advance();
    this.expectPunct('(');
    // `count_over_time(({…} |= "x")[5m])` is valid LogQL too.
    const parenthesised = this.isPunct('(');
    if (parenthesised) this.advance();
    const selector = this.selector();
    let rangeNs = this.isPunct('[') ? this.range() : undefined;
    const stages = this.stages();
    if (parenthesised) this.expectPunct(')');
    if (this.isPunct('[')) {
      if (rangeNs !== undefined) this.unexpected(')');
      rangeNs = this.range();
    }
    if (rangeNs === undefined) this.unexpected('RANGE');
    let offsetNs = 0;
    if (this.isWord('offset')) {
      this.advance();
      offsetNs = this.expectType('duration', 'DURATION').value ?? 0;
    }
    if (this.isPunct(',')) throw new LogQLUnsupportedError(`${fn} with a second argument`);
    this.expectPunct(')');
    if (this.isWord('by') || this.isWord('without')) throw new LogQLUnsupportedError(`grouping after ${fn}`);
    return { kind: 'range', fn, log: { kind: 'log', selector, stages }, rangeNs, offsetNs };
  }

  private range(): number {
    this.expectPunct('[');
    const d = this.expectType('duration', 'DURATION');
    if (this.isPunct(':')) throw new LogQLUnsupportedError('subqueries');
    this.expectPunct(']');
    if ((d.value ?? 0) <= 0) this.fail(d.pos, 'syntax error: the range must be greater than zero');
    return d.value ?? 0;
  }

  private aggregation(op: AggregateOp): MetricExpr {
    this.advance();
    let grouping = this.grouping();
    this.expectPunct('(');
    let param: number | undefined;
    if (op === 'topk' || op === 'bottomk') {
      const n = this.expectType('number', 'NUMBER');
      if (!Number.isInteger(n.value) || (n.value ?? 0) <= 0) this.fail(n.pos, `syntax error: ${op} needs a positive whole number, got ${n.text}`);
      param = n.value;
      this.expectPunct(',');
    }
    const inner = this.nested(() => this.metric());
    this.expectPunct(')');
    const after = this.grouping();
    if (after !== undefined) {
      if (grouping !== undefined) this.unexpected();
      grouping = after;
    }
    return grouping === undefined ? { kind: 'aggregate', op, param, inner } : { kind: 'aggregate', op, grouping, param, inner };
  }

  private grouping(): Grouping | undefined {
    if (!this.isWord('by') && !this.isWord('without')) return undefined;
    const without = this.advance().text.toLowerCase() === 'without';
    this.expectPunct('(');
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      labels.push(this.expectType('ident', 'IDENTIFIER').text);
      if (!this.isPunct(',')) break;
      this.advance();
    }
    this.expectPunct(')');
    return { without, labels };
  }
}

/** Whether a matcher rules out the empty value, which Loki requires of at least one selector matcher. */
function nonEmptyMatcher(m: LabelMatcher): boolean {
  if (m.op === '=') return m.value !== '';
  if (m.op === '=~') return m.re !== undefined && !m.re.test('');
  return false;
}

/** `| line_format "…"`: literal text and `{{.name}}` / `{{ .name }}`; other template actions are refused. */
function parseLineFormat(tok: Token, stage = 'line_format'): LineFormatStage {
  const parts: ({ text: string } | { label: string })[] = [];
  const s = tok.text;
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: s.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: s.slice(i, open) });
    const close = s.indexOf('}}', open + 2);
    if (close < 0) throw new LogQLSyntaxError(`parse error : template: line:1: unclosed action`);
    const action = s.slice(open + 2, close).trim();
    const m = /^\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
    if (m === null) throw new LogQLUnsupportedError(`the ${stage} template action {{${s.slice(open + 2, close)}}} (only {{.label}} is)`);
    parts.push({ label: m[1] });
    i = close + 2;
  }
  return { kind: 'lineFormat', parts };
}

/**
 * `| pattern "…"`: `<name>` captures and the literal text between them, as Loki reads a
 * pattern: at least one named capture, never two captures side by side.
 */
function parsePattern(tok: Token, src: string): PatternStage {
  const parts: ({ literal: string } | { capture: string })[] = [];
  const text = tok.text;
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const m = text[i] === '<' ? /^<([A-Za-z_][A-Za-z0-9_]*)>/.exec(text.slice(i, i + 256)) : null;
    if (m === null) {
      literal += text[i++];
      continue;
    }
    if (literal !== '') parts.push({ literal });
    else if (parts.length > 0) throw LogQLSyntaxError.at(src, tok.pos, `invalid pattern ${JSON.stringify(text)}: consecutive captures are not allowed`);
    literal = '';
    parts.push({ capture: m[1] });
    i += m[0].length;
  }
  if (literal !== '') parts.push({ literal });
  if (!parts.some((p) => 'capture' in p && p.capture !== '_')) {
    throw LogQLSyntaxError.at(src, tok.pos, `invalid pattern ${JSON.stringify(text)}: at least one named capture is required`);
  }
  return { kind: 'pattern', parts };
}
