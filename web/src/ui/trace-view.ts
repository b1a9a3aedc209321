/**
 * @module ui/trace-view
 * What the trace page's views (waterfall, flame graph, minimap, detail) share: the
 * model, the derived sets and the callbacks. Pure helpers for bar geometry and colour.
 */
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import type { CriticalPath } from '../model/critical-path.ts';
import type { Hint } from '../model/hints.ts';
import type { Row } from '../model/rows.ts';
import { opKey, type VSpan, type VTrace } from '../model/trace.ts';

export interface Usual {
  /** ns. */
  readonly p50: number;
  readonly p95: number;
}

export interface TraceView {
  readonly trace: VTrace;
  readonly rows: Row[];
  readonly cp: CriticalPath | null;
  readonly hints: Map<number, Hint[]>;
  /** service+name → usual durations from the stored history; null while unknown. */
  readonly history: Map<string, Usual> | null;
  readonly matches: ReadonlySet<number>;
  readonly selected: number;
  readonly collapsed: ReadonlySet<number>;
  /** The visible time slice, ns from the trace start. */
  readonly zoom: readonly [number, number];
  readonly colorBy: 'service' | 'history';
  readonly onSelect: (idx: number) => void;
  readonly onToggle: (idx: number) => void;
  readonly onReveal: (parent: number) => void;
  readonly onZoom: (z: readonly [number, number] | null) => void;
}

/** Left and width of a span's bar as fractions of the zoom window (may fall outside [0,1]). */
export function barGeometry(start: number, end: number, zoom: readonly [number, number]): [number, number] {
  const span = zoom[1] - zoom[0] || 1;
  return [(start - zoom[0]) / span, (end - start) / span];
}

/** How much slower than its usual p95 (≥ 1.5 and 1 ms over it), else undefined. */
export function slowness(s: VSpan, history: Map<string, Usual> | null): number | undefined {
  const u = history?.get(opKey(s));
  if (u === undefined || u.p95 <= 0) return undefined;
  const r = s.dur / u.p95;
  return r >= 1.5 && s.dur - u.p95 > 1e6 ? r : undefined;
}

/** Bar colour: the service's, or by comparison with the history (≤p50 green … ≥2×p95 red). */
export function barColor(s: VSpan, v: Pick<TraceView, 'colorBy' | 'history'>): string {
  if (v.colorBy === 'history') {
    const u = v.history?.get(opKey(s));
    if (u === undefined) return '#9aa3b5';
    if (s.dur <= u.p50) return '#22c55e';
    if (s.dur <= u.p95) return '#eab308';
    if (s.dur <= 2 * u.p95) return '#f97316';
    return ERROR_COLOR;
  }
  return serviceColor(s.service);
}

export const HINT_LABEL: Record<Hint['kind'], string> = {
  'n+1': 'N+1',
  sequential: 'sequential',
  retries: 'retries',
  gap: 'gap',
};
