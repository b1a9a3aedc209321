/**
 * A client of Tempo's `tempopb.StreamingQuerier`, built from the service in
 * proto/tempopb/tempo.proto with protobufjs and grpc-js (insecure channel credentials,
 * as Grafana's Tempo data source dials it), independent of tracebox's own codec.
 */
import * as grpc from '@grpc/grpc-js';
import { PLAIN, root } from './proto.ts';

type Plain = Record<string, unknown>;

const service = root.lookupService('tempopb.StreamingQuerier');

function definition(): grpc.ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<Plain, Plain>> = {};
  for (const method of Object.values(service.methods)) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    methods[method.name] = {
      path: `/tempopb.StreamingQuerier/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (o) => Buffer.from(request.encode(request.fromObject(o)).finish()),
      requestDeserialize: (b) => request.toObject(request.decode(b), PLAIN),
      responseSerialize: (o) => Buffer.from(response.encode(response.fromObject(o)).finish()),
      responseDeserialize: (b) => response.toObject(response.decode(b), PLAIN),
    };
  }
  return methods;
}

const StreamingQuerierClient = grpc.makeGenericClientConstructor(definition(), 'StreamingQuerier');

export interface StreamAnswer {
  /** Every message received, in order (plain objects: 64-bit as strings, enums by name). */
  readonly messages: Plain[];
  readonly error?: grpc.ServiceError;
}

export class TempoGrpcClient {
  private readonly client: grpc.Client;

  /** `url` is the query port's HTTP URL, e.g. http://127.0.0.1:3200: the same host and port. */
  constructor(url: string) {
    this.client = new StreamingQuerierClient(new URL(url).host, grpc.credentials.createInsecure());
  }

  /** Starts a server-streaming call; `onMessage` sees each message as it arrives. */
  stream(method: string, request: Plain, metadata: Record<string, string> = {}, onMessage?: (m: Plain, call: grpc.ClientReadableStream<Plain>) => void): Promise<StreamAnswer> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const start = (this.client as unknown as Record<string, (r: Plain, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<Plain>>)[method];
    if (start === undefined) throw new Error(`no method ${method}`);
    const call = start.call(this.client, request, md, { deadline: Date.now() + 30_000 });
    const messages: Plain[] = [];
    return new Promise((resolve) => {
      call.on('data', (m: Plain) => {
        messages.push(m);
        onMessage?.(m, call);
      });
      call.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
      call.on('end', () => resolve({ messages }));
    });
  }

  close(): void {
    this.client.close();
  }
}

export { grpc };
