/**
 * Tempo's trace-by-id and health endpoints, answering byte-for-byte what Grafana's
 * Tempo datasource expects (as in Tempo 2.7), Zipkin's joined client/server spans given
 * ids of their own as Tempo's query frontend gives them.
 */
import { Hono } from 'hono';
import { ProtoWriter } from '../shared/protowire.ts';
import { canonicalResourceSpans, encodeTracesData, splitJoinedRawSpans, tracesDataToJson } from '../otlp/index.ts';
import type { StoreReader, TraceByIdWindow } from '../store/index.ts';
import { parseTraceRange } from './params.ts';
import { parseTraceId } from '../shared/ids.ts';

/** The Tempo release whose API this one follows; Grafana gates features on it. */
export const TEMPO_COMPAT_VERSION = '2.7.2';
const PROTOBUF = 'application/protobuf';

/**
 * Tempo asks its ingesters for a trace without looking at start/end, and they hold a trace
 * for about max_block_duration (30 min by default) after it arrives; only older traces,
 * read from storage blocks, are held to the window.
 */
const HELD_BY_INGESTERS_S = 30 * 60;

function traceWindow(start: string | undefined, end: string | undefined): TraceByIdWindow | undefined {
  const range = parseTraceRange(start, end);
  return range && { ...range, arrivedSinceS: Math.floor(Date.now() / 1000) - HELD_BY_INGESTERS_S };
}

function wantsProtobuf(accept: string | undefined): boolean {
  return accept === PROTOBUF;
}

/** tempopb.TraceByIDResponse with only `trace` (field 1) set. */
function traceByIdResponse(traceBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new ProtoWriter(traceBytes.length + 8).bytesField(1, traceBytes).finish();
}

export function createTempoRoutes(store: StoreReader): Hono {
  const app = new Hono();

  app.get('/api/echo', (c) => c.text('echo\n'));

  app.get('/api/status/buildinfo', (c) =>
    c.json({ version: TEMPO_COMPAT_VERSION, revision: 'tracebox', branch: 'HEAD', buildUser: '', buildDate: '', goVersion: '' }),
  );

  app.get('/api/traces/:id', (c) => {
    const id = parseTraceId(c.req.param('id'));
    const trace = store.trace(id, traceWindow(c.req.query('start'), c.req.query('end')));
    if (trace === undefined) return c.body(null, 404);
    const bytes = encodeTracesData(canonicalResourceSpans(splitJoinedRawSpans(trace)));
    if (wantsProtobuf(c.req.header('accept'))) return c.body(bytes, 200, { 'Content-Type': PROTOBUF });
    const { resourceSpans } = tracesDataToJson(bytes, { ids: 'base64', enums: 'names' });
    return c.json({ batches: resourceSpans });
  });

  app.get('/api/v2/traces/:id', (c) => {
    const id = parseTraceId(c.req.param('id'));
    const trace = store.trace(id, traceWindow(c.req.query('start'), c.req.query('end')));
    // Tempo answers an unknown trace with 200 and an empty trace here (Grafana relies on it).
    const bytes = encodeTracesData(canonicalResourceSpans(trace === undefined ? [] : splitJoinedRawSpans(trace)));
    if (wantsProtobuf(c.req.header('accept'))) {
      return c.body(traceByIdResponse(bytes), 200, { 'Content-Type': PROTOBUF });
    }
    if (trace === undefined) return c.json({ trace: {} });
    return c.json({ trace: tracesDataToJson(bytes, { ids: 'base64', enums: 'names' }) });
  });

  return app;
}
