/**
 * Hono middleware shared by the HTTP receivers: each request ends up in the ingest
 * doctor's record with what its handler learnt (bytes, spans, rejections, error).
 */
import type { Readable } from 'node:stream';
import type { MiddlewareHandler } from 'hono';
import type { IngestDoctor, Transport } from './doctor.ts';
import { SESSION_HEADER } from './session.ts';

/** What a handler learnt about its request; it fills in `c.get('outcome')`. */
export interface Outcome {
  bytes: number;
  spans: number;
  rejected: number;
  error: string;
}

/** `incoming` is the Node request, when @hono/node-server serves the app (not under `app.request`). */
export type RecordedEnv = { Bindings: { incoming?: Readable } | undefined; Variables: { outcome: Outcome } };

export function recordRequests(doctor: IngestDoctor, transport: Transport): MiddlewareHandler<RecordedEnv> {
  return async (c, next) => {
    const outcome: Outcome = { bytes: 0, spans: 0, rejected: 0, error: '' };
    c.set('outcome', outcome);
    await next();
    doctor.record({
      at: Date.now(),
      transport,
      method: c.req.method,
      path: c.req.path,
      contentType: c.req.header('content-type') ?? '',
      contentEncoding: c.req.header('content-encoding') ?? '',
      session: c.req.header(SESSION_HEADER) ?? '',
      bytes: outcome.bytes,
      spans: outcome.spans,
      rejected: outcome.rejected,
      status: c.res.status,
      error: outcome.error,
    });
  };
}
