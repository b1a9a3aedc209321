/**
 * TraceQL metrics over the store (as in Tempo 2.7): one pass over the candidate traces
 * of the window (the search planner's pushdown, newest first), the query evaluated per
 * whole trace, and every span of the final spansets whose start time falls in the window
 * observed once into the function's aggregator. The time model is in time.ts.
 */
import type { QuerySpan, QueryTrace } from '../../shared/span.ts';
import type { StoreReader } from '../../store/index.ts';
import { evaluate, readForDisplay, print, NIL, type Attribute, type AttributeRef, type MetricsAggregate, type MetricsCompare, type MetricsFunction, type Root, type TopK, type Value } from '../../traceql/index.ts';
import { createCandidateSource, runInSlices, runToEnd, type Candidates } from '../candidates.ts';
import { log2Bucketize, log2Quantile, type HistogramBucket } from './log2.ts';
import { IntervalMapper } from './time.ts';

export interface SeriesLabel {
  readonly key: string;
  readonly value: Value;
}

export interface Exemplar {
  readonly labels: readonly SeriesLabel[];
  /** NaN for count-like functions until the sample of its interval fills it in. */
  value: number;
  /** Start time of the span it points at. */
  readonly timeNs: bigint;
}

export interface Series {
  readonly labels: readonly SeriesLabel[];
  /** One value per interval; NaN means "no sample". */
  values: number[];
  exemplars: Exemplar[];
}

export interface MetricsRequest {
  /** A parsed query with `metrics` set. */
  readonly root: Root;
  /** For range queries the already aligned range (see alignRange); the raw one for instant queries. */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly stepNs: bigint;
  readonly instant: boolean;
  /** Most exemplars to return; 0 for none. */
  readonly exemplars: number;
}

export interface MetricsResult {
  readonly series: Series[];
  readonly mapper: IntervalMapper;
  readonly inspectedTraces: number;
  readonly inspectedSpans: number;
  readonly inspectedBytes: number;
}

const SECOND = 1e9;
/** Tempo keeps at most this many exemplars per time slice (the range is cut into limit/2 slices). */
const EXEMPLARS_PER_SLICE = 2;

// ------------------------------------------------------------------ values

/** A stable map key for a value (type and value; arrays element-wise). */
export function valueKey(v: Value): string {
  switch (v.type) {
    case 'array':
      return 'a[' + v.values.map(valueKey).join(',') + ']';
    case 'nil':
    case 'opaque':
      return 'n';
    default:
      return v.type[0] + ':' + String(v.value);
  }
}

/** A number for min/max/avg/sum/quantile; durations in seconds. Undefined for anything else. */
function numeric(v: Value): number | undefined {
  switch (v.type) {
    case 'int':
    case 'float':
      return Number.isNaN(v.value) ? undefined : v.value;
    case 'duration':
      return v.value / SECOND;
    default:
      return undefined;
  }
}

function read(ref: AttributeRef, span: QuerySpan, trace: QueryTrace): Value {
  const v = readForDisplay(ref, span, trace);
  return v.type === 'opaque' ? NIL : v;
}

/** Tempo's power-of-two bucket of a span's value, in seconds for durations; undefined when dropped. */
function bucketOf(ref: AttributeRef, span: QuerySpan, trace: QueryTrace): number | undefined {
  const v = ref.kind === 'Intrinsic' && ref.name === 'duration' ? { type: 'duration' as const, value: Number(span.durationNs) } : read(ref, span, trace);
  if (v.type !== 'int' && v.type !== 'duration') return undefined; // floats are not bucketed (as in Tempo)
  const b = log2Bucketize(v.value);
  if (b < 0) return undefined;
  return v.type === 'duration' ? b / SECOND : b;
}

// ---------------------------------------------------------------- exemplars

/** Tempo's exemplar budget: at most `limit` overall and two per time slice of the range. */
export class ExemplarBudget {
  private readonly slices: number;
  private readonly counts: number[];
  private total = 0;
  private readonly startMs: bigint;
  private readonly endMs: bigint;
  private readonly width: bigint;

  constructor(
    private readonly limit: number,
    startNs: bigint,
    endNs: bigint,
  ) {
    this.slices = Math.max(1, Math.floor(limit / EXEMPLARS_PER_SLICE));
    this.counts = new Array<number>(this.slices).fill(0);
    this.startMs = startNs / 1_000_000n;
    this.endMs = endNs / 1_000_000n;
    const w = (this.endMs - this.startMs) / BigInt(this.slices);
    this.width = w > 0n ? w : 1n;
  }

  full(): boolean {
    return this.total >= this.limit;
  }

  /** Takes a place for an exemplar at `timeNs`; false when there is none left. */
  take(timeNs: bigint): boolean {
    const ms = timeNs / 1_000_000n;
    if (this.full() || ms < this.startMs || ms > this.endMs) return false;
    let i = this.startMs === this.endMs ? 0 : Number((ms - this.startMs) / this.width);
    if (i >= this.slices) i = this.slices - 1;
    if (this.counts[i] >= EXEMPLARS_PER_SLICE) return false;
    this.counts[i]++;
    this.total++;
    return true;
  }
}

/** The labels an exemplar carries: the trace and span ids, then what the query grouped by or measured. */
function exemplarLabels(span: QuerySpan, trace: QueryTrace, extra: readonly SeriesLabel[]): SeriesLabel[] {
  return [
    { key: 'trace:id', value: { type: 'string', value: trace.traceId.replace(/^0+(?=.)/, '') } },
    { key: 'span:id', value: { type: 'string', value: span.spanId } },
    ...extra.filter((l) => l.value.type !== 'nil'),
  ];
}

// ---------------------------------------------------------------- grouping

/** by(...) of a metrics function: the values of a span, its key, and Tempo's series labels. */
class Grouping {
  readonly names: string[];

  constructor(readonly by: readonly AttributeRef[]) {
    this.names = by.map((r) => print(r));
  }

  values(span: QuerySpan, trace: QueryTrace): Value[] {
    return this.by.map((ref) => read(ref, span, trace));
  }

  /**
   * Missing values are left out; when every value is missing (and no label of the
   * function's own follows) the series keeps the first name with a nil value, as Tempo does.
   */
  labels(values: readonly Value[], own: SeriesLabel | undefined): SeriesLabel[] {
    const out: SeriesLabel[] = [];
    values.forEach((v, i) => {
      if (v.type !== 'nil') out.push({ key: this.names[i], value: v });
    });
    if (own !== undefined) out.push(own);
    if (out.length === 0 && this.names.length > 0) out.push({ key: this.names[0], value: NIL });
    return out;
  }
}

function keyOf(values: readonly Value[]): string {
  return values.map(valueKey).join('\u0000');
}

// -------------------------------------------------------------- aggregators

interface Aggregator {
  /** A span of the final spansets, in interval `i`. */
  observe(span: QuerySpan, i: number, trace: QueryTrace): void;
  /** The span chosen as this trace's exemplar. */
  exemplar(span: QuerySpan, trace: QueryTrace): void;
  result(): Series[];
}

interface Cell {
  readonly values: Value[];
  readonly acc: Float64Array;
  readonly n: Float64Array;
  readonly exemplars: Exemplar[];
}

/** rate, count_over_time, min/max/sum/avg_over_time and histogram_over_time. */
class SimpleAggregator implements Aggregator {
  private readonly cells = new Map<string, Cell>();
  private readonly grouping: Grouping;
  private readonly histogram: boolean;

  constructor(
    private readonly fn: MetricsAggregate,
    private readonly mapper: IntervalMapper,
    private readonly budget: ExemplarBudget | undefined,
  ) {
    this.grouping = new Grouping(fn.by);
    this.histogram = fn.fn === 'histogram_over_time';
  }

  /** The cell of a span, or undefined when the span is dropped (no histogram bucket). */
  private cell(span: QuerySpan, trace: QueryTrace): Cell | undefined {
    const values = this.grouping.values(span, trace);
    if (this.histogram) {
      const bucket = bucketOf((this.fn as { attribute: AttributeRef }).attribute, span, trace);
      if (bucket === undefined) return undefined;
      values.push({ type: 'float', value: bucket });
    }
    const key = keyOf(values);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const n = this.mapper.count;
      const fill = this.fn.fn === 'min_over_time' || this.fn.fn === 'max_over_time' || this.fn.fn === 'sum_over_time' ? NaN : 0;
      cell = { values, acc: new Float64Array(n).fill(fill), n: new Float64Array(n), exemplars: [] };
      this.cells.set(key, cell);
    }
    return cell;
  }

  private measured(span: QuerySpan, trace: QueryTrace): number | undefined {
    if (this.fn.fn === 'rate' || this.fn.fn === 'count_over_time' || this.fn.fn === 'histogram_over_time') return undefined;
    const attr = (this.fn as { attribute: AttributeRef }).attribute;
    if (attr.kind === 'Intrinsic' && attr.name === 'duration') return Number(span.durationNs) / SECOND;
    return numeric(read(attr, span, trace));
  }

  observe(span: QuerySpan, i: number, trace: QueryTrace): void {
    const counting = this.fn.fn === 'rate' || this.fn.fn === 'count_over_time' || this.fn.fn === 'histogram_over_time';
    const v = counting ? 1 : this.measured(span, trace);
    if (v === undefined) return;
    const cell = this.cell(span, trace);
    if (cell === undefined) return;
    const cur = cell.acc[i];
    switch (this.fn.fn) {
      case 'min_over_time':
        if (Number.isNaN(cur) || v < cur) cell.acc[i] = v;
        break;
      case 'max_over_time':
        if (Number.isNaN(cur) || v > cur) cell.acc[i] = v;
        break;
      case 'sum_over_time':
        cell.acc[i] = Number.isNaN(cur) ? v : cur + v;
        break;
      default:
        cell.acc[i] = cur + v;
        cell.n[i]++;
    }
  }

  exemplar(span: QuerySpan, trace: QueryTrace): void {
    if (this.budget === undefined || this.budget.full()) return;
    const counting = this.fn.fn === 'rate' || this.fn.fn === 'count_over_time' || this.fn.fn === 'histogram_over_time';
    const v = counting ? NaN : this.measured(span, trace);
    if (v === undefined) return;
    const cell = this.cell(span, trace);
    if (cell === undefined || !this.budget.take(span.startNs)) return;
    const extra = this.grouping.labels(cell.values.slice(0, this.fn.by.length), undefined);
    if (!counting) extra.push({ key: print((this.fn as { attribute: AttributeRef }).attribute), value: { type: 'float', value: v } });
    cell.exemplars.push({ labels: exemplarLabels(span, trace, extra), value: v, timeNs: span.startNs });
  }

  result(): Series[] {
    const out: Series[] = [];
    const rateMult = SECOND / Number(this.mapper.instant ? this.mapper.endNs - this.mapper.startNs : this.mapper.stepNs);
    for (const cell of this.cells.values()) {
      let values: number[];
      switch (this.fn.fn) {
        case 'rate':
          values = Array.from(cell.acc, (c) => c * rateMult);
          break;
        case 'avg_over_time':
          values = Array.from(cell.acc, (s, i) => (cell.n[i] === 0 ? NaN : s / cell.n[i]));
          break;
        default:
          values = Array.from(cell.acc);
      }
      let labels: SeriesLabel[];
      if (this.histogram) {
        const by = cell.values.slice(0, -1);
        labels = this.grouping.labels(by, { key: '__bucket', value: cell.values[cell.values.length - 1] });
      } else if (this.fn.by.length === 0) {
        labels = [{ key: '__name__', value: { type: 'string', value: this.fn.fn } }];
      } else {
        labels = this.grouping.labels(cell.values, undefined);
      }
      out.push({ labels, values, exemplars: cell.exemplars });
    }
    return out;
  }
}

interface QuantileCell {
  readonly values: Value[];
  /** Per interval: bucket upper bound → count. */
  readonly hist: Array<Map<number, number>>;
  readonly exemplars: Exemplar[];
  readonly budget: ExemplarBudget | undefined;
}

/** quantile_over_time: Tempo's power-of-two histograms per series and interval. */
class QuantileAggregator implements Aggregator {
  private readonly cells = new Map<string, QuantileCell>();
  private readonly grouping: Grouping;

  constructor(
    private readonly fn: MetricsAggregate & { fn: 'quantile_over_time' },
    private readonly mapper: IntervalMapper,
    private readonly exemplarLimit: number,
    private readonly range: { startNs: bigint; endNs: bigint },
  ) {
    this.grouping = new Grouping(fn.by);
  }

  private cell(span: QuerySpan, trace: QueryTrace): QuantileCell {
    const values = this.grouping.values(span, trace);
    const key = keyOf(values);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const budget = this.exemplarLimit > 0 ? new ExemplarBudget(this.exemplarLimit, this.range.startNs, this.range.endNs) : undefined;
      cell = { values, hist: Array.from({ length: this.mapper.count }, () => new Map<number, number>()), exemplars: [], budget };
      this.cells.set(key, cell);
    }
    return cell;
  }

  observe(span: QuerySpan, i: number, trace: QueryTrace): void {
    const bucket = bucketOf(this.fn.attribute, span, trace);
    if (bucket === undefined) return;
    const h = this.cell(span, trace).hist[i];
    h.set(bucket, (h.get(bucket) ?? 0) + 1);
  }

  exemplar(span: QuerySpan, trace: QueryTrace): void {
    if (this.exemplarLimit === 0 || bucketOf(this.fn.attribute, span, trace) === undefined) return;
    const attr = this.fn.attribute;
    const v = attr.kind === 'Intrinsic' && attr.name === 'duration' ? Number(span.durationNs) / SECOND : numeric(read(attr, span, trace));
    if (v === undefined) return;
    const cell = this.cell(span, trace);
    if (cell.budget === undefined || !cell.budget.take(span.startNs)) return;
    const extra = this.grouping.labels(cell.values, undefined);
    extra.push({ key: print(attr), value: { type: 'float', value: v } });
    cell.exemplars.push({ labels: exemplarLabels(span, trace, extra), value: v, timeNs: span.startNs });
  }

  result(): Series[] {
    // Exemplars go to the quantile whose value over everything is closest to theirs.
    const overall = new Map<number, number>();
    for (const cell of this.cells.values()) for (const h of cell.hist) for (const [b, c] of h) overall.set(b, (overall.get(b) ?? 0) + c);
    const sortedOverall = sortBuckets(overall);
    const qValues = this.fn.quantiles.map((q) => log2Quantile(q, sortedOverall));
    const out: Series[] = [];
    for (const cell of this.cells.values()) {
      const sorted = cell.hist.map(sortBuckets);
      // Tempo groups by the values and its bucket label, then swaps the bucket for `p`:
      // missing values are left out, and an all-missing group keeps only `p`.
      const by = this.grouping.labels(cell.values, undefined).filter((l) => l.value.type !== 'nil');
      this.fn.quantiles.forEach((q, qi) => {
        const values = sorted.map((b) => (b.length === 0 ? 0 : log2Quantile(q, b)));
        const exemplars = cell.exemplars.filter((e) => closest(e.value, qValues) === qi);
        out.push({ labels: [...by, { key: 'p', value: { type: 'float', value: q } }], values, exemplars });
      });
    }
    return out;
  }
}

function sortBuckets(h: ReadonlyMap<number, number>): HistogramBucket[] {
  return [...h].map(([max, count]) => ({ max, count })).sort((a, b) => a.max - b.max);
}

function closest(v: number, candidates: readonly number[]): number {
  let best = -1;
  let diff = Infinity;
  candidates.forEach((c, i) => {
    const d = Math.abs(v - c);
    if (d < diff) {
      diff = d;
      best = i;
    }
  });
  return best;
}

interface CompareValue {
  readonly value: Value;
  readonly counts: Float64Array;
}

interface CompareSide {
  readonly values: Map<string, Map<string, CompareValue>>;
  readonly totals: Map<string, Float64Array>;
  readonly exemplars: Exemplar[];
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

function attributeName(scope: 'span' | 'resource', name: string): string {
  const ref: Attribute = { kind: 'Attribute', scope, parent: false, name, from: 0, to: 0 };
  return print(ref);
}

/**
 * compare({filter}, topN, start, end): every attribute value of the matching spans,
 * counted per interval for the selection (spans matching the filter, inside the optional
 * window) and the baseline (the rest), plus per-attribute totals (Tempo's compare()).
 */
class CompareAggregator implements Aggregator {
  private readonly selection: CompareSide = { values: new Map(), totals: new Map(), exemplars: [] };
  private readonly baseline: CompareSide = { values: new Map(), totals: new Map(), exemplars: [] };
  private readonly filterRoot: Root;
  private traceSeen: QueryTrace | undefined;
  private selected = new Set<QuerySpan>();
  private readonly startNs: bigint;
  private readonly endNs: bigint;

  constructor(
    private readonly fn: MetricsCompare,
    private readonly mapper: IntervalMapper,
    private readonly exemplarLimit: number,
  ) {
    this.filterRoot = { kind: 'Root', pipeline: { kind: 'Pipeline', stages: [fn.filter], from: fn.filter.from, to: fn.filter.to }, metrics: null, secondStage: null, hints: null, from: fn.from, to: fn.to };
    this.startNs = BigInt(Math.round(fn.start));
    this.endNs = BigInt(Math.round(fn.end));
  }

  private isSelection(span: QuerySpan, trace: QueryTrace): boolean {
    if (this.traceSeen !== trace) {
      this.traceSeen = trace;
      this.selected = new Set(evaluate(this.filterRoot, trace).flatMap((s) => s.spans));
    }
    if (this.fn.start > 0 && this.fn.end > 0 && !(span.startNs > this.startNs && span.startNs <= this.endNs)) return false;
    return this.selected.has(span);
  }

  /** The attributes compare() splits by: span and resource attributes and the span intrinsics. */
  private attributes(span: QuerySpan): Array<[string, Value]> {
    const out: Array<[string, Value]> = [];
    for (const [k, v] of span.attributes) if (v.type !== 'opaque') out.push([attributeName('span', k), v]);
    for (const [k, v] of span.resource) if (v.type !== 'opaque') out.push([attributeName('resource', k), v]);
    out.push(['name', { type: 'string', value: span.name }]);
    out.push(['status', { type: 'status', value: STATUSES[span.status] ?? 'unset' }]);
    out.push(['kind', { type: 'kind', value: SPAN_KINDS[span.kind] ?? 'unspecified' }]);
    if (span.statusMessage !== '') out.push(['statusMessage', { type: 'string', value: span.statusMessage }]);
    return out;
  }

  observe(span: QuerySpan, i: number, trace: QueryTrace): void {
    const side = this.isSelection(span, trace) ? this.selection : this.baseline;
    const n = this.mapper.count;
    for (const [name, value] of this.attributes(span)) {
      let values = side.values.get(name);
      if (values === undefined) side.values.set(name, (values = new Map()));
      const key = valueKey(value);
      let cv = values.get(key);
      if (cv === undefined) values.set(key, (cv = { value, counts: new Float64Array(n) }));
      cv.counts[i]++;
      let totals = side.totals.get(name);
      if (totals === undefined) side.totals.set(name, (totals = new Float64Array(n)));
      totals[i]++;
    }
  }

  exemplar(span: QuerySpan, trace: QueryTrace): void {
    const side = this.isSelection(span, trace) ? this.selection : this.baseline;
    if (side.exemplars.length >= this.exemplarLimit) return;
    const labels = exemplarLabels(span, trace, this.attributes(span).map(([key, value]) => ({ key, value })));
    side.exemplars.push({ labels, value: NaN, timeNs: span.startNs });
  }

  result(): Series[] {
    const out: Series[] = [];
    const meta = (type: string): SeriesLabel => ({ key: '__meta_type', value: { type: 'string', value: type } });
    const sides: Array<[CompareSide, string]> = [
      [this.baseline, 'baseline'],
      [this.selection, 'selection'],
    ];
    const budget = this.exemplarLimit > 0 ? new ExemplarBudget(this.exemplarLimit, this.mapper.startNs, this.mapper.endNs) : undefined;
    for (const [side, type] of sides) {
      for (const [name, values] of side.values) {
        const ranked = [...values.values()].map((v) => ({ v, total: v.counts.reduce((a, b) => a + b, 0) }));
        if (ranked.length > this.fn.topN) ranked.sort((a, b) => b.total - a.total);
        for (const { v } of ranked.slice(0, this.fn.topN)) {
          out.push({ labels: [meta(type), { key: name, value: v.value }], values: Array.from(v.counts), exemplars: [] });
        }
        // An attribute with more than topN values gets Tempo's `__meta_error` series. It has no
        // samples, so (as in Tempo) it never reaches the response.
      }
      for (const [name, counts] of side.totals) {
        const exemplars: Exemplar[] = [];
        for (const e of side.exemplars) {
          if (e.labels.some((l) => l.key === name) && (budget === undefined || budget.take(e.timeNs))) exemplars.push({ ...e });
        }
        out.push({ labels: [meta(`${type}_total`), { key: name, value: NIL }], values: Array.from(counts), exemplars });
      }
    }
    return out;
  }
}

function createAggregator(fn: MetricsFunction, mapper: IntervalMapper, exemplars: number): Aggregator {
  if (fn.kind === 'MetricsCompare') return new CompareAggregator(fn, mapper, exemplars);
  if (fn.fn === 'quantile_over_time') return new QuantileAggregator(fn, mapper, exemplars, { startNs: mapper.startNs, endNs: mapper.endNs });
  const budget = exemplars > 0 ? new ExemplarBudget(exemplars, mapper.startNs, mapper.endNs) : undefined;
  return new SimpleAggregator(fn, mapper, budget);
}

// -------------------------------------------------------------- second stage

/** Tempo's String() of a label value, which it sorts and breaks ties by. */
export function labelValueText(v: Value): string {
  switch (v.type) {
    case 'string':
    case 'status':
    case 'kind':
      return `string_value:${JSON.stringify(v.value)}`;
    case 'nil':
      return 'string_value:"nil"';
    case 'int':
      return `int_value:${Math.trunc(v.value)}`;
    case 'float':
      return `double_value:${v.value}`;
    case 'bool':
      return `bool_value:${v.value}`;
    case 'duration':
      return `string_value:${v.value}`;
    default:
      return valueKey(v);
  }
}

/** Tempo's order of series: fewer labels first, then label by label (key, then value text). */
export function compareSeries(a: Series, b: Series): number {
  if (a.labels.length !== b.labels.length) return a.labels.length - b.labels.length;
  for (let i = 0; i < a.labels.length; i++) {
    const ka = a.labels[i].key;
    const kb = b.labels[i].key;
    if (ka !== kb) return ka < kb ? -1 : 1;
    const va = labelValueText(a.labels[i].value);
    const vb = labelValueText(b.labels[i].value);
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

/** `| topk(n)` / `| bottomk(n)`: per interval keep the n highest (lowest) values, drop the rest. */
export function applyTopK(series: Series[], stage: TopK, count: number): Series[] {
  const kept = series.map((s) => ({ s, values: new Array<number>(count).fill(NaN), used: false }));
  const order = [...kept].sort((a, b) => compareSeries(a.s, b.s));
  for (let i = 0; i < count; i++) {
    const candidates = order.filter((k) => !Number.isNaN(k.s.values[i]));
    candidates.sort((a, b) => {
      const d = stage.op === 'topk' ? b.s.values[i] - a.s.values[i] : a.s.values[i] - b.s.values[i];
      return d !== 0 ? d : compareSeries(a.s, b.s);
    });
    for (const k of candidates.slice(0, stage.limit)) {
      k.values[i] = k.s.values[i];
      k.used = true;
    }
  }
  return kept.filter((k) => k.used).map((k) => ({ labels: k.s.labels, values: k.values, exemplars: k.s.exemplars }));
}

// -------------------------------------------------------------------- query

export interface MetricsQuery {
  /** Runs the query to the end without giving way. */
  (request: MetricsRequest): MetricsResult;
  /**
   * The same query, giving the event loop a turn every SLICE_MS (candidates.ts) so that ingest and other
   * requests go on; `signal` (the client went away) stops it with an AbortError.
   */
  run(request: MetricsRequest, signal?: AbortSignal): Promise<MetricsResult>;
}

interface Running {
  readonly root: Root;
  readonly mapper: IntervalMapper;
  readonly aggregator: Aggregator;
  readonly exemplarLimit: number;
  readonly candidates: Candidates;
  exemplarTraces: number;
}

export function createMetricsQuery(store: StoreReader): MetricsQuery {
  const source = createCandidateSource(store);

  function begin(request: MetricsRequest): Running {
    const root = request.root;
    if (root.metrics === null) throw new Error('not a metrics query');
    const mapper = new IntervalMapper(request.startNs, request.endNs, request.stepNs, request.instant);
    const exemplarLimit = request.instant ? 0 : request.exemplars;
    // Every span starting in (start, end] belongs to a trace overlapping [start, end].
    const candidates = source.open(source.plan(root), { startNs: request.startNs, endNs: request.endNs });
    return { root, mapper, exemplarLimit, candidates, aggregator: createAggregator(root.metrics, mapper, exemplarLimit), exemplarTraces: 0 };
  }

  /** Observes one candidate trace: the spans of its final spansets that start in the window. */
  function observe(s: Running, rowid: number): void {
    const loaded = s.candidates.load(rowid);
    if (loaded === undefined) return;
    const spansets = evaluate(s.root, loaded.trace);
    if (spansets.length === 0) return;
    let first: QuerySpan | undefined;
    const seen = spansets.length > 1 ? new Set<QuerySpan>() : undefined;
    for (const set of spansets) {
      for (const span of set.spans) {
        if (seen !== undefined) {
          if (seen.has(span)) continue;
          seen.add(span);
        }
        const i = s.mapper.interval(span.startNs);
        if (i < 0) continue;
        s.aggregator.observe(span, i, loaded.trace);
        first ??= span;
      }
    }
    // One exemplar per trace (its first counted span), for the first `limit` traces.
    if (first !== undefined && s.exemplarTraces < s.exemplarLimit) {
      s.exemplarTraces++;
      s.aggregator.exemplar(first, loaded.trace);
    }
  }

  function finish(s: Running): MetricsResult {
    let series = s.aggregator.result();
    if (s.root.secondStage !== null) series = applyTopK(series, s.root.secondStage, s.mapper.count);
    const c = s.candidates;
    return { series, mapper: s.mapper, inspectedTraces: c.inspectedTraces, inspectedSpans: c.inspectedSpans, inspectedBytes: c.inspectedBytes };
  }

  /** Observes candidates until there are none (true) or `pause()` asks for a break (false). */
  function advance(s: Running, pause: () => boolean): boolean {
    for (let rowid = s.candidates.next(); rowid !== undefined; rowid = s.candidates.next()) {
      observe(s, rowid);
      if (pause()) return false;
    }
    return true;
  }

  const query = ((request: MetricsRequest): MetricsResult => {
    const s = begin(request);
    runToEnd(s, advance);
    return finish(s);
  }) as MetricsQuery;

  query.run = async (request, signal) => {
    const s = begin(request);
    if (!(await runInSlices(s, advance, signal))) signal?.throwIfAborted();
    return finish(s);
  };

  return query;
}
