/**
 * The writer thread: owns the one write connection. Decoded rows arrive from the ingest
 * thread (and the query threads, for imports) on their own ports; whatever arrived while
 * a transaction ran is written in the next one together (group commit), and each request
 * is answered after the commit that holds it. Deletes and retention run here too. Every
 * commit and delete is announced on the instance's broadcast channel, so readers'
 * caches and waiting expectations follow.
 */
import { BroadcastChannel, type MessagePort } from 'node:worker_threads';
import { UnavailableError } from '../shared/errors.ts';
import { outcome, runOfResource } from '../otlp/index.ts';
import { Store, createRunWriter, startRetention, type DatabaseLocation, type Generation, type NewRun, type WriteRows, type WriteResult } from '../store/index.ts';
import { errorReply, postReply, serve } from './rpc.ts';
import type { TicketedWrite } from './ingest-driver.ts';
import { eventsChannel, type StoreEvent } from './events.ts';

export interface WriterData {
  readonly role: 'writer';
  readonly instance: string;
  readonly location: DatabaseLocation;
  readonly generation: Generation;
  readonly retention: { readonly maxAgeMs: number; readonly maxBytes: number };
}

/** Spans (or log records) per transaction, at most: about 40 ms of writing here, so a queue drains in turns. */
const TX_SPANS = 2048;

interface Queued {
  readonly rows: WriteRows;
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

/** SQLite's ways of saying the disk (or the file size limit) is full. */
function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC' || /ENOSPC|disk is full|database or disk is full/i.test(String((err as Error).message));
}

export function runWriter(data: WriterData, parent: MessagePort, log: (line: string) => void): void {
  // The checkpoint thread checkpoints (checkpoint-thread.ts).
  const store = Store.openAt(data.location, data.generation, 'elsewhere');
  const channel = new BroadcastChannel(eventsChannel(data.instance));
  const announce = (event: StoreEvent): void => channel.postMessage(event);
  store.onCommitted = (summary) => announce({ type: 'commit', summary });
  store.onDeleted = (range) => announce({ type: 'delete', range });
  const runs = createRunWriter(store.db, runOfResource);
  const retention = startRetention(
    {
      db: store.db,
      file: store.file,
      deleteTraces: (rowids) => store.deleteTraces(rowids),
      pruneDictionaries: (nowMs, sweepSteps) => store.pruneDictionaries(nowMs, sweepSteps),
      deleteLogRange: (first, last) => store.deleteLogRange(first, last),
      pruneRuns: (nowMs, maxAgeMs, deleted) => runs.prune(nowMs, maxAgeMs, deleted),
    },
    data.retention,
    log,
  );

  // Short (the receivers bound what waits), so shift() costs nothing; what is taken is let go.
  const queue: Queued[] = [];
  let scheduled = false;

  function drain(): void {
    scheduled = false;
    const batch: Queued[] = [];
    let spans = 0;
    while (queue.length > 0 && (batch.length === 0 || spans + queue[0].rows.count <= TX_SPANS)) {
      const item = queue.shift()!;
      batch.push(item);
      spans += item.rows.count;
    }
    try {
      const results = store.write(batch.map((q) => q.rows));
      batch.forEach((q, i) => q.resolve(results[i]));
    } catch (err) {
      let failure = err as Error;
      if (isDiskFull(err)) {
        const where = data.location.ephemeral ? `the in-memory store (${data.location.file})` : data.location.file;
        // Said once in a while by the ingest doctor, where the receivers hear of it.
        failure = new UnavailableError(`the disk is full: cannot write ${where}; exports are refused as retryable until there is room`);
        // Retention may free room (with --retention or --max-size); the exporter's retry gets it.
        retention.nudge();
      }
      for (const q of batch) q.reject(failure);
    }
    if (queue.length > 0) schedule();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // After the messages that arrived meanwhile: they join the next transaction.
    setImmediate(drain);
  }

  // Where requests handed on with a ticket are answered: the main thread, which asked.
  let answers: MessagePort | undefined;

  const handlers = {
    write: (rows: WriteRows) =>
      new Promise<{ value: WriteResult }>((resolve, reject) => {
        queue.push({ rows, resolve: (value) => resolve({ value }), reject });
        schedule();
      }),
    writeAnswer: ({ rows, ticket, account }: TicketedWrite) => {
      const to = answers;
      if (to === undefined) throw new Error('no thread takes answers');
      return new Promise<{ value: null }>((resolve) => {
        queue.push({
          rows,
          resolve: (result) => {
            postReply(to, ticket, { value: outcome(account, [result]) });
            resolve({ value: null });
          },
          reject: (err) => {
            postReply(to, ticket, { error: errorReply(err, 'write', log) });
            resolve({ value: null });
          },
        });
        schedule();
      });
    },
    deleteTraces: (rowids: number[]) => ({ value: store.deleteTraces(rowids) }),
    deleteLogsOf: (resourceIds: number[]) => ({ value: store.deleteLogsOf(resourceIds) }),
    clear: () => {
      store.clear();
      return { value: null };
    },
    startRun: (run: NewRun) => ({ value: runs.start(run) }),
    endRun: ({ id, exitCode, endedMs }: { id: string; exitCode: number | null; endedMs: number }) => ({ value: runs.end(id, exitCode, endedMs) }),
  };

  parent.on('message', (message: { type?: string; port?: MessagePort }) => {
    if (message?.type === 'connect' && message.port !== undefined) serve(message.port, handlers, log);
    else if (message?.type === 'answers' && message.port !== undefined) answers = message.port;
    else if (message?.type === 'close') {
      void retention.stop().then(() => {
        channel.close();
        store.close();
        parent.postMessage({ type: 'closed' });
      });
    }
  });
  parent.postMessage({ type: 'ready' });
}
