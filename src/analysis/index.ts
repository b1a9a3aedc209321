/**
 * @module analysis
 * What a trace says about itself, computed once for every reader (the viewer, the MCP
 * tools, the command line): the trace as a tree, self times, the critical path, RED
 * figures, N+1 / sequential-call / retry / gap hints, children of one operation gathered,
 * and the duration format. Pure: no Node imports, so the viewer bundles it.
 */
export { buildTrace, selfTime, opKey, type TraceTree, type TreeSpan, type TreeEvent, type Kind, type Status, type FlatValue, type SpanJson, type TraceJson } from './trace.ts';
export { criticalPath, pathRoot, onPath, type CriticalPath } from './critical-path.ts';
export { findHints, hintsBySpan, type Hint, type HintKind } from './hints.ts';
export { selfTimes, mostSelfTime, operationStats, groupSiblings, GROUP_AT, type OperationStats, type SiblingGroup, type ChildEntry } from './stats.ts';
export { serviceRed, traceRed, percentile, type RedSpan, type ServiceRed } from './red.ts';
export { humanDuration, textTable } from './format.ts';
export { textTree, spanLine, groupLine, type TextTreeOptions } from './text-tree.ts';
