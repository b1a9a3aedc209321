/**
 * @module promql
 * The PromQL subset tracebox answers on its API port for Grafana's Prometheus data source
 * (service map, APM table, health check), evaluated over the derived service-graph and
 * span metrics. Grammar in parser.ts, semantics in evaluate.ts.
 */
export type { Expr, ValueType, Matcher, VectorSelector } from './ast.ts';
export { parsePromQL, parseSelector, parsePromDurationMs, PromQLSyntaxError, PromQLUnsupportedError } from './parser.ts';
export { evaluate, flatten, formatFloat, labelsKey, selects, bucketQuantile, MetricsSource, PromQLEvaluationError, type Metric, type Sample, type QueryValue } from './evaluate.ts';
export { instantQuery, rangeQuery, MAX_POINTS, type QueryData, type PromPoint } from './query.ts';
