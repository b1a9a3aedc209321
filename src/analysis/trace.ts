/**
 * @module analysis/trace
 * A trace as the analyses read it: spans in pre-order (children by start time), with
 * depth, parent and children as indexes, times in nanoseconds relative to the trace's
 * first span (doubles: exact below 2^53 ns, about 104 days). Built from tracebox's plain
 * span JSON (`/api/spans`, `traceJson()`), which the viewer, the MCP tools and the
 * command line all have. Spans whose parent is missing become roots and are marked `orphan`.
 */

export type { FlatValue, SpanJson, TraceJson } from '../shared/span-json.ts';
import type { FlatValue, SpanJson, TraceJson } from '../shared/span-json.ts';
export type Kind = SpanJson['kind'];
export type Status = SpanJson['status'];

export interface TreeEvent {
  name: string;
  /** ns from the trace start. */
  t: number;
  attributes: Record<string, FlatValue>;
}

export interface TreeSpan {
  /** Position in pre-order. */
  idx: number;
  spanId: string;
  parentSpanId: string;
  /** Index of the parent, -1 for a root. */
  parent: number;
  children: number[];
  depth: number;
  /** Spans below this one. */
  descendants: number;
  /** Parent id set but not in the trace. */
  orphan: boolean;
  name: string;
  service: string;
  kind: Kind;
  status: Status;
  statusMessage: string;
  /** ns from the trace start. */
  start: number;
  end: number;
  dur: number;
  /** Absolute start, unix ns, as sent. */
  startUnixNano: string;
  attributes: Record<string, FlatValue>;
  resource: Record<string, FlatValue>;
  scope: { name: string; version: string };
  events: TreeEvent[];
  links: SpanJson['links'];
}

export interface TraceTree {
  traceId: string;
  spans: TreeSpan[];
  byId: Map<string, number>;
  /** Unix ns of the earliest span start. */
  startUnixNano: bigint;
  /** ns from the first start to the last end. */
  dur: number;
  /** Services in order of first appearance (pre-order). */
  services: string[];
  roots: number[];
  errors: number;
  rootName: string;
  rootService: string;
  maxDepth: number;
}

function big(s: string | number | undefined): bigint {
  if (s === undefined || s === '') return 0n;
  try {
    return BigInt(typeof s === 'number' ? Math.round(s) : s);
  } catch {
    return 0n;
  }
}

/** Builds the view model. Spans with the same id keep their first copy. */
export function buildTrace(json: TraceJson): TraceTree {
  const raw: SpanJson[] = [];
  const seen = new Set<string>();
  for (const s of json.spans) {
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    raw.push(s);
  }
  let t0: bigint | undefined;
  for (const s of raw) {
    const st = big(s.startTimeUnixNano);
    if (t0 === undefined || st < t0) t0 = st;
  }
  const base = t0 ?? 0n;
  const rel = (ns: string): number => Number(big(ns) - base);

  const ids = new Map<string, number>();
  raw.forEach((s, i) => ids.set(s.spanId, i));
  const kids: number[][] = raw.map(() => []);
  const rootsRaw: number[] = [];
  raw.forEach((s, i) => {
    const p = s.parentSpanId ? ids.get(s.parentSpanId) : undefined;
    if (p === undefined || p === i) rootsRaw.push(i);
    else kids[p].push(i);
  });
  const startOf = raw.map((s) => rel(s.startTimeUnixNano));
  const byStart = (a: number, b: number): number => startOf[a] - startOf[b] || a - b;
  rootsRaw.sort(byStart);
  for (const k of kids) k.sort(byStart);

  // Pre-order, iteratively (a 10,000-deep chain must not blow the stack).
  const order: number[] = [];
  const depthRaw = new Int32Array(raw.length);
  const stack: number[] = [];
  for (let r = rootsRaw.length - 1; r >= 0; r--) stack.push(rootsRaw[r]);
  const visited = new Uint8Array(raw.length);
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if (visited[i]) continue;
    visited[i] = 1;
    order.push(i);
    const k = kids[i];
    for (let j = k.length - 1; j >= 0; j--) {
      depthRaw[k[j]] = depthRaw[i] + 1;
      stack.push(k[j]);
    }
  }
  // Cycles (a → b → a) are unreachable from any root: show them as roots too.
  for (let i = 0; i < raw.length; i++) if (!visited[i]) order.push(i);

  const pos = new Int32Array(raw.length);
  order.forEach((rawIdx, p) => (pos[rawIdx] = p));
  const spans: TreeSpan[] = order.map((rawIdx, idx) => {
    const s = raw[rawIdx];
    const start = startOf[rawIdx];
    let end = rel(s.endTimeUnixNano);
    if (end < start) end = start;
    const parentRaw = s.parentSpanId ? ids.get(s.parentSpanId) : undefined;
    return {
      idx,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      parent: parentRaw === undefined || parentRaw === rawIdx ? -1 : pos[parentRaw],
      children: [],
      depth: 0,
      descendants: 0,
      orphan: s.parentSpanId !== '' && s.parentSpanId !== undefined && parentRaw === undefined,
      name: s.name,
      service: s.service || 'unknown',
      kind: s.kind,
      status: s.status,
      statusMessage: s.statusMessage,
      start,
      end,
      dur: end - start,
      startUnixNano: s.startTimeUnixNano,
      attributes: s.attributes ?? {},
      resource: s.resource ?? {},
      scope: s.scope ?? { name: '', version: '' },
      events: (s.events ?? []).map((e) => ({ name: e.name, t: rel(e.timeUnixNano), attributes: e.attributes ?? {} })),
      links: s.links ?? [],
    };
  });
  const roots: number[] = [];
  for (const s of spans) {
    if (s.parent >= 0 && spans[s.parent].idx < s.idx) {
      spans[s.parent].children.push(s.idx);
      s.depth = spans[s.parent].depth + 1;
    } else {
      s.parent = -1;
      roots.push(s.idx);
    }
  }
  for (let i = spans.length - 1; i >= 0; i--) {
    const p = spans[i].parent;
    if (p >= 0) spans[p].descendants += spans[i].descendants + 1;
  }
  const byId = new Map<string, number>();
  const services: string[] = [];
  const serviceSet = new Set<string>();
  let errors = 0;
  let last = 0;
  let maxDepth = 0;
  for (const s of spans) {
    byId.set(s.spanId, s.idx);
    if (!serviceSet.has(s.service)) {
      serviceSet.add(s.service);
      services.push(s.service);
    }
    if (s.status === 'error') errors++;
    if (s.end > last) last = s.end;
    if (s.depth > maxDepth) maxDepth = s.depth;
  }
  const root = roots.length > 0 ? spans[roots[0]] : undefined;
  return {
    traceId: json.traceId,
    spans,
    byId,
    startUnixNano: base,
    dur: last,
    services,
    roots,
    errors,
    rootName: json.rootName ?? root?.name ?? '',
    rootService: json.rootServiceName ?? root?.service ?? '',
    maxDepth,
  };
}

/** Self time: duration minus the union of the children's intervals (clipped to the span). */
export function selfTime(trace: TraceTree, idx: number): number {
  const s = trace.spans[idx];
  const iv = s.children
    .map((c) => [Math.max(trace.spans[c].start, s.start), Math.min(trace.spans[c].end, s.end)] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reach = s.start;
  for (const [a, b] of iv) {
    const from = Math.max(a, reach);
    if (b > from) {
      covered += b - from;
      reach = b;
    }
  }
  return s.dur - covered;
}

/** Sort key used by compare and search: `service: name`. */
export const opKey = (s: Pick<TreeSpan, 'service' | 'name'>): string => `${s.service}\u0000${s.name}`;
