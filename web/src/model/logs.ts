/**
 * @module model/logs
 * Log records as the viewer holds them (the records of `/api/logs`), their levels (from
 * src/analysis), the Logs page's URL state and the volume histogram's bars.
 */
export { severityLevel, placeLogs, LOG_LEVELS, type LogLevel, type PlacedLog, type TraceLogs } from '../../../src/analysis/index.ts';
import { LOG_LEVELS, type LogLevel } from '../../../src/analysis/index.ts';

export interface LogRecord {
  /** Arrival order: a live tail's cursor. */
  readonly id: number;
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  /** The body as text (a map or an array as JSON). */
  readonly body: string;
  readonly bodyType: string;
  readonly attributes: Record<string, string>;
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
  readonly service: string;
  readonly resource: Record<string, string>;
  readonly scope: { readonly name: string; readonly version: string };
  /** Whether the record's trace is stored (it can be opened). */
  readonly traceStored: boolean;
}

export interface LogPage {
  readonly logs: LogRecord[];
  /** More records matched than were returned. */
  readonly more: boolean;
  /** The highest id returned: the next poll's `after`. */
  readonly lastId?: number;
}

/** Per level, how many records fell in each bucket of `stepNanos` from `startUnixNano`. */
export interface LogVolume {
  readonly startUnixNano: string;
  readonly stepNanos: string;
  readonly buckets: number;
  readonly levels: Partial<Record<LogLevel, number[]>>;
  /** false: attribute filters were counted by their hashed terms only. */
  readonly exact: boolean;
}

/** What the Logs page searches for; kept in its URL. */
export interface LogSearch {
  /** Words that must all be in the body. */
  readonly text: string;
  /** The least severe level shown ('' shows all). */
  readonly level: LogLevel | '';
  readonly service: string;
  /** `key=value`, a record attribute. */
  readonly attr: string;
  readonly traceId: string;
  readonly spanId: string;
}

export const EMPTY_LOG_SEARCH: LogSearch = { text: '', level: '', service: '', attr: '', traceId: '', spanId: '' };

/** The lowest SeverityNumber of each level, as `/api/logs` takes it for minSeverity. */
export const LEVEL_MIN: Record<Exclude<LogLevel, 'unspecified'>, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

export function logSearchFrom(params: URLSearchParams): LogSearch {
  const level = params.get('level') ?? '';
  return {
    text: params.get('q') ?? '',
    level: (LOG_LEVELS as readonly string[]).includes(level) && level !== 'unspecified' ? (level as LogLevel) : '',
    service: params.get('service') ?? '',
    attr: params.get('attr') ?? '',
    traceId: (params.get('trace') ?? '').toLowerCase(),
    spanId: (params.get('span') ?? '').toLowerCase(),
  };
}

/** The Logs page's URL parameters of a search (empty fields left out). */
export function logSearchParams(s: LogSearch): Record<string, string | undefined> {
  return { q: s.text || undefined, level: s.level || undefined, service: s.service || undefined, attr: s.attr || undefined, trace: s.traceId || undefined, span: s.spanId || undefined };
}

/** The Logs page showing the records of a trace, or of one of its spans. */
export function logsHref(traceId: string, spanId = ''): string {
  const p = new URLSearchParams({ trace: traceId, ...(spanId === '' ? {} : { span: spanId }), range: '7d' });
  return `/logs?${p.toString()}`;
}

/** `/api/logs` (and `/api/logs/volume`) parameters of a search. */
export function logQuery(s: LogSearch): Record<string, string | undefined> {
  return {
    q: s.text.trim() || undefined,
    minSeverity: s.level === '' || s.level === 'unspecified' ? undefined : String(LEVEL_MIN[s.level]),
    service: s.service || undefined,
    attr: s.attr.includes('=') ? s.attr : undefined,
    traceId: /^[0-9a-f]{32}$/.test(s.traceId) ? s.traceId : undefined,
    spanId: /^[0-9a-f]{16}$/.test(s.spanId) ? s.spanId : undefined,
  };
}

export interface VolumeBar {
  /** Unix ms of the bucket's start. */
  readonly startMs: number;
  readonly endMs: number;
  /** Per level, most severe last, the count and where its segment starts (the counts below it). */
  readonly segments: ReadonlyArray<{ readonly level: LogLevel; readonly count: number; readonly below: number }>;
  readonly total: number;
}

/** The histogram's stacked bars, least severe at the bottom, and the tallest total. */
export function volumeBars(v: LogVolume): { bars: VolumeBar[]; max: number } {
  const start = Number(BigInt(v.startUnixNano) / 1_000_000n);
  const step = Number(BigInt(v.stepNanos)) / 1e6;
  const bars: VolumeBar[] = [];
  let max = 0;
  for (let i = 0; i < v.buckets; i++) {
    const segments: Array<{ level: LogLevel; count: number; below: number }> = [];
    let total = 0;
    for (const level of LOG_LEVELS) {
      const count = v.levels[level]?.[i] ?? 0;
      if (count === 0) continue;
      segments.push({ level, count, below: total });
      total += count;
    }
    max = Math.max(max, total);
    bars.push({ startMs: start + i * step, endMs: start + (i + 1) * step, segments, total });
  }
  return { bars, max };
}
