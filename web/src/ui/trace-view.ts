/**
 * @module ui/trace-view
 * What the trace page's views (waterfall, flame graph, minimap, detail) share: the
 * model, the derived sets and the callbacks. Pure helpers for bar geometry and colour.
 */
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import type { CriticalPath } from '../model/critical-path.ts';
import type { Hint } from '../model/hints.ts';
import { band, type Band, type History } from '../model/history.ts';
import type { LogRecord, PlacedLog } from '../model/logs.ts';
import type { Row } from '../model/rows.ts';
import type { VSpan, VTrace } from '../model/trace.ts';

export interface TraceView {
  readonly trace: VTrace;
  readonly rows: Row[];
  readonly cp: CriticalPath | null;
  readonly hints: Map<number, Hint[]>;
  /** service+name → usual durations from the stored history; null while unknown. */
  readonly history: History;
  /** Spans found by the find box and the span filters; empty when neither is in use. */
  readonly matches: ReadonlySet<number>;
  readonly selected: number;
  /** Per span index, its log records in time order (empty until read). */
  readonly logs: ReadonlyMap<number, ReadonlyArray<PlacedLog<LogRecord>>>;
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

const BAND_COLOR: Record<Band, string> = { unknown: '#9aa3b5', p50: '#22c55e', p95: '#eab308', slow: '#f97316', 'very-slow': ERROR_COLOR };

/** Bar colour: the service's, or by comparison with the history (≤p50 green … ≥2×p95 red). */
export function barColor(s: VSpan, v: Pick<TraceView, 'colorBy' | 'history'>): string {
  return v.colorBy === 'history' ? BAND_COLOR[band(s, v.history)] : serviceColor(s.service);
}

export const HINT_LABEL: Record<Hint['kind'], string> = {
  'n+1': 'N+1',
  sequential: 'sequential',
  retries: 'retries',
  gap: 'gap',
};
