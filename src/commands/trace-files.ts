/**
 * Trace files (any shape `tracebox import` takes: OTLP/JSON, JSON lines, Tempo, Grafana,
 * Jaeger, gzip) read straight into traces, for `tracebox diff <fileA> <fileB>`: no
 * server is needed to compare two exports.
 */
import { readFile } from 'node:fs/promises';
import { decodeExportRequest, decodeResource, decodeScope, decodeSpan, importToProtobuf } from '../otlp/index.ts';
import { splitJoinedSpans, traceJson, type TraceJson } from '../query/index.ts';
import type { QuerySpan } from '../shared/span.ts';
import { bytesToHex } from '../shared/ids.ts';

/** The traces in a file, each whole as the file holds it. */
export async function readTraceFile(file: string): Promise<TraceJson[]> {
  const { request } = importToProtobuf(await readFile(file));
  const batch = decodeExportRequest(request);
  const resources = batch.resources.map((r) => ({ resource: decodeResource(r.raw), service: r.serviceName }));
  const scopes = batch.scopes.map((s) => decodeScope(s.raw));
  const byTrace = new Map<string, QuerySpan[]>();
  for (const s of batch.spans) {
    const id = bytesToHex(s.traceId);
    const span = decodeSpan(s.raw, { ...resources[s.resource], scope: scopes[s.scope] });
    const list = byTrace.get(id);
    if (list === undefined) byTrace.set(id, [span]);
    else list.push(span);
  }
  return [...byTrace].map(([traceId, spans]) => {
    let startNs = spans[0].startNs;
    let endNs = spans[0].endNs;
    for (const s of spans) {
      if (s.startNs < startNs) startNs = s.startNs;
      if (s.endNs > endNs) endNs = s.endNs;
    }
    return traceJson({ traceId, spans: splitJoinedSpans(spans), rootName: undefined, rootService: undefined, startNs, endNs });
  });
}
