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
 * request pass a large one. Nor does a request start decoding while ROWS_AHEAD bytes of
 * rows wait for the writer: rows take ~2.2x the bytes of their request, so under overload
 * the queue waits as requests rather than rows.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { outcome, refusal, RequestRefused, type Decoder, type Ingest, type IngestAnswer, type IngestRequest, type PreparedRequest, type RequestAccount } from '../otlp/index.ts';
import { transferables, type WriteResult, type WriteRows } from '../store/index.ts';
import type { Client } from './rpc.ts';

/** Work between turns given to other requests. */
const SLICE_MS = 10;
const LANES = 2;
/**
 * Rows handed to the writer and not yet written (bytes of their buffers) past which no
 * request starts decoding: a few transactions' worth, so the writer always finds its next
 * one decoded. Under overload the writer's queue held ~33 MB of rows without this bound.
 */
const ROWS_AHEAD = 8 * 1024 * 1024;

function bufferBytes(buffers: readonly ArrayBuffer[]): number {
  let n = 0;
  for (const b of buffers) n += b.byteLength;
  return n;
}

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
  let rowsAhead = 0;
  // Requests waiting for a lane or for the writer to catch up, in arrival order.
  const waiting: Array<() => void> = [];

  /** Resumes waiting requests in arrival order while there is room, each holding its lane from here. */
  function wake(): void {
    while (waiting.length > 0 && decoding < LANES && rowsAhead < ROWS_AHEAD) {
      decoding++;
      waiting.shift()!();
    }
  }

  /** Hands rows to the writer by `method`, counting them ahead until it has written them. */
  function toWriter<T>(method: string, payload: unknown, rows: WriteRows): Promise<T> {
    const buffers = transferables(rows);
    const bytes = bufferBytes(buffers);
    rowsAhead += bytes;
    return writer.call<T>(method, payload, buffers).finally(() => {
      rowsAhead -= bytes;
      wake();
    });
  }

  async function decode(request: IngestRequest): Promise<PreparedRequest> {
    if (waiting.length === 0 && decoding < LANES && rowsAhead < ROWS_AHEAD) decoding++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // wake() took a lane for it
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
      wake();
    }
  }

  async function write(prepared: PreparedRequest): Promise<IngestAnswer> {
    // One slice at a time: the writer takes what waits in arrival order, so the slices of
    // a large request, all sent at once, would hold up every small request behind them.
    const written: WriteResult[] = [];
    for (const rows of prepared.slices) written.push(await toWriter<WriteResult>('write', rows, rows));
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
      void toWriter('writeAnswer', { rows, ticket, account } satisfies TicketedWrite, rows).catch(() => undefined);
      return FORWARDED;
    },
  };
}
