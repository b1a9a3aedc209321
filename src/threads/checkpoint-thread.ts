/**
 * The checkpoint thread: copies the WAL back into the database file on a connection of its
 * own, so that the writer's commits never wait for a checkpoint (measured: commits took
 * ~1.3x as long when the writer checkpointed itself). While ingest is idle it truncates the
 * WAL, so the files on disk shrink back to the database itself.
 */
import fs from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { openDatabase, type DatabaseLocation } from '../store/index.ts';
import { followStore } from './events.ts';

export interface CheckpointData {
  readonly role: 'checkpoint';
  readonly instance: string;
  readonly location: DatabaseLocation;
}

/** How often the WAL is looked at. */
const INTERVAL_MS = 250;
/** No commit for this long: ingest is idle, and the WAL is truncated. */
const IDLE_MS = 1_000;

export function runCheckpoint(data: CheckpointData, _parent: MessagePort, log: (line: string) => void): () => void {
  const db = openDatabase(data.location, 'reader');
  // A checkpoint copies WAL frames to the file without the page cache.
  db.pragma('cache_size = -1024');
  let lastCommit = 0;
  let truncated = true;
  // Commits and deletes (retention) alike grow the WAL.
  const unfollow = followStore(data.instance, undefined, () => {
    lastCommit = Date.now();
    truncated = false;
  });
  const wal = `${data.location.file}-wal`;
  const timer = setInterval(() => {
    try {
      if (Date.now() - lastCommit < IDLE_MS) db.pragma('wal_checkpoint(PASSIVE)');
      else if (!truncated) {
        // TRUNCATE holds the write lock while it copies what is left and waits (up to the busy
        // timeout) for readers of old snapshots: a PASSIVE pass first copies the bulk of a
        // large WAL (a retention pass writes one) without holding up a writer that wakes.
        db.pragma('wal_checkpoint(PASSIVE)');
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        truncated = result.busy === 0 && (!fs.existsSync(wal) || fs.statSync(wal).size === 0);
      }
    } catch (err) {
      log(`checkpoint: ${(err as Error).message}`);
    }
  }, INTERVAL_MS);
  return () => {
    clearInterval(timer);
    unfollow();
    db.close();
  };
}
