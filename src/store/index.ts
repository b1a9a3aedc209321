/**
 * The span store: SQLite through better-sqlite3. Receivers call insert(); the query
 * side reads through the functions here.
 */
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from './db.ts';
import { createTraceReader, type TimeRangeNs, type TraceByIdWindow, type TraceReader } from './read.ts';
import { createWriter, type WriteResult, type Writer } from './write.ts';
import { createDeleter, type Deleter } from './delete.ts';
import { createSearchReader, type SearchReader } from './search.ts';
import { createTagReader, type TagReader } from './tags.ts';
import type { DecodedBatch, RawResourceSpans } from '../otlp/types.ts';

export { StoreOpenError, DB_FILE, useNativeBinding } from './db.ts';
export type { TagReader, TagScope, TagValue } from './tags.ts';
export { MAX_VALUES_PER_KEY } from './tags.ts';
export type { SearchReader, SpanCondition, RelatedCondition, TraceWindow, TraceRow, SpanRow, ResourceRow, ScopeRow } from './search.ts';
export type { WriteResult, TimeRangeNs, TraceByIdWindow };

export interface StoreOptions {
  /** Directory of the database file; undefined keeps everything in memory. */
  readonly dataDir?: string;
}

export class Store {
  readonly db: Db;
  /** The database file, undefined for an in-memory store. */
  readonly path: string | undefined;
  private readonly writer: Writer;
  private readonly deleter: Deleter;
  private readonly listeners = new Set<(result: WriteResult) => void>();
  private readonly deleteListeners = new Set<(range: TimeRangeNs | undefined) => void>();
  private traceExtent: Statement<unknown[]> | undefined;
  private reader: TraceReader;
  /** Bumped whenever rows are deleted, so readers' caches of row ids can tell they are stale. */
  generation = 0;
  /** Candidate lookups and trace loading for the query engine. */
  readonly search: SearchReader;
  /** The tag-value dictionary. */
  readonly tags: TagReader;

  private constructor(db: Db) {
    this.db = db;
    this.path = db.memory ? undefined : db.name;
    this.writer = createWriter(db);
    this.deleter = createDeleter(db);
    this.reader = createTraceReader(db);
    this.search = createSearchReader(db, () => this.generation);
    this.tags = createTagReader(db);
  }

  static open(options: StoreOptions = {}): Store {
    return new Store(openDatabase(options.dataDir));
  }

  /** Stores a decoded export request in one transaction; committed when this returns. */
  insert(batch: DecodedBatch): WriteResult {
    const result = this.writer.write(batch);
    if (result.stored > 0) for (const listener of this.listeners) listener(result);
    return result;
  }

  /** Calls `listener` after every insert that stored spans; returns the unsubscribe function. */
  onInsert(listener: (result: WriteResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` after traces were deleted, with the time range their spans covered
   * (undefined when everything was deleted); returns the unsubscribe function.
   */
  onDelete(listener: (range: TimeRangeNs | undefined) => void): () => void {
    this.deleteListeners.add(listener);
    return () => this.deleteListeners.delete(listener);
  }

  /** Deletes whole traces by rowid; returns the number of spans deleted. */
  deleteTraces(rowids: readonly number[]): number {
    let range: { startNs: bigint; endNs: bigint } | undefined;
    if (this.deleteListeners.size > 0) {
      this.traceExtent ??= this.db.prepare('SELECT start_ns, end_ns FROM traces WHERE id = ?').raw(true).safeIntegers(true);
      for (const id of rowids) {
        const row = this.traceExtent.get(id) as [bigint, bigint] | undefined;
        if (row === undefined) continue;
        const lo = row[0] < row[1] ? row[0] : row[1];
        const hi = row[0] < row[1] ? row[1] : row[0];
        range = range === undefined ? { startNs: lo, endNs: hi } : { startNs: lo < range.startNs ? lo : range.startNs, endNs: hi > range.endNs ? hi : range.endNs };
      }
    }
    const n = this.deleter.traces(rowids);
    this.forget();
    if (range !== undefined) for (const listener of this.deleteListeners) listener(range);
    return n;
  }

  /** Deletes everything. */
  clear(): void {
    this.deleter.all();
    this.forget();
    for (const listener of this.deleteListeners) listener(undefined);
  }

  private forget(): void {
    this.writer.forget();
    this.reader = createTraceReader(this.db);
    this.generation++;
  }

  /** The stored spans of a trace, or undefined when none (or, given a window, outside it and not recent). */
  trace(traceId: Uint8Array, window?: TraceByIdWindow): RawResourceSpans[] | undefined {
    return this.reader(traceId, window);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
export { createRetention, startRetention, RETENTION_BATCH, type RetentionOptions, type RetentionPass } from './retention.ts';
