/**
 * @module promql/query
 * Instant and range queries in the Prometheus HTTP API's JSON shapes:
 * `{"resultType":"vector"|"matrix"|"scalar"|"string","result":…}` with times as float
 * seconds and values as strings.
 */
import type { Expr, ValueType } from './ast.ts';
import { evaluate, formatFloat, labelsKey, PromQLEvaluationError, type Metric, type MetricsSource } from './evaluate.ts';

export type PromPoint = [number, string];

export type QueryData =
  | { resultType: 'vector'; result: Array<{ metric: Metric; value: PromPoint }> }
  | { resultType: 'matrix'; result: Array<{ metric: Metric; values: PromPoint[] }> }
  | { resultType: 'scalar'; result: PromPoint }
  | { resultType: 'string'; result: PromPoint };

const MS = 1_000_000n;
/** Prometheus' limit on points per series in a range query. */
export const MAX_POINTS = 11_000;

function seconds(ms: number): number {
  return ms / 1000;
}

/** The value of `expr` at `timeMs`. */
export function instantQuery(expr: Expr, type: ValueType, timeMs: number, source: MetricsSource): QueryData {
  if (type === 'matrix') throw new PromQLEvaluationError('range vector results are not supported by tracebox: wrap the selector in rate() or increase()');
  const v = evaluate(expr, BigInt(timeMs) * MS, source);
  const t = seconds(timeMs);
  switch (v.type) {
    case 'scalar':
      return { resultType: 'scalar', result: [t, formatFloat(v.value)] };
    case 'string':
      return { resultType: 'string', result: [t, v.value] };
    case 'vector':
      return { resultType: 'vector', result: v.samples.map((s) => ({ metric: s.metric, value: [t, formatFloat(s.value)] })) };
  }
}

/** `expr` evaluated at start, start + step, … ≤ end, as a matrix of series. */
export function rangeQuery(expr: Expr, type: ValueType, startMs: number, endMs: number, stepMs: number, source: MetricsSource): QueryData {
  if (type !== 'scalar' && type !== 'vector') {
    throw new PromQLEvaluationError(`invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
  }
  const series = new Map<string, { metric: Metric; values: PromPoint[] }>();
  for (let t = startMs; t <= endMs; t += stepMs) {
    const v = evaluate(expr, BigInt(t) * MS, source);
    const samples = v.type === 'scalar' ? [{ metric: {}, value: v.value }] : v.type === 'vector' ? v.samples : [];
    for (const s of samples) {
      const key = labelsKey(s.metric);
      let entry = series.get(key);
      if (entry === undefined) series.set(key, (entry = { metric: s.metric, values: [] }));
      entry.values.push([seconds(t), formatFloat(s.value)]);
    }
  }
  const result = [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  return { resultType: 'matrix', result };
}
