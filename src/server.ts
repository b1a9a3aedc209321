/**
 * startTracebox(): opens the store and starts the three listeners (OTLP/HTTP,
 * OTLP/gRPC, query API + viewer). Several instances can run in one process.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApiApp } from './api/index.ts';
import { createIngest, createOtlpHttpApp, HTTP_MISTAKES, IngestDoctor, IngestGate, startOtlpGrpc, type GrpcHandle } from './otlp/index.ts';
import { startRetention, Store } from './store/index.ts';
import { DEFAULTS } from './defaults.ts';

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
  /** Delete traces whose last span arrived longer ago than this (ms; default 72 h; 0 keeps them). */
  retentionMs?: number;
  /** Keep the database under this many bytes by deleting the oldest traces (default 1 GiB; 0: no limit). */
  maxSize?: number;
  /** Allow DELETE /api/traces to delete stored traces (off by default; the test API turns it on). */
  allowReset?: boolean;
  /** Receives one-line problem reports (default: stderr). */
  log?: (line: string) => void;
}

export interface Tracebox {
  /** Base URL of the OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 (spans go to `/v1/traces`). */
  readonly otlpHttpUrl: string;
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317. */
  readonly otlpGrpcUrl: string;
  /** Query API and viewer, e.g. http://127.0.0.1:3200. */
  readonly apiUrl: string;
  /** The database file, or undefined for an in-memory store. */
  readonly dbPath: string | undefined;
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

async function listen(app: Pick<Hono, 'fetch'>, host: string, port: number, flag: string): Promise<Server> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, flag) : err));
    server.listen(port, host, () => resolve());
  });
  return server;
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
  const store = Store.open({ dataDir });

  const started: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    while (started.length > 0) await started.pop()!();
    store.close();
  };

  try {
    const retention = startRetention(store, { maxAgeMs: options.retentionMs ?? DEFAULTS.retentionMs, maxBytes: options.maxSize ?? DEFAULTS.maxSize }, log);
    started.push(() => retention.stop());
    const ingest = createIngest(store);
    const doctor = new IngestDoctor(log);
    const gate = new IngestGate(options.maxPending ?? DEFAULTS.maxPending);
    const api = await listen(createApiApp({ store, log, doctor, allowReset: options.allowReset ?? false, maxBody }), host, options.port ?? DEFAULTS.port, '--port');
    started.push(() => closeServer(api));
    const otlpHttp = await listen(
      createOtlpHttpApp(ingest, { maxBody, log, doctor, gate }),
      host,
      options.otlpHttpPort ?? DEFAULTS.otlpHttpPort,
      '--otlp-http-port',
    );
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
      grpc = await startOtlpGrpc(ingest, host, grpcPort, { maxBody, log, doctor, gate });
    } catch (err) {
      throw /EADDRINUSE|address already in use|No address added/i.test(String(err)) ? new PortInUseError(grpcPort, '--otlp-grpc-port') : err;
    }
    started.push(() => grpc.close());

    const h = urlHost(host);
    let closing: Promise<void> | undefined;
    return {
      otlpHttpUrl: `http://${h}:${(otlpHttp.address() as AddressInfo).port}`,
      otlpGrpcUrl: `http://${h}:${grpc.port}`,
      apiUrl: `http://${h}:${(api.address() as AddressInfo).port}`,
      dbPath: store.path,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
