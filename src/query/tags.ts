/**
 * Tag names and values for Tempo's tag endpoints (as in Tempo 2.7): from the
 * tag dictionary when unfiltered, from the spans of matching traces when a TraceQL
 * filter narrows them.
 *
 * A dictionary listing holds every value, up to Tempo's max_bytes_per_tag_values_query
 * (5 MB). With a time window it is exact: a value is listed when a span that started in
 * the window has it. The dictionary's first/last times decide most values (each is a
 * real sighting, and every sighting lies within TAG_REFRESH_NS of them); the rest are
 * looked up among the window's spans.
 */
import { decodeResource, decodeScope } from '../otlp/index.ts';
import type { AttrValue, Attributes } from '../shared/span.ts';
import { TAG_REFRESH_NS, type SeenTagValue, type StoreReader, type TagScope, type TagValue, type TermScope, type TimeWindowNs, type TraceWindow } from '../store/index.ts';
import { readEachForDisplay, parse, type AttributeRef, type Root, type Value } from '../traceql/index.ts';
import { dictionaryEntry } from './planner.ts';
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

/** Tempo's max_bytes_per_tag_values_query default: a listing stops past this many bytes of values. */
export const MAX_TAG_VALUES_BYTES = 5_000_000;

export interface TagValuesResult {
  readonly values: TypedTagValue[];
  /**
   * Why the listing may lack values: `max-bytes` (cut at MAX_TAG_VALUES_BYTES, as Tempo
   * cuts), `budget` (the search or the window's lookups ran out of time), `traces` (a
   * filtered listing read only the newest FILTERED_TRACE_LIMIT matching traces).
   */
  readonly incomplete?: 'max-bytes' | 'budget' | 'traces';
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

export function tagValues(store: StoreReader, search: Search, request: TagValuesRequest): TagValuesResult {
  const { ref, window, limit } = request;
  if (ref.kind === 'Intrinsic' && (ref.name === 'status' || ref.name === 'kind')) {
    return { values: KEYWORD_VALUES[ref.name].map((value) => ({ type: 'keyword', value })) };
  }
  if (ref.kind === 'Intrinsic' && (ref.name === 'duration' || ref.name === 'traceDuration')) return { values: [] };
  const out: TypedTagValue[] = [];
  if (request.filter === undefined && ref.kind === 'Intrinsic' && ref.name === 'name') {
    // What the search below would read, straight from the span_names column: the same
    // traces in the same order, without loading and decoding ~15k spans.
    let traces = 0;
    let incomplete: TagValuesResult['incomplete'];
    for (const rowid of store.search.newestTraces(window)) {
      const names = store.search.spanNames(rowid);
      if (names.length === 0) continue; // not a hit for `{ }`
      for (const name of names) out.push({ type: 'string', value: name });
      if (limit > 0 && out.length > limit * 4) break;
      if (++traces >= FILTERED_TRACE_LIMIT) {
        incomplete = 'traces';
        break;
      }
    }
    return withReason(sortUnique(out, limit), incomplete);
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
    const incomplete = result.stopped !== undefined ? 'budget' : result.hits.length >= FILTERED_TRACE_LIMIT ? 'traces' : undefined;
    return withReason(sortUnique(out, limit), incomplete);
  }
  const scopes: readonly TagScope[] = ref.scope === 'none' ? ['span', 'resource'] : [ref.scope];
  const windowed = window.startNs !== undefined || window.endNs !== undefined;
  const inWindow = windowed ? windowCheck(store, fullWindow(window), Date.now() + search.budgetMs) : undefined;
  let bytes = 0;
  let incomplete: TagValuesResult['incomplete'];
  listing: for (const scope of scopes) {
    for (const v of store.tags.seen(scope, ref.name, windowed ? fullWindow(window) : undefined)) {
      const shown = display(v);
      if (inWindow !== undefined) {
        const verdict = inWindow(scope, ref.name, v, shown);
        if (verdict === 'timeout') {
          incomplete = 'budget';
          break listing;
        }
        if (!verdict) continue;
      }
      // Tempo's collector counts each value's type and text against its byte limit.
      bytes += Buffer.byteLength(shown.value) + shown.type.length;
      if (bytes > MAX_TAG_VALUES_BYTES) {
        incomplete = 'max-bytes';
        break listing;
      }
      out.push(shown);
    }
  }
  return withReason(sortUnique(out, limit), incomplete);
}

function withReason(values: TypedTagValue[], incomplete: TagValuesResult['incomplete']): TagValuesResult {
  return incomplete === undefined ? { values } : { values, incomplete };
}

function display(v: TagValue): TypedTagValue {
  if (v.type === 'bool') return { type: 'bool', value: v.value === 1 ? 'true' : 'false' };
  if (v.type === 'float') return { type: 'float', value: formatFloat(Number(v.value)) };
  return { type: v.type, value: String(v.value) };
}

const TERM_SCOPE: Partial<Record<TagScope, TermScope>> = { span: 's', event: 'e', link: 'l' };

/** Whether an attribute value holds the dictionary value (shown as the listing shows it). */
function holds(attrs: Attributes, key: string, shown: TypedTagValue): boolean {
  const v = attrs.get(key);
  if (v === undefined) return false;
  const all: TypedTagValue[] = [];
  typed(v, all);
  return all.some((a) => a.type === shown.type && a.value === shown.value);
}

/**
 * Decides whether a dictionary value was seen in `window`: from its recorded times when
 * they tell, otherwise by looking among the spans that started in the window. Returns
 * 'timeout' past `deadline`.
 */
function windowCheck(store: StoreReader, window: TimeWindowNs, deadline: number) {
  const pad = BigInt(TAG_REFRESH_NS);
  // A sighting older than every stored span was of deleted spans: it proves nothing.
  const oldest = store.tags.oldestSpanNs();
  let resources: Array<{ id: number; attrs: Attributes }> | undefined;
  let scopes: Array<{ id: number; attrs: Attributes }> | undefined;
  const within = (ns: bigint): boolean => ns >= window.startNs && ns <= window.endNs && oldest !== undefined && ns >= oldest;
  return (scope: TagScope, key: string, v: SeenTagValue, shown: TypedTagValue): boolean | 'timeout' => {
    if (within(v.firstNs) || within(v.lastNs)) return true;
    if (oldest === undefined || v.lastNs + pad < oldest) return false;
    if (Date.now() > deadline) return 'timeout';
    const termScope = TERM_SCOPE[scope];
    if (termScope !== undefined) {
      const entry = dictionaryEntry(termScope, key, v);
      // An entry the column no longer holds exactly cannot be looked up: listed rather than missed.
      return entry === undefined || store.tags.termInWindow(entry.term, window);
    }
    if (scope === 'resource') {
      resources ??= store.search.resources().map((r) => ({ id: r.id, attrs: r.raw === null ? new Map() : decodeResource(r.raw) }));
      const ids = resources.filter((r) => holds(r.attrs, key, shown)).map((r) => r.id);
      return store.tags.refInWindow('resource_id', ids, window);
    }
    scopes ??= store.tags.scopes().map((r) => ({ id: r.id, attrs: r.raw === null ? new Map() : decodeScope(r.raw).attributes }));
    const ids = scopes.filter((r) => holds(r.attrs, key, shown)).map((r) => r.id);
    return store.tags.refInWindow('scope_id', ids, window);
  };
}

/** `{ }`: every span of every trace. */
const EVERYTHING: Root = parse('{ }');
