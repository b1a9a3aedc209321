/** The query stage: TraceQL search over the store, Tempo's result shapes, tag listings. */
export { parseQuery } from './parse-query.ts';
export { createSearch, incompleteReason, INCOMPLETE_HEADER, type Search, type SearchOptions, type SearchProgress, type SearchRequest, type SearchResult, type TraceHit } from './search.ts';
export {
  searchResponse,
  traceMetadata,
  searchTraceId,
  goDuration,
  ROOT_NOT_RECEIVED,
  type JsonAnyValue,
  type JsonKeyValue,
  type SearchResponse,
  type SearchSpan,
  type SearchSpanset,
  type TraceSearchMetadata,
} from './search-response.ts';
export { tagNames, tagValues, ATTRIBUTE_SCOPES, INTRINSIC_TAGS, MAX_TAG_VALUES_BYTES, type TypedTagValue, type TagValuesResult } from './tags.ts';
export type { Plan } from './planner.ts';
export { logJsonOf, parseSeverity, resourcesOf, type LogJson } from './log-json.ts';
export { createLogExpect, wholeWords, MAX_CANDIDATES as MAX_LOG_CANDIDATES, type LogCondition, type LogExpectResult } from './log-expect.ts';
export { createExpect, DEFAULT_SETTLE_MS, type ExpectRequest, type ExpectResult, type Candidate } from './expect.ts';
export { scopeToSession } from './session-scope.ts';
export { spanJson, traceJson, type SpanJson, type TraceJson, type FlatValue } from './span-json.ts';
export { createTraceLoader } from './loader.ts';
export {
  createMetricsQuery, queryRangeResponse, queryInstantResponse, alignRange, defaultStep, type MetricsRequest, type MetricsResult,
  type JsonMetrics, type QueryRangeResponse, type QueryInstantResponse,
} from './metrics/index.ts';
export { splitJoinedSpans } from './joined-spans.ts';
