/**
 * Tag names and values for Tempo's tag endpoints (as in Tempo 2.7): from the
 * tag dictionary when unfiltered, from the spans of matching traces when a TraceQL
 * filter narrows them.
 */
import type { AttrValue } from '../shared/span.ts';
import type { StoreReader, TagScope, TraceWindow } from '../store/index.ts';
import { readEachForDisplay, parse, type AttributeRef, type Root, type Value } from '../traceql/index.ts';
import type { Search } from './search.ts';

export const ATTRIBUTE_SCOPES: readonly TagScope[] = ['resource', 'span', 'event', 'link', 'instrumentation'];

/** The intrinsic names Tempo 2.7 lists under scope `intrinsic`. */
export const INTRINSIC_TAGS: readonly string[] = [
  'duration', 'event:name', 'event:timeSinceStart', 'instrumentation:name', 'instrumentation:version', 'kind', 'name',
  'rootName', 'rootServiceName', 'span:duration', 'span:kind', 'span:name', 'span:status', 'span:statusMessage',
  'status', 'statusMessage', 'trace:duration', 'trace:rootName', 'trace:rootService', 'traceDuration',
];

const KEYWORD_VALUES: Readonly<Record<string, readonly string[]>> = {
  status: ['error', 'ok', 'unset'],
  kind: ['client', 'consumer', 'internal', 'producer', 'server', 'unspecified'],
};

/** How many matching traces a filtered tag-value listing looks at. */
const FILTERED_TRACE_LIMIT = 1000;

export type TagType = 'string' | 'int' | 'float' | 'bool' | 'duration' | 'keyword';

export interface TypedTagValue {
  readonly type: TagType;
  readonly value: string;
}

const ALL_TIME = { startNs: -(1n << 63n), endNs: (1n << 63n) - 1n };

function fullWindow(w: TraceWindow): { startNs: bigint; endNs: bigint } {
  return { startNs: w.startNs ?? ALL_TIME.startNs, endNs: w.endNs ?? ALL_TIME.endNs };
}

/** Attribute keys per scope seen in the window, sorted, at most `limit` per scope (0: no limit). */
export function tagNames(store: StoreReader, scopes: readonly TagScope[], window: TraceWindow, limit: number): Map<TagScope, string[]> {
  const out = new Map<TagScope, string[]>();
  for (const { scope, key } of store.tags.keys(scopes, fullWindow(window))) {
    let list = out.get(scope);
    if (list === undefined) out.set(scope, (list = []));
    if (limit === 0 || list.length < limit) list.push(key);
  }
  return out;
}

/** Text of a value as the tag endpoints print it (floats like Go's %g). */
function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e21 || abs < 1e-4)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(x);
}

function typed(v: Value | AttrValue, out: TypedTagValue[]): void {
  switch (v.type) {
    case 'string':
      out.push({ type: 'string', value: v.value });
      return;
    case 'int':
      out.push({ type: 'int', value: String(v.value) });
      return;
    case 'float':
      out.push({ type: 'float', value: formatFloat(v.value) });
      return;
    case 'bool':
      out.push({ type: 'bool', value: String(v.value) });
      return;
    case 'status':
    case 'kind':
      out.push({ type: 'keyword', value: v.value });
      return;
    case 'array':
      for (const el of v.values) typed(el, out);
      return;
    default:
      return;
  }
}

function sortUnique(values: TypedTagValue[], limit: number): TypedTagValue[] {
  const seen = new Map<string, TypedTagValue>();
  for (const v of values) seen.set(v.type + '\0' + v.value, v);
  const out = [...seen.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.type < b.type ? -1 : 1));
  return limit > 0 ? out.slice(0, limit) : out;
}

export interface TagValuesRequest {
  readonly ref: AttributeRef;
  readonly window: TraceWindow;
  readonly limit: number;
  /** Only values of spans matching this filter. */
  readonly filter?: Root;
}

export function tagValues(store: StoreReader, search: Search, request: TagValuesRequest): TypedTagValue[] {
  const { ref, window, limit } = request;
  if (ref.kind === 'Intrinsic' && (ref.name === 'status' || ref.name === 'kind')) {
    return KEYWORD_VALUES[ref.name].map((value) => ({ type: 'keyword', value }));
  }
  if (ref.kind === 'Intrinsic' && (ref.name === 'duration' || ref.name === 'traceDuration')) return [];
  const out: TypedTagValue[] = [];
  if (request.filter === undefined && ref.kind === 'Intrinsic' && ref.name === 'name') {
    // What the search below would read, straight from the span_names column: the same
    // traces in the same order, without loading and decoding ~15k spans.
    let traces = 0;
    for (const rowid of store.search.newestTraces(window)) {
      const names = store.search.spanNames(rowid);
      if (names.length === 0) continue; // not a hit for `{ }`
      for (const name of names) out.push({ type: 'string', value: name });
      if (++traces >= FILTERED_TRACE_LIMIT || (limit > 0 && out.length > limit * 4)) break;
    }
    return sortUnique(out, limit);
  }
  if (request.filter !== undefined || ref.kind === 'Intrinsic') {
    // Values are read from the spans of matching traces (intrinsics have no dictionary).
    const result = search({ root: request.filter ?? EVERYTHING, limit: FILTERED_TRACE_LIMIT, window, budgetMs: 2000 });
    for (const hit of result.hits) {
      for (const set of hit.spansets) {
        for (const span of set.spans) for (const v of readEachForDisplay(ref, span, hit.trace)) typed(v, out);
      }
      if (limit > 0 && out.length > limit * 4) break;
    }
    return sortUnique(out, limit);
  }
  const scopes: readonly TagScope[] = ref.scope === 'none' ? ['span', 'resource'] : [ref.scope];
  for (const scope of scopes) {
    for (const v of store.tags.values(scope, ref.name, fullWindow(window)).values) {
      if (v.type === 'bool') out.push({ type: 'bool', value: v.value === 1 ? 'true' : 'false' });
      else if (v.type === 'float') out.push({ type: 'float', value: formatFloat(Number(v.value)) });
      else out.push({ type: v.type, value: String(v.value) });
    }
  }
  return sortUnique(out, limit);
}

/** `{ }`: every span of every trace. */
const EVERYTHING: Root = parse('{ }');
