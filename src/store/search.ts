/**
 * Read paths for search: candidate traces for a pushed-down span condition, newest
 * first, and everything needed to evaluate a trace (its spans, decoded lazily by the
 * caller). This is the only module that assembles SQL text at run time, and only from
 * fixed fragments; every value is a bound parameter.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';

/** A conjunction of conditions on one span, each a superset of what the query means. */
export interface SpanCondition {
  /** FTS terms: each inner list is an OR group; all groups must hold. */
  readonly termGroups: readonly (readonly string[])[];
  readonly status?: number;
  readonly kind?: number;
  /** Inclusive bounds on duration_ns. */
  readonly minDurationNs?: bigint;
  readonly maxDurationNs?: bigint;
  /** The span's resource must be one of these. */
  readonly resourceIds?: readonly number[];
}

export interface TraceWindow {
  /** Unix ns; a trace qualifies when it overlaps [startNs, endNs]. */
  readonly startNs?: bigint;
  readonly endNs?: bigint;
}

export interface TraceRow {
  readonly rowid: number;
  readonly traceId: Uint8Array;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly spanCount: number;
  readonly errorCount: number;
  readonly rootService: string | null;
  readonly rootName: string | null;
}

export interface SpanRow {
  readonly resourceId: number;
  readonly scopeId: number;
  readonly raw: Uint8Array;
}

export interface ResourceRow {
  readonly id: number;
  readonly raw: Uint8Array;
  readonly service: string;
}

export interface ScopeRow {
  readonly id: number;
  readonly raw: Uint8Array;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function ftsQuery(groups: readonly (readonly string[])[]): string {
  // Terms are generated hashes from [0-9a-v], never user text, so they need no quoting.
  return groups.map((g) => (g.length === 1 ? g[0] : `(${g.join(' OR ')})`)).join(' AND ');
}

/** The SQL (and its parameters) that yields candidate trace rowids for `cond`; exported for EXPLAIN. */
export function candidateSql(cond: SpanCondition): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  let from = 'spans s';
  let order = 's.id DESC';
  if (cond.termGroups.length > 0) {
    // FTS5 drives the scan in descending rowid order, i.e. newest spans first.
    from = 'span_terms f JOIN spans s ON s.id = f.rowid';
    where.push('f.span_terms MATCH ?');
    params.push(ftsQuery(cond.termGroups));
    order = 'f.rowid DESC';
  } else if (cond.status === 2) {
    order = 's.start_ns DESC'; // the partial error index
  } else if (cond.resourceIds !== undefined) {
    order = 's.start_ns DESC';
  }
  if (cond.status !== undefined) {
    where.push('s.status = ?');
    params.push(cond.status);
  }
  if (cond.kind !== undefined) {
    where.push('s.kind = ?');
    params.push(cond.kind);
  }
  if (cond.minDurationNs !== undefined) {
    where.push('s.duration_ns >= ?');
    params.push(cond.minDurationNs);
  }
  if (cond.maxDurationNs !== undefined) {
    where.push('s.duration_ns <= ?');
    params.push(cond.maxDurationNs);
  }
  if (cond.resourceIds !== undefined) {
    where.push(`s.resource_id IN (${cond.resourceIds.map(() => '?').join(',')})`);
    params.push(...cond.resourceIds);
  }
  const sql = `SELECT s.trace_rowid FROM ${from}${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ${order}`;
  return { sql, params };
}

export interface SearchReader {
  /** Trace rowids holding a span that satisfies `cond`, roughly newest first, each once. */
  candidateTraces(cond: SpanCondition, window: TraceWindow): Iterable<number>;
  /** All trace rowids overlapping the window, newest first. */
  newestTraces(window: TraceWindow): Iterable<number>;
  trace(rowid: number): TraceRow | undefined;
  /** The rowid of a trace by its 16-byte id. */
  rowidOf(traceId: Uint8Array): number | undefined;
  spans(traceRowid: number): SpanRow[];
  resources(): ResourceRow[];
  resource(id: number): ResourceRow;
  scope(id: number): ScopeRow;
}

export function createSearchReader(db: Db): SearchReader {
  const traceRow = db
    .prepare(
      `SELECT id AS rowid, trace_id AS traceId, start_ns AS startNs, end_ns AS endNs, span_count AS spanCount,
              error_count AS errorCount, root_service AS rootService, root_name AS rootName
       FROM traces WHERE id = ?`,
    )
    .safeIntegers(true);
  const rowidOf = db.prepare('SELECT id FROM traces WHERE trace_id = ?').pluck();
  const newest = db
    .prepare('SELECT id FROM traces WHERE start_ns <= ? AND end_ns >= ? ORDER BY start_ns DESC')
    .pluck();
  const spanRows = db.prepare('SELECT resource_id AS resourceId, scope_id AS scopeId, raw FROM spans WHERE trace_rowid = ? ORDER BY start_ns, id');
  const allResources = db.prepare("SELECT id, coalesce(raw, x'') AS raw, service FROM resources");
  const resourceRow = db.prepare("SELECT id, coalesce(raw, x'') AS raw, service FROM resources WHERE id = ?");
  const scopeRow = db.prepare("SELECT id, coalesce(raw, x'') AS raw FROM scopes WHERE id = ?");
  const statements = new Map<string, Statement<unknown[]>>();

  function bounds(window: TraceWindow): [bigint, bigint] {
    return [window.endNs ?? INT64_MAX, window.startNs ?? INT64_MIN];
  }

  function prepared(sql: string): Statement<unknown[]> {
    let stmt = statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare<unknown[]>(sql).pluck();
      if (statements.size > 200) statements.clear();
      statements.set(sql, stmt);
    }
    return stmt;
  }

  return {
    *candidateTraces(cond, window) {
      const { sql, params } = candidateSql(cond);
      const seen = new Set<number>();
      const [end, start] = bounds(window);
      const check = window.startNs !== undefined || window.endNs !== undefined;
      for (const rowid of prepared(sql).iterate(...params) as Iterable<number>) {
        if (seen.has(rowid)) continue;
        seen.add(rowid);
        if (check) {
          const t = traceRow.get(rowid) as TraceRow | undefined;
          if (t === undefined || t.startNs > end || t.endNs < start) continue;
        }
        yield rowid;
      }
    },
    newestTraces(window) {
      const [end, start] = bounds(window);
      return newest.iterate(end, start) as Iterable<number>;
    },
    trace(rowid) {
      const t = traceRow.get(rowid) as (Omit<TraceRow, 'rowid' | 'spanCount' | 'errorCount'> & { rowid: bigint; spanCount: bigint; errorCount: bigint }) | undefined;
      if (t === undefined) return undefined;
      return { ...t, rowid: Number(t.rowid), spanCount: Number(t.spanCount), errorCount: Number(t.errorCount) };
    },
    rowidOf(traceId) {
      return rowidOf.get(traceId) as number | undefined;
    },
    spans(traceRowid) {
      return spanRows.all(traceRowid) as SpanRow[];
    },
    resources() {
      return allResources.all() as ResourceRow[];
    },
    resource(id) {
      return resourceRow.get(id) as ResourceRow;
    },
    scope(id) {
      return scopeRow.get(id) as ScopeRow;
    },
  };
}
