/**
 * The additive aggregates behind every derived series: one Cell per series (family +
 * label set) holding counters, histogram buckets and sums as plain numbers, so a time
 * window's aggregate is the element-wise sum of its slots' aggregates.
 *
 * Sums are kept in integer nanoseconds (exact up to 2^53 ns, about 104 days of summed
 * latency per series), so merging in any order gives the same bits.
 */
import type { CounterSeries, HistogramSeries, Labels, MetricsIncrease } from './types.ts';

/** Tempo's service-graph default buckets, seconds. */
export const GRAPH_BOUNDS = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8] as const;
/** Tempo's span-metrics default buckets, seconds. */
export const SPAN_BOUNDS = [0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384] as const;
const GRAPH_BOUNDS_NS = GRAPH_BOUNDS.map((b) => Math.round(b * 1e9));
const SPAN_BOUNDS_NS = SPAN_BOUNDS.map((b) => Math.round(b * 1e9));

export const METRIC = {
  calls: 'traces_spanmetrics_calls_total',
  latency: 'traces_spanmetrics_latency',
  size: 'traces_spanmetrics_size_total',
  requests: 'traces_service_graph_request_total',
  failed: 'traces_service_graph_request_failed_total',
  serverSeconds: 'traces_service_graph_request_server_seconds',
  clientSeconds: 'traces_service_graph_request_client_seconds',
  unpaired: 'traces_service_graph_unpaired_spans_total',
  dropped: 'traces_service_graph_dropped_spans_total',
} as const;

export const Family = { Span: 0, Edge: 1, Unpaired: 2, Dropped: 3 } as const;
export type Family = (typeof Family)[keyof typeof Family];

// Span cell layout: calls, size bytes, latency sum ns, then 15 non-cumulative buckets (last = +Inf).
export const S_CALLS = 0;
export const S_SIZE = 1;
export const S_SUM = 2;
export const S_BUCKETS = 3;
const SPAN_LEN = S_BUCKETS + SPAN_BOUNDS.length + 1;
// Edge cell layout: requests, failed, server sum ns, client sum ns, 9 server buckets, 9 client buckets.
export const E_TOTAL = 0;
export const E_FAILED = 1;
export const E_SERVER_SUM = 2;
export const E_CLIENT_SUM = 3;
export const E_SERVER_BUCKETS = 4;
export const E_CLIENT_BUCKETS = E_SERVER_BUCKETS + GRAPH_BOUNDS.length + 1;
/** Sum of the latency the fine histogram holds (server side when known, else client), ns. */
export const E_LATENCY_SUM = E_CLIENT_BUCKETS + GRAPH_BOUNDS.length + 1;
const EDGE_LEN = E_LATENCY_SUM + 1;

const LENGTHS = [SPAN_LEN, EDGE_LEN, 1, 1];

export interface Cell {
  readonly family: Family;
  readonly labels: Labels;
  readonly v: Float64Array;
  /**
   * Edges only: the request latency (server side when known, else client side) in
   * log buckets of 2^(1/8) ns, for the viewer's percentiles; bucket -1 holds zeros.
   */
  fine?: Map<number, number>;
}

/** Series key → cell. */
export type Agg = Map<string, Cell>;

export const EMPTY_AGG: Agg = new Map();

export function newCell(family: Family, labels: Labels): Cell {
  const cell: Cell = { family, labels, v: new Float64Array(LENGTHS[family]) };
  if (family === Family.Edge) cell.fine = new Map();
  return cell;
}

/** The cell for `key` in `agg`, created with `labels()` when missing. */
export function cellFor(agg: Agg, key: string, family: Family, labels: () => Labels): Cell {
  let c = agg.get(key);
  if (c === undefined) {
    c = newCell(family, labels());
    agg.set(key, c);
  }
  return c;
}

function bucketIndex(bounds: readonly number[], ns: number): number {
  let i = 0;
  while (i < bounds.length && ns > bounds[i]) i++;
  return i;
}

export function observeSpan(cell: Cell, durationNs: number, sizeBytes: number): void {
  const d = durationNs > 0 ? durationNs : 0;
  const v = cell.v;
  v[S_CALLS]++;
  v[S_SIZE] += sizeBytes;
  v[S_SUM] += d;
  v[S_BUCKETS + bucketIndex(SPAN_BOUNDS_NS, d)]++;
}

export function fineBucket(ns: number): number {
  return ns > 0 ? Math.ceil(Math.log2(ns) * 8) : -1;
}

export function observeEdge(cell: Cell, failed: boolean, serverNs: number, clientNs: number, latencyNs: number): void {
  const v = cell.v;
  const s = serverNs > 0 ? serverNs : 0;
  const c = clientNs > 0 ? clientNs : 0;
  v[E_TOTAL]++;
  if (failed) v[E_FAILED]++;
  v[E_SERVER_SUM] += s;
  v[E_CLIENT_SUM] += c;
  v[E_SERVER_BUCKETS + bucketIndex(GRAPH_BOUNDS_NS, s)]++;
  v[E_CLIENT_BUCKETS + bucketIndex(GRAPH_BOUNDS_NS, c)]++;
  const l = latencyNs > 0 ? latencyNs : 0;
  v[E_LATENCY_SUM] += l;
  const k = fineBucket(l);
  cell.fine!.set(k, (cell.fine!.get(k) ?? 0) + 1);
}

/** Adds `src` into `into` (cells of `into` are owned by it; src cells are copied, never shared). */
export function mergeInto(into: Agg, src: Agg): void {
  for (const [key, cell] of src) {
    const t = into.get(key);
    if (t === undefined) {
      const copy: Cell = { family: cell.family, labels: cell.labels, v: Float64Array.from(cell.v) };
      if (cell.fine !== undefined) copy.fine = new Map(cell.fine);
      into.set(key, copy);
      continue;
    }
    const a = t.v;
    const b = cell.v;
    for (let i = 0; i < a.length; i++) a[i] += b[i];
    if (cell.fine !== undefined && t.fine !== undefined) {
      for (const [k, n] of cell.fine) t.fine.set(k, (t.fine.get(k) ?? 0) + n);
    }
  }
}

export function mergeAll(aggs: Iterable<Agg>): Agg {
  const out: Agg = new Map();
  for (const a of aggs) mergeInto(out, a);
  return out;
}

/**
 * For counters that must never go down: every element by which `next` is below `prev`
 * is added to `retired` (so retired + next ≥ prev element-wise).
 */
export function retireDecreases(prev: Agg, next: Agg, retired: Agg): void {
  for (const [key, old] of prev) {
    const now = next.get(key);
    let r: Cell | undefined;
    for (let i = 0; i < old.v.length; i++) {
      const d = old.v[i] - (now === undefined ? 0 : now.v[i]);
      if (d > 0) {
        r ??= cellFor(retired, key, old.family, () => old.labels);
        r.v[i] += d;
      }
    }
  }
}

function cumulative(v: Float64Array, from: number, n: number): number[] {
  const out: number[] = new Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += v[from + i];
    out[i] = acc;
  }
  return out;
}

/** The series of an aggregate, sorted by name and label set. */
export function toIncrease(agg: Agg): MetricsIncrease {
  const counters: CounterSeries[] = [];
  const histograms: HistogramSeries[] = [];
  // Cell keys spell family + label values in a fixed order: sorting by them once gives a
  // stable order; a stable sort by name then keeps it within each name.
  const keys = [...agg.keys()].sort();
  for (const key of keys) {
    const cell = agg.get(key)!;
    const { labels, v } = cell;
    switch (cell.family) {
      case Family.Span: {
        counters.push({ name: METRIC.calls, labels, value: v[S_CALLS] });
        counters.push({ name: METRIC.size, labels, value: v[S_SIZE] });
        histograms.push({
          name: METRIC.latency,
          labels,
          bounds: SPAN_BOUNDS,
          cumulative: cumulative(v, S_BUCKETS, SPAN_BOUNDS.length + 1),
          sum: v[S_SUM] / 1e9,
          count: v[S_CALLS],
        });
        break;
      }
      case Family.Edge: {
        counters.push({ name: METRIC.requests, labels, value: v[E_TOTAL] });
        // Tempo creates the failed series at the first failure only.
        if (v[E_FAILED] > 0) counters.push({ name: METRIC.failed, labels, value: v[E_FAILED] });
        const n = GRAPH_BOUNDS.length + 1;
        const server = cumulative(v, E_SERVER_BUCKETS, n);
        const client = cumulative(v, E_CLIENT_BUCKETS, n);
        histograms.push({ name: METRIC.serverSeconds, labels, bounds: GRAPH_BOUNDS, cumulative: server, sum: v[E_SERVER_SUM] / 1e9, count: server[n - 1] });
        histograms.push({ name: METRIC.clientSeconds, labels, bounds: GRAPH_BOUNDS, cumulative: client, sum: v[E_CLIENT_SUM] / 1e9, count: client[n - 1] });
        break;
      }
      case Family.Unpaired:
        counters.push({ name: METRIC.unpaired, labels, value: v[0] });
        break;
      case Family.Dropped:
        counters.push({ name: METRIC.dropped, labels, value: v[0] });
        break;
    }
  }
  const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  counters.sort(byName);
  histograms.sort(byName);
  return { counters, histograms };
}

/** The q-quantile (0..1) of a fine latency histogram, in seconds; undefined when empty. */
export function fineQuantile(fine: ReadonlyMap<number, number>, q: number): number | undefined {
  let total = 0;
  for (const n of fine.values()) total += n;
  if (total === 0) return undefined;
  const keys = [...fine.keys()].sort((a, b) => a - b);
  const rank = q * total;
  let acc = 0;
  for (const k of keys) {
    const n = fine.get(k)!;
    if (acc + n >= rank) {
      if (k < 0) return 0;
      const lo = 2 ** ((k - 1) / 8);
      const hi = 2 ** (k / 8);
      // Observations sit at the middles of their shares of the bucket (geometrically).
      const f = Math.min(1, Math.max(0, (rank - acc - 0.5) / n));
      return (lo * (hi / lo) ** f) / 1e9;
    }
    acc += n;
  }
  const last = keys[keys.length - 1];
  return last < 0 ? 0 : 2 ** (last / 8) / 1e9;
}
