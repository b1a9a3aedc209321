/**
 * @module logql
 * LogQL, the subset Grafana's Loki data source and its query builder send: parsed here
 * (parser.ts), a log pipeline applied to one entry at a time (pipeline.ts), metric
 * queries folded over the entries a pipeline keeps (metric.ts). Pure: no Node imports.
 */
export type * from './ast.ts';
export { isLogQuery } from './ast.ts';
export { LogQLSyntaxError, LogQLUnsupportedError, SUPPORTED_SUBSET } from './errors.ts';
export { parseLogQL, parseSelector, MAX_QUERY_LENGTH, MAX_NESTING } from './parser.ts';
export { parseBytes } from './lexer.ts';
export { newLabels, copyLabels, labelsKey, type Labels, type MutableLabels } from './labels.ts';
export { compilePipeline, selects, matches, ERROR_LABEL, ERROR_DETAILS_LABEL, type Pipeline, type PipelineEntry } from './pipeline.ts';
export { sanitizeLabelName, parseJsonLabels, parseLogfmtLabels } from './parsers.ts';
export {
  evaluateMetric, stepCount, LogQLEvaluationError, MAX_POINTS, MAX_SERIES,
  type Steps, type EntrySource, type Series, type MetricResult,
} from './metric.ts';
