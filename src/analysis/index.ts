/**
 * @module analysis
 * What a trace says about itself, computed once for every reader (the viewer, the MCP
 * tools, the command line): the trace as a tree, self times, the critical path, RED
 * figures, N+1 / sequential-call / retry / gap hints, children of one operation gathered,
 * and the duration format; its log records placed on its spans; and for sets of traces
 * (runs), per-operation profiles, their comparison with a noise bound, --fail-on thresholds
 * and the diff's text and Markdown. Pure: no Node imports, so the viewer bundles it.
 */
export { buildTrace, selfTime, opKey, type TraceTree, type TreeSpan, type TreeEvent, type Kind, type Status, type FlatValue, type SpanJson, type TraceJson } from './trace.ts';
export { criticalPath, pathRoot, onPath, type CriticalPath } from './critical-path.ts';
export { findHints, hintsBySpan, type Hint, type HintKind } from './hints.ts';
export { selfTimes, mostSelfTime, operationStats, groupSiblings, GROUP_AT, type OperationStats, type SiblingGroup, type ChildEntry } from './stats.ts';
export { serviceRed, traceRed, percentile, type RedSpan, type ServiceRed } from './red.ts';
export { humanDuration, textTable } from './format.ts';
export { severityLevel, placeLogs, LOG_LEVELS, type LogLevel, type LogPlace, type PlacedLog, type TraceLogs } from './logs.ts';
export { textTree, spanLine, groupLine, type TextTreeOptions } from './text-tree.ts';
export { Profiler, profileTraces, operationKey, parseOperationKey, operationLabel, type Profile, type OperationProfile, type OperationKey, type EdgeProfile, type RootProfile } from './run-profile.ts';
export {
  compareProfiles,
  durationChange,
  DEFAULT_NOISE,
  type NoiseBound,
  type RunDiff,
  type SideSummary,
  type OperationChange,
  type OperationSide,
  type DurationChange,
  type EdgeChange,
  type PathChange,
  type RootChange,
} from './run-compare.ts';
export { parseFailOn, failures, FAIL_ON_HELP, type FailRule } from './fail-on.ts';
export { diffText, diffMarkdown, noiseText, pathChangeText, runName, type RunNaming } from './run-render.ts';
