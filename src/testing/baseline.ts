/**
 * Trace baselines: what a set of traces does per operation (calls per trace, p50/p95
 * durations, errors, which operation calls which; see src/analysis/run-profile.ts) kept in a JSON file
 * beside the test, and compared with the traces of this run under thresholds. So a test
 * can say "no more calls of SELECT items per request than the baseline, p95 at most 50%
 * slower". Written like snapshots: when missing (outside CI), or with
 * TRACEBOX_UPDATE_SNAPSHOTS=1 / `update: true`.
 */
import {
  compareProfiles,
  DEFAULT_NOISE,
  diffText,
  failures,
  parseFailOn,
  profileTraces,
  type NoiseBound,
  type OperationProfile,
  type Profile,
  type RunDiff,
} from '../analysis/index.ts';
import type { Trace } from './client.ts';
import { storedOrWritten } from './snapshot.ts';
import { toTraceJson } from './trace.ts';

export interface BaselineOptions {
  /**
   * What fails the check, as `tracebox diff --fail-on` takes it (default: `calls>+0` and
   * `new-errors`; add e.g. `p95>+50%` to hold durations too).
   */
  failOn?: readonly string[];
  /** The noise bound for duration rules (default 10%, 1 ms, 5 samples). */
  noise?: Partial<NoiseBound>;
  /** Rewrite the file instead of comparing (default: TRACEBOX_UPDATE_SNAPSHOTS=1). */
  update?: boolean;
}

export interface BaselineResult {
  readonly pass: boolean;
  readonly message: string;
  /** The comparison, when there was a baseline to compare with. */
  readonly diff?: RunDiff;
}

export const DEFAULT_BASELINE_RULES = ['calls>+0', 'new-errors'] as const;

/** A profile of the test's traces (see src/analysis/run-profile.ts). */
export function traceProfile(traces: readonly Trace[]): Profile {
  return profileTraces(traces.map(toTraceJson));
}

/** The file's text: the profile without example trace ids, which change every run. */
function baselineText(profile: Profile): string {
  const operations = profile.operations.map(({ example: _, ...op }: OperationProfile) => op);
  return JSON.stringify({ tracebox: 'trace baseline', ...profile, operations }, null, 2) + '\n';
}

function readBaseline(text: string, file: string): Profile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`trace baseline ${file} is not JSON (${(err as Error).message}); TRACEBOX_UPDATE_SNAPSHOTS=1 rewrites it`);
  }
  const p = parsed as Partial<Profile> & { tracebox?: unknown };
  if (p.tracebox !== 'trace baseline' || !Array.isArray(p.operations) || !Array.isArray(p.edges) || !Array.isArray(p.roots)) {
    throw new Error(`${file} is not a tracebox trace baseline; TRACEBOX_UPDATE_SNAPSHOTS=1 rewrites it`);
  }
  return p as Profile;
}

/** Compares `traces` with the baseline in `file` (created when missing, outside CI). */
export function checkTraceBaseline(traces: readonly Trace[], file: string, options: BaselineOptions = {}): BaselineResult {
  const rules = (options.failOn ?? DEFAULT_BASELINE_RULES).map(parseFailOn);
  const profile = traceProfile(traces);
  const stored = storedOrWritten(file, baselineText(profile), 'trace baseline', options.update);
  if ('result' in stored) return stored.result;
  const baseline = readBaseline(stored.expected, file);
  const diff = compareProfiles(baseline, profile, { a: { name: `baseline ${file}` }, b: { name: 'this run' } }, { ...DEFAULT_NOISE, ...options.noise });
  const failed = failures(diff, rules);
  if (failed.length === 0) return { pass: true, message: `traces hold to baseline ${file} (${rules.map((r) => r.text).join(', ')})`, diff };
  return {
    pass: false,
    message: `traces break baseline ${file} (TRACEBOX_UPDATE_SNAPSHOTS=1 rewrites it):\n${failed.map((f) => `  ${f}`).join('\n')}\n\n${diffText(diff)}`,
    diff,
  };
}

/** Throws with what broke the baseline and the diff table. */
export function assertTraceBaseline(traces: readonly Trace[], file: string, options: BaselineOptions = {}): void {
  const result = checkTraceBaseline(traces, file, options);
  if (!result.pass) throw new Error(result.message);
}

/**
 * A matcher for Jest's and Vitest's `expect.extend()`:
 * `expect.extend(baselineMatchers); expect(traces).toMatchTraceBaseline(file, { failOn: ['calls>+0', 'p95>+50%'] })`.
 */
export const baselineMatchers = {
  toMatchTraceBaseline(received: readonly Trace[], file: string, options?: BaselineOptions): { pass: boolean; message: () => string } {
    const { pass, message } = checkTraceBaseline(received, file, options);
    return { pass, message: () => message };
  },
};
