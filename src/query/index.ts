/** The query stage: TraceQL search over the store, Tempo's result shapes, tag listings. */
export { createSearch, type Search, type SearchRequest, type SearchResult, type TraceHit } from './search.ts';
export { searchResponse, traceMetadata, searchTraceId, ROOT_NOT_RECEIVED, type SearchResponse } from './search-response.ts';
export { tagNames, tagValues, ATTRIBUTE_SCOPES, INTRINSIC_TAGS, type TypedTagValue } from './tags.ts';
export type { Plan } from './planner.ts';
export { createLogExpect, wholeWords, MAX_CANDIDATES as MAX_LOG_CANDIDATES, type LogCondition, type LogExpectResult } from './log-expect.ts';
export { createExpect, DEFAULT_SETTLE_MS, type ExpectRequest, type ExpectResult, type Candidate } from './expect.ts';
export { scopeToSession } from './session-scope.ts';
export { spanJson, traceJson, type SpanJson, type TraceJson, type FlatValue } from './span-json.ts';
export { createTraceLoader } from './loader.ts';
