/**
 * Tempo's trace-by-id and health endpoints, answering byte-for-byte what Grafana's
 * Tempo datasource expects (as in Tempo 2.7), Zipkin's joined client/server spans given
 * ids of their own as Tempo's query frontend gives them.
 */
import { Hono } from 'hono';
import { ProtoWriter } from '../shared/protowire.ts';
import { encodeTracesData, splitJoinedRawSpans, tracesDataToJson } from '../otlp/index.ts';
import type { Store } from '../store/index.ts';
import { parseTraceId, parseTraceRange } from './params.ts';

/** The Tempo release whose API this one follows; Grafana gates features on it. */
export const TEMPO_COMPAT_VERSION = '2.7.2';
const PROTOBUF = 'application/protobuf';

function wantsProtobuf(accept: string | undefined): boolean {
  return accept === PROTOBUF;
}

/** tempopb.TraceByIDResponse with only `trace` (field 1) set. */
function traceByIdResponse(traceBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new ProtoWriter(traceBytes.length + 8).bytesField(1, traceBytes).finish();
}

export function createTempoRoutes(store: Store): Hono {
  const app = new Hono();

  app.get('/api/echo', (c) => c.text('echo\n'));

  app.get('/api/status/buildinfo', (c) =>
    c.json({ version: TEMPO_COMPAT_VERSION, revision: 'tracebox', branch: 'HEAD', buildUser: '', buildDate: '', goVersion: '' }),
  );

  app.get('/api/traces/:id', (c) => {
    const id = parseTraceId(c.req.param('id'));
    const range = parseTraceRange(c.req.query('start'), c.req.query('end'));
    const trace = store.trace(id, range);
    if (trace === undefined) return c.body(null, 404);
    const bytes = encodeTracesData(splitJoinedRawSpans(trace));
    if (wantsProtobuf(c.req.header('accept'))) return c.body(bytes, 200, { 'Content-Type': PROTOBUF });
    const { resourceSpans } = tracesDataToJson(bytes, { ids: 'base64', enums: 'names' });
    return c.json({ batches: resourceSpans });
  });

  app.get('/api/v2/traces/:id', (c) => {
    const id = parseTraceId(c.req.param('id'));
    const range = parseTraceRange(c.req.query('start'), c.req.query('end'));
    const trace = store.trace(id, range);
    // Tempo answers an unknown trace with 200 and an empty trace here (Grafana relies on it).
    const bytes = encodeTracesData(trace === undefined ? [] : splitJoinedRawSpans(trace));
    if (wantsProtobuf(c.req.header('accept'))) {
      return c.body(traceByIdResponse(bytes), 200, { 'Content-Type': PROTOBUF });
    }
    if (trace === undefined) return c.json({ trace: {} });
    return c.json({ trace: tracesDataToJson(bytes, { ids: 'base64', enums: 'names' }) });
  });

  return app;
}
