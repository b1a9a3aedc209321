/**
 * Reading log records: the one read surface the log API, the Loki API and the viewer
 * build on. A query names a time window, resources, a severity range, a trace or span,
 * and terms that must be in `log_terms` (attribute hashes from keyTerm/valueTerm with
 * scope 's', body words); it answers whole rows, newest or oldest first, exactly
 * (ordered by the record's time, then arrival).
 *
 * How a query with terms runs: the terms' matches are counted in the FTS index up to
 * FTS_FIRST_CAP; when there are no more (a trace id, a rare word), those rows are read
 * through the index and the first `limit` kept in order. When there are more (a common
 * word), the rows of the window are walked in time order a chunk at a time instead, each
 * chunk checked against the index over its rowid range, so a common word stops at the
 * first `limit` hits and a rare one never walks the window.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';

export interface LogFilter {
  /** The record's time in [startNs, endNs); either end may be left open. */
  readonly startNs?: bigint;
  readonly endNs?: bigint;
  /** The record's resource is one of these (from a service or resource-attribute matchers); empty: no record matches. */
  readonly resourceIds?: readonly number[];
  /** SeverityNumber range, inclusive (0 is unspecified). */
  readonly minSeverity?: number;
  readonly maxSeverity?: number;
  /** 16 bytes. */
  readonly traceId?: Uint8Array;
  /** 8 bytes. */
  readonly spanId?: Uint8Array;
  /**
   * Tokens every record must have in `log_terms`: attribute terms (keyTerm / valueTerm
   * with scope 's', confirm against the record when exactness matters: they are
   * hashes), or body words, lower-case, letters and digits only (FTS5's unicode61 words).
   */
  readonly terms?: readonly string[];
  /** Only records stored after this rowid (a live tail's cursor). */
  readonly afterId?: number;
  /** The record's severity text is one of these, exactly. */
  readonly severityTexts?: readonly string[];
  /**
   * A severity level: SeverityNumber in [minSeverity, maxSeverity], or, for a record whose
   * number is outside 1–24, a severity text that is one of `texts` once trimmed and lower-cased.
   */
  readonly level?: { readonly minSeverity: number; readonly maxSeverity: number; readonly texts: readonly string[] };
  /** Only records ordered before (after) this one by (time, id): a cursor for reading in pages. */
  readonly before?: { readonly timeNs: bigint; readonly id: number };
  readonly after?: { readonly timeNs: bigint; readonly id: number };
  /** Texts the body must contain, exactly (case-sensitive, anywhere: LogQL's `|=`). */
  readonly bodyContains?: readonly string[];
  /** Texts the body must not contain (LogQL's `!=`). */
  readonly bodyExcludes?: readonly string[];
}

export interface LogQuery extends LogFilter {
  /** backward: newest first (Loki's default); forward: oldest first. */
  readonly direction: 'backward' | 'forward';
  readonly limit: number;
}

export interface LogRow {
  /** Arrival order; the cursor for afterId. */
  readonly id: number;
  /** time_unix_nano, or the observed time when that was 0 (the arrival time when both were). */
  readonly timeNs: bigint;
  readonly observedNs: bigint;
  readonly severity: number;
  readonly severityText: string;
  readonly traceId: Uint8Array | null;
  readonly spanId: Uint8Array | null;
  readonly flags: number;
  readonly eventName: string | null;
  readonly resourceId: number;
  readonly scopeId: number;
  /** The body as text (otlp/log-model.ts). */
  readonly body: string;
  /** The OTLP LogRecord message as received. */
  readonly raw: Uint8Array;
}

/** Per time bucket, resource, severity and severity text: how many records, and their bodies' UTF-8 bytes. */
export interface LogVolume {
  /** k for the bucket [startNs + k * stepNs, startNs + (k + 1) * stepNs). */
  readonly bucket: number;
  readonly resourceId: number;
  readonly severity: number;
  readonly severityText: string;
  readonly entries: number;
  readonly bytes: number;
}

/** Per time bucket and severity, how many records. */
export interface LogCount {
  /** Start of the bucket: startNs + k * stepNs. */
  readonly bucketNs: bigint;
  readonly severity: number;
  readonly count: number;
}

export interface LogReader {
  /** The matching records, at most `limit`, in `direction` order. */
  query(q: LogQuery): LogRow[];
  /** Counts of matching records per bucket of `stepNs` from `startNs` (which the filter must give) and severity. */
  counts(filter: LogFilter & { readonly startNs: bigint }, stepNs: bigint): LogCount[];
  /**
   * Counts (and, with `withBytes`, body bytes; else 0) of matching records per bucket of `stepNs`
   * from `startNs` (which the filter must give), resource, severity and severity text. With
   * `texts: 'unnumbered'`, the text is kept only for records whose severity number is outside
   * 1–24 ('' for the others), so that records are counted from the index alone where it can.
   */
  volume(filter: LogFilter & { readonly startNs: bigint }, stepNs: bigint, options?: { readonly withBytes?: boolean; readonly texts?: 'all' | 'unnumbered' }): LogVolume[];
  /** How many records match (terms are confirmed by the FTS index only). */
  count(filter: LogFilter): number;
  /** Resource rowids holding records in [startNs, endNs) (each probed through the resource index). */
  resourceIds(startNs?: bigint, endNs?: bigint): number[];
  /** The highest log rowid (0: none); a live tail starts after it. */
  maxId(): number;
  byId(id: number): LogRow | undefined;
}

/** The words FTS5's unicode61 tokenizer makes of a text (letters and digits), for `terms`. */
export function bodyWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Term matches read before a query switches to walking the window in time order. */
export const FTS_FIRST_CAP = 2000;
/** Rows in the first chunk of such a walk; each chunk that finds too little doubles it, up to WALK_CHUNK_MAX. */
const WALK_CHUNK = 1024;
const WALK_CHUNK_MAX = 32_768;
/** Resources a query reads one by one (each newest first through its index) and merges; more are read together. */
const MERGE_RESOURCES = 64;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

const COLUMNS = `id, time_ns AS timeNs, observed_ns AS observedNs, severity, severity_text AS severityText, trace_id AS traceId,
  span_id AS spanId, flags, event_name AS eventName, resource_id AS resourceId, scope_id AS scopeId, body, raw`;

/** An FTS5 query: every token as a quoted string (quotes doubled), all required. */
export function ftsQuery(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

interface Where {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * The filter's conditions on `logs` columns (terms excluded). `timeOrder`: several
 * resources are tested row by row (`+resource_id`), so that the walk reads the time
 * index in order rather than sorting each resource's rows.
 */
function whereOf(f: LogFilter, timeOrder = false): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (f.startNs !== undefined && f.startNs > INT64_MIN) {
    parts.push('time_ns >= ?');
    params.push(f.startNs);
  }
  if (f.endNs !== undefined && f.endNs <= INT64_MAX) {
    parts.push('time_ns < ?');
    params.push(f.endNs);
  }
  if (f.resourceIds !== undefined) {
    if (f.resourceIds.length === 0) parts.push('0');
    else if (f.resourceIds.length === 1) {
      parts.push('resource_id = ?');
      params.push(f.resourceIds[0]);
    } else parts.push(`${timeOrder ? '+' : ''}resource_id IN (${f.resourceIds.map((id) => Number(id) | 0).join(',')})`);
  }
  if (f.minSeverity !== undefined && f.minSeverity > 0) {
    parts.push('severity >= ?');
    params.push(f.minSeverity);
  }
  if (f.maxSeverity !== undefined) {
    parts.push('severity <= ?');
    params.push(f.maxSeverity);
  }
  if (f.traceId !== undefined) {
    parts.push('trace_id = ?');
    params.push(f.traceId);
  }
  if (f.spanId !== undefined) {
    parts.push('span_id = ?');
    params.push(f.spanId);
  }
  if (f.afterId !== undefined) {
    parts.push('id > ?');
    params.push(f.afterId);
  }
  if (f.severityTexts !== undefined) {
    parts.push(f.severityTexts.length === 0 ? '0' : `severity_text IN (${f.severityTexts.map(() => '?').join(',')})`);
    params.push(...f.severityTexts);
  }
  if (f.level !== undefined) {
    const texts = f.level.texts.length === 0 ? '0' : `lower(trim(severity_text)) IN (${f.level.texts.map(() => '?').join(',')})`;
    parts.push(`(severity BETWEEN ? AND ? OR ((severity < 1 OR severity > 24) AND ${texts}))`);
    params.push(f.level.minSeverity, f.level.maxSeverity, ...f.level.texts);
  }
  // A plain bound on time_ns keeps the time index usable; the NOT excludes the rows at that time already read.
  if (f.before !== undefined) {
    parts.push('time_ns <= ? AND NOT (time_ns = ? AND id >= ?)');
    params.push(f.before.timeNs, f.before.timeNs, f.before.id);
  }
  if (f.after !== undefined) {
    parts.push('time_ns >= ? AND NOT (time_ns = ? AND id <= ?)');
    params.push(f.after.timeNs, f.after.timeNs, f.after.id);
  }
  for (const text of f.bodyContains ?? []) {
    parts.push('instr(body, ?) > 0');
    params.push(text);
  }
  for (const text of f.bodyExcludes ?? []) {
    parts.push('instr(body, ?) = 0');
    params.push(text);
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params };
}

/** Trace and span ids: hex words in the record's terms, so the FTS index finds them. */
function idTerms(f: LogFilter): string[] {
  const out = f.terms === undefined ? [] : [...f.terms];
  if (f.traceId !== undefined) out.push(Buffer.from(f.traceId).toString('hex'));
  if (f.spanId !== undefined) out.push(Buffer.from(f.spanId).toString('hex'));
  return out;
}

export interface LogReaderOptions {
  /** Term matches read before a query walks the window instead (default FTS_FIRST_CAP; tests set it low). */
  readonly ftsFirstCap?: number;
}

export function createLogReader(db: Db, options: LogReaderOptions = {}): LogReader {
  const ftsFirstCap = options.ftsFirstCap ?? FTS_FIRST_CAP;
  // Statements are cached by their text: a query's shape (which filters it has) repeats.
  const cache = new Map<string, Statement<unknown[]>>();
  /** Rows as objects, as arrays (raw) or first columns (pluck); integers as bigints. */
  function prepared(sql: string, mode: 'objects' | 'raw' | 'pluck' = 'objects'): Statement<unknown[]> {
    const key = mode + sql;
    let s = cache.get(key);
    if (s === undefined) {
      s = db.prepare(sql).safeIntegers(true);
      if (mode === 'raw') s.raw(true);
      else if (mode === 'pluck') s.pluck(true);
      if (cache.size > 200) cache.clear();
      cache.set(key, s);
    }
    return s;
  }

  function rows(sql: string, params: unknown[]): LogRow[] {
    return (prepared(sql).all(...params) as Record<string, unknown>[]).map(toRow);
  }

  function toRow(r: Record<string, unknown>): LogRow {
    return {
      id: Number(r.id),
      timeNs: r.timeNs as bigint,
      observedNs: r.observedNs as bigint,
      severity: Number(r.severity),
      severityText: r.severityText as string,
      traceId: r.traceId as Uint8Array | null,
      spanId: r.spanId as Uint8Array | null,
      flags: Number(r.flags),
      eventName: r.eventName as string | null,
      resourceId: Number(r.resourceId),
      scopeId: Number(r.scopeId),
      body: r.body as string,
      raw: r.raw as Uint8Array,
    };
  }

  /** Rowids matching the terms, newest arrival first, at most `cap` (+1 tells there were more). */
  function termIds(match: string, cap: number): bigint[] {
    return prepared('SELECT rowid FROM log_terms WHERE log_terms MATCH ? ORDER BY rowid DESC LIMIT ?', 'pluck').all(match, cap + 1) as bigint[];
  }

  function queryWithTerms(q: LogQuery, terms: readonly string[]): LogRow[] {
    const match = ftsQuery(terms);
    const backward = q.direction === 'backward';
    const where = whereOf(q);
    if (termIds(match, ftsFirstCap).length <= ftsFirstCap) {
      // Every match is known to be few: order them through the index (CROSS JOIN keeps it
      // the outer loop) by their time alone, then read the first `limit` whole.
      const order = backward ? 'DESC' : 'ASC';
      const ids = prepared(
        `SELECT logs.id FROM log_terms CROSS JOIN logs ON logs.id = log_terms.rowid WHERE log_terms MATCH ? AND ${where.sql} ORDER BY time_ns ${order}, logs.id ${order} LIMIT ?`,
        'pluck',
      ).all(match, ...where.params, q.limit) as bigint[];
      return ids.map((id) => byId(id)!);
    }
    // A common term: walk the window in time order, checking each chunk against the index.
    const walkWhere = whereOf(q, true);
    const order = backward ? 'DESC' : 'ASC';
    const [edge, past] = backward ? ['<=', '>='] : ['>=', '<='];
    const out: LogRow[] = [];
    let cursor: [bigint, number] | undefined;
    let chunkRows = WALK_CHUNK;
    const check = prepared('SELECT rowid FROM log_terms WHERE log_terms MATCH ? AND rowid >= ? AND rowid <= ?', 'pluck');
    while (out.length < q.limit) {
      // Past the last row seen: a plain range on time_ns keeps the index usable.
      const after = cursor === undefined ? '' : ` AND time_ns ${edge} ? AND NOT (time_ns = ? AND id ${past} ?)`;
      const params = cursor === undefined ? walkWhere.params : [...walkWhere.params, cursor[0], cursor[0], cursor[1]];
      const chunk = prepared(`SELECT id, time_ns FROM logs WHERE ${walkWhere.sql}${after} ORDER BY time_ns ${order}, id ${order} LIMIT ?`, 'raw').all(
        ...params,
        chunkRows,
      ) as Array<[bigint, bigint]>;
      if (chunk.length === 0) break;
      let lo = chunk[0][0];
      let hi = lo;
      for (const [id] of chunk) {
        if (id < lo) lo = id;
        if (id > hi) hi = id;
      }
      const hits = new Set((check.all(match, lo, hi) as bigint[]).map(Number));
      const picked: number[] = [];
      for (const [id] of chunk) if (hits.has(Number(id)) && picked.length + out.length < q.limit) picked.push(Number(id));
      // In the chunk's order, which is the query's.
      for (const id of picked) out.push(byId(id)!);
      const last = chunk[chunk.length - 1];
      cursor = [last[1], Number(last[0])];
      if (chunk.length < chunkRows) break;
      if (picked.length < (q.limit - out.length) / 2) chunkRows = Math.min(chunkRows * 2, WALK_CHUNK_MAX);
    }
    return out;
  }

  function byId(id: number | bigint): LogRow | undefined {
    const row = prepared(`SELECT ${COLUMNS} FROM logs WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toRow(row);
  }

  function query(q: LogQuery): LogRow[] {
    if (q.limit <= 0) return [];
    const terms = idTerms(q);
    if (terms.length > 0) return queryWithTerms(q, terms);
    const order = q.direction === 'backward' ? 'DESC' : 'ASC';
    const ids = q.resourceIds === undefined ? undefined : [...new Set(q.resourceIds)];
    if (ids !== undefined && ids.length > 1 && ids.length <= MERGE_RESOURCES) {
      // Each resource's first `limit` through its index, merged: never a sort of all their rows.
      const merged = ids.flatMap((id) => query({ ...q, resourceIds: [id] }));
      merged.sort((a, b) => {
        const d = a.timeNs === b.timeNs ? a.id - b.id : a.timeNs < b.timeNs ? -1 : 1;
        return order === 'DESC' ? -d : d;
      });
      return merged.slice(0, q.limit);
    }
    // Ids first, from the index alone (it holds every filtered column), then the rows.
    const where = whereOf(q);
    const found = prepared(`SELECT id FROM logs WHERE ${where.sql} ORDER BY time_ns ${order}, id ${order} LIMIT ?`, 'pluck').all(...where.params, q.limit) as bigint[];
    return found.map((id) => byId(id)!);
  }

  return {
    byId,
    query,

    counts(filter, stepNs) {
      if (stepNs <= 0n) throw new RangeError('stepNs must be positive');
      const where = whereOf(filter);
      const terms = idTerms(filter);
      const fts = terms.length === 0 ? '' : ' AND id IN (SELECT rowid FROM log_terms WHERE log_terms MATCH ?)';
      const params = terms.length === 0 ? where.params : [...where.params, ftsQuery(terms)];
      const got = prepared(
        `SELECT (time_ns - ?) / ? AS bucket, severity, count(*) FROM logs WHERE ${where.sql}${fts} GROUP BY bucket, severity ORDER BY bucket, severity`,
        'raw',
      ).all(filter.startNs, stepNs, ...params) as Array<[bigint, bigint, bigint]>;
      return got.map(([bucket, severity, count]) => ({ bucketNs: filter.startNs + bucket * stepNs, severity: Number(severity), count: Number(count) }));
    },

    volume(filter, stepNs, options = {}) {
      const withBytes = options.withBytes ?? true;
      // SQLite defers the table read a CASE branch would need until a row takes it.
      const text = options.texts === 'unnumbered' ? "CASE WHEN severity BETWEEN 1 AND 24 THEN '' ELSE severity_text END" : 'severity_text';
      if (stepNs <= 0n) throw new RangeError('stepNs must be positive');
      const where = whereOf(filter);
      const terms = idTerms(filter);
      const fts = terms.length === 0 ? '' : ' AND id IN (SELECT rowid FROM log_terms WHERE log_terms MATCH ?)';
      const params = terms.length === 0 ? where.params : [...where.params, ftsQuery(terms)];
      const got = prepared(
        `SELECT (time_ns - ?) / ? AS bucket, resource_id, severity, ${text} AS text, count(*), ${withBytes ? 'sum(length(CAST(body AS BLOB)))' : '0'}
         FROM logs WHERE ${where.sql}${fts} GROUP BY bucket, resource_id, severity, text`,
        'raw',
      ).all(filter.startNs, stepNs, ...params) as Array<[bigint, bigint, bigint, string, bigint, bigint | null]>;
      return got.map(([bucket, resourceId, severity, severityText, entries, bytes]) => ({
        bucket: Number(bucket), resourceId: Number(resourceId), severity: Number(severity), severityText, entries: Number(entries), bytes: Number(bytes ?? 0n),
      }));
    },

    count(filter) {
      const where = whereOf(filter);
      const terms = idTerms(filter);
      const fts = terms.length === 0 ? '' : ' AND id IN (SELECT rowid FROM log_terms WHERE log_terms MATCH ?)';
      const params = terms.length === 0 ? where.params : [...where.params, ftsQuery(terms)];
      return Number(prepared(`SELECT count(*) FROM logs WHERE ${where.sql}${fts}`, 'pluck').get(...params) as bigint);
    },

    resourceIds(startNs, endNs) {
      const probe = prepared('SELECT 1 FROM logs WHERE resource_id = ? AND time_ns >= ? AND time_ns < ? LIMIT 1', 'pluck');
      const all = prepared('SELECT id FROM resources ORDER BY id', 'pluck').all() as bigint[];
      const lo = startNs ?? INT64_MIN;
      const hi = endNs ?? INT64_MAX;
      return all.filter((id) => probe.get(id, lo, hi) !== undefined).map(Number);
    },

    maxId() {
      return Number((prepared('SELECT max(id) FROM logs', 'pluck').get() as bigint | null) ?? 0n);
    },
  };
}
