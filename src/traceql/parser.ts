/**
 * @module traceql/parser
 * Hand-written recursive-descent parser for the language Tempo 2.7's yacc
 * grammar (pkg/traceql/expr.y) accepts, plus the Tempo 2.8 metrics additions
 * `sum_over_time` and `| topk(n)` / `| bottomk(n)`.
 *
 * Binary operators are parsed by precedence climbing over one table per
 * expression family. Field expressions (inside `{ }`, lowest first):
 *
 *   && ||  (one level, left-assoc: `a || b && c` is `(a || b) && c`)
 *   = != < <= > >= =~ !~
 *   + -    and prefix `-` (its operand takes everything tighter than `+`)
 *   prefix !  (tighter than comparisons: `!.a = 2` is `(!.a) = 2`)
 *   * / %
 *   ^      (right-assoc)
 *
 * Spanset expressions: `&&` `||` below the structural operators, left-assoc.
 *
 * Parentheses are the hard part: `(` can open a spanset expression, a scalar
 * expression, a whole pipeline, or a pipeline ending in an aggregate, and yacc
 * decides which by what follows. `parseGroup` takes the set of readings the
 * surrounding context allows (`Targets`), parses the content, and classifies
 * it when the `)` arrives. Where yacc has a shift/reduce conflict (`({a})` is
 * both a spanset expression and a one-stage pipeline) it shifts, so we prefer
 * the spanset-expression reading the same way; this is why
 * `({a}) && ({b} | {c})` is a syntax error in Tempo and here.
 *
 * Errors are raised at the first token that cannot continue a valid query
 * (the token yacc would fail on) with Tempo's message text, including its
 * "expecting a or b" list where yacc prints one (at most four tokens).
 */
import type {
  Aggregate,
  AggregateOp,
  ArithmeticOperator,
  AttributeRef,
  BinaryOperator,
  ComparisonOperator,
  FieldExpression,
  Hint,
  Hints,
  Loc,
  MetricsFunction,
  Pipeline,
  PipelineStage,
  Root,
  ScalarExpression,
  ScalarFilter,
  SpansetExpression,
  SpansetFilter,
  SpansetOperand,
  SpansetOperator,
  Static,
  TopK,
} from './ast.ts';
import { TraceQLSyntaxError } from './errors.ts';
import { BARE_INTRINSICS, SCOPED_INTRINSICS } from './intrinsics.ts';
import { Lexer } from './lexer.ts';
import { describeToken, isIntrinsicScope } from './tokens.ts';
import type { Keyword, Token, TokenKind } from './tokens.ts';

/** Deepest nesting of parentheses and prefix operators we recurse into. */
export const MAX_NESTING = 128;

// ------------------------------------------------------------ operator tables

/** Precedence of binary field operators (higher binds tighter). */
const FIELD_PRECEDENCE: ReadonlyMap<TokenKind, number> = new Map<TokenKind, number>([
  ['&&', 1], ['||', 1],
  ['=', 2], ['!=', 2], ['<', 2], ['<=', 2], ['>', 2], ['>=', 2], ['=~', 2], ['!~', 2],
  ['+', 3], ['-', 3],
  ['*', 5], ['/', 5], ['%', 5],
  ['^', 6],
]);
/** Prefix `-` sits at the level of binary `+ -`, prefix `!` one above. */
const UNARY_MINUS_PRECEDENCE = 3;
const UNARY_NOT_PRECEDENCE = 4;
const RIGHT_ASSOC: ReadonlySet<TokenKind> = new Set<TokenKind>(['^']);

const SPANSET_PRECEDENCE: ReadonlyMap<TokenKind, number> = new Map<TokenKind, number>([
  ['&&', 1], ['||', 1],
  ...(['>', '<', '>>', '<<', '~', '!>', '!<', '!>>', '!<<', '!~', '&>', '&<', '&>>', '&<<', '&~'] as const)
    .map((op): [TokenKind, number] => [op, 2]),
]);

const ARITHMETIC_PRECEDENCE: ReadonlyMap<TokenKind, number> = new Map<TokenKind, number>([
  ['+', 1], ['-', 1], ['*', 2], ['/', 2], ['%', 2], ['^', 3],
]);

const COMPARISONS: ReadonlySet<TokenKind> = new Set<TokenKind>(['=', '!=', '<', '<=', '>', '>=']);

const AGGREGATES: ReadonlySet<TokenKind> = new Set<TokenKind>(['count', 'avg', 'max', 'min', 'sum']);

const METRICS_FUNCTIONS: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'rate', 'count_over_time', 'min_over_time', 'max_over_time', 'avg_over_time', 'sum_over_time',
  'quantile_over_time', 'histogram_over_time', 'compare',
]);

const STATUS_WORDS: ReadonlySet<TokenKind> = new Set<TokenKind>(['ok', 'error', 'unset']);
const KIND_WORDS: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'unspecified', 'internal', 'server', 'client', 'producer', 'consumer',
]);

/**
 * Token kinds in Tempo's token-number order, which is the order yacc lists
 * them in "expecting a or b".
 */
const TEMPO_ORDER: readonly string[] = [
  'IDENTIFIER', 'STRING', 'INTEGER', 'FLOAT', 'DURATION', '.', '{', '}', '(', ')', ',',
  'nil', 'true', 'false', 'error', 'ok', 'unset',
  'unspecified', 'internal', 'server', 'client', 'producer', 'consumer',
  'duration', 'childCount', 'name', 'status', 'statusMessage', 'parent', 'kind', 'rootName',
  'rootServiceName', 'rootService', 'traceDuration', 'nestedSetLeft', 'nestedSetRight',
  'nestedSetParent', 'id', 'traceID', 'spanID', 'timeSinceStart', 'version',
  'parent.', 'resource.', 'span.', 'trace:', 'span:', 'event:', 'event.', 'link:', 'link.',
  'instrumentation:', 'instrumentation.', 'count', 'avg', 'max', 'min', 'sum', 'by', 'coalesce',
  'select', 'END_ATTRIBUTE', 'rate', 'count_over_time', 'min_over_time', 'max_over_time',
  'avg_over_time', 'sum_over_time', 'quantile_over_time', 'histogram_over_time', 'compare',
  'topk', 'bottomk', 'with', '|', '&&', '||', '=', '!=', '<', '<=', '>', '>=', '!~', '=~',
  '>>', '<<', '~', '!>', '!<', '!>>', '!<<', '&>', '&<', '&>>', '&<<', '&~',
  '+', '-', '!', '*', '/', '%', '^',
];

// ------------------------------------------------------------ parenthesised groups

/**
 * Readings a `(` may have at some point of the grammar (yacc's item set):
 *  se   `( spansetExpression )`
 *  sx   `( scalarExpression )`             as in `(count() + 1) > 2`
 *  wsp  `( pipeline )`                     an operand of a root spanset operation
 *  spep `( pipelineSpansetExpression )`    parenthesised root spanset operation
 *  wscp `( pipeline | aggregate )`         as in `({a} | count()) > 2`
 *  spxp `( scalarPipelineExpression )`     parenthesised arithmetic of those
 */
interface Targets {
  readonly se: boolean;
  readonly sx: boolean;
  readonly wsp: boolean;
  readonly spep: boolean;
  readonly wscp: boolean;
  readonly spxp: boolean;
}

const targets = (t: Partial<Targets>): Targets => ({
  se: false, sx: false, wsp: false, spep: false, wscp: false, spxp: false, ...t,
});
const ROOT_TARGETS = targets({ se: true, sx: true, wsp: true, spep: true, wscp: true, spxp: true });
const STAGE_TARGETS = targets({ se: true, sx: true });
const SPANSET_OPERAND = targets({ se: true });
const SCALAR_OPERAND = targets({ sx: true });
const PIPELINE_OPERAND = targets({ wsp: true, spep: true });
const SCALAR_PIPELINE_OPERAND = targets({ wscp: true, spxp: true });

/** What an inner `(` right after an outer `(` may be. */
function nestedTargets(t: Targets): Targets {
  const pipeline = t.wsp || t.wscp; // a pipeline may start with `(spansets)` or `(scalar) > …`
  return {
    se: t.se || pipeline,
    sx: t.sx || pipeline,
    wsp: t.spep,
    spep: t.spep,
    wscp: t.spxp,
    spxp: t.spxp,
  };
}

/** A parenthesised group, by the reading it turned out to have. */
type Group =
  | { readonly cls: 'spanset'; readonly node: SpansetExpression }
  | { readonly cls: 'scalar'; readonly node: ScalarExpression }
  | { readonly cls: 'pipelines'; readonly node: SpansetOperand }
  | { readonly cls: 'scalarPipelines'; readonly node: ScalarExpression };

/** The first item inside a group: a group itself, or the first stage of a pipeline. */
type GroupItem = Group | { readonly cls: 'stage'; readonly node: PipelineStage };

// ------------------------------------------------------------ the parser

export class Parser {
  private readonly lexer: Lexer;
  private readonly source: string;
  private tok: Token;
  /** End offset of the last consumed token. */
  private lastEnd = 0;
  private nesting = 0;

  constructor(source: string) {
    this.source = source;
    this.lexer = new Lexer(source);
    this.tok = this.lexer.next();
  }

  // ---------------------------------------------------------- primitives

  private advance(): Token {
    const t = this.tok;
    this.lastEnd = t.to;
    this.tok = this.lexer.next();
    return t;
  }

  private at(kind: TokenKind): boolean {
    return this.tok.kind === kind;
  }

  /** Consume a token of `kind`, else fail listing `expected` (yacc's list). */
  private expect(kind: TokenKind, expected: readonly string[] = [kind]): Token {
    if (this.tok.kind !== kind) this.unexpected(expected);
    return this.advance();
  }

  /**
   * "syntax error: unexpected X[, expecting A or B]". Like yacc, the list is
   * left out when more than four tokens would fit; pass [] for "many".
   */
  private unexpected(expected: readonly string[] = []): never {
    let reason = `syntax error: unexpected ${describeToken(this.tok)}`;
    if (expected.length > 0 && expected.length <= 4) {
      const sorted = [...expected].sort((a, b) => TEMPO_ORDER.indexOf(a) - TEMPO_ORDER.indexOf(b));
      reason += `, expecting ${sorted.join(' or ')}`;
    }
    throw new TraceQLSyntaxError(this.source, reason, this.tok.from, this.tok.to);
  }

  /** Guard recursion: hostile input like 100k `(` must not overflow the stack. */
  private enter(): void {
    if (++this.nesting > MAX_NESTING) {
      throw new TraceQLSyntaxError(
        this.source, `query nesting too deep (more than ${MAX_NESTING} levels)`, this.tok.from, this.tok.to);
    }
  }

  private leave(): void {
    this.nesting--;
  }

  private loc(from: number): Loc {
    return { from, to: this.lastEnd };
  }

  // ---------------------------------------------------------- root

  /**
   * root := rootBody hints*   (only the last `with(…)` counts, as in Tempo)
   */
  parseRoot(): Root {
    const from = this.tok.from;
    const { pipeline, metrics, secondStage } = this.parseRootBody();
    let hints: Hints | null = null;
    while (this.at('with')) hints = this.parseHints();
    if (!this.at('$end')) this.unexpected(['with']);
    return { kind: 'Root', pipeline, metrics, secondStage, hints, ...this.loc(from) };
  }

  /**
   * rootBody := pipeline [ "|" metricsFunction [ "|" topk ] ]
   *           | pipelineExpression              `({a} | …) && ({b})`
   *           | scalarPipelineExpression CMP ( scalarPipelineExpression | static )
   */
  private parseRootBody(): { pipeline: Pipeline; metrics: MetricsFunction | null; secondStage: TopK | null } {
    const from = this.tok.from;
    let first: PipelineStage;
    if (this.at('(')) {
      const group = this.parseGroup(ROOT_TARGETS);
      switch (group.cls) {
        case 'spanset':
          first = this.climbSpansetExpression(group.node);
          break;
        case 'scalar':
          first = this.finishScalarFilter(this.climbScalars(group.node, 0), from);
          break;
        case 'pipelines': {
          const node = this.climbSpansets(group.node, PIPELINE_OPERAND, 0);
          // A lone `( pipeline )` is just that pipeline, as in Tempo.
          const pipeline: Pipeline = node.kind === 'Pipeline'
            ? node
            : { kind: 'Pipeline', stages: [node], ...this.loc(from) };
          return { pipeline, metrics: null, secondStage: null };
        }
        case 'scalarPipelines': {
          const filter = this.finishScalarPipelineFilter(this.climbScalarPipelines(group.node, 0), from);
          return { pipeline: { kind: 'Pipeline', stages: [filter], ...this.loc(from) }, metrics: null, secondStage: null };
        }
      }
    } else {
      first = this.parseStage(true);
    }

    const stages: PipelineStage[] = [first];
    let metrics: MetricsFunction | null = null;
    let secondStage: TopK | null = null;
    while (this.at('|')) {
      this.advance();
      if (METRICS_FUNCTIONS.has(this.tok.kind)) {
        metrics = this.parseMetricsFunction();
        if (this.at('|')) {
          this.advance();
          secondStage = this.parseTopK();
        }
        break;
      }
      stages.push(this.parseStage(false));
    }
    return { pipeline: { kind: 'Pipeline', stages, ...this.loc(from) }, metrics, secondStage };
  }

  // ---------------------------------------------------------- pipeline stages

  /**
   * stage := spansetExpression | scalarFilter | "by" "(" field ")" | "select" "(" attrs ")"
   *        | "coalesce" "(" ")"        (not as the first stage)
   */
  private parseStage(first: boolean): PipelineStage {
    const from = this.tok.from;
    switch (this.tok.kind) {
      case '{':
        return this.climbSpansetExpression(this.parseSpansetFilter());
      case '(': {
        const group = this.parseGroup(STAGE_TARGETS);
        if (group.cls === 'spanset') return this.climbSpansetExpression(group.node);
        if (group.cls === 'scalar') return this.finishScalarFilter(this.climbScalars(group.node, 0), from);
        throw new Error('unreachable: stage groups are spansets or scalars');
      }
      case 'by':
        return this.parseGroupBy();
      case 'select':
        return this.parseSelect();
      case 'coalesce':
        if (first) this.unexpected();
        this.advance();
        this.expect('(');
        this.expect(')');
        return { kind: 'Coalesce', ...this.loc(from) };
      default:
        if (this.startsScalar()) return this.finishScalarFilter(this.climbScalars(this.parseScalarAtom(), 0), from);
        return this.unexpected();
    }
  }

  /** by := "by" "(" fieldExpression ")" */
  private parseGroupBy(): PipelineStage {
    const from = this.advance().from;
    this.expect('(');
    const expression = this.parseField(0);
    this.expect(')', []);
    return { kind: 'GroupBy', expression, ...this.loc(from) };
  }

  /** select := "select" "(" attribute ("," attribute)* ")" */
  private parseSelect(): PipelineStage {
    const from = this.advance().from;
    this.expect('(');
    const attributes = this.parseAttributeList();
    this.expect(')', [')', ',']);
    return { kind: 'Select', attributes, ...this.loc(from) };
  }

  private parseAttributeList(): AttributeRef[] {
    const list = [this.parseAttributeRef()];
    while (this.at(',')) {
      this.advance();
      list.push(this.parseAttributeRef());
    }
    return list;
  }

  // ---------------------------------------------------------- groups

  /**
   * Parse `( … )` whose reading must be one of `t` (see Targets) and report
   * which one it was. The content's first item decides most of it; a
   * spanset-expression content closed by `)` prefers the `se` reading.
   */
  private parseGroup(t: Targets): Group {
    const from = this.expect('(').from;
    this.enter();
    const pipelineAllowed = t.wsp || t.wscp;
    const contentFrom = this.tok.from;
    let item: GroupItem;
    if (this.at('(')) {
      item = this.parseGroup(nestedTargets(t));
    } else {
      item = this.parseGroupStart(t);
    }

    let result: Group;
    switch (item.cls) {
      case 'spanset': {
        const node = this.climbSpansetExpression(item.node);
        if (this.at(')') && t.se) {
          result = { cls: 'spanset', node };
          break;
        }
        if (!pipelineAllowed) this.unexpected();
        result = this.finishGroupPipeline([node], t, from);
        break;
      }
      case 'scalar': {
        const node = this.climbScalars(item.node, 0);
        if (this.at(')') && t.sx) {
          result = { cls: 'scalar', node };
          break;
        }
        if (!pipelineAllowed) this.unexpected();
        result = this.finishGroupPipeline([this.finishScalarFilter(node, contentFrom)], t, from);
        break;
      }
      case 'stage':
        result = this.finishGroupPipeline([item.node], t, from);
        break;
      case 'pipelines':
        result = { cls: 'pipelines', node: this.climbSpansets(item.node, PIPELINE_OPERAND, 0) };
        break;
      case 'scalarPipelines':
        result = { cls: 'scalarPipelines', node: this.climbScalarPipelines(item.node, 0) };
        break;
    }
    this.expect(')', []);
    this.leave();
    return result;
  }

  /** The first item inside a group when it is not another `(`. */
  private parseGroupStart(t: Targets): GroupItem {
    const pipelineAllowed = t.wsp || t.wscp;
    const kind = this.tok.kind;
    if (kind === '{' && (t.se || pipelineAllowed)) {
      return { cls: 'spanset', node: this.parseSpansetFilter() };
    }
    if (this.startsScalar() && (t.sx || pipelineAllowed)) {
      return { cls: 'scalar', node: this.parseScalarAtom() };
    }
    if ((kind === 'by' || kind === 'select') && pipelineAllowed) {
      return { cls: 'stage', node: kind === 'by' ? this.parseGroupBy() : this.parseSelect() };
    }
    // Only a spanset expression fits: yacc can shift just `{` or `(` here.
    return this.unexpected(t.se && !t.sx && !pipelineAllowed ? ['{', '('] : []);
  }

  /**
   * The rest of a pipeline inside `( … )` after its first stage, up to (not
   * including) the `)`: more `| stage`s, possibly ending in `| aggregate`.
   */
  private finishGroupPipeline(stages: PipelineStage[], t: Targets, groupFrom: number): Group {
    while (this.at('|')) {
      this.advance();
      if (t.wscp && AGGREGATES.has(this.tok.kind)) {
        const aggFrom = this.tok.from;
        const aggregate = this.parseAggregate();
        if (this.at(')')) {
          const pipeline: Pipeline = { kind: 'Pipeline', stages, from: stages[0].from, to: stages[stages.length - 1].to };
          return {
            cls: 'scalarPipelines',
            node: { kind: 'ScalarPipeline', pipeline, aggregate, from: groupFrom, to: this.tok.to },
          };
        }
        stages.push(this.finishScalarFilter(this.climbScalars(aggregate, 0), aggFrom));
        continue;
      }
      stages.push(this.parseStage(false));
    }
    if (!(this.at(')') && t.wsp)) this.unexpected(t.wsp ? [')', '|'] : ['|']);
    return {
      cls: 'pipelines',
      node: { kind: 'Pipeline', stages, from: stages[0].from, to: stages[stages.length - 1].to },
    };
  }

  // ---------------------------------------------------------- spanset expressions

  /** spansetFilter := "{" "}" | "{" fieldExpression "}" */
  private parseSpansetFilter(): SpansetFilter {
    const from = this.expect('{').from;
    if (this.at('}')) {
      this.advance();
      return { kind: 'SpansetFilter', expression: null, ...this.loc(from) };
    }
    const expression = this.parseField(0);
    this.expect('}', []);
    return { kind: 'SpansetFilter', expression, ...this.loc(from) };
  }

  /** A spanset-operator chain over filters and `(spanset expressions)` only. */
  private climbSpansetExpression(first: SpansetExpression): SpansetExpression {
    // With SPANSET_OPERAND no operand can be a Pipeline, so neither can the result.
    return this.climbSpansets(first, SPANSET_OPERAND, 0) as SpansetExpression;
  }

  /**
   * Precedence climbing over spanset operators. `operand` says what may follow
   * an operator: filters and `(spanset expressions)`, or `(pipelines)`.
   */
  private climbSpansets(lhs: SpansetOperand, operand: Targets, minPrec: number): SpansetOperand {
    for (;;) {
      const prec = SPANSET_PRECEDENCE.get(this.tok.kind);
      if (prec === undefined || prec < minPrec) return lhs;
      const op = this.advance().kind as SpansetOperator;
      let rhs = this.parseSpansetOperand(operand);
      for (;;) {
        const next = SPANSET_PRECEDENCE.get(this.tok.kind);
        if (next === undefined || next <= prec) break;
        rhs = this.climbSpansets(rhs, operand, prec + 1);
      }
      lhs = { kind: 'SpansetOperation', op, lhs, rhs, from: lhs.from, to: rhs.to };
    }
  }

  private parseSpansetOperand(operand: Targets): SpansetOperand {
    if (operand.se) {
      if (this.at('{')) return this.parseSpansetFilter();
      if (!this.at('(')) this.unexpected(['{', '(']);
      const group = this.parseGroup(operand);
      if (group.cls !== 'spanset') throw new Error('unreachable: spanset operand group');
      return group.node;
    }
    if (!this.at('(')) this.unexpected(['(']);
    const group = this.parseGroup(operand);
    if (group.cls !== 'pipelines') throw new Error('unreachable: pipeline operand group');
    return group.node;
  }

  // ---------------------------------------------------------- scalars

  private startsScalar(): boolean {
    const k = this.tok.kind;
    return AGGREGATES.has(k) || k === 'INTEGER' || k === 'FLOAT' || k === 'DURATION' || k === '-';
  }

  /** scalarAtom := aggregate | number | duration | "-" (number | duration) */
  private parseScalarAtom(): ScalarExpression {
    const t = this.tok;
    if (AGGREGATES.has(t.kind)) return this.parseAggregate();
    if (t.kind === '-') {
      this.advance();
      const lit = this.tok;
      if (lit.kind !== 'INTEGER' && lit.kind !== 'FLOAT' && lit.kind !== 'DURATION') {
        return this.unexpected(['INTEGER', 'FLOAT', 'DURATION']);
      }
      this.advance();
      return this.numericStatic(lit.kind, -lit.value, t.from, lit.to);
    }
    if (t.kind === 'INTEGER' || t.kind === 'FLOAT' || t.kind === 'DURATION') {
      this.advance();
      return this.numericStatic(t.kind, t.value, t.from, t.to);
    }
    return this.unexpected();
  }

  private numericStatic(kind: 'INTEGER' | 'FLOAT' | 'DURATION', value: number, from: number, to: number): Static {
    const type = kind === 'INTEGER' ? 'int' : kind === 'FLOAT' ? 'float' : 'duration';
    // `-0` would print as `0` and read back as +0; keep zero unsigned.
    return { kind: 'Static', type, value: value === 0 ? 0 : value, from, to };
  }

  /** aggregate := "count" "(" ")" | ("avg" | "min" | "max" | "sum") "(" fieldExpression ")" */
  private parseAggregate(): Aggregate {
    const t = this.advance();
    const op = t.kind as AggregateOp;
    this.expect('(');
    if (op === 'count') {
      this.expect(')');
      return { kind: 'Aggregate', op, expression: null, ...this.loc(t.from) };
    }
    const expression = this.parseField(0);
    this.expect(')', []);
    return { kind: 'Aggregate', op, expression, ...this.loc(t.from) };
  }

  /** Arithmetic over scalar atoms and `( scalar )` groups. */
  private climbScalars(lhs: ScalarExpression, minPrec: number): ScalarExpression {
    for (;;) {
      const prec = ARITHMETIC_PRECEDENCE.get(this.tok.kind);
      if (prec === undefined || prec < minPrec) return lhs;
      const op = this.advance().kind as ArithmeticOperator;
      let rhs = this.parseScalarOperand();
      for (;;) {
        const next = ARITHMETIC_PRECEDENCE.get(this.tok.kind);
        if (next === undefined || next < prec || (next === prec && !RIGHT_ASSOC.has(this.tok.kind))) break;
        this.enter();
        rhs = this.climbScalars(rhs, next === prec ? prec : prec + 1);
        this.leave();
      }
      lhs = { kind: 'ScalarOperation', op, lhs, rhs, from: lhs.from, to: rhs.to };
    }
  }

  private parseScalarOperand(): ScalarExpression {
    if (this.at('(')) {
      const group = this.parseGroup(SCALAR_OPERAND);
      if (group.cls !== 'scalar') throw new Error('unreachable: scalar operand group');
      return group.node;
    }
    return this.parseScalarAtom();
  }

  /** scalarFilter := scalarExpression CMP scalarExpression */
  private finishScalarFilter(lhs: ScalarExpression, from: number): ScalarFilter {
    if (!COMPARISONS.has(this.tok.kind)) this.unexpected();
    const op = this.advance().kind as ComparisonOperator;
    const rhs = this.climbScalars(this.parseScalarOperand(), 0);
    return { kind: 'ScalarFilter', op, lhs, rhs, from, to: rhs.to };
  }

  /** Arithmetic over `( pipeline | aggregate )` groups. */
  private climbScalarPipelines(lhs: ScalarExpression, minPrec: number): ScalarExpression {
    for (;;) {
      const prec = ARITHMETIC_PRECEDENCE.get(this.tok.kind);
      if (prec === undefined || prec < minPrec) return lhs;
      const op = this.advance().kind as ArithmeticOperator;
      let rhs = this.parseScalarPipelineOperand();
      for (;;) {
        const next = ARITHMETIC_PRECEDENCE.get(this.tok.kind);
        if (next === undefined || next < prec || (next === prec && !RIGHT_ASSOC.has(this.tok.kind))) break;
        this.enter();
        rhs = this.climbScalarPipelines(rhs, next === prec ? prec : prec + 1);
        this.leave();
      }
      lhs = { kind: 'ScalarOperation', op, lhs, rhs, from: lhs.from, to: rhs.to };
    }
  }

  private parseScalarPipelineOperand(): ScalarExpression {
    if (!this.at('(')) this.unexpected(['(']);
    const group = this.parseGroup(SCALAR_PIPELINE_OPERAND);
    if (group.cls !== 'scalarPipelines') throw new Error('unreachable: scalar pipeline operand group');
    return group.node;
  }

  /** scalarPipelineExpression CMP ( scalarPipelineExpression | static ) */
  private finishScalarPipelineFilter(lhs: ScalarExpression, from: number): ScalarFilter {
    if (!COMPARISONS.has(this.tok.kind)) this.unexpected();
    const op = this.advance().kind as ComparisonOperator;
    const rhs = this.at('(')
      ? this.climbScalarPipelines(this.parseScalarPipelineOperand(), 0)
      : this.parseStatic();
    return { kind: 'ScalarFilter', op, lhs, rhs, from, to: rhs.to };
  }

  // ---------------------------------------------------------- field expressions

  /** Precedence climbing over field operators; see the table at the top. */
  private parseField(minPrec: number): FieldExpression {
    let lhs = this.parseFieldUnary();
    for (;;) {
      const kind = this.tok.kind;
      const prec = FIELD_PRECEDENCE.get(kind);
      if (prec === undefined || prec < minPrec) return lhs;
      this.advance();
      // A right-assoc chain (`1 ^ 2 ^ 3 …`) recurses once per operator: count it.
      const right = RIGHT_ASSOC.has(kind);
      if (right) this.enter();
      const rhs = this.parseField(right ? prec : prec + 1);
      if (right) this.leave();
      lhs = { kind: 'BinaryOperation', op: kind as BinaryOperator, lhs, rhs, from: lhs.from, to: rhs.to };
    }
  }

  /** unary := "-" field | "!" field | primary; a `-` right before a numeric literal folds into it. */
  private parseFieldUnary(): FieldExpression {
    const t = this.tok;
    if (t.kind !== '-' && t.kind !== '!') return this.parseFieldPrimary();
    this.advance();
    this.enter();
    const operand = this.parseField((t.kind === '-' ? UNARY_MINUS_PRECEDENCE : UNARY_NOT_PRECEDENCE) + 1);
    this.leave();
    if (t.kind === '-' && operand.kind === 'Static'
      && (operand.type === 'int' || operand.type === 'float' || operand.type === 'duration')) {
      return { ...operand, value: operand.value === 0 ? 0 : -operand.value, from: t.from };
    }
    return { kind: 'UnaryOperation', op: t.kind, operand, from: t.from, to: operand.to };
  }

  /** primary := "(" field ")" | static | attribute | intrinsic */
  private parseFieldPrimary(): FieldExpression {
    if (this.at('(')) {
      this.advance();
      this.enter();
      const inner = this.parseField(0);
      this.expect(')', []);
      this.leave();
      return inner;
    }
    if (this.startsStatic()) return this.parseStatic();
    return this.parseAttributeRef();
  }

  private startsStatic(): boolean {
    const k = this.tok.kind;
    return k === 'STRING' || k === 'INTEGER' || k === 'FLOAT' || k === 'DURATION'
      || k === 'true' || k === 'false' || k === 'nil' || STATUS_WORDS.has(k) || KIND_WORDS.has(k);
  }

  /** static := string | int | float | duration | true | false | nil | status | kind */
  private parseStatic(): Static {
    const t = this.tok;
    const at = { from: t.from, to: t.to };
    switch (t.kind) {
      case 'STRING':
        this.advance();
        return { kind: 'Static', type: 'string', value: t.value, ...at };
      case 'INTEGER':
      case 'FLOAT':
      case 'DURATION':
        this.advance();
        return this.numericStatic(t.kind, t.value, t.from, t.to);
      case 'true':
      case 'false':
        this.advance();
        return { kind: 'Static', type: 'bool', value: t.kind === 'true', ...at };
      case 'nil':
        this.advance();
        return { kind: 'Static', type: 'nil', value: null, ...at };
      case 'ok':
      case 'error':
      case 'unset':
        this.advance();
        return { kind: 'Static', type: 'status', value: t.kind, ...at };
      case 'unspecified':
      case 'internal':
      case 'server':
      case 'client':
      case 'producer':
      case 'consumer':
        this.advance();
        return { kind: 'Static', type: 'kind', value: t.kind, ...at };
      default:
        return this.unexpected();
    }
  }

  /** attribute := ATTRIBUTE | intrinsic word | scope ":" intrinsic word */
  private parseAttributeRef(): AttributeRef {
    const t = this.tok;
    if (t.kind === 'ATTRIBUTE') {
      if (t.name === '') {
        // Tempo: the scope token is followed by END_ATTRIBUTE instead of a name.
        const expected = t.parent && t.scope === 'none' ? ['IDENTIFIER', 'resource.', 'span.'] : ['IDENTIFIER'];
        const sorted = expected.sort((a, b) => TEMPO_ORDER.indexOf(a) - TEMPO_ORDER.indexOf(b));
        throw new TraceQLSyntaxError(
          this.source, `syntax error: unexpected END_ATTRIBUTE, expecting ${sorted.join(' or ')}`, t.from, t.to);
      }
      this.advance();
      return { kind: 'Attribute', scope: t.scope, parent: t.parent, name: t.name, from: t.from, to: t.to };
    }
    const bare = BARE_INTRINSICS.get(t.kind as Keyword);
    if (bare !== undefined) {
      this.advance();
      return { kind: 'Intrinsic', name: bare, from: t.from, to: t.to };
    }
    const scoped = isIntrinsicScope(t.kind) ? SCOPED_INTRINSICS.get(t.kind) : undefined;
    if (scoped !== undefined) {
      this.advance();
      const name = scoped.get(this.tok.kind as Keyword);
      if (name === undefined) this.unexpected([...scoped.keys()]);
      this.advance();
      return { kind: 'Intrinsic', name, ...this.loc(t.from) };
    }
    return this.unexpected();
  }

  // ---------------------------------------------------------- metrics

  private parseMetricsFunction(): MetricsFunction {
    const t = this.advance();
    const from = t.from;
    this.expect('(');
    switch (t.kind) {
      case 'rate':
      case 'count_over_time': {
        this.expect(')');
        const by = this.parseMetricsBy();
        return { kind: 'MetricsAggregate', fn: t.kind, by, ...this.loc(from) };
      }
      case 'min_over_time':
      case 'max_over_time':
      case 'avg_over_time':
      case 'sum_over_time':
      case 'histogram_over_time': {
        const attribute = this.parseAttributeRef();
        this.expect(')');
        const by = this.parseMetricsBy();
        return { kind: 'MetricsAggregate', fn: t.kind, attribute, by, ...this.loc(from) };
      }
      case 'quantile_over_time': {
        const attribute = this.parseAttributeRef();
        this.expect(',');
        const quantiles = [this.parseQuantile()];
        while (this.at(',')) {
          this.advance();
          quantiles.push(this.parseQuantile());
        }
        this.expect(')', [')', ',']);
        const by = this.parseMetricsBy();
        return { kind: 'MetricsAggregate', fn: 'quantile_over_time', attribute, quantiles, by, ...this.loc(from) };
      }
      case 'compare': {
        const filter = this.parseSpansetFilter();
        let topN = 10;
        let start = 0;
        let end = 0;
        if (this.at(',')) {
          this.advance();
          topN = this.parseInteger();
          if (this.at(',')) {
            this.advance();
            start = this.parseInteger();
            this.expect(',');
            end = this.parseInteger();
            this.expect(')');
            return { kind: 'MetricsCompare', filter, topN, start, end, ...this.loc(from) };
          }
        }
        this.expect(')', [')', ',']);
        return { kind: 'MetricsCompare', filter, topN, start, end, ...this.loc(from) };
      }
      default:
        throw new Error(`unreachable: metrics function ${t.kind}`);
    }
  }

  /** Quantiles are plain numbers: INTEGER or FLOAT, no sign. */
  private parseQuantile(): number {
    const t = this.tok;
    if (t.kind !== 'INTEGER' && t.kind !== 'FLOAT') return this.unexpected(['INTEGER', 'FLOAT']);
    this.advance();
    return t.value;
  }

  private parseInteger(): number {
    const t = this.tok;
    if (t.kind !== 'INTEGER') return this.unexpected(['INTEGER']);
    this.advance();
    return t.value;
  }

  /** [ "by" "(" attribute ("," attribute)* ")" ] */
  private parseMetricsBy(): AttributeRef[] {
    if (!this.at('by')) return [];
    this.advance();
    this.expect('(');
    const list = this.parseAttributeList();
    this.expect(')', [')', ',']);
    return list;
  }

  /** topk := ("topk" | "bottomk") "(" INTEGER ")"   (Tempo 2.8) */
  private parseTopK(): TopK {
    const t = this.tok;
    if (t.kind !== 'topk' && t.kind !== 'bottomk') return this.unexpected(['topk', 'bottomk']);
    this.advance();
    this.expect('(');
    const limit = this.parseInteger();
    this.expect(')');
    return { kind: 'TopK', op: t.kind, limit, ...this.loc(t.from) };
  }

  // ---------------------------------------------------------- hints

  /** hints := "with" "(" IDENTIFIER "=" static ("," IDENTIFIER "=" static)* ")" */
  private parseHints(): Hints {
    const from = this.advance().from;
    this.expect('(');
    const hints: Hint[] = [];
    for (;;) {
      const name = this.tok;
      if (name.kind !== 'IDENTIFIER') return this.unexpected(['IDENTIFIER']);
      this.advance();
      this.expect('=');
      const value = this.parseStatic();
      hints.push({ kind: 'Hint', name: name.text, value, from: name.from, to: value.to });
      if (!this.at(',')) break;
      this.advance();
    }
    this.expect(')', [')', ',']);
    return { kind: 'Hints', hints, ...this.loc(from) };
  }
}

/** Parse without validating. Throws TraceQLSyntaxError. */
export function parseSyntax(source: string): Root {
  return new Parser(source).parseRoot();
}
