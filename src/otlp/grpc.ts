/**
 * OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and
 * `opentelemetry.proto.collector.logs.v1.LogsService/Export`.
 * The request is handed over as raw bytes (identity deserializer) so it goes through
 * the same hand decoder as OTLP/HTTP; grpc-js handles gzip.
 *
 * tracebox owns the listening socket and hands HTTP/2 connections to grpc-js, so that
 * a plain HTTP/1.1 request or a TLS handshake sent here by mistake gets an answer that
 * says so, instead of a connection reset.
 */
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../shared/errors.ts';
import { sniff } from '../shared/sniff.ts';
import { UNAUTHORIZED_MESSAGE, authorizationToken, tokenMatches } from '../shared/auth.ts';
import { CONNECTION_TIMEOUTS } from './body.ts';
import { HTTP_MISTAKES, type IngestDoctor } from './doctor.ts';
import { OVERLOADED, type IngestGate } from './gate.ts';
import type { Ingest } from './ingest.ts';
import { exportResponseProtobuf, type Signal } from './responses.ts';
import { SESSION_HEADER } from './session.ts';

export interface OtlpGrpcOptions {
  readonly maxBody: number;
  readonly log: (line: string) => void;
  readonly doctor: IngestDoctor;
  readonly gate: IngestGate;
  /** When set, calls need the metadata `authorization: Bearer <token>` (UNAUTHENTICATED otherwise). */
  readonly authToken?: string;
}

const EXPORT_PATHS: Record<Signal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};
const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const identity = (b: Buffer): Buffer => b;

function exportService(signal: Signal): grpc.ServiceDefinition {
  return {
    Export: {
      path: EXPORT_PATHS[signal],
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      responseDeserialize: identity,
    },
  };
}

export interface GrpcHandle {
  readonly port: number;
  close(): Promise<void>;
}

function http1Answer(message: string): string {
  const body = `${message}\n`;
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startOtlpGrpc(ingest: Ingest, host: string, port: number, options: OtlpGrpcOptions): Promise<GrpcHandle> {
  const { doctor } = options;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxBody,
    'grpc.max_send_message_length': 1024 * 1024,
    // An exporter's channel reconnects by itself on its next export after this.
    'grpc.max_connection_idle_ms': CONNECTION_TIMEOUTS.idleMs,
  });
  for (const signal of ['traces', 'logs'] as const) server.addService(exportService(signal), { Export: exporter(signal) });
  // Metrics are not stored: the exporter hears what to set instead of a bare UNIMPLEMENTED.
  server.addService(
    { Export: { ...exportService('traces').Export, path: METRICS_EXPORT_PATH } },
    {
      Export(_call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) {
        const [code, message] = HTTP_MISTAKES.metrics('MetricsService/Export');
        doctor.notice(code, message);
        callback({ code: grpc.status.UNIMPLEMENTED, details: message });
      },
    },
  );

  function exporter(signal: Signal) {
    const what = signal === 'logs' ? 'log records' : 'spans';
    return (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>): void => {
      const session = call.metadata.get(SESSION_HEADER)[0];
      const record = { at: Date.now(), transport: 'otlp/grpc', method: 'POST', path: EXPORT_PATHS[signal], contentType: 'application/grpc' } as const;
      const encoding = call.metadata.get('grpc-encoding')[0];
      const common = { ...record, contentEncoding: typeof encoding === 'string' ? encoding : '', session: typeof session === 'string' ? session : '', bytes: call.request.length };
      if (options.authToken !== undefined) {
        const auth = call.metadata.get('authorization')[0];
        if (!tokenMatches(options.authToken, authorizationToken(typeof auth === 'string' ? auth : undefined))) {
          doctor.record({ ...common, spans: 0, rejected: 0, status: 'UNAUTHENTICATED', error: 'unauthorized' });
          callback({ code: grpc.status.UNAUTHENTICATED, details: UNAUTHORIZED_MESSAGE });
          return;
        }
      }
      // grpc-js has read the message already; refusing still keeps the backlog bounded.
      const bytes = call.request.length;
      const id = options.gate.admit(bytes);
      if (id === undefined || !options.gate.add(id, bytes)) {
        if (id !== undefined) options.gate.done(id, 0);
        doctor.record({ ...common, spans: 0, rejected: 0, status: 'UNAVAILABLE', error: 'overloaded' });
        callback({ code: grpc.status.UNAVAILABLE, details: OVERLOADED });
        return;
      }
      let stored = false;
      // grpc-js has undone grpc-encoding already; the body is plain protobuf.
      ingest({ body: call.request, format: 'protobuf', session: typeof session === 'string' ? session : undefined, signal })
        .then((answer) => {
          for (const mistake of answer.mistakes) doctor.notice(...HTTP_MISTAKES[mistake]());
          if (!answer.ok) {
            doctor.record({ ...common, spans: 0, rejected: 0, status: 'INVALID_ARGUMENT', error: answer.message });
            callback({ code: grpc.status.INVALID_ARGUMENT, details: answer.message });
            return;
          }
          stored = true;
          const { result } = answer;
          if (result.rejected > 0) options.log(`otlp/grpc: ${result.message}`);
          doctor.record({ ...common, spans: result.stored, rejected: result.rejected, status: 'OK', error: result.message });
          callback(null, exportResponseProtobuf(result));
        })
        .catch((err: unknown) => {
          const retry = err instanceof UnavailableError;
          if (retry) doctor.notice('store-unavailable', (err as Error).message);
          else options.log(`otlp/grpc: failed to store ${what}: ${(err as Error).message}`);
          const message = retry ? (err as Error).message : `failed to store ${what}: ${(err as Error).message}`;
          doctor.record({ ...common, spans: 0, rejected: 0, status: retry ? 'UNAVAILABLE' : 'INTERNAL', error: message });
          callback({ code: retry ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL, details: message });
        })
        .finally(() => options.gate.done(id, bytes, stored));
    };
  }
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = net.createServer((socket) => {
    sniff(socket, CONNECTION_TIMEOUTS.silentMs, (kind, head) => {
      if (kind === 'http1') {
        const line = head.subarray(0, 64).toString('latin1').split('\r\n')[0];
        const [code, message] = HTTP_MISTAKES.httpToGrpcPort(bound, line);
        doctor.notice(code, message);
        socket.end(http1Answer(message));
        return;
      }
      if (kind === 'tls') {
        doctor.notice(...HTTP_MISTAKES.tlsToPlaintext(bound));
        socket.destroy();
        return;
      }
      injector.injectConnection(socket);
    });
    socket.on('error', () => socket.destroy());
  });
  listener.maxConnections = CONNECTION_TIMEOUTS.maxConnections;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => resolve());
  });
  const bound = (listener.address() as net.AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close();
        const force = setTimeout(() => {
          injector.destroy();
          server.forceShutdown();
        }, 2000);
        force.unref();
        injector.drain(1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          injector.destroy();
          resolve();
        });
      }),
  };
}
