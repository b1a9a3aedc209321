/**
 * @module loki
 * Loki's HTTP API over the stored OTLP log records, for Grafana's Loki data source: the
 * OTLP → Loki model (model.ts), query execution with store pushdown (plan.ts, query.ts),
 * count-based answers (volume.ts), Drilldown's detected fields (detected.ts) and the routes.
 */
export { createLokiRoutes, LOKI_COMPAT_VERSION } from './routes.ts';
