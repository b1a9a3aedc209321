/**
 * Ingest on a thread that serves other requests too: the decode stage runs a slice at a
 * time, giving way between slices once it has worked for SLICE_MS, and the slices go to
 * the writer thread, which answers each after its commit.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { outcome, refusal, RequestRefused, type Decoder, type Ingest, type PreparedRequest } from '../otlp/index.ts';
import { transferables, type SpanRows, type WriteResult } from '../store/index.ts';
import type { Client } from './rpc.ts';

/** Work between turns given to other requests. */
const SLICE_MS = 10;

export function threadIngest(decoder: Decoder, writer: Client): Ingest {
  return async (request) => {
    const steps = decoder.prepare(request);
    let until = performance.now() + SLICE_MS;
    let prepared: PreparedRequest;
    try {
      for (;;) {
        const r = steps.next();
        if (r.done === true) {
          prepared = r.value;
          break;
        }
        if (performance.now() > until) {
          await immediate();
          until = performance.now() + SLICE_MS;
        }
      }
    } catch (err) {
      if (err instanceof RequestRefused) return refusal(err);
      throw err;
    }
    const written = await Promise.all(prepared.slices.map((rows: SpanRows) => writer.call<WriteResult>('write', rows, transferables(rows))));
    return outcome(prepared, written);
  };
}
