/**
 * Tempo's `tempopb.StreamingQuerier` on the query port, beside the HTTP/1.1 API: each new
 * connection is sniffed, the HTTP/2 preface (gRPC clients speak cleartext HTTP/2 with prior
 * knowledge, as Grafana's Tempo data source and `tempo-cli --use-grpc` do) goes to grpc-js,
 * anything else to the HTTP server as before.
 *
 * This is the main thread's part: it checks the token and hands each call, as raw request
 * bytes, to a query thread (grpc-routes.ts), then passes the answer's messages on as they
 * arrive. A cancelled call (or one past its deadline) stops its search there.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CONNECTION_TIMEOUTS } from '../otlp/index.ts';
import { UNAUTHORIZED_MESSAGE, authorizationToken, tokenMatches } from '../shared/auth.ts';
import { sniff } from '../shared/sniff.ts';
import type { ApiBindings } from './env.ts';
import { FrameReader, GRPC_CODE, grpcCode, STREAMING_METHODS, STREAMING_QUERIER, type CallStatus } from './grpc-stream.ts';

export interface QueryGrpcOptions {
  /** When set, calls need the metadata `authorization: Bearer <token>` (UNAUTHENTICATED otherwise). */
  readonly authToken?: string;
  /** Answers a request on a query thread. */
  readonly handOver: (req: Request, bindings: ApiBindings) => Promise<Response>;
}

export interface QueryGrpc {
  close(): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

export const WRONG_PORT_FOR_OTLP =
  "this is tracebox's query port (Tempo's API); send OTLP/gRPC to the OTLP/gRPC port (default 4317), OTLP/HTTP to port 4318";

type Call = grpc.ServerWritableStream<Buffer, Buffer>;

function fail(call: Call, status: CallStatus): void {
  call.emit('error', { code: status.code, details: status.details });
}

/** Writes `message`, waiting while the client's window is full (or until the call is cancelled). */
function write(call: Call, message: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (call.write(Buffer.from(message.buffer, message.byteOffset, message.byteLength))) return resolve();
    const go = (): void => {
      call.off('drain', go);
      call.off('cancelled', go);
      resolve();
    };
    call.on('drain', go);
    call.on('cancelled', go);
  });
}

async function answer(call: Call, method: string, options: QueryGrpcOptions): Promise<void> {
  if (options.authToken !== undefined) {
    const auth = call.metadata.get('authorization')[0];
    if (!tokenMatches(options.authToken, authorizationToken(typeof auth === 'string' ? auth : undefined))) {
      return fail(call, { code: GRPC_CODE.UNAUTHENTICATED, details: UNAUTHORIZED_MESSAGE });
    }
  }
  const abort = new AbortController();
  call.on('cancelled', () => abort.abort());
  let res: Response;
  try {
    res = await options.handOver(
      new Request(`http://tracebox/${STREAMING_QUERIER}/${method}`, { method: 'POST', body: call.request as Uint8Array<ArrayBuffer>, signal: abort.signal }),
      { grpc: true },
    );
  } catch (err) {
    // The query thread is gone (tracebox is closing).
    return fail(call, { code: GRPC_CODE.UNAVAILABLE, details: (err as Error).message });
  }
  if (res.status !== 200 || res.body === null) {
    return fail(call, { code: grpcCode(res.status), details: (await res.text()).trimEnd() });
  }
  const frames = new FrameReader();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const frame of frames.push(value)) {
        if (call.cancelled) return;
        if ('message' in frame) await write(call, frame.message);
        else if (frame.status.code === GRPC_CODE.OK) return void call.end();
        else return fail(call, frame.status);
      }
    }
    if (!call.cancelled) fail(call, { code: GRPC_CODE.INTERNAL, details: 'the answer ended before its status' });
  } catch (err) {
    if (!call.cancelled) fail(call, { code: GRPC_CODE.UNAVAILABLE, details: (err as Error).message });
  } finally {
    // Left early (cancelled, or an error status): the rest of the answer is not wanted.
    reader.cancel().catch(() => {});
  }
}

/**
 * Serves the StreamingQuerier on `server`'s port: its connections are sniffed first,
 * HTTP/1.x ones (and anything not HTTP/2) reach the server's own handling unchanged.
 */
export function serveQueryGrpc(server: Server, options: QueryGrpcOptions): QueryGrpc {
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    // A client's channel reconnects by itself on its next call after this.
    'grpc.max_connection_idle_ms': CONNECTION_TIMEOUTS.idleMs,
  });
  const service: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of STREAMING_METHODS) {
    service[method] = {
      path: `/${STREAMING_QUERIER}/${method}`,
      requestStream: false,
      responseStream: true,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    handlers[method] = (call: Call) => void answer(call, method, options);
  }
  // An OTLP/gRPC exporter pointed at this port is told where spans go.
  service.Export = { ...service.Search, path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', responseStream: false };
  handlers.Export = (_call: unknown, callback: grpc.sendUnaryData<Buffer>) =>
    callback({ code: GRPC_CODE.UNIMPLEMENTED, details: WRONG_PORT_FOR_OTLP });
  grpcServer.addService(service, handlers);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const http1 = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  /** Connections not yet sniffed: no one else knows of them. */
  const undecided = new Set<Socket>();
  let closed = false;
  server.on('connection', (socket: Socket) => {
    if (closed) return void socket.destroy();
    undecided.add(socket);
    const onError = (): void => void socket.destroy();
    socket.on('error', onError);
    socket.once('close', () => undecided.delete(socket));
    sniff(socket, CONNECTION_TIMEOUTS.silentMs, (kind) => {
      undecided.delete(socket);
      socket.off('error', onError);
      if (kind === 'http2') return closed ? void socket.destroy() : injector.injectConnection(socket);
      for (const listener of http1) listener.call(server, socket);
      // The HTTP parser reads what was put back once the socket flows again.
      socket.resume();
    });
  });

  return {
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const socket of undecided) socket.destroy();
        const force = setTimeout(() => {
          injector.destroy();
          grpcServer.forceShutdown();
        }, 2000);
        force.unref();
        injector.drain(1000);
        grpcServer.tryShutdown(() => {
          clearTimeout(force);
          injector.destroy();
          resolve();
        });
      }),
  };
}
