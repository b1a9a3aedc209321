/**
 * @module traceql/ast
 * TraceQL syntax tree. Every node is a readonly object tagged by `kind` and
 * carries the `[from, to)` UTF-16 offsets of the text it was parsed from.
 * Each pass (validate, print, evaluate …) switches on `kind` with an
 * `assertNever` default, so adding a node breaks the build until every pass
 * handles it.
 *
 * Shape of a query:
 *
 *   Root
 *   ├─ pipeline: Pipeline            stages joined by `|`
 *   │   └─ stages: SpansetFilter | SpansetOperation | ScalarFilter
 *   │              | GroupBy | Coalesce | Select
 *   ├─ metrics:  MetricsAggregate | MetricsCompare | null    (`| rate() by (…)`)
 *   ├─ secondStage: TopK | null                              (`| topk(5)`)
 *   └─ hints:    Hints | null                                (`with (k = v, …)`)
 *
 * A query made of parenthesised pipelines joined by spanset operators
 * (`({a} | count() > 1) && ({b})`) is a Pipeline with one SpansetOperation
 * stage whose operands are Pipelines. A query comparing parenthesised scalar
 * pipelines (`({a} | count()) > 2`) is a Pipeline with one ScalarFilter stage
 * whose operands are ScalarPipelines. That is how Tempo models them too, and
 * it lets the evaluator treat every root alike.
 */
import type { IntrinsicName } from './intrinsics.ts';
import type { AttributeScope } from './tokens.ts';

export type { AttributeScope } from './tokens.ts';
export type { IntrinsicName, StaticType } from './intrinsics.ts';

/** Source range: offsets into the query string (UTF-16 code units), `to` exclusive. */
export interface Loc {
  readonly from: number;
  readonly to: number;
}

// ---------------------------------------------------------------- statics

export type StatusValue = 'error' | 'ok' | 'unset';
export type KindValue = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

interface StaticBase extends Loc {
  readonly kind: 'Static';
}
export interface NilStatic extends StaticBase {
  readonly type: 'nil';
  readonly value: null;
}
export interface IntStatic extends StaticBase {
  readonly type: 'int';
  /** Integral; int64 literals beyond 2^53 are rounded to the nearest double. */
  readonly value: number;
}
export interface FloatStatic extends StaticBase {
  readonly type: 'float';
  readonly value: number;
}
export interface StringStatic extends StaticBase {
  readonly type: 'string';
  readonly value: string;
}
export interface BoolStatic extends StaticBase {
  readonly type: 'bool';
  readonly value: boolean;
}
export interface DurationStatic extends StaticBase {
  readonly type: 'duration';
  /** Nanoseconds. */
  readonly value: number;
}
export interface StatusStatic extends StaticBase {
  readonly type: 'status';
  readonly value: StatusValue;
}
export interface KindStatic extends StaticBase {
  readonly type: 'kind';
  readonly value: KindValue;
}

/**
 * A literal. A `-` written directly before a number or duration literal is
 * folded into it (`-1` is one Static), everywhere else `-` is a UnaryOperation.
 */
export type Static =
  | NilStatic
  | IntStatic
  | FloatStatic
  | StringStatic
  | BoolStatic
  | DurationStatic
  | StatusStatic
  | KindStatic;

// ------------------------------------------------------------- attributes

/**
 * `.name`, `span.name`, `resource.name`, `event.name`, `link.name`,
 * `instrumentation.name`, and `parent.name` / `parent.span.name` /
 * `parent.resource.name` (parse, but are "not yet supported"; `parent` never
 * combines with the other scopes). `name` is the attribute key exactly (quoted
 * segments already unquoted).
 */
export interface Attribute extends Loc {
  readonly kind: 'Attribute';
  readonly scope: AttributeScope;
  readonly parent: boolean;
  readonly name: string;
}

/** `duration`, `span:duration`, `trace:id`, `event:name` … (see intrinsics.ts). */
export interface Intrinsic extends Loc {
  readonly kind: 'Intrinsic';
  readonly name: IntrinsicName;
}

export type AttributeRef = Attribute | Intrinsic;

// ------------------------------------------------------ field expressions

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type RegexOperator = '=~' | '!~';
export type LogicalOperator = '&&' | '||';
export type BinaryOperator = ArithmeticOperator | ComparisonOperator | RegexOperator | LogicalOperator;
export type UnaryOperator = '-' | '!';

export interface BinaryOperation extends Loc {
  readonly kind: 'BinaryOperation';
  readonly op: BinaryOperator;
  readonly lhs: FieldExpression;
  readonly rhs: FieldExpression;
}

export interface UnaryOperation extends Loc {
  readonly kind: 'UnaryOperation';
  readonly op: UnaryOperator;
  readonly operand: FieldExpression;
}

/** What goes inside `{ … }`, `by(…)` and aggregates: evaluated per span. */
export type FieldExpression = BinaryOperation | UnaryOperation | Static | Attribute | Intrinsic;

// --------------------------------------------------------------- spansets

/** `{ expr }`; `expression` is null for `{}` / `{ }` (matches every span). */
export interface SpansetFilter extends Loc {
  readonly kind: 'SpansetFilter';
  readonly expression: FieldExpression | null;
}

/** `&&` `||`, structural `> < >> << ~`, negated `!> !< !>> !<< !~`, union `&> &< &>> &<< &~`. */
export type SpansetOperator =
  | '&&' | '||'
  | '>' | '<' | '>>' | '<<' | '~'
  | '!>' | '!<' | '!>>' | '!<<' | '!~'
  | '&>' | '&<' | '&>>' | '&<<' | '&~';

/**
 * Two spansets combined. Inside a pipeline stage the operands are filters or
 * operations; at the root they may be parenthesised Pipelines.
 */
export interface SpansetOperation extends Loc {
  readonly kind: 'SpansetOperation';
  readonly op: SpansetOperator;
  readonly lhs: SpansetOperand;
  readonly rhs: SpansetOperand;
}

export type SpansetExpression = SpansetFilter | SpansetOperation;
export type SpansetOperand = SpansetExpression | Pipeline;

// ---------------------------------------------------------------- scalars

export type AggregateOp = 'count' | 'avg' | 'min' | 'max' | 'sum';

/** `count()`, or `avg|min|max|sum(expr)`. */
export type Aggregate =
  | (Loc & { readonly kind: 'Aggregate'; readonly op: 'count'; readonly expression: null })
  | (Loc & { readonly kind: 'Aggregate'; readonly op: Exclude<AggregateOp, 'count'>; readonly expression: FieldExpression });

/** Arithmetic between scalars: `count() + 1`, `(… | count()) / (… | count())`. */
export interface ScalarOperation extends Loc {
  readonly kind: 'ScalarOperation';
  readonly op: ArithmeticOperator;
  readonly lhs: ScalarExpression;
  readonly rhs: ScalarExpression;
}

/** `( pipeline | aggregate )`: a parenthesised pipeline that ends in an aggregate. */
export interface ScalarPipeline extends Loc {
  readonly kind: 'ScalarPipeline';
  readonly pipeline: Pipeline;
  readonly aggregate: Aggregate;
}

export type ScalarExpression = Aggregate | Static | ScalarOperation | ScalarPipeline;

/** `count() > 2`: keeps the spansets whose scalar satisfies the comparison. */
export interface ScalarFilter extends Loc {
  readonly kind: 'ScalarFilter';
  readonly op: ComparisonOperator;
  readonly lhs: ScalarExpression;
  readonly rhs: ScalarExpression;
}

// -------------------------------------------------------------- pipelines

/** `by(expr)`: split each spanset by the value of `expr`. */
export interface GroupBy extends Loc {
  readonly kind: 'GroupBy';
  readonly expression: FieldExpression;
}

/** `coalesce()`: merge a trace's spansets back into one. */
export interface Coalesce extends Loc {
  readonly kind: 'Coalesce';
}

/** `select(a, b, …)`: fetch extra attributes for display; filters nothing. */
export interface Select extends Loc {
  readonly kind: 'Select';
  readonly attributes: readonly AttributeRef[];
}

export type PipelineStage = SpansetExpression | ScalarFilter | GroupBy | Coalesce | Select;

/** Stages joined by `|`; never empty. */
export interface Pipeline extends Loc {
  readonly kind: 'Pipeline';
  readonly stages: readonly PipelineStage[];
}

// ---------------------------------------------------------------- metrics

export type MetricsCountFn = 'rate' | 'count_over_time';
export type MetricsValueFn = 'min_over_time' | 'max_over_time' | 'avg_over_time' | 'sum_over_time' | 'histogram_over_time';

interface MetricsBase extends Loc {
  readonly kind: 'MetricsAggregate';
  /** `by (a, b)` after the function; empty when absent. */
  readonly by: readonly AttributeRef[];
}
/** `rate()`, `count_over_time()`. */
export interface MetricsCount extends MetricsBase {
  readonly fn: MetricsCountFn;
}
/** `min_over_time(attr)` … `histogram_over_time(attr)` (`sum_over_time` is Tempo 2.8). */
export interface MetricsOverTime extends MetricsBase {
  readonly fn: MetricsValueFn;
  readonly attribute: AttributeRef;
}
/** `quantile_over_time(attr, q1, q2, …)`. */
export interface MetricsQuantile extends MetricsBase {
  readonly fn: 'quantile_over_time';
  readonly attribute: AttributeRef;
  readonly quantiles: readonly number[];
}
export type MetricsAggregate = MetricsCount | MetricsOverTime | MetricsQuantile;

/**
 * `compare({filter}[, topN[, startNs, endNs]])`; topN defaults to 10 and
 * start/end to 0 (no time restriction on the selection).
 */
export interface MetricsCompare extends Loc {
  readonly kind: 'MetricsCompare';
  readonly filter: SpansetFilter;
  readonly topN: number;
  readonly start: number;
  readonly end: number;
}

export type MetricsFunction = MetricsAggregate | MetricsCompare;

/** `| topk(n)` / `| bottomk(n)` after a metrics function (Tempo 2.8). */
export interface TopK extends Loc {
  readonly kind: 'TopK';
  readonly op: 'topk' | 'bottomk';
  readonly limit: number;
}

// ------------------------------------------------------------------ hints

export interface Hint extends Loc {
  readonly kind: 'Hint';
  readonly name: string;
  readonly value: Static;
}

/** `with(name = value, …)`. Only the last `with(…)` of a query counts, as in Tempo. */
export interface Hints extends Loc {
  readonly kind: 'Hints';
  readonly hints: readonly Hint[];
}

// ------------------------------------------------------------------- root

export interface Root extends Loc {
  readonly kind: 'Root';
  readonly pipeline: Pipeline;
  /** Set for metrics queries; only when `pipeline` is a plain pipeline. */
  readonly metrics: MetricsFunction | null;
  /** Only with `metrics`. */
  readonly secondStage: TopK | null;
  readonly hints: Hints | null;
}

export type Node =
  | Root
  | Pipeline
  | PipelineStage
  | SpansetOperand
  | FieldExpression
  | ScalarExpression
  | MetricsFunction
  | TopK
  | Hints
  | Hint;

/** Exhaustiveness check for `switch (node.kind)`. */
export function assertNever(x: never): never {
  throw new Error(`unexpected node: ${JSON.stringify(x)}`);
}
