/**
 * @module logql/ast
 * The LogQL subset tracebox evaluates: log queries (a stream selector and a pipeline) and
 * the metric queries built on them (range aggregations, vector aggregations, arithmetic).
 */
import type { Matcher as RegexMatcher } from '../traceql/index.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A stream-selector matcher or a string label filter; `re` is set for `=~`/`!~`. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  readonly re?: RegexMatcher;
}

export type LineFilterOp = '|=' | '!=' | '|~' | '!~';

/** `|= "a"`, or `|= "a" or "b"` (any of the values). */
export interface LineFilterStage {
  readonly kind: 'line';
  readonly op: LineFilterOp;
  readonly values: readonly string[];
  /** For `|~`/`!~`: each value compiled as an unanchored pattern. */
  readonly res?: readonly RegexMatcher[];
}

export interface ParserStage {
  readonly kind: 'parser';
  readonly parser: 'json' | 'logfmt';
}

/** `| pattern "<ip> - <_> \"<method> <path>\""`: literals and captures (`_`: matched, not kept). */
export interface PatternStage {
  readonly kind: 'pattern';
  readonly parts: readonly ({ readonly literal: string } | { readonly capture: string })[];
}

/** `| decolorize`: ANSI colour sequences taken out of the line. */
export interface DecolorizeStage {
  readonly kind: 'decolorize';
}

export type NumberOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** What a numeric label filter's literal was written as: the label's text is read the same way. */
export type NumberUnit = 'number' | 'duration' | 'bytes';

export type LabelPredicate =
  | { readonly kind: 'string'; readonly matcher: LabelMatcher }
  | { readonly kind: 'number'; readonly name: string; readonly op: NumberOp; readonly value: number; readonly unit: NumberUnit }
  | { readonly kind: 'and' | 'or'; readonly left: LabelPredicate; readonly right: LabelPredicate };

export interface LabelFilterStage {
  readonly kind: 'labelFilter';
  readonly predicate: LabelPredicate;
}

/** `| line_format "…"`: only `{{.label}}` substitutions (and literal text). */
export interface LineFormatStage {
  readonly kind: 'lineFormat';
  readonly parts: readonly ({ readonly text: string } | { readonly label: string })[];
}

/** `| label_format dst=src, dst2="{{.a}}-{{.b}}"`: a rename (src's value moved to dst) or a template. */
export interface LabelFormatStage {
  readonly kind: 'labelFormat';
  readonly items: readonly ({ readonly dst: string; readonly src: string } | { readonly dst: string; readonly template: LineFormatStage['parts'] })[];
}

/** `| drop a, b="v"` / `| keep a, b`: a bare name, or a name with a matcher on its value. */
export interface DropKeepStage {
  readonly kind: 'drop' | 'keep';
  readonly labels: readonly { readonly name: string; readonly matcher?: LabelMatcher }[];
}

export type Stage = LineFilterStage | ParserStage | PatternStage | DecolorizeStage | LabelFilterStage | LineFormatStage | LabelFormatStage | DropKeepStage;

export interface LogExpr {
  readonly kind: 'log';
  readonly selector: readonly LabelMatcher[];
  readonly stages: readonly Stage[];
}

export type RangeFn = 'count_over_time' | 'rate' | 'bytes_over_time' | 'bytes_rate';
export type AggregateOp = 'sum' | 'count' | 'avg' | 'min' | 'max' | 'topk' | 'bottomk';
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^';

export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

export type MetricExpr =
  | { readonly kind: 'range'; readonly fn: RangeFn; readonly log: LogExpr; readonly rangeNs: number; readonly offsetNs: number }
  | { readonly kind: 'aggregate'; readonly op: AggregateOp; readonly grouping?: Grouping; readonly param?: number; readonly inner: MetricExpr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: MetricExpr; readonly right: MetricExpr }
  /** `vector(1)`: one series without labels. */
  | { readonly kind: 'vector'; readonly value: number }
  | { readonly kind: 'number'; readonly value: number };

export type Query = LogExpr | MetricExpr;

export const isLogQuery = (q: Query): q is LogExpr => q.kind === 'log';
