/**
 * Stored raw parts → OTLP protobuf. TracesData, ExportTraceServiceRequest and Tempo's
 * `tempopb.Trace` share one wire layout (`repeated ResourceSpans = 1`), so this one
 * encoder serves Tempo's trace API, export files and forwarding; log records have theirs.
 */
import { ProtoWriter } from '../shared/protowire.ts';
import type { RawResourceSpans } from './types.ts';
import { ResourceSpans, ScopeSpans, TracesData } from './schema/index.ts';

const RS = ResourceSpans.field;
const SS = ScopeSpans.field;

export function encodeTracesData(resourceSpans: readonly RawResourceSpans[]): Uint8Array<ArrayBuffer> {
  let size = 64;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) size += s.length + 6;
  const w = new ProtoWriter(size);
  for (const rs of resourceSpans) {
    w.fork(TracesData.field.resourceSpans);
    if (rs.resource !== undefined) w.bytesField(RS.resource, rs.resource);
    for (const ss of rs.scopeSpans) {
      w.fork(RS.scopeSpans);
      if (ss.scope !== undefined) w.bytesField(SS.scope, ss.scope);
      for (const span of ss.spans) w.bytesField(SS.spans, span);
      if (ss.schemaUrl !== '') w.stringField(SS.schemaUrl, ss.schemaUrl);
      w.join();
    }
    if (rs.schemaUrl !== '') w.stringField(RS.schemaUrl, rs.schemaUrl);
    w.join();
  }
  return w.finish();
}

/** Log records of one resource and scope, as stored: the messages' bytes. */
export interface RawLogGroup {
  readonly resource: Uint8Array | undefined;
  readonly scope: Uint8Array | undefined;
  readonly records: readonly Uint8Array[];
}

/** Stored log records → LogsData (the same bytes as an ExportLogsServiceRequest). */
export function encodeLogsData(groups: readonly RawLogGroup[]): Uint8Array<ArrayBuffer> {
  let size = 64;
  for (const g of groups) for (const rec of g.records) size += rec.length + 6;
  const w = new ProtoWriter(size);
  for (const g of groups) {
    w.fork(1);
    if (g.resource !== undefined) w.bytesField(1, g.resource);
    w.fork(2);
    if (g.scope !== undefined) w.bytesField(1, g.scope);
    for (const rec of g.records) w.bytesField(2, rec);
    w.join();
    w.join();
  }
  return w.finish();
}
