/**
 * Derived metrics: Tempo's metrics-generator (service graphs and span metrics) computed
 * from the stored spans, for any time window (DerivedMetrics.increase) and as counters
 * (totals), exposed at GET /metrics, pushed by remote write, and drawn by the viewer
 * from GET /api/service-graph.
 */
export type { DerivedMetrics, MetricsIncrease, CounterSeries, HistogramSeries, Labels } from './types.ts';
export { DerivedMetricsEngine, createDerivedMetrics, type DerivedMetricsOptions, type IngestStats, type DeriveStats } from './derived.ts';
export { startRemoteWrite, encodeWriteRequest, type RemoteWriteOptions, type RemoteWriter } from './remote-write.ts';
export { buildServiceGraph, type ServiceGraph, type GraphNode, type GraphEdge } from './service-graph.ts';
export { GRAPH_BOUNDS, SPAN_BOUNDS, METRIC } from './aggregate.ts';
export { snappyCompress } from './snappy.ts';
export { derivedFamilies } from './exposition.ts';
export { createMetricsRoutes } from './routes.ts';

