/**
 * OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/logs` with protobuf or JSON bodies, gzip or deflate,
 * answered as the OTLP specification says (200 with partial_success, 400 with a
 * google.rpc.Status, 413, 415, 405), with CORS for browser exporters.
 */
import { recordRequests, type RecordedEnv } from './record.ts';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { UnavailableError } from '../shared/errors.ts';
import { UNAUTHORIZED_MESSAGE, WWW_AUTHENTICATE, authorizationToken, tokenMatches } from '../shared/auth.ts';
import type { Ingest } from './ingest.ts';
import { SESSION_HEADER } from './session.ts';
import { PayloadTooLargeError, readCounted, type Admitted } from './body.ts';
import { HTTP_MISTAKES, type IngestDoctor } from './doctor.ts';
import { OVERLOADED, RETRY_AFTER_S, type IngestGate } from './gate.ts';
import {
  RPC_INTERNAL,
  RPC_INVALID_ARGUMENT,
  RPC_UNAUTHENTICATED,
  RPC_UNAVAILABLE,
  exportResponseJson,
  exportResponseProtobuf,
  statusJson,
  statusProtobuf,
  type Signal,
  type WireFormat,
} from './responses.ts';

export interface OtlpHttpOptions {
  /** Largest accepted body in bytes, before and after decompression. */
  readonly maxBody: number;
  readonly log: (line: string) => void;
  readonly doctor: IngestDoctor;
  readonly gate: IngestGate;
  /** When set, POST needs `Authorization: Bearer <token>` (401 otherwise); CORS preflights never do. */
  readonly authToken?: string;
}


const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Max-Age': '86400',
};

/** The request headers a browser exporter sends: no more are allowed cross-origin. */
const CORS_ALLOW_HEADERS = `Content-Type, Content-Encoding, Authorization, ${SESSION_HEADER}`;

const SIGNAL_PATHS: ReadonlyArray<readonly [string, Signal]> = [
  ['/v1/traces', 'traces'],
  ['/v1/logs', 'logs'],
];

function formatOf(contentType: string | undefined): WireFormat | undefined {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return undefined;
}

export function createOtlpHttpApp(ingest: Ingest, options: OtlpHttpOptions): Hono<RecordedEnv> {
  const app = new Hono<RecordedEnv>();
  const { doctor } = options;

  app.use('*', recordRequests(doctor, 'otlp/http'));

  function status(c: Context<RecordedEnv>, format: WireFormat, httpStatus: 400 | 413 | 415 | 500, code: number, message: string): Response {
    c.get('outcome').error = message;
    const headers = { ...CORS_HEADERS };
    if (format === 'json') {
      return c.body(statusJson(code, message), httpStatus, { ...headers, 'Content-Type': 'application/json' });
    }
    return c.body(statusProtobuf(code, message), httpStatus, { ...headers, 'Content-Type': 'application/x-protobuf' });
  }

  for (const [path, signal] of SIGNAL_PATHS) route(path, signal);

  function route(path: string, signal: Signal): void {
    app.options(path, (c) => c.body(null, 204, { ...CORS_HEADERS, 'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS }));

    const { authToken } = options;
    if (authToken !== undefined) {
      app.use(path, async (c, next) => {
        if (c.req.method === 'OPTIONS' || tokenMatches(authToken, authorizationToken(c.req.header('authorization')))) return next();
        c.get('outcome').error = 'unauthorized';
        const format = formatOf(c.req.header('content-type')) ?? 'json';
        const body = format === 'json' ? statusJson(RPC_UNAUTHENTICATED, UNAUTHORIZED_MESSAGE) : statusProtobuf(RPC_UNAUTHENTICATED, UNAUTHORIZED_MESSAGE);
        const type = format === 'json' ? 'application/json' : 'application/x-protobuf';
        return c.body(body, 401, { ...CORS_HEADERS, 'Content-Type': type, 'WWW-Authenticate': WWW_AUTHENTICATE });
      });
    }

    app.post(path, async (c) => {
      const contentType = c.req.header('content-type');
      const format = formatOf(contentType);
      if (format === undefined) {
        return status(
          c,
          'json',
          415,
          RPC_INVALID_ARGUMENT,
          `unsupported Content-Type "${contentType ?? ''}": send application/x-protobuf or application/json`,
        );
      }
      const outcome = c.get('outcome');
      const unavailable = (message: string): Response => {
        outcome.error = message;
        return c.body(format === 'json' ? statusJson(RPC_UNAVAILABLE, message) : statusProtobuf(RPC_UNAVAILABLE, message), 503, {
          ...CORS_HEADERS,
          'Retry-After': String(RETRY_AFTER_S),
          'Content-Type': format === 'json' ? 'application/json' : 'application/x-protobuf',
        });
      };
      let admitted: Admitted | undefined;
      let stored = false;
      try {
        admitted = await readCounted(c.req.raw, c.env?.incoming, options.maxBody, options.gate);
        if (admitted === undefined) return unavailable(OVERLOADED);
        const { raw } = admitted;
        outcome.bytes = raw.length;
        const answer = await ingest({ body: raw, encoding: c.req.header('content-encoding'), format, session: c.req.header(SESSION_HEADER), signal });
        for (const mistake of answer.mistakes) doctor.notice(...HTTP_MISTAKES[mistake]());
        if (!answer.ok) return status(c, format, answer.status, RPC_INVALID_ARGUMENT, answer.message);
        stored = true;
        const { result } = answer;
        outcome.spans = result.stored;
        outcome.rejected = result.rejected;
        if (result.rejected > 0) options.log(`otlp/http: ${result.message}`);
        if (format === 'json') {
          return c.body(exportResponseJson(result), 200, { ...CORS_HEADERS, 'Content-Type': 'application/json' });
        }
        return c.body(exportResponseProtobuf(result), 200, { ...CORS_HEADERS, 'Content-Type': 'application/x-protobuf' });
      } catch (err) {
        if (err instanceof PayloadTooLargeError) {
          return status(c, format, 413, RPC_INVALID_ARGUMENT, `request body exceeds the limit of ${options.maxBody} bytes (--max-body)`);
        }
        if (err instanceof UnavailableError) {
          doctor.notice('store-unavailable', err.message);
          return unavailable(err.message);
        }
        const what = signal === 'logs' ? 'log records' : 'spans';
        options.log(`otlp/http: failed to store ${what}: ${(err as Error).message}`);
        return status(c, format, 500, RPC_INTERNAL, `failed to store ${what}: ${(err as Error).message}`);
      } finally {
        if (admitted !== undefined) options.gate.done(admitted.id, admitted.bytes, stored);
      }
    });

    app.all(path, (c) => c.text(`method not allowed: OTLP/HTTP takes POST ${path}`, 405, { ...CORS_HEADERS, Allow: 'POST, OPTIONS' }));
  }

  app.notFound((c) => {
    const [code, message] = HTTP_MISTAKES.wrongPath(c.req.method, c.req.path);
    doctor.notice(code, message);
    c.get('outcome').error = message;
    return c.text(`not found: ${message}`, 404, CORS_HEADERS);
  });

  return app;
}
