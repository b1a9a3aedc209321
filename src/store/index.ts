/**
 * The span store: SQLite through better-sqlite3, one writer and any number of readers.
 *
 * - `StoreReader` holds a connection for the query side: candidate lookups, trace reads,
 *   the tag dictionary. It learns of commits and deletes made elsewhere through
 *   noteCommitted()/noteDeleted() (the writer's thread broadcasts them).
 * - `Store` adds the write side on the same connection: rows in (rows.ts), deletes,
 *   retention. Run in one thread, it is the whole store (tests, benchmarks' floors).
 */
import type { Statement, Transaction } from 'better-sqlite3';
import { databaseLocation, openDatabase, removeDatabaseFiles, type Checkpoints, type DatabaseLocation, type Db } from './db.ts';
import { createTraceReader, type RawResourceSpans, type TimeRangeNs, type TraceByIdWindow, type TraceReader } from './read.ts';
import { createWriter, type CommitSummary, type WriteResult, type WriteRows, type Writer } from './write.ts';
import { createLogReader, type LogReader } from './logs-read.ts';
import { createDeleter, type Deleter } from './delete.ts';
import { createPruner, type Pruner } from './prune.ts';
import { createSearchReader, type SearchReader } from './search.ts';
import { createTagReader, type TagReader } from './tags.ts';
import { createRunReader, type NewRun, type RunReader, type RunRecord } from './runs.ts';
import { createMetricsReads, type MetricsReadOptions, type MetricsReads } from './metrics-reads.ts';

export { StoreOpenError, DB_FILE, useNativeBinding, nativeBindingPath, databaseLocation, openDatabase, removeDatabaseFiles, type Checkpoints, type DatabaseLocation, type Db } from './db.ts';
export type { TagReader, TagScope, TagValue, TagMemo, SeenTagValue, TimeWindowNs } from './tags.ts';
export { TAG_REFRESH_NS, createTagMemo, dictionaryTerm } from './tags.ts';
export type { SearchReader, SpanCondition, RelatedCondition, TraceWindow, TraceRow, SpanRow, ResourceRow, ScopeRow } from './search.ts';
export type { WriteResult, WriteRows, CommitSummary, TimeRangeNs, TraceByIdWindow, RawResourceSpans };
export type { RawScopeSpans } from './read.ts';
export { SpanRowsBuilder, transferables, type SpanRows, type SpanInput, type TagObservation } from './rows.ts';
export { LogRowsBuilder, isLogRows, type LogRows, type LogInput } from './log-rows.ts';
export { FTS_FIRST_CAP, createLogReader, ftsQuery, type LogReaderOptions, type LogReader, type LogFilter, type LogQuery, type LogRow, type LogCount, type LogVolume } from './logs-read.ts';
export {
  keyTerm, valueTerm, nameTerm, eventNameTerm, hashKeyAt, hashNameAt, hashEventNameAt, valuePrefix, hashStringValue, hashBoolValue, hashIntValue, hashDoubleValue,
  hashLane1, hashLane2, TermBytes,
  type TermScope, type TermValue, type TagSink, type TagType,
} from './terms.ts';
export { createRunReader, createRunWriter, resourcesByRun, type NewRun, type RunReader, type RunRecord, type RunWriter, type RunOfResource } from './runs.ts';
export { bodyWords } from './logs-read.ts';
export type { MetricsReads, MetricsReadOptions, SpanMetricRow, AddedSpanRow, GraphSpanRow } from './metrics-reads.ts';
export { createRetention, startRetention, RETENTION_BATCH, type RetentionOptions, type RetentionPass } from './retention.ts';

/** The write operations the query side may ask of the writer (on its own thread). */
export interface StoreWrites {
  /** Deletes whole traces by rowid; resolves to the number of spans deleted. */
  deleteTraces(rowids: readonly number[]): Promise<number>;
  /** Deletes the log records of these resources (a test session's); resolves to how many. */
  deleteLogsOf(resourceIds: readonly number[]): Promise<number>;
  /** Deletes everything. */
  clear(): Promise<void>;
  /** Records the start of a run. */
  startRun(run: NewRun): Promise<RunRecord>;
  /** Records a run's end (and counts its spans); undefined for an unknown id. */
  endRun(id: string, exitCode: number | null, endedMs: number): Promise<RunRecord | undefined>;
}

export interface StoreOptions {
  /** Directory of the database file; undefined keeps everything in an ephemeral file. */
  readonly dataDir?: string;
}

/**
 * A counter bumped whenever rows are deleted, so that readers' caches of row ids can
 * tell they are stale. Shared between threads as an Int32Array over a SharedArrayBuffer.
 */
export type Generation = Int32Array;

export function newGeneration(): Generation {
  return new Int32Array(new SharedArrayBuffer(4));
}

export class StoreReader {
  readonly db: Db;
  /** The database file, undefined for an ephemeral (in-memory) store. */
  readonly path: string | undefined;
  /** Candidate lookups and trace loading for the query engine. */
  readonly search: SearchReader;
  /** The tag-value dictionary. */
  readonly tags: TagReader;
  /** Log records. */
  readonly logs: LogReader;
  /** Recorded runs. */
  readonly runs: RunReader;
  protected readonly generationCell: Generation;
  private readonly commitListeners = new Set<(summary: CommitSummary) => void>();
  private readonly logListeners = new Set<(summary: CommitSummary) => void>();
  private readonly deleteListeners = new Set<(range: TimeRangeNs | undefined) => void>();
  private reader: TraceReader;
  private readerGeneration: number;
  private countStmts: { spans: Statement<unknown[]>; traces: Statement<unknown[]> } | undefined;

  constructor(db: Db, location: DatabaseLocation, generation: Generation) {
    this.db = db;
    this.path = location.ephemeral ? undefined : location.file;
    this.generationCell = generation;
    this.search = createSearchReader(db, () => this.generation);
    this.tags = createTagReader(db);
    this.logs = createLogReader(db);
    this.runs = createRunReader(db);
    this.reader = createTraceReader(db);
    this.readerGeneration = this.generation;
  }

  /** Opens a reader of the database a writer (possibly on another thread) has opened. */
  static openReader(location: DatabaseLocation, generation: Generation): StoreReader {
    return new StoreReader(openDatabase(location, 'reader'), location, generation);
  }

  /** Changes whenever rows were deleted. */
  get generation(): number {
    return Atomics.load(this.generationCell, 0);
  }

  /** Calls `listener` after every commit that stored spans; returns the unsubscribe function. */
  onInsert(listener: (summary: CommitSummary) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Calls `listener` after every commit that stored log records; returns the unsubscribe function. */
  onLogs(listener: (summary: CommitSummary) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /**
   * Calls `listener` after traces were deleted, with the time range their spans covered
   * (undefined when everything was deleted); returns the unsubscribe function.
   */
  onDelete(listener: (range: TimeRangeNs | undefined) => void): () => void {
    this.deleteListeners.add(listener);
    return () => this.deleteListeners.delete(listener);
  }

  /** A commit was made (here or by the writer's thread). */
  noteCommitted(summary: CommitSummary): void {
    if (summary.stored > 0) for (const listener of this.commitListeners) listener(summary);
    if (summary.logs > 0) for (const listener of this.logListeners) listener(summary);
  }

  /** Traces were deleted (here or by the writer's thread). */
  noteDeleted(range: TimeRangeNs | undefined): void {
    for (const listener of this.deleteListeners) listener(range);
  }

  /** The stored spans of a trace, or undefined when none (or, given a window, outside it and not recent). */
  trace(traceId: Uint8Array, window?: TraceByIdWindow): RawResourceSpans[] | undefined {
    return this.traceReader().byId(traceId, window);
  }

  /** A trace's spans stored after span rowid `after` (0: all), with how many and the last rowid. */
  spansAfter(traceRowid: number, after: number): { spans: RawResourceSpans[]; count: number; lastSpan: number } {
    return this.traceReader().spansAfter(traceRowid, after);
  }

  /** The reads that derive metrics from stored spans (statements prepared once per call). */
  metricsReads(options: MetricsReadOptions): MetricsReads {
    return createMetricsReads(this.db, options);
  }

  /** How many spans and traces are stored (a scan of an index each: callers space these out). */
  rowCounts(): { spans: number; traces: number } {
    this.countStmts ??= {
      spans: this.db.prepare('SELECT count(*) FROM spans').pluck(),
      traces: this.db.prepare('SELECT count(*) FROM traces').pluck(),
    };
    return { spans: this.countStmts.spans.get() as number, traces: this.countStmts.traces.get() as number };
  }

  /** The database's pages in bytes, free pages included. */
  pageBytes(): number {
    return (this.db.pragma('page_size', { simple: true }) as number) * (this.db.pragma('page_count', { simple: true }) as number);
  }

  private traceReader(): TraceReader {
    if (this.readerGeneration !== this.generation) {
      // Its caches of resource and scope rows may name deleted rows.
      this.reader = createTraceReader(this.db);
      this.readerGeneration = this.generation;
    }
    return this.reader;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The whole store on one connection: reads, writes, deletes. */
export class Store extends StoreReader {
  private readonly writer: Writer;
  private readonly deleter: Deleter;
  private readonly pruner: Pruner;
  private pruneStep: Transaction<(nowMs: number, sweepSteps: number) => { deleted: number; done: boolean }> | undefined;
  private readonly location: DatabaseLocation;
  private traceExtent: Statement<unknown[]> | undefined;
  /** Called after a commit and after deletes (the writer's thread broadcasts through these). */
  onCommitted: ((summary: CommitSummary) => void) | undefined;
  onDeleted: ((range: TimeRangeNs | undefined) => void) | undefined;

  private constructor(db: Db, location: DatabaseLocation, generation: Generation) {
    super(db, location, generation);
    this.location = location;
    this.writer = createWriter(db);
    this.deleter = createDeleter(db);
    this.pruner = createPruner(db);
  }

  static open(options: StoreOptions = {}, generation: Generation = newGeneration()): Store {
    return Store.openAt(databaseLocation(options.dataDir), generation);
  }

  static openAt(location: DatabaseLocation, generation: Generation = newGeneration(), checkpoints: Checkpoints = 'by-writer'): Store {
    return new Store(openDatabase(location, 'writer', checkpoints), location, generation);
  }

  /** The database file, also for an ephemeral store (for readers on other threads). */
  get file(): DatabaseLocation {
    return this.location;
  }

  /** Stores batches of rows in one transaction; committed when this returns. */
  write(batches: readonly WriteRows[]): WriteResult[] {
    const { results, summary } = this.writer.write(batches);
    this.noteCommitted(summary);
    this.onCommitted?.(summary);
    return results;
  }

  /** Stores one batch of rows in its own transaction. */
  insert(rows: WriteRows): WriteResult {
    return this.write([rows])[0];
  }

  /** Deletes whole traces by rowid; returns the number of spans deleted. */
  deleteTraces(rowids: readonly number[]): number {
    let range: { startNs: bigint; endNs: bigint } | undefined;
    this.traceExtent ??= this.db.prepare('SELECT start_ns, end_ns FROM traces WHERE id = ?').raw(true).safeIntegers(true);
    for (const id of rowids) {
      const row = this.traceExtent.get(id) as [bigint, bigint] | undefined;
      if (row === undefined) continue;
      const lo = row[0] < row[1] ? row[0] : row[1];
      const hi = row[0] < row[1] ? row[1] : row[0];
      range = range === undefined ? { startNs: lo, endNs: hi } : { startNs: lo < range.startNs ? lo : range.startNs, endNs: hi > range.endNs ? hi : range.endNs };
    }
    const n = this.deleter.traces(rowids, () => this.bumpGeneration());
    this.writer.forget();
    if (range !== undefined) this.deleted(range);
    return n;
  }

  /**
   * One bounded step of pruning the dictionaries of rows no stored span can reference
   * (prune.ts); `done` once nothing more is due. `sweepSteps`: the pass's quota of the sweep of tag values.
   */
  pruneDictionaries(nowMs: number = Date.now(), sweepSteps = 1): { deleted: number; done: boolean } {
    this.pruneStep ??= this.db.transaction((at: number, steps: number) => {
      const step = this.pruner.step(at, steps);
      // Before the commit, as for traces: readers drop caches that may name the rows.
      if (step.deleted > 0) this.bumpGeneration();
      return step;
    });
    // IMMEDIATE, as writes (write.ts): no snapshot held while waiting for the write lock.
    const step = this.pruneStep.immediate(nowMs, sweepSteps);
    // The writer's caches of name, scope, resource and tag-key ids may name deleted rows.
    if (step.deleted > 0) this.writer.forget();
    return step;
  }

  /** Deletes the log records with rowids in [first, last] (retention: oldest first); returns how many. */
  deleteLogRange(first: number, last: number): number {
    return this.deleter.logRange(first, last);
  }

  /** Deletes the log records of these resources; returns how many. */
  deleteLogsOf(resourceIds: readonly number[]): number {
    return this.deleter.logsOf(resourceIds);
  }

  /** Deletes everything. */
  clear(): void {
    this.deleter.all(() => this.bumpGeneration());
    this.writer.forget();
    this.deleted(undefined);
  }

  private bumpGeneration(): void {
    // Before the commit: a reader may then drop a cache needlessly, never keep a stale one.
    Atomics.add(this.generationCell, 0, 1);
  }

  private deleted(range: TimeRangeNs | undefined): void {
    this.noteDeleted(range);
    this.onDeleted?.(range);
  }

  override close(): void {
    super.close();
    if (this.location.ephemeral) removeDatabaseFiles(this.location.file);
  }
}
