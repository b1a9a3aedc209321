/**
 * @module promql/ast
 * The PromQL subset tracebox evaluates (what Grafana's service map and APM table send,
 * plus the arithmetic its health check uses). Every node carries the
 * offset of the text it came from, for error messages.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Compiled, fully anchored, for =~ and !~. */
  readonly re?: { test(s: string): boolean };
}

export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
  readonly pos: number;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly pos: number;
}

/** `name{matchers}`; the name, when given, is also a `__name__ =` matcher. */
export interface VectorSelector {
  readonly kind: 'vector';
  readonly name: string | undefined;
  readonly matchers: readonly Matcher[];
  readonly pos: number;
}

/** `selector[range]`. */
export interface MatrixSelector {
  readonly kind: 'matrix';
  readonly vector: VectorSelector;
  /** Range in milliseconds. */
  readonly rangeMs: number;
  readonly pos: number;
}

export type FunctionName = 'rate' | 'increase' | 'histogram_quantile';

export interface Call {
  readonly kind: 'call';
  readonly fn: FunctionName;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'topk' | 'bottomk';

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly op: AggregateOp;
  /** k of topk/bottomk. */
  readonly param: Expr | undefined;
  readonly expr: Expr;
  readonly grouping: readonly string[];
  /** `without (…)` rather than `by (…)`. */
  readonly without: boolean;
  readonly pos: number;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

/** How two vectors' samples are paired: on all labels but the name, or on(…) / ignoring(…). */
export interface VectorMatching {
  readonly on: boolean;
  readonly labels: readonly string[];
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  /** `bool` after a comparison. */
  readonly returnBool: boolean;
  readonly matching: VectorMatching;
  readonly pos: number;
}

export interface Unary {
  readonly kind: 'unary';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: number;
}

export interface Paren {
  readonly kind: 'paren';
  readonly expr: Expr;
  readonly pos: number;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Call | Aggregate | Binary | Unary | Paren;

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';
