/**
 * @module model/span-filter
 * Span filters of the trace page (Grafana's and Jaeger's "span filters"): `key op value`
 * conditions that a span must all meet. Keys are the intrinsics `name`, `service`, `kind`,
 * `status`, `status.message`, `duration`, or an attribute: `span.k`, `resource.k`, or a
 * bare `k` (the span's attribute, else the resource's). Operators as in TraceQL:
 *  - `=` / `!=` compare as numbers when both sides are numbers, else as text; an array
 *    value matches `=` when one element does. An empty value asks whether the key is
 *    there (`=`) or not (`!=`);
 *  - `=~` / `!~` match a whole value against an RE2 pattern (TraceQL's engine: linear
 *    time, anchored like Tempo's);
 *  - `>` `>=` `<` `<=` compare numbers; `duration` takes "5ms", "1.5s", "250us".
 * `!=` and `!~` hold only for spans that have the key, as in TraceQL.
 */
import { compileLinear, regexError } from '../../../src/traceql/index.ts';
import { ATTR_OPS, parseDuration, type AttrFilter } from './query-builder.ts';
import type { FlatValue, VSpan, VTrace } from './trace.ts';

export type SpanFilter = AttrFilter;
export type FilterOp = AttrFilter['op'];

export const FILTER_OPS: readonly FilterOp[] = ATTR_OPS;

export const INTRINSIC_KEYS = ['name', 'service', 'kind', 'status', 'status.message', 'duration'] as const;

/** A span's value for a filter key; undefined when it has none. */
export function spanValue(s: VSpan, key: string): FlatValue | undefined {
  switch (key) {
    case 'name':
      return s.name;
    case 'service':
      return s.service;
    case 'kind':
      return s.kind;
    case 'status':
      return s.status;
    case 'status.message':
      return s.statusMessage;
    case 'duration':
      return s.dur;
  }
  if (key.startsWith('span.')) return s.attributes[key.slice(5)];
  if (key.startsWith('resource.')) return s.resource[key.slice(9)];
  return s.attributes[key] ?? s.resource[key];
}

const isNumber = (t: string): boolean => /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(t.trim());

function text(v: FlatValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function equals(v: FlatValue, want: string): boolean {
  if (Array.isArray(v)) return v.some((x) => equals(x, want));
  if (typeof v === 'number' && isNumber(want)) return v === Number(want);
  if (v === null) return false;
  return typeof v === 'string' ? v === want : String(v) === want;
}

export type CompiledFilter = { readonly test: (s: VSpan) => boolean } | { readonly error: string };

/** A filter as a predicate, or why it cannot be one. */
export function compileFilter(f: SpanFilter): CompiledFilter {
  const key = f.key.trim();
  const has = (s: VSpan): boolean => {
    const v = spanValue(s, key);
    return v !== undefined && v !== null;
  };
  if (f.value === '' && (f.op === '=' || f.op === '!=')) return f.op === '=' ? { test: has } : { test: (s) => !has(s) };
  if (key === 'duration') {
    if (f.op === '=~' || f.op === '!~') return { error: 'duration compares as a number: use =, !=, >, >=, <, <=' };
    const ns = parseDuration(f.value);
    if (ns === undefined) return { error: `"${f.value}" is not a duration (e.g. 5ms, 1.5s, 250us)` };
    return { test: (s) => compare(s.dur, f.op, ns) };
  }
  if (f.op === '=~' || f.op === '!~') {
    const problem = regexError(f.value);
    const m = problem === null ? compileLinear(f.value) : null;
    if (m === null) return { error: `invalid regular expression: ${problem ?? f.value}` };
    const hit = (v: FlatValue): boolean => (Array.isArray(v) ? v.some(hit) : v !== null && m.test(text(v)));
    return { test: (s) => has(s) && hit(spanValue(s, key) as FlatValue) === (f.op === '=~') };
  }
  if (f.op === '=' || f.op === '!=') {
    return { test: (s) => has(s) && equals(spanValue(s, key) as FlatValue, f.value) === (f.op === '=') };
  }
  if (!isNumber(f.value)) return { error: `${f.op} compares numbers: "${f.value}" is not one` };
  const want = Number(f.value);
  return {
    test: (s) => {
      const v = spanValue(s, key);
      const n = typeof v === 'number' ? v : typeof v === 'string' && isNumber(v) ? Number(v) : undefined;
      return n !== undefined && compare(n, f.op, want);
    },
  };
}

function compare(a: number, op: FilterOp, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      return false;
  }
}

export interface FilterResult {
  /** Spans meeting every complete filter; undefined when no filter is complete. */
  readonly matches: Set<number> | undefined;
  /** Per filter, why it was left out (invalid), else undefined. */
  readonly errors: Array<string | undefined>;
}

/** A filter without a key is still being written: it is left out, and so is an invalid one. */
export function applyFilters(trace: VTrace, filters: readonly SpanFilter[]): FilterResult {
  const tests: Array<(s: VSpan) => boolean> = [];
  const errors = filters.map((f) => {
    if (f.key.trim() === '') return undefined;
    const c = compileFilter(f);
    if ('error' in c) return c.error;
    tests.push(c.test);
    return undefined;
  });
  if (tests.length === 0) return { matches: undefined, errors };
  const matches = new Set<number>();
  for (const s of trace.spans) if (tests.every((t) => t(s))) matches.add(s.idx);
  return { matches, errors };
}

/** Keys to offer: the intrinsics, then every attribute key of the trace (`span.…`, `resource.…`). */
export function filterKeys(trace: VTrace): string[] {
  const keys = new Set<string>();
  for (const s of trace.spans) {
    for (const k in s.attributes) keys.add(`span.${k}`);
    for (const k in s.resource) keys.add(`resource.${k}`);
  }
  return [...INTRINSIC_KEYS, ...[...keys].sort()];
}

/** The most frequent values of a key in the trace, at most `limit`. */
export function filterValues(trace: VTrace, key: string, limit = 100): string[] {
  const counts = new Map<string, number>();
  if (key.trim() === '' || key === 'duration') return [];
  for (const s of trace.spans) {
    const v = spanValue(s, key.trim());
    if (v === undefined || v === null) continue;
    for (const x of Array.isArray(v) ? v : [v]) counts.set(text(x), (counts.get(text(x)) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([v]) => v);
}

/** The find box: spans whose name, service, id, or an attribute key or value holds the text (any case); undefined for no text. */
export function findText(trace: VTrace, find: string): Set<number> | undefined {
  const q = find.trim().toLowerCase();
  if (q === '') return undefined;
  const out = new Set<number>();
  for (const s of trace.spans) {
    if (s.name.toLowerCase().includes(q) || s.service.toLowerCase().includes(q) || s.spanId === q) {
      out.add(s.idx);
      continue;
    }
    for (const [k, v] of Object.entries(s.attributes)) {
      if (k.toLowerCase().includes(q) || String(v).toLowerCase().includes(q)) {
        out.add(s.idx);
        break;
      }
    }
  }
  return out;
}

/** Filters from the URL (`sf`, JSON `[[key, op, value], …]`); anything malformed is dropped. */
export function parseFilters(param: string | null): SpanFilter[] {
  if (!param) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(param);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((x): x is [string, FilterOp, string] => Array.isArray(x) && x.length === 3 && typeof x[0] === 'string' && FILTER_OPS.includes(x[1] as FilterOp) && typeof x[2] === 'string')
    .map(([key, op, value]) => ({ key, op, value }));
}

/** The URL form of the filters; undefined when there are none. */
export function filtersParam(filters: readonly SpanFilter[]): string | undefined {
  return filters.length === 0 ? undefined : JSON.stringify(filters.map((f) => [f.key, f.op, f.value]));
}
