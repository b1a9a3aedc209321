/**
 * Ingest on a thread that serves other requests too: the decode stage runs a slice at a
 * time, giving way between slices once it has worked for SLICE_MS, and the slices go to
 * the writer thread, which answers each after its commit.
 *
 * At most LANES requests decode at once, the others wait their turn in arrival order as
 * bytes: decoding every waiting request a slice at a time made all of them finish late
 * together and held all their decoded rows in memory at once. Two lanes let a small
 * request pass a large one.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { outcome, refusal, RequestRefused, type Decoder, type Ingest, type PreparedRequest } from '../otlp/index.ts';
import { transferables, type WriteResult } from '../store/index.ts';
import type { Client } from './rpc.ts';

/** Work between turns given to other requests. */
const SLICE_MS = 10;
const LANES = 2;

export function threadIngest(decoder: Decoder, writer: Client): Ingest {
  let decoding = 0;
  const waiting: Array<() => void> = [];

  async function decode(request: Parameters<Ingest>[0]): Promise<PreparedRequest> {
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

  return async (request) => {
    let prepared: PreparedRequest;
    try {
      prepared = await decode(request);
    } catch (err) {
      if (err instanceof RequestRefused) return refusal(err);
      throw err;
    }
    // One slice at a time: the writer takes what waits in arrival order, so the slices of
    // a large request, all sent at once, would hold up every small request behind them.
    const written: WriteResult[] = [];
    for (const rows of prepared.slices) written.push(await writer.call<WriteResult>('write', rows, transferables(rows)));
    return outcome(prepared, written);
  };
}
