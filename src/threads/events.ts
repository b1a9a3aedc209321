/**
 * What the writer thread announces to every other thread of an instance: commits (for
 * readers' caches, derived metrics, forwarding and waiting expectations) and deletes.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { CommitSummary, StoreReader, TimeRangeNs } from '../store/index.ts';

export type StoreEvent = { readonly type: 'commit'; readonly summary: CommitSummary } | { readonly type: 'delete'; readonly range: TimeRangeNs | undefined };

/** The channel name: instances in one process stay apart. */
export function eventsChannel(instance: string): string {
  return `tracebox:${instance}:store`;
}

/** Feeds the writer's announcements to `reader` (and `onEvent`); returns the close function. */
export function followStore(instance: string, reader: StoreReader | undefined, onEvent?: (event: StoreEvent) => void): () => void {
  const channel = new BroadcastChannel(eventsChannel(instance));
  channel.onmessage = (message) => {
    const event = (message as { data: StoreEvent }).data;
    if (event.type === 'commit') reader?.noteCommitted(event.summary);
    else reader?.noteDeleted(event.range);
    onEvent?.(event);
  };
  // Listening alone must not keep a thread alive.
  (channel as unknown as { unref?: () => void }).unref?.();
  return () => channel.close();
}
