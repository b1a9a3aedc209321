/**
 * Entry point of every worker thread: the role in workerData picks what it runs. Lines to
 * log go to the main thread, which owns the instance's log function; so does a request
 * to close (answered with `closed` once done).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { useNativeBinding } from '../store/index.ts';
import type { CheckpointData } from './checkpoint-thread.ts';
import type { IngestData } from './ingest-thread.ts';
import type { QueryData } from './query-thread.ts';
import type { WriterData } from './writer-thread.ts';

export type WorkerData = (WriterData | CheckpointData | IngestData | QueryData) & {
  /** The better-sqlite3 addon to load (the single executable's copy), when not the installed one. */
  readonly nativeBinding?: string;
};

const data = workerData as WorkerData;
const parent = parentPort as MessagePort;
const log = (line: string): void => parent.postMessage({ type: 'log', line });
if (data.nativeBinding !== undefined) useNativeBinding(data.nativeBinding);

/** Runs a reader role: `stop` is called on a request to close. */
function run(stop: () => unknown): void {
  parent.on('message', (message: { type?: string }) => {
    if (message?.type !== 'close') return;
    void Promise.resolve(stop()).then(
      (final) => parent.postMessage({ type: 'closed', final }),
      (err: unknown) => {
        log(`closing: ${(err as Error).stack ?? String(err)}`);
        parent.postMessage({ type: 'closed' });
      },
    );
  });
  parent.postMessage({ type: 'ready' });
}

// Each role loads only its own modules (a query thread's API is most of the code). No
// top-level await: the single executable's worker is a CommonJS bundle. A failure to
// start (say, a database it cannot open) is left unhandled: it ends the thread with the
// error, which the main thread reports.
void (data.role === 'writer'
  ? import('./writer-thread.ts').then((m) => m.runWriter(data, parent, log))
  : data.role === 'checkpoint'
    ? import('./checkpoint-thread.ts').then((m) => run(m.runCheckpoint(data, parent, log)))
    : data.role === 'ingest'
      ? import('./ingest-thread.ts').then((m) => run(m.runIngest(data, parent, log)))
      : import('./query-thread.ts').then((m) => run(m.runQuery(data, parent, log))));
