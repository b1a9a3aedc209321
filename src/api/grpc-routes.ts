/**
 * The query thread's side of Tempo's StreamingQuerier: each call the main thread hands
 * over (grpc-front.ts) is answered by the HTTP API of this same thread, asked as Tempo's
 * frontend asks its own pipeline (tempopb.ts), so a call gets what the HTTP API answers. A
 * search streams the traces it finds while it runs (at most every 500 ms, not marked
 * complete), then its whole answer, as Tempo's frontend does; errors carry the HTTP API's
 * message with the code Tempo gives them.
 */
import { Hono } from 'hono';
import type { SearchResponse } from '../query/index.ts';
import type { QueryInstantResponse, QueryRangeResponse } from '../query/index.ts';
import { ProtoError } from '../shared/protowire.ts';
import type { ApiBindings, ApiEnv } from './env.ts';
import { GRPC_CODE, grpcCode, messageFrame, statusFrame, STREAMING_QUERIER, type CallStatus, type StreamingMethod } from './grpc-stream.ts';
import * as pb from './tempopb.ts';

interface Method {
  /** The HTTP API request (path and query) for the call's request message. */
  readonly target: (request: Uint8Array) => string;
  /** The response messages for the HTTP API's JSON answer. */
  readonly messages: (json: never) => Uint8Array[];
}

const METHODS: Readonly<Record<StreamingMethod, Method>> = {
  Search: { target: pb.searchTarget, messages: (json: SearchResponse) => pb.searchResponseMessages(json) },
  SearchTags: { target: (b) => pb.searchTagsTarget(b, false), messages: (json: pb.TagNamesJson) => pb.searchTagsMessages(json) },
  SearchTagsV2: { target: (b) => pb.searchTagsTarget(b, true), messages: (json: pb.ScopedTagNamesJson) => pb.searchTagsV2Messages(json) },
  SearchTagValues: { target: (b) => pb.searchTagValuesTarget(b, false), messages: (json: pb.TagValuesJson) => pb.searchTagValuesMessages(json) },
  SearchTagValuesV2: { target: (b) => pb.searchTagValuesTarget(b, true), messages: (json: pb.TypedTagValuesJson) => pb.searchTagValuesV2Messages(json) },
  MetricsQueryRange: { target: pb.queryRangeTarget, messages: (json: QueryRangeResponse) => pb.queryRangeMessages(json) },
  MetricsQueryInstant: { target: pb.queryInstantTarget, messages: (json: QueryInstantResponse) => pb.queryInstantMessages(json) },
};

export interface InnerApp {
  fetch(request: Request, env: ApiBindings): Response | Promise<Response>;
}

export function createGrpcRoutes(api: InnerApp): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.post(`/${STREAMING_QUERIER}/:method`, async (c) => {
    // Only the main thread's gRPC front reaches this; over HTTP it does not exist.
    if (c.env?.grpc !== true) return c.text('404 page not found\n', 404);
    const name = c.req.param('method');
    const method = Object.hasOwn(METHODS, name) ? METHODS[name as StreamingMethod] : undefined;
    const request = new Uint8Array(await c.req.arrayBuffer());
    const signal = c.req.raw.signal;

    const body = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        let open = true;
        const put = (bytes: Uint8Array): void => {
          // The caller went away: what is still found is not wanted.
          if (open && !signal.aborted) controller.enqueue(bytes);
        };
        const end = (status: CallStatus): void => {
          put(statusFrame(status));
          if (open) controller.close();
          open = false;
        };
        try {
          if (method === undefined) return end({ code: GRPC_CODE.UNIMPLEMENTED, details: `unknown method ${name} for service ${STREAMING_QUERIER}` });
          let target: string;
          try {
            target = method.target(request);
          } catch (err) {
            if (err instanceof ProtoError) return end({ code: GRPC_CODE.INVALID_ARGUMENT, details: `grpc: error unmarshalling request: ${err.message}` });
            throw err;
          }
          const env: ApiBindings =
            name === 'Search' ? { searchProgress: (partial) => method.messages(partial as never).forEach((m) => put(messageFrame(m))) } : {};
          const res = await api.fetch(new Request(`http://tracebox${target}`, { signal }), env);
          if (res.status !== 200) return end({ code: grpcCode(res.status), details: (await res.text()).trimEnd() });
          for (const m of method.messages((await res.json()) as never)) put(messageFrame(m));
          end({ code: GRPC_CODE.OK, details: '' });
        } catch (err) {
          end({ code: signal.aborted ? GRPC_CODE.CANCELLED : GRPC_CODE.INTERNAL, details: (err as Error).message });
        }
      },
    });
    return new Response(body, { headers: { 'content-type': 'application/grpc' } });
  });

  return app;
}
