/**
 * @module model/search-results
 * Search results as the table and the scatter plot show them: one row per trace from
 * Tempo's search JSON (id padded back to 32 digits, root, start, duration, span and error
 * counts per service), sorted by a column.
 */
import { nsToMs } from '../format.ts';

export interface ResultRow {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  /** Unix ms. */
  readonly startMs: number;
  /** ns. */
  readonly dur: number;
  readonly spans: number;
  readonly errors: number;
  /** [service, spans, errors], most spans first. */
  readonly services: ReadonlyArray<readonly [string, number, number]>;
}

/** What the search answers per trace (the fields the viewer reads). */
export interface SearchHit {
  readonly traceID: string;
  readonly rootServiceName: string;
  readonly rootTraceName?: string;
  readonly startTimeUnixNano: string;
  readonly durationMs?: number;
  readonly serviceStats?: Readonly<Record<string, { readonly spanCount: number; readonly errorCount?: number }>>;
}

export function toRow(t: SearchHit): ResultRow {
  const stats = Object.entries(t.serviceStats ?? {});
  return {
    // Tempo's search JSON drops an id's leading zeros.
    id: t.traceID.toLowerCase().padStart(32, '0'),
    service: t.rootServiceName || '<root span not yet received>',
    name: t.rootTraceName ?? '',
    startMs: nsToMs(t.startTimeUnixNano),
    dur: (t.durationMs ?? 0) * 1e6,
    spans: stats.reduce((n, [, s]) => n + s.spanCount, 0),
    errors: stats.reduce((n, [, s]) => n + (s.errorCount ?? 0), 0),
    services: stats.map(([name, s]) => [name, s.spanCount, s.errorCount ?? 0] as const).sort((a, b) => b[1] - a[1]),
  };
}

export type SortKey = 'start' | 'duration' | 'spans' | 'errors' | 'service';
export const SORT_KEYS: readonly SortKey[] = ['start', 'duration', 'spans', 'errors', 'service'];

/** Sorted by the column, newest first among equals. */
export function sortRows(rows: readonly ResultRow[], key: SortKey, dir: 'asc' | 'desc'): ResultRow[] {
  const val = (r: ResultRow): number | string =>
    key === 'start' ? r.startMs : key === 'duration' ? r.dur : key === 'spans' ? r.spans : key === 'errors' ? r.errors : `${r.service}\u0000${r.name}`;
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign || b.startMs - a.startMs;
  });
}
