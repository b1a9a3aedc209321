/**
 * A query thread: a read connection to the store and the API app over it. Searches,
 * trace reads, tag listings, TraceQL metrics and expectations run here, beside the
 * writer (WAL lets readers and the writer work at once). The first query thread also
 * owns what must exist once per instance: the derived metrics (their counters must
 * never go down between scrapes), remote write and forwarding.
 */
import type { MessagePort } from 'node:worker_threads';
import { createApiApp } from '../api/index.ts';
import { startForwarding, type ForwardOptions, type ForwardStats } from '../forward/index.ts';
import { createDerivedMetrics, startRemoteWrite, type RemoteWriteOptions } from '../metrics/index.ts';
import { createDecoder, type AttributeLimits } from '../otlp/index.ts';
import { StoreReader, type DatabaseLocation, type Generation, type RunRecord, type StoreWrites } from '../store/index.ts';
import { followStore } from './events.ts';
import { serveHttp } from './handover.ts';
import { threadIngest } from './ingest-driver.ts';
import { Client, serve } from './rpc.ts';

export interface QueryData {
  readonly role: 'query';
  readonly instance: string;
  readonly location: DatabaseLocation;
  readonly generation: Generation;
  readonly writer: MessagePort;
  readonly allowReset: boolean;
  readonly searchTimeoutMs: number;
  readonly maxBody: number;
  readonly limits: AttributeLimits;
  /** Only for the thread that owns them. */
  readonly owner?: {
    readonly dimensions?: readonly string[];
    readonly remoteWrite?: RemoteWriteOptions;
    readonly forward?: ForwardOptions;
  };
}

/** What a query thread reports as it closes: forwarding's last counters. */
export interface QueryFinal {
  readonly forwardStats?: ForwardStats;
}

export function runQuery(data: QueryData, parent: MessagePort, log: (line: string) => void): () => Promise<QueryFinal> {
  const store = StoreReader.openReader(data.location, data.generation);
  const writer = new Client(data.writer);
  const decoder = createDecoder({ limits: data.limits, maxBody: data.maxBody });
  // After a delete the dictionary may lack what the import decoder took for known.
  const unfollow = followStore(data.instance, store, (event) => {
    if (event.type === 'delete') decoder.tags.forget();
  });
  const writes: StoreWrites = {
    deleteTraces: (rowids) => writer.call<number>('deleteTraces', rowids),
    deleteLogsOf: (resourceIds) => writer.call<number>('deleteLogsOf', resourceIds),
    clear: () => writer.call<void>('clear'),
    startRun: (run) => writer.call<RunRecord>('startRun', run),
    endRun: (id, exitCode, endedMs) => writer.call<RunRecord | undefined>('endRun', { id, exitCode, endedMs }),
  };
  const owner = data.owner;
  const metrics = owner === undefined ? undefined : createDerivedMetrics(store, { dimensions: owner.dimensions });
  const remoteWrite = metrics === undefined || owner?.remoteWrite === undefined ? undefined : startRemoteWrite(metrics, owner.remoteWrite, log);
  const forwarder = owner?.forward === undefined ? undefined : startForwarding(store, owner.forward, log);
  if (forwarder !== undefined) serve(parent, { forwardStats: () => ({ value: forwarder.stats() }) }, log);
  const app = createApiApp({ store, writes, ingest: threadIngest(decoder, writer).ingest, metrics, log, allowReset: data.allowReset, searchTimeoutMs: data.searchTimeoutMs, maxBody: data.maxBody });
  serveHttp(parent, app, log);
  return async () => {
    // Forwarding flushes what it holds; it reads the store, so it stops before the store closes.
    await forwarder?.close();
    await remoteWrite?.stop();
    metrics?.dispose();
    unfollow();
    store.close();
    data.writer.close();
    return forwarder === undefined ? {} : { forwardStats: forwarder.stats() };
  };
}
