/**
 * The ingest thread: decodes export requests that the receivers (on the main thread)
 * hand over as bytes, and has the writer thread store them. The main thread keeps only
 * network I/O.
 */
import type { MessagePort } from 'node:worker_threads';
import { createDecoder, type DecoderOptions, type IngestRequest } from '../otlp/index.ts';
import { followStore } from './events.ts';
import { threadIngest } from './ingest-driver.ts';
import { Client, serve } from './rpc.ts';

export interface IngestData {
  readonly role: 'ingest';
  readonly instance: string;
  readonly decoder: DecoderOptions;
  readonly writer: MessagePort;
}

export function runIngest(data: IngestData, parent: MessagePort, log: (line: string) => void): () => void {
  const decoder = createDecoder(data.decoder);
  // The writer says when a key's dictionary is full (its values are then not observed at
  // all); after a delete the dictionary may lack what the decoder took for known.
  const unfollow = followStore(data.instance, undefined, (event) => {
    if (event.type === 'commit') for (const key of event.summary.fullKeys) decoder.tags.keyFull(key);
    else if (event.type === 'delete') decoder.tags.forget();
  });
  const { handOn } = threadIngest(decoder, new Client(data.writer));
  serve(parent, { ingest: async ({ request, ticket }: { request: IngestRequest; ticket: number }) => ({ value: await handOn(request, ticket) }) }, log);
  return () => {
    unfollow();
    data.writer.close();
  };
}
