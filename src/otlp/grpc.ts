/**
 * OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.
 * The request is handed over as raw bytes (identity deserializer) so it goes through
 * the same hand decoder as OTLP/HTTP; grpc-js handles gzip.
 */
import * as grpc from '@grpc/grpc-js';
import { BadRequestError } from '../shared/errors.ts';
import type { Ingest } from './ingest.ts';
import { SESSION_HEADER } from './session.ts';
import { exportResponseProtobuf } from './responses.ts';

export interface OtlpGrpcOptions {
  readonly maxBody: number;
  readonly log: (line: string) => void;
}

const identity = (b: Buffer): Buffer => b;

const traceService: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    responseDeserialize: identity,
  },
};

export interface GrpcHandle {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOtlpGrpc(ingest: Ingest, host: string, port: number, options: OtlpGrpcOptions): Promise<GrpcHandle> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxBody,
    'grpc.max_send_message_length': 1024 * 1024,
  });
  server.addService(traceService, {
    Export(call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) {
      try {
        const session = call.metadata.get(SESSION_HEADER)[0];
        const result = ingest(call.request, 'protobuf', typeof session === 'string' ? session : undefined);
        if (result.rejected > 0) options.log(`otlp/grpc: ${result.message}`);
        callback(null, exportResponseProtobuf(result));
      } catch (err) {
        if (err instanceof BadRequestError) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
          return;
        }
        options.log(`otlp/grpc: failed to store spans: ${(err as Error).message}`);
        callback({ code: grpc.status.INTERNAL, details: `failed to store spans: ${(err as Error).message}` });
      }
    },
  });
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // A client holding a stream open must not keep tracebox from exiting.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
