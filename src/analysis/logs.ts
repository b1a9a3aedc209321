/**
 * @module analysis/logs
 * Log records beside a trace: the level a severity falls in, and a trace's records placed
 * on its spans and its time line (ns from the trace start, as spans are). Pure, for the
 * viewer, the MCP tools and the command line alike.
 */
import type { TraceTree } from './trace.ts';

export type LogLevel = 'unspecified' | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Levels from the least to the most severe. */
export const LOG_LEVELS: readonly LogLevel[] = ['unspecified', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const TEXT_LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
};

/**
 * The level of a SeverityNumber (1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error,
 * 21–24 fatal); without one (0), the level its severity text names, if any.
 */
export function severityLevel(n: number, text = ''): LogLevel {
  if (n >= 1 && n <= 24) return LOG_LEVELS[1 + Math.floor((n - 1) / 4)];
  return TEXT_LEVELS[text.toLowerCase()] ?? 'unspecified';
}

/** What placing a record needs (the log API's records have these and more). */
export interface LogPlace {
  readonly timeUnixNano: string;
  readonly traceId: string;
  readonly spanId: string;
}

/** A record on a trace: its span's index (-1: no span of the trace) and its time in ns from the trace start. */
export interface PlacedLog<L extends LogPlace> {
  readonly log: L;
  readonly span: number;
  readonly t: number;
}

export interface TraceLogs<L extends LogPlace> {
  /** Every record in time order. */
  readonly list: ReadonlyArray<PlacedLog<L>>;
  /** Per span index, its records in time order. */
  readonly bySpan: ReadonlyMap<number, ReadonlyArray<PlacedLog<L>>>;
}

/** A trace's records placed on its spans and time line (records of other traces are left out). */
export function placeLogs<L extends LogPlace>(trace: TraceTree, logs: readonly L[]): TraceLogs<L> {
  const list: Array<PlacedLog<L>> = [];
  for (const log of logs) {
    if (log.traceId !== '' && log.traceId !== trace.traceId) continue;
    let t = 0;
    try {
      t = Number(BigInt(log.timeUnixNano) - trace.startUnixNano);
    } catch {
      t = 0;
    }
    list.push({ log, span: log.spanId === '' ? -1 : (trace.byId.get(log.spanId) ?? -1), t });
  }
  list.sort((a, b) => a.t - b.t);
  const bySpan = new Map<number, Array<PlacedLog<L>>>();
  for (const e of list) {
    if (e.span < 0) continue;
    let l = bySpan.get(e.span);
    if (l === undefined) bySpan.set(e.span, (l = []));
    l.push(e);
  }
  return { list, bySpan };
}
