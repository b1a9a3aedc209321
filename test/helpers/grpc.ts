/**
 * A raw OTLP/gRPC client: TraceService/Export (or LogsService/Export) with the request given as bytes, so
 * tests can send exactly what they built (or garbage).
 */
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

function serviceClient(path: string, name: string) {
  return grpc.makeGenericClientConstructor(
    {
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    name,
  );
}

const CLIENTS = {
  traces: serviceClient('/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'TraceService'),
  logs: serviceClient('/opentelemetry.proto.collector.logs.v1.LogsService/Export', 'LogsService'),
  metrics: serviceClient('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', 'MetricsService'),
};

export interface GrpcAnswer {
  readonly error?: grpc.ServiceError;
  readonly response?: Buffer;
}

export interface GrpcExportOptions {
  readonly gzip?: boolean;
  /** Call metadata, e.g. { authorization: 'Bearer …' }. */
  readonly metadata?: Record<string, string>;
  /** The service called: TraceService (default), LogsService or MetricsService. */
  readonly signal?: keyof typeof CLIENTS;
}

function metadataOf(entries: Record<string, string> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** Sends one Export call to `url` (http://host:port) and resolves with the error or the response bytes. */
export async function grpcExport(url: string, request: Uint8Array, options: GrpcExportOptions = {}): Promise<GrpcAnswer> {
  const channelOptions: grpc.ChannelOptions = { 'grpc.max_send_message_length': -1 };
  if (options.gzip) channelOptions['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms.gzip;
  const client = new CLIENTS[options.signal ?? 'traces'](new URL(url).host, grpc.credentials.createInsecure(), channelOptions);
  try {
    return await new Promise<GrpcAnswer>((resolve) => {
      const deadline = Date.now() + 10_000;
      (client as unknown as Record<string, Function>).Export(
        Buffer.from(request.buffer, request.byteOffset, request.byteLength),
        metadataOf(options.metadata),
        { deadline },
        (error: grpc.ServiceError | null, response?: Buffer) => resolve(error ? { error } : { response }),
      );
    });
  } finally {
    client.close();
  }
}

export { grpc };
