/**
 * @module model/stats
 * Trace statistics, as Jaeger's "Trace Statistics" table shows them: per operation
 * (service and span name) or per service, how many spans and how many failed, their
 * summed, average, shortest and longest duration, and their self time (duration minus
 * what the span's children cover) in all, on average and as a share of the trace.
 */
import { selfTime, type VTrace } from './trace.ts';

export type StatsGroup = 'operation' | 'service';

export interface StatsRow {
  /** `service` or `service\0name`. */
  readonly key: string;
  readonly service: string;
  /** The span name; '' when grouped by service. */
  readonly name: string;
  readonly count: number;
  readonly errors: number;
  /** Durations and self times in ns. */
  readonly total: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly self: number;
  readonly selfAvg: number;
  /** Self time over the trace's duration, 0..1 for a trace without parallel work. */
  readonly selfShare: number;
}

export type StatsColumn = 'name' | 'count' | 'errors' | 'total' | 'avg' | 'min' | 'max' | 'self' | 'selfAvg';

/** One row per group, the most self time first. */
export function traceStats(trace: VTrace, by: StatsGroup): StatsRow[] {
  type Acc = { service: string; name: string; count: number; errors: number; total: number; min: number; max: number; self: number };
  const groups = new Map<string, Acc>();
  for (const s of trace.spans) {
    const name = by === 'service' ? '' : s.name;
    const key = by === 'service' ? s.service : `${s.service}\u0000${s.name}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { service: s.service, name, count: 0, errors: 0, total: 0, min: Infinity, max: 0, self: 0 }));
    g.count++;
    if (s.status === 'error') g.errors++;
    g.total += s.dur;
    g.min = Math.min(g.min, s.dur);
    g.max = Math.max(g.max, s.dur);
    g.self += selfTime(trace, s.idx);
  }
  const dur = trace.dur || 1;
  const rows = [...groups].map(([key, g]): StatsRow => ({
    key,
    service: g.service,
    name: g.name,
    count: g.count,
    errors: g.errors,
    total: g.total,
    avg: g.total / g.count,
    min: g.min,
    max: g.max,
    self: g.self,
    selfAvg: g.self / g.count,
    selfShare: g.self / dur,
  }));
  return sortStats(rows, 'self', 'desc');
}

export function sortStats(rows: readonly StatsRow[], column: StatsColumn, dir: 'asc' | 'desc'): StatsRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  const text = (r: StatsRow): string => `${r.service}\u0000${r.name}`;
  return [...rows].sort((a, b) => {
    const c = column === 'name' ? (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0) : a[column] - b[column];
    return c * sign || (text(a) < text(b) ? -1 : 1);
  });
}
