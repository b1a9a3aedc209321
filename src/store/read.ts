/**
 * Reading a whole trace back in OTLP's nesting, in Tempo's order: spans by start time
 * within a scope, scopes and resources by the start of their first span.
 */
import type { Db } from './db.ts';

/** A stored trace in OTLP's nesting, each message still as its raw protobuf bytes. */
export interface RawScopeSpans {
  /** undefined when the scope field was absent. */
  readonly scope: Uint8Array | undefined;
  readonly schemaUrl: string;
  readonly spans: Uint8Array[];
}

export interface RawResourceSpans {
  /** undefined when the resource field was absent. */
  readonly resource: Uint8Array | undefined;
  readonly schemaUrl: string;
  readonly scopeSpans: RawScopeSpans[];
}

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

export interface TraceReader {
  /** The stored spans of a trace, or undefined when none (or none in `window`). */
  byId(traceId: Uint8Array, window?: TraceByIdWindow): RawResourceSpans[] | undefined;
  /** A trace's spans stored after span rowid `after` (0: all), with how many and the last rowid. */
  spansAfter(traceRowid: number, after: number): { spans: RawResourceSpans[]; count: number; lastSpan: number };
}

export function createTraceReader(db: Db): TraceReader {
  const traceRow = db.prepare('SELECT id, start_ns, end_ns, seen_s FROM traces WHERE trace_id = ?').safeIntegers(true);
  const spanRows = db
    .prepare('SELECT resource_id, scope_id, raw, id FROM spans WHERE trace_rowid = ? AND id > ? ORDER BY start_ns, id')
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

  function spansAfter(traceRowid: number, after: number): { spans: RawResourceSpans[]; count: number; lastSpan: number } {
    const out: RawResourceSpans[] = [];
    const byResource = new Map<number, { rs: RawResourceSpans; scopes: Map<number, RawScopeSpans> }>();
    let count = 0;
    let lastSpan = after;
    for (const [resourceId, scopeId, raw, id] of spanRows.iterate(traceRowid, after) as Iterable<[number, number, Uint8Array, number]>) {
      count++;
      if (id > lastSpan) lastSpan = id;
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
    return { spans: out, count, lastSpan };
  }

  return {
    byId(traceId, window) {
      const t = traceRow.get(traceId) as { id: bigint; start_ns: bigint; end_ns: bigint; seen_s: bigint } | undefined;
      if (t === undefined) return undefined;
      if (window !== undefined && t.seen_s < BigInt(window.arrivedSinceS) && (t.start_ns > window.endNs || t.end_ns < window.startNs)) {
        return undefined;
      }
      const { spans } = spansAfter(Number(t.id), 0);
      return spans.length === 0 ? undefined : spans;
    },
    spansAfter,
  };
}
