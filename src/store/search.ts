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

/**
 * For structural queries (`{A} >> {B}`): the parent, or some ancestor, of a candidate
 * span must satisfy `condition` (its termGroups are ignored). Parents are followed by
 * span id, through every span that has that id, so the check never rejects a trace the
 * evaluator would accept.
 */
export interface RelatedCondition {
  readonly relation: 'parent' | 'ancestor';
  readonly condition: SpanCondition;
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

/** Candidate rows read per statement execution. */
const PAGE_ROWS = 256;
/** Matching spans a scan may sort in one page (several resources, see candidateTraces). */
const SORTED_PAGE_ROWS = 4096;
/** Ancestor rows a structural check reads before it gives up and lets the trace through. */
const MAX_ANCESTOR_ROWS = 256;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function ftsQuery(groups: readonly (readonly string[])[]): string {
  // Terms are generated hashes from [0-9a-v], never user text, so they need no quoting.
  return groups.map((g) => (g.length === 1 ? g[0] : `(${g.join(' OR ')})`)).join(' AND ');
}

/** The conditions of `cond` on span columns (all but the FTS terms), on table alias `s`. */
function columnConditions(cond: SpanCondition, where: string[], params: unknown[], resourceIndex = false): void {
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
    // Several resources: spans_resource returns them in start order only through a sort of
    // every matching span in the range, so unless that is known to be small (resourceIndex),
    // `+` keeps SQLite off it and on an index already in start order.
    const column = cond.resourceIds.length === 1 || resourceIndex ? 's.resource_id' : '+s.resource_id';
    where.push(`${column} IN (${cond.resourceIds.map(() => '?').join(',')})`);
    params.push(...cond.resourceIds);
  }
}

/** The spans of a trace with a given span id, each with its parent id and whether it satisfies `cond` (terms aside). */
export function relatedSql(cond: SpanCondition): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  columnConditions(cond, where, params);
  const ok = where.length === 0 ? '1' : where.join(' AND ');
  return { sql: `SELECT s.id, s.parent_id, (${ok}) FROM spans s WHERE s.trace_rowid = ? AND s.span_id = ?`, params };
}

/** A query window with the span start times it implies (see SearchReader.candidateTraces). */
export interface CandidateRange {
  /** The window: a trace qualifies when it overlaps [startNs, endNs]. */
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Every span of every trace that overlaps the window starts within these (inclusive). */
  readonly minStartNs: bigint;
  readonly maxStartNs: bigint;
}

/**
 * The SQL (and its parameters) that yields candidate spans for `cond`, newest first, one
 * page at a time: rows of [trace rowid, inside, parent id, key, span id], where `inside`
 * is 1 when the span alone proves that its trace overlaps the window. The last two
 * parameters are the page's key bound and size (see `paging`). Exported for EXPLAIN.
 */
export function candidateSql(
  cond: SpanCondition,
  range?: CandidateRange,
  options: { withParent?: boolean; resourceIndex?: boolean } = {},
): { sql: string; params: unknown[]; paging: 'rowid' | 'start' } {
  const withParent = options.withParent ?? false;
  const where: string[] = [];
  const params: unknown[] = [];
  let inside = '1';
  if (range !== undefined) {
    // A span starting and ending in the window puts its trace in it: no trace lookup needed.
    inside = '(s.start_ns >= ? AND s.start_ns <= ? AND s.start_ns + s.duration_ns >= ?)';
    params.push(range.startNs, range.endNs, range.startNs);
  }
  const parent = withParent ? 's.parent_id' : 'NULL';
  let from = 'spans s';
  let key = 's.id';
  let paging: 'rowid' | 'start' = 'rowid';
  if (cond.termGroups.length > 0) {
    // FTS5 drives the scan in descending rowid order, i.e. newest spans first.
    from = 'span_terms f JOIN spans s ON s.id = f.rowid';
    where.push('f.span_terms MATCH ?');
    params.push(ftsQuery(cond.termGroups));
    key = 'f.rowid';
  } else if (cond.status === 2 || cond.resourceIds !== undefined || range !== undefined) {
    // The partial error index, spans_resource, or spans_start over the time range.
    key = 's.start_ns';
    paging = 'start';
  }
  if (range !== undefined) {
    // Time-range pruning: an index range when the scan goes by start time, a cheap filter under FTS.
    where.push('s.start_ns >= ? AND s.start_ns <= ?');
    params.push(range.minStartNs, range.maxStartNs);
  }
  columnConditions(cond, where, params, options.resourceIndex);
  // Pages continue below the last key (at or below it for start times, which can repeat).
  where.push(paging === 'rowid' ? `${key} < ?` : `${key} <= ?`);
  const sql = `SELECT s.trace_rowid, ${inside}, ${parent}, ${key}, s.id FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${key} DESC LIMIT ?`;
  return { sql, params, paging };
}

export interface SearchReader {
  /** Trace rowids holding a span that satisfies `cond`, roughly newest first, each once. */
  candidateTraces(cond: SpanCondition, window: TraceWindow, related?: RelatedCondition): Iterable<number>;
  /** The span start times a window implies (undefined for no window); what candidateTraces prunes by. */
  candidateRange(window: TraceWindow): CandidateRange | undefined;
  /** All trace rowids overlapping the window, newest first. */
  newestTraces(window: TraceWindow): Iterable<number>;
  trace(rowid: number): TraceRow | undefined;
  /** Traces whose root span has not arrived and whose last span ended before `endedBeforeNs`. */
  rootless(endedBeforeNs: bigint): { count: number; services: string[] };
  /** The rowid of a trace by its 16-byte id. */
  rowidOf(traceId: Uint8Array): number | undefined;
  spans(traceRowid: number): SpanRow[];
  /** The names of a trace's spans, in the order spans() returns them (no protobuf to decode). */
  spanNames(traceRowid: number): string[];
  resources(): ResourceRow[];
  resource(id: number): ResourceRow;
  scope(id: number): ScopeRow;
}

/**
 * `generation` changes whenever rows were deleted (Store.generation); the time-range
 * bound is then recomputed, because span rowids may be reused.
 */
export function createSearchReader(db: Db, generation: () => number = () => 0): SearchReader {
  const traceRow = db
    .prepare(
      `SELECT id AS rowid, trace_id AS traceId, start_ns AS startNs, end_ns AS endNs, span_count AS spanCount,
              error_count AS errorCount, root_service AS rootService, root_name AS rootName
       FROM traces WHERE id = ?`,
    )
    .safeIntegers(true);
  const rootlessCount = db.prepare('SELECT count(*) FROM traces WHERE root_name IS NULL AND end_ns < ?').pluck();
  const rootlessServices = db
    .prepare(
      `SELECT DISTINCT r.service FROM traces t JOIN spans s ON s.trace_rowid = t.id JOIN resources r ON r.id = s.resource_id
       WHERE t.root_name IS NULL AND t.end_ns < ? LIMIT 10`,
    )
    .pluck();
  const rowidOf = db.prepare('SELECT id FROM traces WHERE trace_id = ?').pluck();
  const newest = db
    .prepare(
      `SELECT id, start_ns FROM traces WHERE start_ns <= ? AND start_ns >= ? AND end_ns >= ? AND (start_ns < ? OR (start_ns = ? AND id < ?))
       ORDER BY start_ns DESC, id DESC LIMIT ?`,
    )
    .raw(true)
    .safeIntegers(true);
  const spanRows = db.prepare('SELECT resource_id AS resourceId, scope_id AS scopeId, raw FROM spans WHERE trace_rowid = ? ORDER BY start_ns, id');
  const spanNames = db
    .prepare('SELECT n.name FROM spans s JOIN span_names n ON n.id = s.name_id WHERE s.trace_rowid = ? ORDER BY s.start_ns, s.id')
    .pluck();
  const allResources = db.prepare("SELECT id, coalesce(raw, x'') AS raw, service FROM resources");
  const resourceRow = db.prepare("SELECT id, coalesce(raw, x'') AS raw, service FROM resources WHERE id = ?");
  const scopeRow = db.prepare("SELECT id, coalesce(raw, x'') AS raw FROM scopes WHERE id = ?");
  const statements = new Map<string, Statement<unknown[]>>();

  function bounds(window: TraceWindow): [bigint, bigint] {
    return [window.endNs ?? INT64_MAX, window.startNs ?? INT64_MIN];
  }

  // How far a stored trace reaches: every span of a trace overlapping [S, E] starts within
  // [S - reach, E + reach], where reach = the longest trace (end - start) plus how far any
  // span starts after its own end (malformed spans, duration < 0). Proof: span.start >=
  // trace.start >= trace.end - longest >= S - longest, and span.start <= span.end + late <=
  // trace.end + late <= trace.start + longest + late <= E + reach. A trace's extent changes
  // only when spans are added to it, so the bound is kept up to date from the spans inserted
  // since it was last computed (rowids only grow until something is deleted).
  const longestTrace = db.prepare('SELECT max(end_ns - start_ns) FROM traces').pluck().safeIntegers(true);
  const latestStart = db.prepare('SELECT max(-duration_ns) FROM spans WHERE duration_ns < 0').pluck().safeIntegers(true);
  const lastSpan = db.prepare('SELECT max(id) FROM spans').pluck().safeIntegers(true);
  const reachSince = db
    .prepare(
      `SELECT max(t.end_ns - t.start_ns), max(CASE WHEN s.duration_ns < 0 THEN -s.duration_ns END)
       FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE s.id > ? AND s.id <= ?`,
    )
    .raw(true)
    .safeIntegers(true);
  let reachGeneration = -1;
  let reachSpanId = 0n;
  let longest = 0n;
  let late = 0n;

  /** SQLite turns an overflowing integer result into a float; round it up to a bigint. */
  function big(v: unknown): bigint {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.ceil(v)) : v > 0 ? INT64_MAX : 0n;
    return 0n;
  }

  function maxBig(a: bigint, b: bigint): bigint {
    return a > b ? a : b;
  }

  function reach(): bigint {
    const last = big(lastSpan.get());
    if (reachGeneration !== generation() || last < reachSpanId) {
      reachGeneration = generation();
      longest = maxBig(0n, big(longestTrace.get()));
      late = maxBig(0n, big(latestStart.get()));
    } else if (last > reachSpanId) {
      const [l, n] = reachSince.get(reachSpanId, last) as [unknown, unknown];
      longest = maxBig(longest, big(l));
      late = maxBig(late, big(n));
    }
    reachSpanId = last;
    return longest + late;
  }

  function clamp(v: bigint): bigint {
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
  }

  function candidateRange(window: TraceWindow): CandidateRange | undefined {
    if (window.startNs === undefined && window.endNs === undefined) return undefined;
    const r = reach();
    const startNs = window.startNs ?? INT64_MIN;
    const endNs = window.endNs ?? INT64_MAX;
    return {
      startNs,
      endNs,
      minStartNs: window.startNs === undefined ? INT64_MIN : clamp(startNs - r),
      maxStartNs: window.endNs === undefined ? INT64_MAX : clamp(endNs + r),
    };
  }

  /**
   * Whether a candidate span (by its trace and parent id) has a parent / ancestor that
   * satisfies the related condition: a few index lookups instead of loading the trace.
   */
  function relatedCheck(related: RelatedCondition): (traceRowid: number, parentId: Uint8Array | null) => boolean {
    const { sql, params } = relatedSql(related.condition);
    const stmt = prepared(sql);
    return (traceRowid, parentId) => {
      if (parentId === null) return false;
      let frontier: Uint8Array[] = [parentId];
      const visited = new Set<bigint>();
      while (frontier.length > 0) {
        const next: Uint8Array[] = [];
        for (const id of frontier) {
          for (const [rowid, grandparent, ok] of stmt.all(...params, traceRowid, id) as Array<[bigint, Uint8Array | null, bigint]>) {
            if (ok === 1n) return true;
            if (visited.has(rowid)) continue;
            visited.add(rowid);
            if (grandparent !== null) next.push(grandparent);
          }
        }
        if (related.relation === 'parent') return false;
        // A pathologically deep (or cyclic) chain: stop checking and let the evaluator decide.
        if (visited.size > MAX_ANCESTOR_ROWS) return true;
        frontier = next;
      }
      return false;
    };
  }

  function prepared(sql: string): Statement<unknown[]> {
    let stmt = statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare<unknown[]>(sql).raw(true).safeIntegers(true);
      if (statements.size > 200) statements.clear();
      statements.set(sql, stmt);
    }
    return stmt;
  }

  return {
    *candidateTraces(cond, window, related) {
      const range = candidateRange(window);
      // Several resources and nothing better to drive the scan: when few spans match, sort them
      // once (one page holds them all); when many do, a scan in start order soon finds some.
      let resourceIndex = false;
      let pageRows = PAGE_ROWS;
      if (cond.resourceIds !== undefined && cond.resourceIds.length > 1 && cond.status !== 2 && cond.termGroups.length === 0) {
        const count = candidateSql(cond, range, { resourceIndex: true });
        const estimate = prepared(`SELECT count(*) FROM (${count.sql})`);
        const [[n]] = estimate.all(...count.params, INT64_MAX, SORTED_PAGE_ROWS) as Array<[bigint]>;
        if (n < BigInt(SORTED_PAGE_ROWS)) {
          resourceIndex = true;
          pageRows = SORTED_PAGE_ROWS;
        }
      }
      const { sql, params, paging } = candidateSql(cond, range, { withParent: related !== undefined, resourceIndex });
      const stmt = prepared(sql);
      const seen = new Set<number>();
      const [end, start] = bounds(window);
      const check = related === undefined ? undefined : relatedCheck(related);
      // Read in pages, each to the end, so no statement stays open while the caller works
      // between values (a search yielding to ingest), and only as far as the caller reads.
      let bound = INT64_MAX;
      let size = pageRows;
      let atBound = new Set<bigint>(); // span ids already read whose start time equals `bound`
      for (;;) {
        const rows = stmt.all(...params, bound, size) as Array<[bigint, bigint, Uint8Array | null, bigint, bigint]>;
        const last = rows.length > 0 ? rows[rows.length - 1][3] : bound;
        const atLast = new Set<bigint>();
        let fresh = 0;
        for (const [traceRowid, inside, parentId, key, spanId] of rows) {
          if (paging === 'start') {
            if (key === bound && atBound.has(spanId)) continue;
            if (key === last) atLast.add(spanId);
          }
          fresh++;
          const rowid = Number(traceRowid);
          if (seen.has(rowid)) continue;
          // Another candidate span of the same trace may still pass, so a failed check does not mark it seen.
          if (check !== undefined && !check(rowid, parentId)) continue;
          seen.add(rowid);
          if (range !== undefined && inside !== 1n) {
            const t = traceRow.get(rowid) as TraceRow | undefined;
            if (t === undefined || t.startNs > end || t.endNs < start) continue;
          }
          yield rowid;
        }
        if (rows.length < size) return;
        if (last === bound) for (const id of atLast) atBound.add(id);
        else atBound = atLast;
        bound = last;
        // A page of nothing new: more spans share one start time than a page holds.
        size = fresh === 0 ? size * 2 : pageRows;
      }
    },
    candidateRange,
    newestTraces(window) {
      const [end, start] = bounds(window);
      // A trace that ends after `start` began at most `longest` before it.
      const from = window.startNs === undefined ? INT64_MIN : clamp(start - reach());
      return (function* () {
        // In pages, as candidateTraces does: no statement stays open between values.
        let lastStart = INT64_MAX;
        let lastId = INT64_MAX;
        for (;;) {
          const rows = newest.all(end, from, start, lastStart, lastStart, lastId, PAGE_ROWS) as Array<[bigint, bigint]>;
          for (const [id] of rows) yield Number(id);
          if (rows.length < PAGE_ROWS) return;
          [lastId, lastStart] = rows[rows.length - 1];
        }
      })();
    },
    trace(rowid) {
      const t = traceRow.get(rowid) as (Omit<TraceRow, 'rowid' | 'spanCount' | 'errorCount'> & { rowid: bigint; spanCount: bigint; errorCount: bigint }) | undefined;
      if (t === undefined) return undefined;
      return { ...t, rowid: Number(t.rowid), spanCount: Number(t.spanCount), errorCount: Number(t.errorCount) };
    },
    rootless(endedBeforeNs) {
      return {
        count: rootlessCount.get(endedBeforeNs) as number,
        services: rootlessServices.all(endedBeforeNs) as string[],
      };
    },
    rowidOf(traceId) {
      return rowidOf.get(traceId) as number | undefined;
    },
    spans(traceRowid) {
      return spanRows.all(traceRowid) as SpanRow[];
    },
    spanNames(traceRowid) {
      return spanNames.all(traceRowid) as string[];
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
