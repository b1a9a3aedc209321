/**
 * @module analysis/run-compare
 * Two profiles compared: per operation the calls per trace, p50/p95 durations, errors
 * and their messages; operations and edges that appeared or vanished; per root
 * operation, what moved on its critical path.
 *
 * Noise bound: durations of two runs of the same code differ a little every time. A p50,
 * p95 or critical-path change counts only when it is at least `minChangePct` percent AND
 * at least `minDeltaNs` AND both sides have at least `minSamples` samples; call counts per
 * trace and error counts are exact. Changes inside the bound are not reported, so two runs
 * of the same fixture report "no change".
 */
import { operationLabel, parseOperationKey, type OperationKey, type OperationProfile, type Profile } from './run-profile.ts';

export interface NoiseBound {
  /** Smallest relative change that counts, percent (default 10). */
  readonly minChangePct: number;
  /** Smallest absolute change that counts, ns (default 1 ms). */
  readonly minDeltaNs: number;
  /** Fewest samples on each side for a duration to be compared (default 5). */
  readonly minSamples: number;
}

export const DEFAULT_NOISE: NoiseBound = { minChangePct: 10, minDeltaNs: 1e6, minSamples: 5 };

/** One side of an operation in a diff. */
export interface OperationSide {
  readonly traces: number;
  readonly calls: number;
  /** Mean calls per trace among the traces holding it (two decimals). */
  readonly callsPerTrace: number;
  readonly maxCallsPerTrace: number;
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly errors: number;
  readonly errorMessages: OperationProfile['errorMessages'];
  readonly example?: string;
}

export interface DurationChange {
  readonly aNs: number;
  readonly bNs: number;
  readonly deltaNs: number;
  /** Relative to A, percent; Infinity from 0. */
  readonly pct: number;
}

export interface OperationChange extends OperationKey {
  readonly key: string;
  /** Display name: "SELECT items [client]". */
  readonly label: string;
  /** added: only in B; removed: only in A. */
  readonly status: 'added' | 'removed' | 'changed';
  readonly a?: OperationSide;
  readonly b?: OperationSide;
  /** Calls per trace differ (added and removed operations too: from or to 0). */
  readonly calls?: { readonly a: number; readonly b: number; readonly delta: number };
  readonly p50?: DurationChange;
  readonly p95?: DurationChange;
  /** Error counts or messages differ. */
  readonly errors?: { readonly a: number; readonly b: number; readonly newMessages: readonly string[]; readonly goneMessages: readonly string[] };
}

export interface EdgeChange {
  readonly parent: string;
  readonly child: string;
  readonly parentLabel: string;
  readonly childLabel: string;
  /** Child calls per parent call, on each side (0 where absent). */
  readonly a: number;
  readonly b: number;
}

export interface PathChange {
  readonly key: string;
  readonly label: string;
  readonly service: string;
  /** Mean time on the path per trace, ns (0 where not on it). */
  readonly aNs: number;
  readonly bNs: number;
  readonly status: 'entered' | 'left' | 'changed';
}

export interface RootChange {
  readonly key: string;
  readonly label: string;
  readonly service: string;
  readonly traces: { readonly a: number; readonly b: number };
  /** Operations whose time on the path changed beyond the bound, largest change first. */
  readonly path: readonly PathChange[];
}

export interface SideSummary {
  /** "run 4 (feature, 1a2b3c4 on main)", "{ … }", a file name. */
  readonly name: string;
  readonly traces: number;
  readonly spans: number;
  /** Set when the side holds only part of what was asked for (say, the first 5,000 traces); says what. */
  readonly partial?: string;
}

export interface RunDiff {
  readonly a: SideSummary;
  readonly b: SideSummary;
  readonly noise: NoiseBound;
  /** True when anything changed beyond the noise bound. */
  readonly changed: boolean;
  /** Changed, added and removed operations, most notable first. */
  readonly operations: readonly OperationChange[];
  /** Operations on both sides with no change beyond the bound. */
  readonly unchanged: number;
  readonly edges: { readonly added: readonly EdgeChange[]; readonly removed: readonly EdgeChange[]; readonly changed: readonly EdgeChange[] };
  /** Root operations on both sides whose critical path changed. */
  readonly roots: readonly RootChange[];
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function side(op: OperationProfile): OperationSide {
  return {
    traces: op.traces,
    calls: op.calls,
    callsPerTrace: round2(op.traces === 0 ? 0 : op.calls / op.traces),
    maxCallsPerTrace: op.maxCallsPerTrace,
    p50Ns: op.p50Ns,
    p95Ns: op.p95Ns,
    errors: op.errors,
    errorMessages: op.errorMessages,
    ...(op.example === undefined || op.example === '' ? {} : { example: op.example }),
  };
}

/** A duration change beyond the noise bound, or undefined. */
export function durationChange(aNs: number, bNs: number, aSamples: number, bSamples: number, noise: NoiseBound): DurationChange | undefined {
  if (aSamples < noise.minSamples || bSamples < noise.minSamples) return undefined;
  const deltaNs = bNs - aNs;
  if (Math.abs(deltaNs) < noise.minDeltaNs) return undefined;
  const pct = aNs === 0 ? Infinity : (deltaNs / aNs) * 100;
  if (Math.abs(pct) < noise.minChangePct) return undefined;
  return { aNs, bNs, deltaNs, pct };
}

function errorChange(a: OperationSide | undefined, b: OperationSide | undefined): OperationChange['errors'] {
  const before = new Set((a?.errorMessages ?? []).map((m) => m.message));
  const after = new Set((b?.errorMessages ?? []).map((m) => m.message));
  const newMessages = [...after].filter((m) => !before.has(m));
  const goneMessages = [...before].filter((m) => !after.has(m));
  const ea = a?.errors ?? 0;
  const eb = b?.errors ?? 0;
  if (ea === eb && newMessages.length === 0 && goneMessages.length === 0) return undefined;
  return { a: ea, b: eb, newMessages, goneMessages };
}

/** How notable a change is, for ordering: calls and errors first, then the larger relative duration change. */
function weight(c: OperationChange): number {
  let w = 0;
  if (c.errors !== undefined) w += 1e6 + Math.abs(c.errors.b - c.errors.a);
  if (c.calls !== undefined) w += 1e5 + Math.abs(c.calls.delta);
  const pct = Math.max(Math.abs(c.p95?.pct ?? 0), Math.abs(c.p50?.pct ?? 0));
  return w + Math.min(pct, 1e4);
}

export function compareProfiles(a: Profile, b: Profile, names: { a: Omit<SideSummary, 'traces' | 'spans'>; b: Omit<SideSummary, 'traces' | 'spans'> }, noise: NoiseBound = DEFAULT_NOISE): RunDiff {
  const aOps = new Map(a.operations.map((o) => [o.key, o]));
  const bOps = new Map(b.operations.map((o) => [o.key, o]));
  const operations: OperationChange[] = [];
  let unchanged = 0;
  for (const key of new Set([...aOps.keys(), ...bOps.keys()])) {
    const oa = aOps.get(key);
    const ob = bOps.get(key);
    const sa = oa === undefined ? undefined : side(oa);
    const sb = ob === undefined ? undefined : side(ob);
    const op = (oa ?? ob) as OperationProfile;
    const base = { key, service: op.service, name: op.name, kind: op.kind, detail: op.detail, label: operationLabel(op), ...(sa === undefined ? {} : { a: sa }), ...(sb === undefined ? {} : { b: sb }) };
    const ca = sa?.callsPerTrace ?? 0;
    const cb = sb?.callsPerTrace ?? 0;
    const calls = ca === cb ? undefined : { a: ca, b: cb, delta: round2(cb - ca) };
    const errors = errorChange(sa, sb);
    if (sa === undefined || sb === undefined) {
      operations.push({ ...base, status: sa === undefined ? 'added' : 'removed', ...(calls === undefined ? {} : { calls }), ...(errors === undefined ? {} : { errors }) });
      continue;
    }
    const p50 = durationChange(sa.p50Ns, sb.p50Ns, sa.calls, sb.calls, noise);
    const p95 = durationChange(sa.p95Ns, sb.p95Ns, sa.calls, sb.calls, noise);
    if (calls === undefined && errors === undefined && p50 === undefined && p95 === undefined) {
      unchanged++;
      continue;
    }
    operations.push({ ...base, status: 'changed', ...(calls === undefined ? {} : { calls }), ...(p50 === undefined ? {} : { p50 }), ...(p95 === undefined ? {} : { p95 }), ...(errors === undefined ? {} : { errors }) });
  }
  operations.sort((x, y) => weight(y) - weight(x) || (x.key < y.key ? -1 : 1));

  const perParent = (p: Profile, ops: Map<string, OperationProfile>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const e of p.edges) out.set(e.parent + '\u0001' + e.child, round2(e.calls / Math.max(1, ops.get(e.parent)?.calls ?? 1)));
    return out;
  };
  const aEdges = perParent(a, aOps);
  const bEdges = perParent(b, bOps);
  const edge = (k: string): EdgeChange => {
    const [parent, child] = k.split('\u0001');
    return { parent, child, parentLabel: label(parent), childLabel: label(child), a: aEdges.get(k) ?? 0, b: bEdges.get(k) ?? 0 };
  };
  const added = [...bEdges.keys()].filter((k) => !aEdges.has(k)).map(edge);
  const removed = [...aEdges.keys()].filter((k) => !bEdges.has(k)).map(edge);
  const changedEdges = [...bEdges.keys()].filter((k) => aEdges.has(k) && aEdges.get(k) !== bEdges.get(k)).map(edge);

  const roots: RootChange[] = [];
  const bRoots = new Map(b.roots.map((r) => [r.key, r]));
  for (const ra of a.roots) {
    const rb = bRoots.get(ra.key);
    if (rb === undefined) continue;
    const enough = ra.traces >= noise.minSamples && rb.traces >= noise.minSamples;
    const aPath = new Map(ra.path.map((p) => [p.key, p.meanNs]));
    const bPath = new Map(rb.path.map((p) => [p.key, p.meanNs]));
    const path: PathChange[] = [];
    if (enough) {
      for (const k of new Set([...aPath.keys(), ...bPath.keys()])) {
        const aNs = aPath.get(k) ?? 0;
        const bNs = bPath.get(k) ?? 0;
        // Entering or leaving the path must also clear the bound: a few µs of a span that
        // now ends last is not news.
        if (durationChange(aNs, bNs, ra.traces, rb.traces, noise) === undefined) continue;
        const status = aNs === 0 ? 'entered' : bNs === 0 ? 'left' : 'changed';
        path.push({ key: k, label: label(k), service: parseOperationKey(k).service, aNs, bNs, status });
      }
      path.sort((x, y) => Math.abs(y.bNs - y.aNs) - Math.abs(x.bNs - x.aNs));
    }
    // The root's own duration is its operation's (above); here only what moved on its path.
    if (path.length === 0) continue;
    roots.push({ key: ra.key, label: label(ra.key), service: parseOperationKey(ra.key).service, traces: { a: ra.traces, b: rb.traces }, path });
  }

  const changed = operations.length > 0 || added.length > 0 || removed.length > 0 || changedEdges.length > 0 || roots.length > 0;
  return {
    a: { ...names.a, traces: a.traces, spans: a.spans },
    b: { ...names.b, traces: b.traces, spans: b.spans },
    noise,
    changed,
    operations,
    unchanged,
    edges: { added, removed, changed: changedEdges },
    roots,
  };
}

function label(key: string): string {
  const op = parseOperationKey(key);
  return `${op.service}: ${operationLabel(op)}`;
}
