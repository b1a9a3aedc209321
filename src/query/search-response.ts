/**
 * Search results in Tempo's JSON shape (as in Tempo 2.7): hex trace ids without
 * leading zeros, int64 as strings, the spans of each spanset with the attributes the
 * query read (shown-attributes.ts), serviceStats over the whole trace.
 */
import type { AttrValue, QuerySpan } from '../shared/span.ts';
import { assertNever, type Spanset, type Root, type Value } from '../traceql/index.ts';
import type { SearchProgress, SearchResult, TraceHit } from './search.ts';
import { shownAttributes, shownValue, type ShownAttribute } from './shown-attributes.ts';

export const ROOT_NOT_RECEIVED = '<root span not yet received>';

export interface JsonAnyValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number | string;
  boolValue?: boolean;
  arrayValue?: { values: JsonAnyValue[] };
}

export interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

export interface SearchSpan {
  spanID: string;
  name?: string;
  startTimeUnixNano: string;
  durationNanos: string;
  attributes?: JsonKeyValue[];
}

export interface SearchSpanset {
  spans: SearchSpan[];
  matched: number;
  attributes?: JsonKeyValue[];
}

export interface TraceSearchMetadata {
  traceID: string;
  rootServiceName: string;
  rootTraceName?: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSet?: SearchSpanset;
  spanSets?: SearchSpanset[];
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

export interface SearchResponse {
  traces: TraceSearchMetadata[];
  metrics: Record<string, number | string>;
}

/** Go's time.Duration.String(): `1.5s`, `150ms`, `2h3m4.5s`; a Duration holds whole nanoseconds. */
export function goDuration(value: number): string {
  const ns = Math.trunc(value);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  const fixed = (x: number): string => String(Number(x.toFixed(9)));
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${fixed(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${fixed(n / 1e6)}ms`;
  let out = '';
  const h = Math.floor(n / 3.6e12);
  n -= h * 3.6e12;
  const m = Math.floor(n / 6e10);
  n -= m * 6e10;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${sign}${out}${fixed(n / 1e9)}s`;
}

/** A value in OTLP's JSON AnyValue form; undefined for nil and opaque values. */
export function jsonValue(v: Value | AttrValue): JsonAnyValue | undefined {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'int':
      return { intValue: String(Math.trunc(v.value)) };
    case 'float':
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bool':
      return { boolValue: v.value };
    case 'duration':
      return { stringValue: goDuration(v.value) };
    case 'status':
    case 'kind':
      return { stringValue: v.value };
    case 'array': {
      const values: JsonAnyValue[] = [];
      for (const el of v.values) {
        const j = jsonValue(el);
        if (j !== undefined) values.push(j);
      }
      return { arrayValue: { values } };
    }
    case 'nil':
    case 'opaque':
      return undefined;
    default:
      return assertNever(v);
  }
}

function spanAttributes(shown: readonly ShownAttribute[], span: QuerySpan, hit: TraceHit): JsonKeyValue[] | undefined {
  let out: JsonKeyValue[] | undefined;
  for (const attr of shown) {
    const value = jsonValue(shownValue(attr, span, hit.trace));
    // Scope prefixes are dropped; intrinsics are already named in their legacy form.
    if (value !== undefined) (out ??= []).push({ key: attr.ref.name, value });
  }
  return out;
}

function spanset(set: Spanset, spss: number, shown: readonly ShownAttribute[], hit: TraceHit): SearchSpanset {
  const spans = set.spans.slice(0, spss).map((span): SearchSpan => {
    const out: SearchSpan = {
      spanID: span.spanId.padStart(16, '0'),
      name: span.name,
      startTimeUnixNano: span.startNs.toString(),
      durationNanos: span.durationNs.toString(),
    };
    const attributes = spanAttributes(shown, span, hit);
    if (attributes !== undefined) out.attributes = attributes;
    return out;
  });
  const result: SearchSpanset = { spans, matched: set.spans.length };
  const attrs: JsonKeyValue[] = [];
  for (const a of set.attributes) {
    const value = jsonValue(a.value);
    if (value !== undefined) attrs.push({ key: a.name, value });
  }
  if (attrs.length > 0) result.attributes = attrs;
  return result;
}

/** Tempo's trace id form in search results: lowercase hex without leading zeros. */
export function searchTraceId(hex: string): string {
  const s = hex.replace(/^0+/, '');
  return s === '' ? '0' : s;
}

export function traceMetadata(hit: TraceHit): TraceSearchMetadata {
  const { row, trace } = hit;
  const meta: TraceSearchMetadata = {
    traceID: searchTraceId(trace.traceId),
    rootServiceName: row.rootService ?? ROOT_NOT_RECEIVED,
    startTimeUnixNano: row.startNs.toString(),
  };
  if (row.rootName !== null) meta.rootTraceName = row.rootName;
  const ms = Number((row.endNs - row.startNs) / 1_000_000n);
  if (ms > 0) meta.durationMs = ms;
  return meta;
}

function serviceStats(hit: TraceHit): Record<string, { spanCount: number; errorCount?: number }> {
  const stats: Record<string, { spanCount: number; errorCount?: number }> = {};
  for (const span of hit.trace.spans) {
    const s = (stats[span.service] ??= { spanCount: 0 });
    s.spanCount++;
    if (span.status === 2) s.errorCount = (s.errorCount ?? 0) + 1;
  }
  return stats;
}

export function searchResponse(result: SearchProgress, root: Root, spss: number): SearchResponse {
  const shown = shownAttributes(root);
  const traces = result.hits.map((hit) => {
    const meta = traceMetadata(hit);
    const sets = hit.spansets.map((s) => spanset(s, spss, shown, hit));
    meta.spanSets = sets;
    meta.spanSet = sets[0];
    meta.serviceStats = serviceStats(hit);
    return meta;
  });
  return { traces, metrics: searchMetrics(result) };
}

/**
 * Tempo's search metrics. The search is one job: a search cut short (its time budget, the
 * client gone) did not complete it, which Tempo reports as completedJobs < totalJobs.
 */
export function searchMetrics(result: Pick<SearchResult, 'inspectedTraces' | 'inspectedSpans' | 'inspectedBytes' | 'stopped'>): Record<string, number | string> {
  const m: Record<string, number | string> = { completedJobs: result.stopped === undefined ? 1 : 0, totalJobs: 1 };
  if (result.inspectedTraces > 0) m.inspectedTraces = result.inspectedTraces;
  if (result.inspectedBytes > 0) m.inspectedBytes = String(result.inspectedBytes);
  if (result.inspectedSpans > 0) m.inspectedSpans = String(result.inspectedSpans);
  return m;
}
