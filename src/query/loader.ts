/**
 * Loads a stored trace as the TraceQL engine's QueryTrace, decoding each resource and
 * scope once per loader rather than once per span.
 */
import { decodeResource, decodeScope, decodeSpan } from '../otlp/index.ts';
import { bytesToHex } from '../shared/ids.ts';
import type { QuerySpan, QueryTrace, Scope, SpanContext } from '../shared/span.ts';
import type { SearchReader, TraceRow } from '../store/index.ts';
import { splitJoinedSpans } from './joined-spans.ts';

export interface LoadedTrace {
  readonly row: TraceRow;
  readonly trace: QueryTrace;
  /** Bytes of span protobuf read, for search metrics. */
  readonly bytes: number;
}

export type TraceLoader = (rowid: number) => LoadedTrace | undefined;

export function createTraceLoader(reader: SearchReader): TraceLoader {
  const contexts = new Map<string, SpanContext>();
  const scopes = new Map<number, Scope>();
  const resources = new Map<number, { attrs: SpanContext['resource']; service: string }>();

  function context(resourceId: number, scopeId: number): SpanContext {
    const key = resourceId + ':' + scopeId;
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      let res = resources.get(resourceId);
      if (res === undefined) {
        const row = reader.resource(resourceId);
        res = { attrs: decodeResource(row.raw), service: row.service };
        resources.set(resourceId, res);
      }
      let scope = scopes.get(scopeId);
      if (scope === undefined) {
        scope = decodeScope(reader.scope(scopeId).raw);
        scopes.set(scopeId, scope);
      }
      ctx = { resource: res.attrs, service: res.service, scope };
      contexts.set(key, ctx);
    }
    return ctx;
  }

  return (rowid) => {
    const row = reader.trace(rowid);
    if (row === undefined) return undefined;
    const spans: QuerySpan[] = [];
    let bytes = 0;
    for (const s of reader.spans(rowid)) {
      spans.push(decodeSpan(s.raw, context(s.resourceId, s.scopeId)));
      bytes += s.raw.length;
    }
    const trace: QueryTrace = {
      traceId: bytesToHex(row.traceId),
      spans: splitJoinedSpans(spans),
      rootName: row.rootName ?? undefined,
      rootService: row.rootService ?? undefined,
      startNs: row.startNs,
      endNs: row.endNs,
    };
    return { row, trace, bytes };
  };
}
