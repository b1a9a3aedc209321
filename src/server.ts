/**
 * startTracebox(): opens the store and starts the three listeners (OTLP/HTTP,
 * OTLP/gRPC, query API + viewer). Several instances can run in one process.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { createFrontApp, serveQueryGrpc } from './api/index.ts';
import { createOtlpHttpApp, createZipkinApp, CONNECTION_TIMEOUTS, HTTP_MISTAKES, IngestDoctor, IngestGate, startOtlpGrpc, type GrpcHandle } from './otlp/index.ts';
import { forwardUrl, type ForwardOptions, type ForwardStats } from './forward/index.ts';
import { databaseLocation } from './store/index.ts';
import { DEFAULTS } from './defaults.ts';
import { UNAUTHORIZED_MESSAGE, WWW_AUTHENTICATE, authorizationToken, tokenMatches } from './shared/auth.ts';
import type { RemoteWriteOptions } from './metrics/index.ts';
import { startThreads } from './threads/index.ts';

export { DEFAULTS };

export interface TraceboxOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Query API and viewer port (default 3200; 0 picks a free one). */
  port?: number;
  /** OTLP/HTTP port (default 4318). */
  otlpHttpPort?: number;
  /** OTLP/gRPC port (default 4317). */
  otlpGrpcPort?: number;
  /** Data directory (default `.tracebox` under the working directory). */
  data?: string;
  /** Keep everything in memory instead of a data directory. */
  memory?: boolean;
  /** Largest OTLP request body in bytes (default 16 MiB). */
  maxBody?: number;
  /** Request bytes accepted but not yet stored before exports are refused as retryable (default 64 MiB). */
  maxPending?: number;
  /** How long (ms) the requests already waiting may take to store before exports are refused as retryable (default 500; 0: off). */
  maxLagMs?: number;
  /** Delete traces whose last span arrived longer ago than this (ms; default 72 h; 0 keeps them). */
  retentionMs?: number;
  /** Keep the database under this many bytes by deleting the oldest traces (default 1 GiB; 0: no limit). */
  maxSize?: number;
  /** How long (ms) a search works before it answers with what it found, marked incomplete (default 10 s). */
  searchTimeoutMs?: number;
  /** Allow DELETE /api/traces to delete stored traces (off by default; the test API turns it on). */
  allowReset?: boolean;
  /** Push the derived metrics (service graph, span metrics) to this Prometheus remote-write URL (every 15 s unless given). */
  remoteWrite?: string | RemoteWriteOptions;
  /** Extra label dimensions of the derived metrics: attribute names, resource attributes first, then span. */
  metricsDimensions?: string[];
  /** Zipkin v2 JSON receiver port (POST /api/v2/spans); off unless set (0 picks a free one). */
  zipkinPort?: number;
  /** Relay received traces to an OTLP/HTTP endpoint (Tempo, a Collector), optionally tail-sampled; see src/forward. */
  forward?: ForwardOptions;
  /** Require this token (Authorization: Bearer, or the viewer's cookie) on every port except /ready. */
  authToken?: string;
  /** Truncate attribute keys and string values longer than this many characters (default 64 Ki; 0: no limit). */
  maxAttrLength?: number;
  /** Drop attributes past this many per span, event and link (default 128; 0: no limit). */
  maxAttrsPerSpan?: number;
  /** Host names the query port answers to besides loopback, IP addresses and `host` (`*`: any); see src/api/request-guard.ts. */
  allowedHosts?: string[];
  /** Receives one-line problem reports (default: stderr). */
  log?: (line: string) => void;
}

export interface Tracebox {
  /** Base URL of the OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 (spans go to `/v1/traces`). */
  readonly otlpHttpUrl: string;
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317. */
  readonly otlpGrpcUrl: string;
  /** Query API (HTTP, and Tempo's streaming gRPC API on the same port) and viewer, e.g. http://127.0.0.1:3200. */
  readonly apiUrl: string;
  /** The database file, or undefined for an in-memory store. */
  readonly dbPath: string | undefined;
  /** Base URL of the Zipkin receiver when enabled, e.g. http://127.0.0.1:9411 (spans go to `/api/v2/spans`). */
  readonly zipkinUrl?: string;
  /** Forwarding counters (forwarded, dropped, failed, …) when `forward` is set. */
  readonly forwarding?: { stats(): Promise<ForwardStats> };
  /** Stops the listeners and closes the database. Safe to call twice. */
  close(): Promise<void>;
}


/** Thrown when a port is taken; the message names the flag that changes it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly flag: string,
  ) {
    super(`port ${port} is already in use; choose another with ${flag} (0 picks a free port)`);
    this.name = 'PortInUseError';
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** An app as the Node server calls it, with the Node request and response beside the web Request. */
interface Served {
  fetch(request: Request, env: HttpBindings | Http2Bindings): Response | Promise<Response>;
}

async function listen(app: Served, host: string, port: number, flag: string): Promise<Server> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Clients that go quiet (no request line, no body bytes) are dropped, and their number
  // is bounded, so that slow or idle connections cannot hold the port.
  server.headersTimeout = CONNECTION_TIMEOUTS.silentMs;
  server.requestTimeout = 0;
  server.timeout = CONNECTION_TIMEOUTS.silentMs;
  server.maxConnections = CONNECTION_TIMEOUTS.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, flag) : err));
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** `app` behind --auth-token: a request without the token (CORS preflights aside) gets 401. */
function guarded(app: Served, token: string | undefined): Served {
  if (token === undefined) return app;
  return {
    fetch: (req, env) =>
      req.method === 'OPTIONS' || tokenMatches(token, authorizationToken(req.headers.get('authorization') ?? undefined))
        ? app.fetch(req, env)
        : new Response(`${UNAUTHORIZED_MESSAGE}\n`, { status: 401, headers: { 'WWW-Authenticate': WWW_AUTHENTICATE, 'Access-Control-Allow-Origin': '*' } }),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startTracebox(options: TraceboxOptions = {}): Promise<Tracebox> {
  const host = options.host ?? DEFAULTS.host;
  const maxBody = options.maxBody ?? DEFAULTS.maxBody;
  const log = options.log ?? ((line: string) => process.stderr.write(`tracebox: ${line}\n`));
  const dataDir = options.memory ? undefined : path.resolve(options.data ?? DEFAULTS.data);
  const location = databaseLocation(dataDir);
  const remoteWrite = typeof options.remoteWrite === 'string' ? { url: options.remoteWrite } : options.remoteWrite;
  if (options.forward !== undefined) forwardUrl(options.forward.endpoint); // a bad URL fails here, not in a thread
  const threads = await startThreads({
    location,
    retention: { maxAgeMs: options.retentionMs ?? DEFAULTS.retentionMs, maxBytes: options.maxSize ?? DEFAULTS.maxSize },
    limits: {
      maxAttrLength: options.maxAttrLength ?? DEFAULTS.maxAttrLength,
      maxAttrsPerSpan: options.maxAttrsPerSpan ?? DEFAULTS.maxAttrsPerSpan,
    },
    maxBody,
    allowReset: options.allowReset ?? false,
    searchTimeoutMs: options.searchTimeoutMs ?? DEFAULTS.searchTimeoutMs,
    dimensions: options.metricsDimensions,
    remoteWrite,
    forward: options.forward,
    log,
  });

  const started: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    while (started.length > 0) await started.pop()!();
    await threads.close();
  };

  try {
    const { authToken } = options;
    const doctor = new IngestDoctor(log);
    const gate = new IngestGate(options.maxPending ?? DEFAULTS.maxPending, options.maxLagMs ?? DEFAULTS.maxLagMs);
    const { ingest } = threads;
    const api = await listen(
      createFrontApp({ authToken, host, allowedHosts: options.allowedHosts, handOver: threads.handOver, doctor: () => doctor.report() }),
      host,
      options.port ?? DEFAULTS.port,
      '--port',
    );
    started.push(() => closeServer(api));
    // Tempo's streaming gRPC API on the same port; closed first, since the port's server waits for its connections.
    const queryGrpc = serveQueryGrpc(api, { authToken, handOver: threads.handOver });
    started.push(() => queryGrpc.close());
    const otlpHttp = await listen(createOtlpHttpApp(ingest, { maxBody, log, doctor, gate, authToken }), host, options.otlpHttpPort ?? DEFAULTS.otlpHttpPort, '--otlp-http-port');
    started.push(() => closeServer(otlpHttp));
    // An HTTP/2 preface here is a gRPC exporter pointed at the HTTP port. Having a handler
    // replaces Node's default answer to malformed requests, so that is given here too.
    otlpHttp.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'HPE_PAUSED_H2_UPGRADE') doctor.notice(...HTTP_MISTAKES.grpcToHttpPort((otlpHttp.address() as AddressInfo).port));
      if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    const grpcPort = options.otlpGrpcPort ?? DEFAULTS.otlpGrpcPort;
    let grpc: GrpcHandle;
    try {
      grpc = await startOtlpGrpc(ingest, host, grpcPort, { maxBody, log, doctor, gate, authToken });
    } catch (err) {
      throw /EADDRINUSE|address already in use|No address added/i.test(String(err)) ? new PortInUseError(grpcPort, '--otlp-grpc-port') : err;
    }
    started.push(() => grpc.close());
    const zipkin =
      options.zipkinPort === undefined ? undefined : await listen(guarded(createZipkinApp(ingest, { maxBody, log, doctor, gate }), authToken), host, options.zipkinPort, '--zipkin-port');
    if (zipkin !== undefined) started.push(() => closeServer(zipkin));
    const port = (server: Server): number => (server.address() as AddressInfo).port;
    doctor.listening({ otlpHttp: port(otlpHttp), otlpGrpc: grpc.port, ...(zipkin === undefined ? {} : { zipkin: port(zipkin) }) });

    const h = urlHost(host);
    let closing: Promise<void> | undefined;
    const { forwardStats } = threads;
    return {
      otlpHttpUrl: `http://${h}:${(otlpHttp.address() as AddressInfo).port}`,
      otlpGrpcUrl: `http://${h}:${grpc.port}`,
      apiUrl: `http://${h}:${(api.address() as AddressInfo).port}`,
      dbPath: location.ephemeral ? undefined : location.file,
      ...(zipkin === undefined ? {} : { zipkinUrl: `http://${h}:${(zipkin.address() as AddressInfo).port}` }),
      ...(forwardStats === undefined ? {} : { forwarding: { stats: forwardStats } }),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
