/**
 * Retention: deletes whole traces and log records that arrived longer ago than the age
 * limit, and the oldest of either while the database is over its size limit, in small
 * batches between which ingest and queries run, then returns freed pages with
 * incremental vacuum.
 */
import fs from 'node:fs';
import type { DatabaseLocation, Db } from './db.ts';

export interface RetentionOptions {
  /** Traces whose last span arrived longer ago are deleted; 0 keeps them forever. */
  readonly maxAgeMs: number;
  /** The database is trimmed, oldest traces first, to stay under this many bytes; 0: no limit. */
  readonly maxBytes: number;
}

export interface RetentionPass {
  readonly deletedTraces: number;
  readonly deletedSpans: number;
  readonly deletedLogs: number;
  /** Bytes of pages in use afterwards. */
  readonly usedBytes: number;
  readonly deletedRuns: number;
}

/** Traces per delete transaction: small enough that a batch takes milliseconds. */
export const RETENTION_BATCH = 200;
/** Log records per delete transaction (a trace has ~10 spans: about the same work). */
export const RETENTION_LOG_BATCH = 2000;

export interface RetentionStore {
  readonly db: Db;
  /** Where the database lives: its WAL and shared-memory files count toward the size limit. */
  readonly file: DatabaseLocation;
  deleteTraces(rowids: readonly number[]): number;
  /** Deletes the log records with rowids in [first, last]. */
  deleteLogRange(first: number, last: number): number;
  /** Deletes the runs retention no longer keeps (see RunWriter.prune); returns how many. */
  pruneRuns?(nowMs: number, maxAgeMs: number, tracesDeleted: boolean): number;
}

/**
 * Under a size limit, oldest traces go until the store is this far under it, so that the
 * next few seconds of ingest (and the WAL's growth) do not push it over again at once.
 */
const SIZE_HEADROOM = 0.85;

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export function createRetention(store: RetentionStore, options: RetentionOptions) {
  const { db } = store;
  const expired = db.prepare('SELECT id FROM traces WHERE seen_s < ? ORDER BY seen_s LIMIT ?').pluck();
  const oldest = db.prepare('SELECT id FROM traces ORDER BY seen_s LIMIT ?').pluck();
  const oldestTraceSeen = db.prepare('SELECT min(seen_s) FROM traces').pluck();
  // Log rowids follow arrival, so the oldest records are the first rowids: no index needed.
  const oldestLogs = db.prepare('SELECT id, seen_s FROM logs ORDER BY id LIMIT ?').raw(true);

  // Under a size limit the WAL is cut back after each checkpoint to an eighth of it (1 to 64
  // MiB), so database, WAL and shared memory together stay near the limit.
  if (options.maxBytes > 0) db.pragma(`journal_size_limit = ${Math.round(Math.min(64 * 2 ** 20, Math.max(2 ** 20, options.maxBytes / 8)))}`);

  function usedBytes(): number {
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
  }

  /**
   * What the limit holds: pages in use, and the WAL and shared-memory files beside them.
   * The WAL counts up to the size it is cut back to after each checkpoint
   * (journal_size_limit): beyond that it is transient, and its own growth (deletes write
   * to it too) must not make retention delete more.
   */
  function storeBytes(): number {
    const walLimit = db.pragma('journal_size_limit', { simple: true }) as number;
    const wal = fileSize(`${store.file.file}-wal`);
    return usedBytes() + (walLimit >= 0 ? Math.min(wal, walLimit) : wal) + fileSize(`${store.file.file}-shm`);
  }

  /** One batch of work; `done` is true when nothing is left to delete now. */
  function step(nowMs: number, trimming: boolean): { traces: number; spans: number; logs: number; done: boolean } {
    const cutoffS = Math.floor((nowMs - options.maxAgeMs) / 1000);
    let ids: number[] = [];
    if (options.maxAgeMs > 0) ids = expired.all(cutoffS, RETENTION_BATCH) as number[];
    if (ids.length > 0) return { traces: ids.length, spans: store.deleteTraces(ids), logs: 0, done: false };
    const logs = oldestLogs.all(RETENTION_LOG_BATCH) as Array<[number, number]>;
    if (options.maxAgeMs > 0 && logs.length > 0 && logs[0][1] < cutoffS) {
      // The arrival times of the oldest rows, up to the first that is still young.
      let last = 0;
      while (last + 1 < logs.length && logs[last + 1][1] < cutoffS) last++;
      return { traces: 0, spans: 0, logs: store.deleteLogRange(logs[0][0], logs[last][0]), done: false };
    }
    const limit = trimming ? options.maxBytes * SIZE_HEADROOM : options.maxBytes;
    if (options.maxBytes <= 0 || storeBytes() <= limit) return { traces: 0, spans: 0, logs: 0, done: true };
    // Over the size limit: whichever arrived first goes, traces or log records.
    const traceSeen = oldestTraceSeen.get() as number | null;
    if (logs.length > 0 && (traceSeen === null || logs[0][1] <= traceSeen)) {
      return { traces: 0, spans: 0, logs: store.deleteLogRange(logs[0][0], logs[logs.length - 1][0]), done: false };
    }
    ids = oldest.all(RETENTION_BATCH) as number[];
    if (ids.length === 0) return { traces: 0, spans: 0, logs: 0, done: true };
    return { traces: ids.length, spans: store.deleteTraces(ids), logs: 0, done: false };
  }

  /**
   * Runs batches until nothing is due, yielding to the event loop between them so that a
   * large backlog never holds up an export or a query for more than one batch.
   */
  async function run(nowMs = Date.now()): Promise<RetentionPass> {
    let deletedTraces = 0;
    let deletedSpans = 0;
    let deletedLogs = 0;
    for (;;) {
      const r = step(nowMs, deletedTraces + deletedLogs > 0);
      deletedTraces += r.traces;
      deletedSpans += r.spans;
      deletedLogs += r.logs;
      if (r.done) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Deleted FTS rows leave tombstones until segments merge; a bounded merge reclaims them.
    if (deletedTraces > 0) db.prepare("INSERT INTO span_terms(span_terms, rank) VALUES ('merge', 200)").run();
    if (deletedLogs > 0) db.prepare("INSERT INTO log_terms(log_terms, rank) VALUES ('merge', 200)").run();
    if (deletedTraces + deletedLogs > 0) db.pragma('incremental_vacuum');
    const deletedRuns = store.pruneRuns?.(nowMs, options.maxAgeMs, deletedTraces > 0) ?? 0;
    return { deletedTraces, deletedSpans, deletedLogs, usedBytes: usedBytes(), deletedRuns };
  }

  return { run, usedBytes, storeBytes };
}

/**
 * How often retention looks for work. Looking is cheap (an index probe and the page
 * count), and a short interval keeps a fast-growing file close to --max-size.
 */
export const RETENTION_INTERVAL_MS = 5_000;

export interface RetentionTimer {
  /** Runs a pass as soon as none is running (a full disk asks for one). */
  nudge(): void;
  stop(): Promise<void>;
}

/** Runs retention now and then every RETENTION_INTERVAL_MS until stopped. */
export function startRetention(store: RetentionStore, options: RetentionOptions, log: (line: string) => void): RetentionTimer {
  if (options.maxAgeMs <= 0 && options.maxBytes <= 0) return { nudge: () => {}, stop: async () => {} };
  const retention = createRetention(store, options);
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped || running !== undefined) return;
    running = retention
      .run()
      .then(
        (pass) => {
          if (pass.deletedTraces + pass.deletedLogs > 0 || pass.deletedRuns > 0) {
            log(`retention: deleted ${pass.deletedTraces} trace(s), ${pass.deletedSpans} span(s), ${pass.deletedLogs} log record(s), ${pass.deletedRuns} run(s); ${pass.usedBytes} bytes in use`);
          }
        },
        (err: unknown) => log(`retention: ${(err as Error).message}`),
      )
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, RETENTION_INTERVAL_MS);
  timer.unref();
  const first = setTimeout(tick, 1000);
  first.unref();
  return {
    nudge: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
