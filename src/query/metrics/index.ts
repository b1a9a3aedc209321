/**
 * TraceQL metrics (`/api/metrics/query_range`, `/api/metrics/query`): the engine over the
 * store, Tempo's v2.9+ time model (time.ts) and power-of-two quantiles (log2.ts), and the
 * response shapes Grafana decodes.
 */
export { createMetricsQuery, type MetricsQuery, type MetricsRequest, type MetricsResult, type Series, type SeriesLabel, type Exemplar } from './engine.ts';
export { alignRange, defaultStep, IntervalMapper, type AlignedRange } from './time.ts';
export { log2Bucketize, log2Quantile, type HistogramBucket } from './log2.ts';
export { queryRangeResponse, queryInstantResponse, type JsonMetrics, type QueryRangeResponse, type QueryInstantResponse } from './response.ts';
