/**
 * @module ui/trace-extras
 * The trace page's views beyond the timeline and flame graph, in a chunk of their own:
 * fetched when one of them is opened, not with the first page.
 */
export { TraceGraph } from './TraceGraph.tsx';
export { TraceJson } from './TraceJson.tsx';
export { TraceStats } from './TraceStats.tsx';
