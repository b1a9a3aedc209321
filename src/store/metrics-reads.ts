/**
 * The reads that derive metrics from stored spans (src/metrics): spans by start time or
 * by rowid with only the columns span metrics and the service graph need, trace extents,
 * resource and span-name rows, the first and last start times. Statements are prepared
 * once per reader; rows come back as arrays (no per-row objects on these scans).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';

export interface MetricsReadOptions {
  /** Width of a time slot in ns: `spansAdded` and `traceSlots` answer in slot numbers. */
  readonly slotNs: bigint;
  /**
   * Whether every span's raw bytes are read (to look up dimension attributes); otherwise
   * span metrics read only their length, the service graph only CLIENT/PRODUCER bytes.
   */
  readonly everySpanRaw: boolean;
}

/** A span starting in the range: start relative to the base, duration, resource and name ids, kind, status, raw bytes or their length. */
export type SpanMetricRow = [rel: number, duration: number, resourceId: number, nameId: number, kind: number, status: number, sizeOrRaw: number | Uint8Array];

/** A span added after a rowid: its trace, the slot of its start, then as SpanMetricRow from duration on. */
export type AddedSpanRow = [traceRowid: number, slot: number, duration: number, resourceId: number, nameId: number, kind: number, status: number, sizeOrRaw: number | Uint8Array];

/** A CLIENT/SERVER/PRODUCER/CONSUMER span of a trace that has one in the range, by trace. */
export type GraphSpanRow = [
  traceRowid: number,
  id: number,
  spanId: string,
  parentId: string,
  kind: number,
  status: number,
  rel: number,
  duration: number,
  resourceId: number,
  raw: Uint8Array | null,
];

export interface MetricsReads {
  /** Spans with start in [startNs, endNs), start relative to `base`. */
  spansStarting(base: bigint, startNs: bigint, endNs: bigint): IterableIterator<SpanMetricRow>;
  /** The CLIENT/SERVER/PRODUCER/CONSUMER spans of every trace with one starting in [startNs, endNs), ordered by trace. */
  graphSpans(base: bigint, startNs: bigint, endNs: bigint): IterableIterator<GraphSpanRow>;
  /** Spans with rowids in (afterId, uptoId]. */
  spansAdded(afterId: number, uptoId: number): IterableIterator<AddedSpanRow>;
  /** Whether a span with rowid ≤ `id` starts in [startNs, endNs). */
  hasSpanUpTo(startNs: bigint, endNs: bigint, id: number): boolean;
  /** The slots a trace's spans start in, [first, last], by its stored extent. */
  traceSlots(traceRowid: number): [number, number] | undefined;
  /** The highest span rowid of a trace (all kinds); 0 when none. */
  traceMaxSpanId(traceRowid: number): number;
  /** The highest span rowid; 0 when the store is empty. */
  maxSpanId(): number;
  /** A resource row: its raw bytes (null when absent) and service name. */
  resource(id: number): { raw: Uint8Array | null; service: string } | undefined;
  /** A span name by id; '' when unknown. */
  spanName(id: number): string;
  /** The earliest span start; undefined when the store is empty. */
  firstStart(): bigint | undefined;
  /** The latest span start; undefined when the store is empty. */
  lastStart(): bigint | undefined;
  /** The first span start at or after `fromNs`. */
  nextStart(fromNs: bigint): bigint | undefined;
}

export function createMetricsReads(db: Db, options: MetricsReadOptions): MetricsReads {
  const { slotNs, everySpanRaw } = options;
  const starting = db
    .prepare(
      `SELECT start_ns - ?, duration_ns, resource_id, name_id, kind, status, ${everySpanRaw ? 'raw' : 'length(raw)'}
       FROM spans WHERE start_ns >= ? AND start_ns < ?`,
    )
    .raw(true);
  const graph = db
    .prepare(
      `SELECT s.trace_rowid, s.id, hex(s.span_id), hex(s.parent_id), s.kind, s.status, s.start_ns - ?, s.duration_ns, s.resource_id,
              ${everySpanRaw ? 's.raw' : 'CASE WHEN s.kind IN (3, 4) THEN s.raw END'}
       FROM spans s
       WHERE s.trace_rowid IN (SELECT trace_rowid FROM spans WHERE start_ns >= ? AND start_ns < ? AND kind >= 2)
         AND s.kind >= 2
       ORDER BY s.trace_rowid`,
    )
    .raw(true);
  const added = db
    .prepare(
      `SELECT trace_rowid, start_ns / ${slotNs}, duration_ns, resource_id, name_id, kind, status, ${everySpanRaw ? 'raw' : 'length(raw)'}
       FROM spans WHERE id > ? AND id <= ?`,
    )
    .raw(true);
  // spans_start holds the rowid: answered from the index alone.
  const olderInRange = db.prepare('SELECT 1 FROM spans WHERE start_ns >= ? AND start_ns < ? AND id <= ? LIMIT 1').pluck();
  const traceExtent = db.prepare(`SELECT start_ns / ${slotNs}, end_ns / ${slotNs} FROM traces WHERE id = ?`).raw(true);
  const traceMaxId = db.prepare('SELECT max(id) FROM spans WHERE trace_rowid = ?').pluck();
  const maxId = db.prepare('SELECT max(id) FROM spans').pluck();
  const resource = db.prepare('SELECT raw, service FROM resources WHERE id = ?').raw(true);
  const name = db.prepare('SELECT name FROM span_names WHERE id = ?').pluck();
  const minStart = db.prepare('SELECT min(start_ns) FROM spans').pluck().safeIntegers(true);
  const maxStart = db.prepare('SELECT max(start_ns) FROM spans').pluck().safeIntegers(true);
  const nextStart = db.prepare('SELECT min(start_ns) FROM spans WHERE start_ns >= ?').pluck().safeIntegers(true);
  const rows = <T>(stmt: Statement<unknown[]>, ...args: unknown[]): IterableIterator<T> => stmt.iterate(...args) as IterableIterator<T>;
  return {
    spansStarting: (base, startNs, endNs) => rows<SpanMetricRow>(starting, base, startNs, endNs),
    graphSpans: (base, startNs, endNs) => rows<GraphSpanRow>(graph, base, startNs, endNs),
    spansAdded: (afterId, uptoId) => rows<AddedSpanRow>(added, afterId, uptoId),
    hasSpanUpTo: (startNs, endNs, id) => olderInRange.get(startNs, endNs, id) !== undefined,
    traceSlots: (traceRowid) => traceExtent.get(traceRowid) as [number, number] | undefined,
    traceMaxSpanId: (traceRowid) => (traceMaxId.get(traceRowid) as number | null) ?? 0,
    maxSpanId: () => (maxId.get() as number | null) ?? 0,
    resource: (id) => {
      const row = resource.get(id) as [Uint8Array | null, string] | undefined;
      return row === undefined ? undefined : { raw: row[0], service: row[1] };
    },
    spanName: (id) => (name.get(id) as string | undefined) ?? '',
    firstStart: () => (minStart.get() as bigint | null) ?? undefined,
    lastStart: () => (maxStart.get() as bigint | null) ?? undefined,
    nextStart: (fromNs) => (nextStart.get(fromNs) as bigint | null) ?? undefined,
  };
}
