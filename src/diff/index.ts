/**
 * @module diff
 * "What did my change do to the traces?": two sets of traces (runs, TraceQL selections,
 * files) profiled per operation and compared, with a noise bound, thresholds and
 * renderings for terminals and CI. Pure: the command line, the API, the viewer and the
 * test API share it.
 */
export { Profiler, profileTraces, operationKey, parseOperationKey, operationLabel, type Profile, type OperationProfile, type OperationKey, type EdgeProfile, type RootProfile } from './profile.ts';
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
} from './compare.ts';
export { parseFailOn, failures, FAIL_ON_HELP, type FailRule } from './fail-on.ts';
export { diffText, diffMarkdown, noiseText, runName } from './render.ts';
