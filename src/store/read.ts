/**
 * Reading a whole trace back in OTLP's nesting, in Tempo's order: spans by start time
 * within a scope, scopes and resources by the start of their first span.
 */
import type { RawResourceSpans, RawScopeSpans } from '../otlp/types.ts';
import type { Db } from './db.ts';

export interface TimeRangeNs {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

interface Part {
  readonly raw: Uint8Array | undefined;
  readonly schemaUrl: string;
}

/** The optional window of a trace-by-id read. */
export interface TraceByIdWindow extends TimeRangeNs {
  /** A trace whose last span arrived at or after this unix second is returned whatever the window. */
  readonly arrivedSinceS: number;
}

export type TraceReader = (traceId: Uint8Array, window?: TraceByIdWindow) => RawResourceSpans[] | undefined;

export function createTraceReader(db: Db): TraceReader {
  const traceRow = db.prepare('SELECT id, start_ns, end_ns, seen_s FROM traces WHERE trace_id = ?').safeIntegers(true);
  const spanRows = db
    .prepare('SELECT resource_id, scope_id, raw FROM spans WHERE trace_rowid = ? ORDER BY start_ns, id')
    .raw(true);
  const resourceRow = db.prepare('SELECT raw, schema_url FROM resources WHERE id = ?').raw(true);
  const scopeRow = db.prepare('SELECT raw, schema_url FROM scopes WHERE id = ?').raw(true);

  // Resources and scopes are few and immutable once written.
  const resources = new Map<number, Part>();
  const scopes = new Map<number, Part>();
  function part(cache: Map<number, Part>, stmt: typeof resourceRow, id: number): Part {
    let p = cache.get(id);
    if (p === undefined) {
      const [raw, schemaUrl] = stmt.get(id) as [Uint8Array | null, string];
      p = { raw: raw ?? undefined, schemaUrl };
      if (cache.size > 10_000) cache.clear();
      cache.set(id, p);
    }
    return p;
  }

  return (traceId, window) => {
    const t = traceRow.get(traceId) as { id: bigint; start_ns: bigint; end_ns: bigint; seen_s: bigint } | undefined;
    if (t === undefined) return undefined;
    if (window !== undefined && t.seen_s < BigInt(window.arrivedSinceS) && (t.start_ns > window.endNs || t.end_ns < window.startNs)) {
      return undefined;
    }
    const out: RawResourceSpans[] = [];
    const byResource = new Map<number, { rs: RawResourceSpans; scopes: Map<number, RawScopeSpans> }>();
    for (const [resourceId, scopeId, raw] of spanRows.iterate(Number(t.id)) as Iterable<[number, number, Uint8Array]>) {
      let res = byResource.get(resourceId);
      if (res === undefined) {
        const p = part(resources, resourceRow, resourceId);
        res = { rs: { resource: p.raw, schemaUrl: p.schemaUrl, scopeSpans: [] }, scopes: new Map() };
        byResource.set(resourceId, res);
        out.push(res.rs);
      }
      let ss = res.scopes.get(scopeId);
      if (ss === undefined) {
        const p = part(scopes, scopeRow, scopeId);
        ss = { scope: p.raw, schemaUrl: p.schemaUrl, spans: [] };
        res.scopes.set(scopeId, ss);
        res.rs.scopeSpans.push(ss);
      }
      ss.spans.push(raw);
    }
    return out.length === 0 ? undefined : out;
  };
}
