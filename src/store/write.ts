/**
 * The write path: batches of rows (one or more export requests, see rows.ts) become one
 * synchronous transaction, so when write() returns every span of every batch is
 * committed and visible. Writing several requests in one transaction is the writer
 * thread's group commit.
 *
 * Statement order matters for speed: an FTS5 table flushes its pending terms into a new
 * segment whenever another statement of the transaction opens a statement journal (an
 * upsert does), so every FTS insert comes last. Interleaved, a 512-span request made
 * dozens of one-span segments for the merger to clean up.
 */
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';
import {
  COLS,
  COL_KIND,
  COL_NAME,
  COL_PARENT_ID,
  COL_RAW_END,
  COL_RAW_START,
  COL_RESOURCE,
  COL_SCOPE,
  COL_SPAN_ID,
  COL_STATUS,
  COL_TRACE_ID,
  TIMES,
  TIME_DURATION,
  TIME_END,
  TIME_START,
  spanTermsAt,
  type MessageRef,
  type SpanRows,
} from './rows.ts';
import { createTagWriter } from './tags.ts';
import {
  LCOLS,
  LCOL_EVENT_NAME,
  LCOL_FLAGS,
  LCOL_RAW_END,
  LCOL_RAW_START,
  LCOL_RESOURCE,
  LCOL_SCOPE,
  LCOL_SEVERITY,
  LCOL_SEVERITY_TEXT,
  LCOL_SPAN_ID,
  LCOL_TRACE_ID,
  LTIMES,
  LTIME,
  LTIME_OBSERVED,
  isLogRows,
  logTermsAt,
  logTextAt,
  type LogRows,
} from './log-rows.ts';

/** One slice of an export request: spans or log records. */
export type WriteRows = SpanRows | LogRows;

export interface WriteResult {
  /** Spans (or log records) stored by this call. */
  readonly stored: number;
  /** Spans already stored (an exporter's retry), skipped; always 0 for log records. */
  readonly duplicates: number;
}

/** What one write() (one transaction) did, for readers' caches and the forwarder. */
export interface CommitSummary {
  readonly stored: number;
  readonly duplicates: number;
  /** Highest span rowid after the commit. */
  readonly maxSpanId: number;
  /** Rowids of the traces that got spans. */
  readonly traces: number[];
  /** Log records stored. */
  readonly logs: number;
  /** Highest log rowid after the commit. */
  readonly maxLogId: number;
  /** Keys whose tag-value dictionary became full in this transaction (their key terms). */
  readonly fullKeys: string[];
}

/** Caches are dropped when they grow past this, so hostile input cannot grow memory without bound. */
const CACHE_LIMIT = 50_000;

/** Spans per INSERT statement: 32 rows a statement cost 2.6 µs of CPU a row, one by one 3.9. */
const SPAN_CHUNK = 32;
const SPAN_COLUMNS = 'trace_rowid, span_id, parent_id, resource_id, scope_id, name_id, kind, status, start_ns, duration_ns, raw';
const SPAN_PARAMS = 11;
const SPAN_VALUES = `(${Array(SPAN_PARAMS).fill('?').join(', ')})`;

interface TraceDelta {
  readonly rowid: number;
  /** The trace is new in this transaction: its row is inserted after the spans, whole. */
  readonly traceId: Uint8Array | undefined;
  start: bigint;
  end: bigint;
  count: number;
  errors: number;
  rootStart: bigint | undefined;
  rootService: string;
  rootName: string;
}

/** Whether the `n` bytes at `aAt` of `a` equal those at `bAt` of `b`. */
function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}

/** Rows one statement marks with a transaction's last span: a request uses ~90 names and ~25 scopes; 90 took 65 µs one by one, 24 in chunks. */
const MARK_CHUNK = 32;
const MARK_IDS = Array(MARK_CHUNK).fill('?').join(', ');
const markArgs: number[] = new Array(MARK_CHUNK + 1);

/** Sets last_span to at least `lastSpan` on rows `ids`, MARK_CHUNK a statement (a short chunk repeats an id). */
function mark(statement: Statement, ids: ReadonlySet<number>, lastSpan: number): void {
  let n = 0;
  markArgs[0] = lastSpan;
  for (const id of ids) {
    markArgs[1 + n++] = id;
    if (n === MARK_CHUNK) {
      statement.run(markArgs);
      n = 0;
    }
  }
  if (n === 0) return;
  markArgs.fill(markArgs[1], 1 + n);
  statement.run(markArgs);
}

function newDelta(rowid: number, traceId: Uint8Array | undefined): TraceDelta {
  return { rowid, traceId, start: 0n, end: 0n, count: 0, errors: 0, rootStart: undefined, rootService: '', rootName: '' };
}

function digest(schemaUrl: string, raw: Uint8Array | null): Buffer {
  return createHash('sha256').update(raw === null ? '\x01' : '\0').update(schemaUrl).update('\0').update(raw ?? '').digest();
}

export interface Writer {
  /** Writes the batches in one transaction; one result per batch, plus what the commit did. */
  write(batches: readonly WriteRows[]): { results: WriteResult[]; summary: CommitSummary };
  /** Drops cached row ids, after rows were deleted behind the writer's back. */
  forget(): void;
}

/** Returns the writer bound to prepared statements on `db`. */
export function createWriter(db: Db): Writer {
  const stmt = {
    resourceId: db.prepare('SELECT id FROM resources WHERE digest = ?').pluck(),
    insertResource: db.prepare('INSERT INTO resources(digest, raw, schema_url, service) VALUES (?, ?, ?, ?)'),
    scopeId: db.prepare('SELECT id FROM scopes WHERE digest = ?').pluck(),
    insertScope: db.prepare('INSERT INTO scopes(digest, raw, schema_url) VALUES (?, ?, ?)'),
    nameId: db.prepare('SELECT id FROM span_names WHERE name = ?').pluck(),
    insertName: db.prepare('INSERT INTO span_names(name) VALUES (?)'),
    traceRowid: db.prepare('SELECT id FROM traces WHERE trace_id = ?').pluck(),
    maxTraceRowid: db.prepare('SELECT max(id) FROM traces').pluck(),
    insertTrace: db.prepare(
      `INSERT INTO traces(id, trace_id, start_ns, end_ns, span_count, error_count, root_service, root_name, root_start_ns, seen_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateTrace: db.prepare(
      `UPDATE traces SET start_ns = min(start_ns, ?), end_ns = max(end_ns, ?),
         span_count = span_count + ?, error_count = error_count + ?, seen_s = ? WHERE id = ?`,
    ),
    updateRoot: db.prepare(
      `UPDATE traces SET root_service = ?, root_name = ?, root_start_ns = ?
         WHERE id = ? AND (root_start_ns IS NULL OR root_start_ns > ?)`,
    ),
    insertSpan: db.prepare(`INSERT OR IGNORE INTO spans(${SPAN_COLUMNS}) VALUES ${SPAN_VALUES}`),
    insertSpans: db.prepare(`INSERT OR IGNORE INTO spans(${SPAN_COLUMNS}) VALUES ${Array(SPAN_CHUNK).fill(SPAN_VALUES).join(', ')}`),
    // Rows of a chunk that stored only some of its spans (the others were stored before).
    spansAfter: db.prepare('SELECT id, trace_rowid, span_id, kind FROM spans WHERE id > ? ORDER BY id').raw(true),
    insertTerms: db.prepare('INSERT INTO span_terms(rowid, t) VALUES (?, ?)'),
    maxSpanId: db.prepare('SELECT max(id) FROM spans').pluck(),
    markNames: db.prepare(`UPDATE span_names SET last_span = max(last_span, ?) WHERE id IN (${MARK_IDS})`),
    markScopes: db.prepare(`UPDATE scopes SET last_span = max(last_span, ?) WHERE id IN (${MARK_IDS})`),
    insertLog: db.prepare(
      `INSERT INTO logs(time_ns, observed_ns, severity, severity_text, trace_id, span_id, flags, event_name, resource_id, scope_id, body, raw, seen_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // The record's terms (ASCII bytes), then its body's words (the table's tokenizer splits them).
    insertLogTerms: db.prepare("INSERT INTO log_terms(rowid, t) VALUES (?, coalesce(CAST(? AS TEXT), '') || ' ' || ?)"),
    maxLogId: db.prepare('SELECT max(id) FROM logs').pluck(),
  };

  const tags = createTagWriter(db);
  // Statement arguments, refilled for every row or chunk of rows.
  const chunkArgs: unknown[] = new Array(SPAN_CHUNK * SPAN_PARAMS);
  const rowArgs: unknown[] = new Array(SPAN_PARAMS);
  // Keyed by schema URL + raw bytes as a latin1 string: cheap to build, exact to compare.
  const resourceIds = new Map<string, number>();
  const scopeIds = new Map<string, number>();
  const nameIds = new Map<string, number>();
  const traceRowids = new Map<string, number>();

  function cached<K>(cache: Map<K, number>, key: K, load: () => number): number {
    let id = cache.get(key);
    if (id === undefined) {
      id = load();
      cache.set(key, id);
    }
    return id;
  }

  /**
   * Drops a cache past CACHE_LIMIT, between transactions only: inside one, the trace cache
   * is the only record of a new trace's rowid until its row is written (step 3).
   */
  function bound(): void {
    for (const cache of [resourceIds, scopeIds, nameIds, traceRowids]) if (cache.size >= CACHE_LIMIT) cache.clear();
  }

  function latin1(buf: Uint8Array, start: number, end: number): string {
    return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
  }

  function messageId(cache: Map<string, number>, rows: WriteRows, ref: MessageRef, insert: (d: Buffer, raw: Uint8Array | null) => number, find: (d: Buffer) => unknown): number {
    const raw = ref.start < 0 ? null : rows.buf.subarray(ref.start, ref.end);
    const key = raw === null ? '\x01' + ref.schemaUrl : '\0' + ref.schemaUrl + '\0' + latin1(rows.buf, ref.start, ref.end);
    return cached(cache, key, () => {
      const d = digest(ref.schemaUrl, raw);
      return (find(d) as number | undefined) ?? insert(d, raw);
    });
  }

  function resourceIdsOf(rows: WriteRows): number[] {
    return rows.resources.map((r) =>
      messageId(resourceIds, rows, r, (d, raw) => Number(stmt.insertResource.run(d, raw, r.schemaUrl, r.service).lastInsertRowid), (d) => stmt.resourceId.get(d)),
    );
  }

  function scopeIdsOf(rows: WriteRows): number[] {
    return rows.scopes.map((s) => messageId(scopeIds, rows, s, (d, raw) => Number(stmt.insertScope.run(d, raw, s.schemaUrl).lastInsertRowid), (d) => stmt.scopeId.get(d)));
  }

  /** Inserts log rows; returns the first rowid (they are consecutive). */
  function writeLogs(rows: LogRows, nowS: number): number {
    const { cols, times, buf, strings } = rows;
    const resIds = resourceIdsOf(rows);
    const scopeIdList = scopeIdsOf(rows);
    let first = 0;
    for (let i = 0; i < rows.count; i++) {
      const c = i * LCOLS;
      const t = i * LTIMES;
      const traceAt = cols[c + LCOL_TRACE_ID];
      const spanAt = cols[c + LCOL_SPAN_ID];
      const eventName = cols[c + LCOL_EVENT_NAME];
      const info = stmt.insertLog.run(
        times[t + LTIME],
        times[t + LTIME_OBSERVED],
        cols[c + LCOL_SEVERITY],
        strings[cols[c + LCOL_SEVERITY_TEXT]],
        traceAt < 0 ? null : buf.subarray(traceAt, traceAt + 16),
        spanAt < 0 ? null : buf.subarray(spanAt, spanAt + 8),
        cols[c + LCOL_FLAGS] >>> 0,
        eventName < 0 ? null : strings[eventName],
        resIds[cols[c + LCOL_RESOURCE]],
        scopeIdList[cols[c + LCOL_SCOPE]],
        logTextAt(rows, i),
        buf.subarray(cols[c + LCOL_RAW_START], cols[c + LCOL_RAW_END]),
        nowS,
      );
      if (i === 0) first = Number(info.lastInsertRowid);
    }
    return first;
  }

  function write(batches: readonly WriteRows[]): { results: WriteResult[]; summary: CommitSummary } {
    bound();
    const nowS = Math.floor(Date.now() / 1000);
    const fullKeys = new Set<string>();
    const deltas = new Map<number, TraceDelta>();
    const results: WriteResult[] = [];
    // Per batch: the trace rowid of each span, then the span rowid (0: a duplicate).
    const spanTraces: Int32Array[] = [];
    let stored = 0;
    let duplicates = 0;
    let logs = 0;

    // New spans get rowids after the highest one: at most this, which tag values record.
    let highestSpan = (stmt.maxSpanId.get() as number | null) ?? 0;
    let lastSpanBound = highestSpan;
    for (const rows of batches) lastSpanBound += rows.count;

    // 1. Everything with a statement journal: dictionaries, tags; the traces' rowids. A trace
    // not stored yet gets the next rowid here and its row after the spans (step 3), written
    // once with its summary: a row inserted first and updated after cost two index writes.
    let nextTraceRowid = (stmt.maxTraceRowid.get() as number | null) ?? 0;
    for (const rows of batches) {
      if (isLogRows(rows)) continue;
      for (const obs of rows.tags) if (tags.record(obs, nowS, lastSpanBound)) fullKeys.add(obs[5]);
      const traceOf = new Int32Array(rows.count);
      const { cols, buf } = rows;
      for (let i = 0; i < rows.count; i++) {
        const idAt = cols[i * COLS + COL_TRACE_ID];
        // A trace's spans mostly come together: the previous span's, without building a key.
        if (i > 0 && sameBytes(buf, idAt, buf, cols[(i - 1) * COLS + COL_TRACE_ID], 16)) {
          traceOf[i] = traceOf[i - 1];
          continue;
        }
        traceOf[i] = cached(traceRowids, latin1(buf, idAt, idAt + 16), () => {
          const traceId = buf.subarray(idAt, idAt + 16);
          const rowid = stmt.traceRowid.get(traceId) as number | undefined;
          if (rowid !== undefined) return rowid;
          // A view of the batch's bytes: they outlive this transaction.
          deltas.set(++nextTraceRowid, newDelta(nextTraceRowid, traceId));
          return nextTraceRowid;
        });
      }
      spanTraces.push(traceOf);
    }

    // 2. Span rows.
    // Stored spans whose terms go in at step 4: rowid, batch and index, side by side (no tuple a span).
    const termRowids: number[] = [];
    const termBatches: SpanRows[] = [];
    const termIndexes: number[] = [];
    // Names and scopes the batches use, marked with the transaction's last span rowid so that
    // retention knows when no span can reference them any more (prune.ts).
    const usedNames = new Set<number>();
    const usedScopes = new Set<number>();
    let lastSpan = 0;
    // Log rows and their first rowid; their terms go in with the spans' (step 4).
    const logTerms: Array<[LogRows, number]> = [];
    let spanBatch = 0;
    for (const rows of batches) {
      if (isLogRows(rows)) {
        logTerms.push([rows, writeLogs(rows, nowS)]);
        logs += rows.count;
        results.push({ stored: rows.count, duplicates: 0 });
        continue;
      }
      const { cols, times, buf } = rows;
      const resIds = resourceIdsOf(rows);
      const scopeIdList = scopeIdsOf(rows);
      const nameIdList = rows.names.map((name) =>
        cached(nameIds, name, () => (stmt.nameId.get(name) as number | undefined) ?? Number(stmt.insertName.run(name).lastInsertRowid)),
      );
      for (const id of nameIdList) usedNames.add(id);
      for (const id of scopeIdList) usedScopes.add(id);
      const traceOf = spanTraces[spanBatch++];
      let batchStored = 0;
      const bind = (args: unknown[], at: number, i: number): void => {
        const c = i * COLS;
        const t = i * TIMES;
        const spanAt = cols[c + COL_SPAN_ID];
        const parentAt = cols[c + COL_PARENT_ID];
        args[at] = traceOf[i];
        args[at + 1] = buf.subarray(spanAt, spanAt + 8);
        args[at + 2] = parentAt < 0 ? null : buf.subarray(parentAt, parentAt + 8);
        args[at + 3] = resIds[cols[c + COL_RESOURCE]];
        args[at + 4] = scopeIdList[cols[c + COL_SCOPE]];
        args[at + 5] = nameIdList[cols[c + COL_NAME]];
        args[at + 6] = cols[c + COL_KIND];
        args[at + 7] = cols[c + COL_STATUS];
        args[at + 8] = times[t + TIME_START];
        args[at + 9] = times[t + TIME_DURATION];
        args[at + 10] = buf.subarray(cols[c + COL_RAW_START], cols[c + COL_RAW_END]);
      };
      /** Span `i` was stored as row `rowid`. */
      const storedAs = (i: number, rowid: number): void => {
        const c = i * COLS;
        const t = i * TIMES;
        batchStored++;
        lastSpan = rowid;
        termRowids.push(rowid);
        termBatches.push(rows);
        termIndexes.push(i);
        const start = times[t + TIME_START];
        const end = times[t + TIME_END];
        let delta = deltas.get(traceOf[i]);
        if (delta === undefined) {
          delta = newDelta(traceOf[i], undefined);
          deltas.set(traceOf[i], delta);
        }
        if (delta.count === 0 || start < delta.start) delta.start = start;
        if (delta.count === 0 || end > delta.end) delta.end = end;
        delta.count++;
        if (cols[c + COL_STATUS] === 2) delta.errors++;
        if (cols[c + COL_PARENT_ID] < 0 && (delta.rootStart === undefined || start < delta.rootStart)) {
          delta.rootStart = start;
          delta.rootService = rows.resources[cols[c + COL_RESOURCE]].service;
          delta.rootName = rows.names[cols[c + COL_NAME]];
        }
      };
      let i = 0;
      for (; i + SPAN_CHUNK <= rows.count; i += SPAN_CHUNK) {
        for (let j = 0; j < SPAN_CHUNK; j++) bind(chunkArgs, j * SPAN_PARAMS, i + j);
        const info = stmt.insertSpans.run(chunkArgs);
        if (info.changes === SPAN_CHUNK) {
          // Every row stored, in order, under consecutive rowids.
          const first = Number(info.lastInsertRowid) - SPAN_CHUNK + 1;
          for (let j = 0; j < SPAN_CHUNK; j++) storedAs(i + j, first + j);
          highestSpan = first + SPAN_CHUNK - 1;
        } else {
          // Some were stored before (an exporter's retry): the rows after the highest one, in
          // order, say which were not.
          const inserted = stmt.spansAfter.all(highestSpan) as Array<[number, number, Uint8Array, number]>;
          let next = 0;
          for (let j = 0; j < SPAN_CHUNK && next < inserted.length; j++) {
            const [rowid, traceRowid, spanId, kind] = inserted[next];
            const c = (i + j) * COLS;
            if (traceRowid === traceOf[i + j] && kind === cols[c + COL_KIND] && spanId.length === 8 && sameBytes(spanId, 0, buf, cols[c + COL_SPAN_ID], 8)) {
              storedAs(i + j, rowid);
              next++;
            }
          }
          if (inserted.length > 0) highestSpan = inserted[inserted.length - 1][0];
        }
      }
      for (; i < rows.count; i++) {
        bind(rowArgs, 0, i);
        const info = stmt.insertSpan.run(rowArgs);
        if (info.changes === 0) continue;
        highestSpan = Number(info.lastInsertRowid);
        storedAs(i, highestSpan);
      }
      stored += batchStored;
      duplicates += rows.count - batchStored;
      results.push({ stored: batchStored, duplicates: rows.count - batchStored });
    }

    // 3. Trace summaries.
    for (const d of deltas.values()) {
      if (d.traceId !== undefined) {
        // Its first span is always stored (no span of a new trace can be stored already).
        const root = d.rootStart !== undefined;
        stmt.insertTrace.run(d.rowid, d.traceId, d.start, d.end, d.count, d.errors, root ? d.rootService : null, root ? d.rootName : null, root ? d.rootStart : null, nowS);
        continue;
      }
      if (d.count === 0) continue;
      stmt.updateTrace.run(d.start, d.end, d.count, d.errors, nowS, d.rowid);
      if (d.rootStart !== undefined) stmt.updateRoot.run(d.rootService, d.rootName, d.rootStart, d.rowid, d.rootStart);
    }

    if (lastSpan > 0) {
      mark(stmt.markNames, usedNames, lastSpan);
      mark(stmt.markScopes, usedScopes, lastSpan);
    }

    // 4. Search terms, last (see the module comment).
    for (let k = 0; k < termRowids.length; k++) stmt.insertTerms.run(termRowids[k], spanTermsAt(termBatches[k], termIndexes[k]));
    for (const [rows, first] of logTerms) {
      for (let i = 0; i < rows.count; i++) stmt.insertLogTerms.run(first + i, logTermsAt(rows, i), logTextAt(rows, i));
    }

    const maxSpanId = (stmt.maxSpanId.get() as number | null) ?? 0;
    const maxLogId = logs > 0 ? ((stmt.maxLogId.get() as number | null) ?? 0) : 0;
    const traces: number[] = [];
    for (const d of deltas.values()) if (d.count > 0) traces.push(d.rowid);
    return { results, summary: { stored, duplicates, maxSpanId, traces, logs, maxLogId, fullKeys: [...fullKeys] } };
  }

  function forget(): void {
    resourceIds.clear();
    scopeIds.clear();
    nameIds.clear();
    traceRowids.clear();
    tags.reset();
  }

  const tx = db.transaction(write);
  return {
    write(batches) {
      try {
        // IMMEDIATE: the write lock is taken before the first read. A deferred transaction that
        // read first would hold a snapshot a TRUNCATE checkpoint waits for while it holds the
        // write lock this transaction then needs: each waits for the other until busy.
        return tx.immediate(batches);
      } catch (err) {
        // A failed transaction rolled back; cached ids may name rows that no longer exist.
        forget();
        throw err;
      }
    },
    forget,
  };
}
