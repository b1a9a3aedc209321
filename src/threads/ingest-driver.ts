/**
 * Ingest on a thread that serves other requests too: the decode stage runs a slice at a
 * time, giving way between slices once it has worked for SLICE_MS, and the slices go to
 * the writer thread, which answers each after its commit. A request of one slice (most
 * are) is answered by the writer itself, straight to the thread that asked (its ticket):
 * relayed here, the answer waited ~3 ms on average for this thread to finish decoding
 * others, and exporters waiting for answers send nothing new meanwhile.
 *
 * At most LANES requests decode at once, the others wait their turn in arrival order as
 * bytes: decoding every waiting request a slice at a time made all of them finish late
 * together and held all their decoded rows in memory at once. Two lanes let a small
 * request pass a large one.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { outcome, refusal, RequestRefused, type Decoder, type Ingest, type IngestAnswer, type IngestRequest, type PreparedRequest, type RequestAccount } from '../otlp/index.ts';
import { transferables, type WriteResult, type WriteRows } from '../store/index.ts';
import type { Client } from './rpc.ts';

/** Work between turns given to other requests. */
const SLICE_MS = 10;
const LANES = 2;

/** The answer to a request handed on to the writer, which answers its ticket itself. */
export const FORWARDED = 'forwarded';

/** What the writer is given to store a one-slice request and answer its ticket. */
export interface TicketedWrite {
  readonly rows: WriteRows;
  readonly ticket: number;
  readonly account: RequestAccount;
}

/**
 * Decodes a request and has it written. `ingest` answers it after the commit; `handOn`,
 * given a ticket, has the writer answer a one-slice request to that ticket itself
 * (resolving to FORWARDED) and answers any other request as `ingest` does.
 */
export interface ThreadIngest {
  readonly ingest: Ingest;
  handOn(request: IngestRequest, ticket: number): Promise<IngestAnswer | typeof FORWARDED>;
}

export function threadIngest(decoder: Decoder, writer: Client): ThreadIngest {
  let decoding = 0;
  const waiting: Array<() => void> = [];

  async function decode(request: IngestRequest): Promise<PreparedRequest> {
    if (decoding >= LANES) await new Promise<void>((resolve) => waiting.push(resolve));
    decoding++;
    try {
      const steps = decoder.prepare(request);
      let until = performance.now() + SLICE_MS;
      for (;;) {
        const r = steps.next();
        if (r.done === true) return r.value;
        if (performance.now() > until) {
          await immediate();
          until = performance.now() + SLICE_MS;
        }
      }
    } finally {
      decoding--;
      waiting.shift()?.();
    }
  }

  async function write(prepared: PreparedRequest): Promise<IngestAnswer> {
    // One slice at a time: the writer takes what waits in arrival order, so the slices of
    // a large request, all sent at once, would hold up every small request behind them.
    const written: WriteResult[] = [];
    for (const rows of prepared.slices) written.push(await writer.call<WriteResult>('write', rows, transferables(rows)));
    return outcome(prepared, written);
  }

  async function prepare(request: IngestRequest): Promise<PreparedRequest | IngestAnswer> {
    try {
      return await decode(request);
    } catch (err) {
      if (err instanceof RequestRefused) return refusal(err);
      throw err;
    }
  }

  return {
    async ingest(request) {
      const prepared = await prepare(request);
      return 'slices' in prepared ? write(prepared) : prepared;
    },
    async handOn(request, ticket) {
      const prepared = await prepare(request);
      if (!('slices' in prepared)) return prepared;
      if (prepared.slices.length !== 1) return write(prepared);
      const { slices, ...account } = prepared;
      const rows = slices[0];
      // Its outcome, an error included, goes to the ticket; the writer's reply here says nothing more.
      void writer.call('writeAnswer', { rows, ticket, account } satisfies TicketedWrite, transferables(rows)).catch(() => undefined);
      return FORWARDED;
    },
  };
}
