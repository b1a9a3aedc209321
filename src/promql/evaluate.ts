/**
 * @module promql/evaluate
 * Evaluates the PromQL subset against the derived service-graph and span metrics
 * (src/metrics/types.ts), which are rebuilt from stored spans for any window rather
 * than sampled by a scraper. That fixes the semantics:
 *
 * - `m[r]` at time t covers the spans that started in (t − r, t] (Prometheus' left-open
 *   window), and `increase(m[r])` is exactly what the metrics-generator would have added
 *   to m over that window: DerivedMetrics.increase(). `rate(m[r])` = increase / r seconds.
 *   No extrapolation is needed: the numbers equal the /metrics counters' increase.
 * - A bare selector `m` at time t is the counter's cumulative value as of t (what
 *   scraping /metrics at t shows): DerivedMetrics.totals() at or after now, increase since
 *   the epoch before it.
 * - Histograms appear as Prometheus classic histograms: `<name>_bucket{le=…}` (cumulative,
 *   with le="+Inf"), `<name>_sum`, `<name>_count`.
 */
import type { DerivedMetrics, MetricsIncrease } from '../metrics/index.ts';
import type { Aggregate, Binary, Call, Expr, VectorMatching, VectorSelector } from './ast.ts';
import { matchValue } from './parser.ts';
import { ARITH_OPS, arithmetic, type ArithOp } from '../shared/arith.ts';

export type Metric = Record<string, string>;

export interface Sample {
  readonly metric: Metric;
  readonly value: number;
}

export type QueryValue =
  | { readonly type: 'scalar'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'vector'; readonly samples: Sample[] };

/** An error while evaluating a valid expression (e.g. many-to-many matching). */
export class PromQLEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromQLEvaluationError';
  }
}

const MS = 1_000_000n;

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits, never an exponent. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = m[2] + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) return m[1] + digits.padEnd(exp + 1, '0');
  return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** The samples a derived-metrics snapshot holds, as Prometheus series. */
export function flatten(inc: MetricsIncrease): Sample[] {
  const out: Sample[] = [];
  for (const c of inc.counters) out.push({ metric: { ...c.labels, __name__: c.name }, value: c.value });
  for (const h of inc.histograms) {
    h.bounds.forEach((b, i) => {
      out.push({ metric: { ...h.labels, __name__: `${h.name}_bucket`, le: formatFloat(b) }, value: h.cumulative[i] ?? h.count });
    });
    out.push({ metric: { ...h.labels, __name__: `${h.name}_bucket`, le: '+Inf' }, value: h.cumulative[h.bounds.length] ?? h.count });
    out.push({ metric: { ...h.labels, __name__: `${h.name}_sum` }, value: h.sum });
    out.push({ metric: { ...h.labels, __name__: `${h.name}_count` }, value: h.count });
  }
  return out;
}

/**
 * Where samples come from during one request: windows of DerivedMetrics.increase() and
 * cumulative values, each computed once per request.
 */
export class MetricsSource {
  private readonly cache = new Map<string, Sample[]>();

  constructor(
    private readonly derived: DerivedMetrics,
    /** The request's "now": at or after it, bare selectors read the live totals. */
    readonly nowNs: bigint = BigInt(Date.now()) * MS,
  ) {}

  get nowMs(): number {
    return Number(this.nowNs / MS);
  }

  /**
   * Increase of every series over the spans that started in (fromNs, toNs]. A series that
   * exists by toNs but did not move is there with 0, as Prometheus has it from scraping
   * the counter (so `rate()` of an idle edge is 0, and a histogram_quantile of it NaN,
   * rather than no series at all).
   */
  window(fromNs: bigint, toNs: bigint): Sample[] {
    const key = `w${fromNs}:${toNs}`;
    let samples = this.cache.get(key);
    if (samples === undefined) {
      samples = flatten(this.derived.increase(fromNs + 1n, toNs + 1n));
      const moved = new Set(samples.map((s) => labelsKey(s.metric)));
      for (const s of this.at(toNs)) if (!moved.has(labelsKey(s.metric))) samples.push({ metric: s.metric, value: 0 });
      this.cache.set(key, samples);
    }
    return samples;
  }

  /** Cumulative value of every series as of `atNs`. */
  at(atNs: bigint): Sample[] {
    const key = `a${atNs >= this.nowNs ? 'now' : atNs}`;
    let samples = this.cache.get(key);
    if (samples === undefined) {
      samples = flatten(atNs >= this.nowNs ? this.derived.totals() : this.derived.increase(0n, atNs + 1n));
      this.cache.set(key, samples);
    }
    return samples;
  }

  /** Every series of a window (both bounds given) or of the totals, for the label and series APIs. */
  series(startNs: bigint | undefined, endNs: bigint | undefined): Sample[] {
    if (startNs === undefined || endNs === undefined) return this.at(this.nowNs);
    return this.window(startNs - 1n, endNs);
  }
}

export function selects(vs: VectorSelector, metric: Metric): boolean {
  for (const m of vs.matchers) if (!matchValue(m, metric[m.name] ?? '')) return false;
  return true;
}

/** Prometheus' label-set text, `{a="x", b="y"}`, sorted by name: the identity of a series. */
export function labelsKey(metric: Metric): string {
  const names = Object.keys(metric).sort();
  return '{' + names.map((n) => `${n}=${JSON.stringify(metric[n])}`).join(', ') + '}';
}

function withoutName(metric: Metric): Metric {
  const { __name__: _name, ...rest } = metric;
  return rest;
}

function assertUnique(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.metric);
    if (seen.has(key)) throw new PromQLEvaluationError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
  return samples;
}

// --------------------------------------------------------------- functions

function call(e: Call, tNs: bigint, source: MetricsSource): QueryValue {
  switch (e.fn) {
    case 'rate':
    case 'increase': {
      const m = e.args[0];
      if (m.kind !== 'matrix') throw new PromQLEvaluationError(`expected a range vector selector in ${e.fn}()`);
      const rangeNs = BigInt(m.rangeMs) * MS;
      if (rangeNs <= 0n) return { type: 'vector', samples: [] };
      const seconds = m.rangeMs / 1000;
      const samples: Sample[] = [];
      for (const s of source.window(tNs - rangeNs, tNs)) {
        if (!selects(m.vector, s.metric)) continue;
        samples.push({ metric: withoutName(s.metric), value: e.fn === 'rate' ? s.value / seconds : s.value });
      }
      return { type: 'vector', samples: assertUnique(samples) };
    }
    case 'histogram_quantile': {
      const q = scalarOf(evaluate(e.args[0], tNs, source));
      const v = vectorOf(evaluate(e.args[1], tNs, source));
      return { type: 'vector', samples: histogramQuantile(q, v) };
    }
  }
}

interface Bucket {
  upper: number;
  count: number;
}

/** Prometheus' bucketQuantile over classic histogram buckets. */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  if (sorted.length === 0 || sorted[sorted.length - 1].upper !== Infinity) return NaN;
  // Same upper bound twice: add them up.
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else buckets.push({ ...b });
  }
  // Cumulative counts must not decrease (they may after a reset mid-window).
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count < max) b.count = max;
    else max = b.count;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i].count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2].upper;
  if (b === 0 && buckets[0].upper <= 0) return buckets[0].upper;
  let start = 0;
  const end = buckets[b].upper;
  let count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

function histogramQuantile(q: number, samples: readonly Sample[]): Sample[] {
  const groups = new Map<string, { metric: Metric; buckets: Bucket[] }>();
  for (const s of samples) {
    const le = s.metric.le;
    if (le === undefined) continue;
    const upper = le === '+Inf' ? Infinity : Number(le);
    if (Number.isNaN(upper) || le.trim() === '') continue;
    const { le: _le, ...rest } = s.metric;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { metric: withoutName(rest), buckets: [] }));
    g.buckets.push({ upper, count: s.value });
  }
  return assertUnique([...groups.values()].map((g) => ({ metric: g.metric, value: bucketQuantile(q, g.buckets) })));
}

// ------------------------------------------------------------ aggregation

function groupMetric(metric: Metric, e: Aggregate): Metric {
  const out: Metric = {};
  if (e.without) {
    for (const [k, v] of Object.entries(metric)) if (k !== '__name__' && !e.grouping.includes(k)) out[k] = v;
  } else {
    for (const k of e.grouping) if (metric[k] !== undefined && metric[k] !== '') out[k] = metric[k];
  }
  return out;
}

function aggregate(e: Aggregate, tNs: bigint, source: MetricsSource): QueryValue {
  const samples = vectorOf(evaluate(e.expr, tNs, source));
  const groups = new Map<string, { metric: Metric; samples: Sample[] }>();
  for (const s of samples) {
    const metric = groupMetric(s.metric, e);
    const key = labelsKey(metric);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { metric, samples: [] }));
    g.samples.push(s);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  if (e.op === 'topk' || e.op === 'bottomk') {
    const k = Math.trunc(scalarOf(evaluate(e.param!, tNs, source)));
    const out: Sample[] = [];
    if (!(k >= 1)) return { type: 'vector', samples: out };
    const top = e.op === 'topk';
    for (const g of ordered) {
      // NaN ranks last either way, as in Prometheus.
      const sorted = [...g.samples].sort((a, b) => {
        if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
        if (Number.isNaN(b.value)) return -1;
        return top ? b.value - a.value : a.value - b.value;
      });
      out.push(...sorted.slice(0, k));
    }
    return { type: 'vector', samples: out };
  }
  const out: Sample[] = [];
  for (const g of ordered) {
    const values = g.samples.map((s) => s.value);
    let value: number;
    switch (e.op) {
      case 'sum':
        value = values.reduce((a, b) => a + b, 0);
        break;
      case 'avg':
        value = values.reduce((a, b) => a + b, 0) / values.length;
        break;
      case 'min':
        value = values.reduce((a, b) => (Number.isNaN(a) || b < a ? b : a), NaN);
        break;
      case 'max':
        value = values.reduce((a, b) => (Number.isNaN(a) || b > a ? b : a), NaN);
        break;
      case 'count':
        value = values.length;
        break;
      case 'group':
        value = 1;
        break;
    }
    out.push({ metric: g.metric, value });
  }
  return { type: 'vector', samples: out };
}

// --------------------------------------------------------------- binary ops

function arith(op: string, a: number, b: number): number {
  if (!ARITH_OPS.has(op)) throw new PromQLEvaluationError(`unknown operator ${op}`);
  return arithmetic(op as ArithOp, a, b);
}

function compareValues(op: string, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      throw new PromQLEvaluationError(`unknown operator ${op}`);
  }
}

const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);

function signature(metric: Metric, matching: VectorMatching): string {
  const out: Metric = {};
  if (matching.on) {
    for (const k of matching.labels) if (metric[k] !== undefined) out[k] = metric[k];
  } else {
    for (const [k, v] of Object.entries(metric)) if (k !== '__name__' && !matching.labels.includes(k)) out[k] = v;
  }
  return labelsKey(out);
}

function resultMetric(metric: Metric, e: Binary): Metric {
  let out = metric;
  if (!COMPARISONS.has(e.op) || e.returnBool) out = withoutName(out);
  if (e.matching.on) {
    const kept: Metric = {};
    for (const k of e.matching.labels) if (out[k] !== undefined) kept[k] = out[k];
    return kept;
  }
  if (e.matching.labels.length > 0) {
    const rest: Metric = {};
    for (const [k, v] of Object.entries(out)) if (!e.matching.labels.includes(k)) rest[k] = v;
    return rest;
  }
  return out;
}

function binary(e: Binary, tNs: bigint, source: MetricsSource): QueryValue {
  const l = evaluate(e.lhs, tNs, source);
  const r = evaluate(e.rhs, tNs, source);
  const comparison = COMPARISONS.has(e.op);
  if (l.type === 'scalar' && r.type === 'scalar') {
    const value = comparison ? (compareValues(e.op, l.value, r.value) ? 1 : 0) : arith(e.op, l.value, r.value);
    return { type: 'scalar', value };
  }
  if (l.type === 'vector' && r.type === 'vector') {
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return setOp(e, l.samples, r.samples);
    const right = new Map<string, Sample>();
    for (const s of r.samples) {
      const sig = signature(s.metric, e.matching);
      if (right.has(sig)) {
        throw new PromQLEvaluationError(`found duplicate series for the match group ${sig} on the right hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side`);
      }
      right.set(sig, s);
    }
    const out: Sample[] = [];
    const matched = new Set<string>();
    for (const s of l.samples) {
      const sig = signature(s.metric, e.matching);
      const other = right.get(sig);
      if (other === undefined) continue;
      if (matched.has(sig)) throw new PromQLEvaluationError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.add(sig);
      if (comparison) {
        const ok = compareValues(e.op, s.value, other.value);
        if (e.returnBool) out.push({ metric: resultMetric(s.metric, e), value: ok ? 1 : 0 });
        else if (ok) out.push({ metric: resultMetric(s.metric, e), value: s.value });
      } else {
        out.push({ metric: resultMetric(s.metric, e), value: arith(e.op, s.value, other.value) });
      }
    }
    return { type: 'vector', samples: assertUnique(out) };
  }
  // A vector and a scalar, either way round.
  const vectorLeft = l.type === 'vector';
  const samples = vectorOf(vectorLeft ? l : r);
  const k = scalarOf(vectorLeft ? r : l);
  const out: Sample[] = [];
  for (const s of samples) {
    const [a, b] = vectorLeft ? [s.value, k] : [k, s.value];
    if (comparison) {
      const ok = compareValues(e.op, a, b);
      if (e.returnBool) out.push({ metric: withoutName(s.metric), value: ok ? 1 : 0 });
      else if (ok) out.push({ metric: s.metric, value: s.value });
    } else {
      out.push({ metric: withoutName(s.metric), value: arith(e.op, a, b) });
    }
  }
  return { type: 'vector', samples: assertUnique(out) };
}

function setOp(e: Binary, lhs: Sample[], rhs: Sample[]): QueryValue {
  const rightSigs = new Set(rhs.map((s) => signature(s.metric, e.matching)));
  switch (e.op) {
    case 'and':
      return { type: 'vector', samples: lhs.filter((s) => rightSigs.has(signature(s.metric, e.matching))) };
    case 'unless':
      return { type: 'vector', samples: lhs.filter((s) => !rightSigs.has(signature(s.metric, e.matching))) };
    default: {
      const leftSigs = new Set(lhs.map((s) => signature(s.metric, e.matching)));
      return { type: 'vector', samples: [...lhs, ...rhs.filter((s) => !leftSigs.has(signature(s.metric, e.matching)))] };
    }
  }
}

// -------------------------------------------------------------------- core

function scalarOf(v: QueryValue): number {
  if (v.type !== 'scalar') throw new PromQLEvaluationError(`expected a scalar, got ${v.type}`);
  return v.value;
}

function vectorOf(v: QueryValue): Sample[] {
  if (v.type !== 'vector') throw new PromQLEvaluationError(`expected an instant vector, got ${v.type}`);
  return v.samples;
}

/** The value of `e` at time `tNs`. */
export function evaluate(e: Expr, tNs: bigint, source: MetricsSource): QueryValue {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', value: e.value };
    case 'string':
      return { type: 'string', value: e.value };
    case 'paren':
      return evaluate(e.expr, tNs, source);
    case 'unary': {
      const v = evaluate(e.expr, tNs, source);
      if (e.op === '+') return v;
      if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
      return { type: 'vector', samples: assertUnique(vectorOf(v).map((s) => ({ metric: withoutName(s.metric), value: -s.value }))) };
    }
    case 'vector':
      return { type: 'vector', samples: source.at(tNs).filter((s) => selects(e, s.metric)) };
    case 'matrix':
      throw new PromQLEvaluationError('range vectors are only evaluated inside rate() and increase()');
    case 'call':
      return call(e, tNs, source);
    case 'aggregate':
      return aggregate(e, tNs, source);
    case 'binary':
      return binary(e, tNs, source);
  }
}
