/**
 * The threads of one tracebox instance, as the main thread starts and reaches them:
 *
 *   main thread     network I/O only: the receivers, the query port's front (health,
 *                   token, viewer files), hand-over of requests
 *   ingest thread   decodes export requests into rows and terms (otlp/ingest.ts)
 *   writer thread   the one write connection: group commit, deletes, retention
 *   checkpoint      copies the WAL into the database file, off the writer's path
 *   query threads   read connections: search, traces, tags, metrics, expectations, MCP
 *
 * Nothing whose cost grows with a request, a trace or the store runs on the main thread.
 */
import crypto from 'node:crypto';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { ApiBindings } from '../api/index.ts';
import { DERIVED_METRICS_PATHS } from '../api/index.ts';
import type { ForwardOptions, ForwardStats } from '../forward/index.ts';
import type { RemoteWriteOptions } from '../metrics/index.ts';
import type { AttributeLimits, Ingest, IngestAnswer, IngestRequest } from '../otlp/index.ts';
import { PayloadTooLargeError, readBody } from '../otlp/index.ts';
import { nativeBindingPath, newGeneration, StoreOpenError, type DatabaseLocation } from '../store/index.ts';
import { QueryThread } from './handover.ts';
import { FORWARDED } from './ingest-driver.ts';
import { Answers, Client } from './rpc.ts';
import { spawnWorker, useWorkerScript } from './spawn.ts';
import type { QueryFinal } from './query-thread.ts';
import type { WorkerData } from './worker.ts';

export { useWorkerScript };

export interface ThreadsOptions {
  readonly location: DatabaseLocation;
  readonly retention: { readonly maxAgeMs: number; readonly maxBytes: number };
  readonly limits: AttributeLimits;
  readonly maxBody: number;
  /** Zipkin: type tag values that look like numbers or booleans. */
  readonly parseStringTags?: boolean;
  readonly allowReset: boolean;
  /** How long a search works before it answers, marked incomplete. */
  readonly searchTimeoutMs: number;
  readonly dimensions?: readonly string[];
  readonly remoteWrite?: RemoteWriteOptions;
  readonly forward?: ForwardOptions;
  /**
   * Query threads at most (default 2: one long search never holds up the others). The
   * first starts with tracebox, the others when a request finds every one busy.
   */
  readonly queryThreads?: number;
  readonly log: (line: string) => void;
}

export interface Threads {
  /** Decodes and stores an export request on the ingest and writer threads. */
  readonly ingest: Ingest;
  /** Answers a query-port request on a query thread. */
  handOver(req: Request, bindings: ApiBindings): Promise<Response>;
  /** Forwarding's counters, when forwarding is on. */
  readonly forwardStats?: () => Promise<ForwardStats>;
  close(): Promise<void>;
}

/** Largest request body the query port takes (imports are bounded by --max-body there too). */
const QUERY_BODY_SLACK = 1024 * 1024;

/** Resolves when the worker says it is ready; rejects with its error if it fails first. */
function started(worker: Worker, log: (line: string) => void, role: string): Promise<void> {
  worker.on('message', (m: { type?: string; line?: string }) => {
    if (m?.type === 'log' && m.line !== undefined) log(m.line);
  });
  return new Promise<void>((resolve, reject) => {
    const onMessage = (m: { type?: string }): void => {
      if (m?.type !== 'ready') return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.on('error', (err) => log(`${role} thread failed: ${err.stack ?? err.message}`));
      resolve();
    };
    const onError = (err: Error): void => {
      worker.off('message', onMessage);
      // A store that cannot be opened keeps its own error type across the thread boundary.
      reject(err.name === 'StoreOpenError' ? new StoreOpenError(err.message) : err);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
}

/** Asks a worker to close, waits for it (a few seconds at most), then ends it; resolves to what it reported last. */
async function stop(worker: Worker): Promise<unknown> {
  const final = await new Promise<unknown>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5_000);
    timer.unref();
    const done = (m: { type?: string; final?: unknown }): void => {
      if (m?.type !== 'closed') return;
      clearTimeout(timer);
      resolve(m.final);
    };
    worker.on('message', done);
    worker.once('exit', () => resolve(undefined));
    worker.postMessage({ type: 'close' });
  });
  await worker.terminate();
  return final;
}

export async function startThreads(options: ThreadsOptions): Promise<Threads> {
  const instance = crypto.randomBytes(8).toString('hex');
  const generation = newGeneration();
  const nativeBinding = nativeBindingPath();
  const common = { instance, location: options.location, generation, ...(nativeBinding === undefined ? {} : { nativeBinding }) };
  const log = options.log;
  const workers: Worker[] = [];
  let closing: Promise<void> | undefined;

  const writer = spawnWorker({ role: 'writer', ...common, retention: options.retention } satisfies WorkerData);
  workers.push(writer);
  try {
    await started(writer, log, 'writer');
    /** A port to the writer, for a thread about to start. */
    const writerPort = (): MessagePort => {
      const { port1, port2 } = new MessageChannel();
      writer.postMessage({ type: 'connect', port: port1 }, [port1]);
      return port2;
    };
    const spawnWithWriter = (data: Omit<WorkerData, 'writer'>): Worker => {
      const port = writerPort();
      const worker = spawnWorker({ ...data, writer: port }, [port]);
      workers.push(worker);
      return worker;
    };

    const checkpointer = spawnWorker({ role: 'checkpoint', ...common } satisfies WorkerData);
    workers.push(checkpointer);
    const ingestWorker = spawnWithWriter({
      role: 'ingest',
      ...common,
      decoder: { limits: options.limits, maxBody: options.maxBody, parseStringTags: options.parseStringTags },
    } as Omit<WorkerData, 'writer'>);
    const spawnQuery = (owner: boolean): Worker =>
      spawnWithWriter({
        role: 'query',
        ...common,
        allowReset: options.allowReset,
        searchTimeoutMs: options.searchTimeoutMs,
        maxBody: options.maxBody,
        limits: options.limits,
        ...(owner ? { owner: { dimensions: options.dimensions, remoteWrite: options.remoteWrite, forward: options.forward } } : {}),
      } as Omit<WorkerData, 'writer'>);
    const owner = spawnQuery(true);
    await Promise.all([started(checkpointer, log, 'checkpoint'), started(ingestWorker, log, 'ingest'), started(owner, log, 'query')]);

    const ingestClient = new Client(ingestWorker);
    // The writer answers most export requests here itself (see ingest-driver.ts).
    const { port1: writerAnswers, port2: answersPort } = new MessageChannel();
    writer.postMessage({ type: 'answers', port: writerAnswers }, [writerAnswers]);
    const answers = new Answers(answersPort);
    let nextTicket = 1;
    const ownerClient = new Client(owner);
    const queryWorkers = [owner];
    const queries = [new QueryThread(owner)];
    const maxQueries = Math.max(1, options.queryThreads ?? 2);
    let starting: Promise<void> | undefined;
    /** Another query thread, started in the background; requests meanwhile go to those running. */
    function moreQueryThreads(): void {
      if (starting !== undefined || queryWorkers.length >= maxQueries || closing !== undefined) return;
      const worker = spawnQuery(false);
      queryWorkers.push(worker);
      starting = started(worker, log, 'query').then(
        () => {
          queries.push(new QueryThread(worker));
          starting = undefined;
        },
        (err: unknown) => log(`a query thread did not start: ${(err as Error).message}`),
      );
    }

    const ingest: Ingest = async (request: IngestRequest) => {
      const body = request.body.byteOffset === 0 && request.body.byteLength === request.body.buffer.byteLength ? request.body : request.body.slice();
      const ticket = nextTicket++;
      const answered = answers.waitFor<IngestAnswer>(ticket);
      // Failed at shutdown while the ingest thread still has the request: that call fails too.
      answered.catch(() => undefined);
      let first: IngestAnswer | typeof FORWARDED;
      try {
        first = await ingestClient.call<IngestAnswer | typeof FORWARDED>('ingest', { request: { ...request, body }, ticket }, [body.buffer as ArrayBuffer]);
      } catch (err) {
        answers.cancel(ticket);
        throw err;
      }
      if (first === FORWARDED) return answered;
      answers.cancel(ticket);
      return first;
    };

    async function handOver(req: Request, bindings: ApiBindings): Promise<Response> {
      let body: Uint8Array | null = null;
      if (req.body !== null) {
        try {
          body = await readBody(req, options.maxBody + QUERY_BODY_SLACK);
        } catch (err) {
          if (err instanceof PayloadTooLargeError) return new Response(`the body exceeds the limit of ${options.maxBody} bytes (--max-body)\n`, { status: 413 });
          throw err;
        }
      }
      const path = new URL(req.url).pathname;
      const longPoll = path === '/api/expect';
      let target = queries[0];
      if (!DERIVED_METRICS_PATHS.test(path)) for (const q of queries) if (q.load < target.load) target = q;
      if (target.load > 0) moreQueryThreads();
      return target.handOver(req, body, bindings, !longPoll);
    }

    /** Forwarding's counters as the owner thread reported them when it closed. */
    let lastForwardStats: ForwardStats | undefined;
    return {
      ingest,
      handOver,
      ...(options.forward === undefined ? {} : { forwardStats: async () => lastForwardStats ?? (await ownerClient.call<ForwardStats>('forwardStats')) }),
      close: () =>
        (closing ??= (async () => {
          const gone = new Error('tracebox is shutting down');
          await starting;
          // Readers first (forwarding flushes through the store), then ingest, the writer last.
          const finals = (await Promise.all(queryWorkers.map(stop))) as Array<QueryFinal | undefined>;
          lastForwardStats = finals[0]?.forwardStats;
          queries.forEach((q) => q.failAll(gone));
          await stop(ingestWorker);
          ingestClient.failAll(gone);
          await stop(checkpointer);
          await stop(writer);
          answers.failAll(gone);
          answersPort.close();
        })()),
    };
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
}
