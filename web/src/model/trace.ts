/**
 * @module model/trace
 * The viewer's trace is the analysis module's tree (src/analysis/trace.ts): spans in
 * pre-order with indexes for parent and children, times in ns from the trace start.
 */
export { buildTrace, selfTime, opKey } from '../../../src/analysis/index.ts';
export type {
  TraceTree as VTrace,
  TreeSpan as VSpan,
  TreeEvent as VEvent,
  Kind,
  Status,
  FlatValue,
  SpanJson,
  TraceJson,
} from '../../../src/analysis/index.ts';
