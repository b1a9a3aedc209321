/**
 * @module loki/query
 * LogQL queries run against the store: the plan (plan.ts) narrows what is read, rows are
 * read a page at a time in the requested order, each becomes a Loki entry (data.ts) and
 * goes through the compiled pipeline (logql). A log query stops at `limit` entries (what
 * Loki does) or at its time budget, which the answer then says in a warning; a metric
 * query reads its whole window or is refused when it cannot within the budget — a count
 * over part of a window is never answered as if it were the whole.
 */
import type { LogFilter, LogRow } from '../store/index.ts';
import {
  compilePipeline, evaluateMetric, type EntrySource, type LogExpr, type MetricExpr, type MetricResult, type PipelineEntry, type Steps,
} from '../logql/index.ts';
import type { LokiData } from './data.ts';
import { needsAttributes, storeFilter } from './plan.ts';
import { countsQuery } from './volume.ts';
import type { Direction, Window } from './params.ts';

/** How long a query may read before it stops (log queries) or is refused (metric queries). */
const QUERY_BUDGET_MS = 10_000;
const FIRST_PAGE = 256;
const MAX_PAGE = 8192;

/** A metric query that could not read its window within the budget. */
export class QueryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryBudgetError';
  }
}

export interface TimedEntry extends PipelineEntry {
  readonly tsNs: bigint;
}

export interface LogResult {
  readonly entries: TimedEntry[];
  /** Set when reading stopped before the window was covered for a reason other than `limit`. */
  readonly warning?: string;
  readonly linesScanned: number;
  readonly bytesScanned: number;
}

/**
 * Rows of `filter` in `direction` order, a page at a time, each page after the last row of
 * the one before (by time, then id); pages grow while they bring fewer rows than asked.
 */
function* pages(data: LokiData, filter: LogFilter, direction: Direction): Generator<LogRow[]> {
  let size = FIRST_PAGE;
  let cursor: { timeNs: bigint; id: number } | undefined;
  for (;;) {
    const past = cursor === undefined ? {} : direction === 'backward' ? { before: cursor } : { after: cursor };
    const rows = data.store.logs.query({ ...filter, ...past, direction, limit: size });
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    const last = rows[rows.length - 1];
    cursor = { timeNs: last.timeNs, id: last.id };
    size = Math.min(size * 2, MAX_PAGE);
  }
}

const yieldToOthers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runLogQuery(
  data: LokiData,
  expr: LogExpr,
  window: Window,
  direction: Direction,
  limit: number,
  signal?: AbortSignal,
): Promise<LogResult> {
  const entries: TimedEntry[] = [];
  let linesScanned = 0;
  let bytesScanned = 0;
  const filter = storeFilter(data, expr, window);
  if (filter === undefined) return { entries, linesScanned, bytesScanned };
  const pipeline = compilePipeline(expr);
  const deadline = Date.now() + QUERY_BUDGET_MS;
  for (const rows of pages(data, filter, direction)) {
    for (const row of rows) {
      linesScanned++;
      bytesScanned += row.body.length;
      const e = data.entry(row, true);
      const out = pipeline(e.line, e.stream, e.metadata);
      if (out === null) continue;
      entries.push({ ...out, tsNs: row.timeNs });
      if (entries.length >= limit) return { entries, linesScanned, bytesScanned };
    }
    if (signal?.aborted) return { entries, linesScanned, bytesScanned, warning: 'the request was cancelled before the window was read' };
    if (Date.now() > deadline) {
      return {
        entries, linesScanned, bytesScanned,
        warning: `tracebox stopped reading after ${QUERY_BUDGET_MS / 1000} s (${linesScanned} lines): the results are partial; narrow the time range or the selector`,
      };
    }
    await yieldToOthers();
  }
  return { entries, linesScanned, bytesScanned };
}

export function runMetricQuery(data: LokiData, expr: MetricExpr, steps: Steps): MetricResult {
  const withAttributes = needsAttributes(expr);
  const deadline = Date.now() + QUERY_BUDGET_MS;
  const source: EntrySource = (log, fromNs, toNs, visit) => {
    // (fromNs, toNs] as the store's [startNs, endNs).
    const filter = storeFilter(data, log, { startNs: fromNs + 1n, endNs: toNs + 1n });
    if (filter === undefined) return;
    const pipeline = compilePipeline(log);
    for (const rows of pages(data, filter, 'forward')) {
      for (const row of rows) {
        const e = data.entry(row, withAttributes);
        const out = pipeline(e.line, e.stream, e.metadata);
        if (out !== null) visit(row.timeNs, out);
      }
      if (Date.now() > deadline) {
        throw new QueryBudgetError(
          `the query could not read its window within ${QUERY_BUDGET_MS / 1000} s; narrow the time range or the selector (a count over part of the window would be wrong)`,
        );
      }
    }
  };
  return countsQuery(data, expr, steps) ?? evaluateMetric(expr, steps, source);
}
