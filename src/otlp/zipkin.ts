/**
 * Zipkin receiver: `POST /api/v2/spans` with Zipkin v2 JSON (gzip or deflate), answered as
 * Zipkin answers (202 Accepted, 400 with a plain-text message, 413 over --max-body, 503 +
 * Retry-After when the store is behind). Spans are mapped to OTLP (zipkin-to-otlp.ts) and
 * stored through the same ingest as OTLP, so sessions, dedupe and the doctor work alike.
 */
import { recordRequests, type RecordedEnv } from './record.ts';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { UnavailableError } from '../shared/errors.ts';
import { PayloadTooLargeError, readCounted, type Admitted } from './body.ts';
import { HTTP_MISTAKES, type IngestDoctor } from './doctor.ts';
import { OVERLOADED, RETRY_AFTER_S, type IngestGate } from './gate.ts';
import type { Ingest } from './ingest.ts';
import { SESSION_HEADER } from './session.ts';

export interface ZipkinReceiverOptions {
  /** Largest accepted body in bytes, before and after decompression. */
  readonly maxBody: number;
  readonly log: (line: string) => void;
  readonly doctor: IngestDoctor;
  readonly gate: IngestGate;
}

export const ZIPKIN_PATH = '/api/v2/spans';

type Env = RecordedEnv;

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Max-Age': '86400',
};

export function createZipkinApp(ingest: Ingest, options: ZipkinReceiverOptions): Hono<Env> {
  const app = new Hono<Env>();
  const { doctor } = options;

  app.use('*', recordRequests(doctor, 'zipkin'));

  const text = (c: Context<Env>, status: 400 | 404 | 405 | 413 | 415 | 500 | 503, message: string, headers: Record<string, string> = {}): Response => {
    c.get('outcome').error = message;
    return c.text(`${message}\n`, status, { ...CORS_HEADERS, ...headers });
  };

  app.options(ZIPKIN_PATH, (c) =>
    c.body(null, 204, {
      ...CORS_HEADERS,
      // Only what exporters send, whatever the preflight asks for.
      'Access-Control-Allow-Headers': `Content-Type, Content-Encoding, Authorization, ${SESSION_HEADER}`,
    }),
  );

  app.post(ZIPKIN_PATH, async (c) => {
    const mime = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (mime === 'application/x-protobuf' || mime === 'application/protobuf' || mime === 'application/x-thrift') {
      return text(c, 415, `unsupported Content-Type "${mime}": tracebox's Zipkin receiver takes Zipkin v2 JSON (application/json)`);
    }
    const outcome = c.get('outcome');
    const unavailable = (message: string): Response => text(c, 503, message, { 'Retry-After': String(RETRY_AFTER_S) });
    let admitted: Admitted | undefined;
    let stored = false;
    try {
      admitted = await readCounted(c.req.raw, c.env?.incoming, options.maxBody, options.gate);
      if (admitted === undefined) return unavailable(OVERLOADED);
      const { raw } = admitted;
      outcome.bytes = raw.length;
      const answer = await ingest({ body: raw, encoding: c.req.header('content-encoding'), format: 'zipkin', session: c.req.header(SESSION_HEADER) });
      for (const mistake of answer.mistakes) doctor.notice(...HTTP_MISTAKES[mistake]());
      if (!answer.ok) return text(c, answer.status, answer.message);
      stored = true;
      outcome.spans = answer.result.stored;
      outcome.rejected = answer.result.rejected;
      if (answer.result.rejected > 0) options.log(`zipkin: ${answer.result.message}`);
      return c.body(null, 202, CORS_HEADERS);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) return text(c, 413, `request body exceeds the limit of ${options.maxBody} bytes (--max-body)`);
      if (err instanceof UnavailableError) {
        doctor.notice('store-unavailable', err.message);
        return unavailable(err.message);
      }
      options.log(`zipkin: failed to store spans: ${(err as Error).message}`);
      return text(c, 500, `failed to store spans: ${(err as Error).message}`);
    } finally {
      if (admitted !== undefined) options.gate.done(admitted.id, admitted.bytes, stored);
    }
  });

  app.all(ZIPKIN_PATH, (c) => text(c, 405, `method not allowed: the Zipkin receiver takes POST ${ZIPKIN_PATH}`, { Allow: 'POST, OPTIONS' }));

  app.notFound((c) => {
    const hint =
      c.req.path === '/api/v1/spans'
        ? `${c.req.method} ${c.req.path}: Zipkin v1 is not supported; send Zipkin v2 JSON to POST ${ZIPKIN_PATH}`
        : c.req.path === '/v1/traces'
          ? `${c.req.method} ${c.req.path}: this is the Zipkin port; OTLP/HTTP goes to the OTLP/HTTP port (default 4318)`
          : `${c.req.method} ${c.req.path}: Zipkin spans go to POST ${ZIPKIN_PATH}`;
    doctor.notice('zipkin-path', hint);
    return text(c, 404, `not found: ${hint}`);
  });

  return app;
}
