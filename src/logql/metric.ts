/**
 * @module logql/metric
 * Metric queries evaluated over the entries a log query selects, at every step of a range
 * (an instant query is one step). A range aggregation counts, at step t, the entries in
 * (t - offset - range, t - offset]; a step whose window holds none has no sample, as in
 * Loki. A series of a range aggregation is labelled with every label of its entries
 * (stream labels, structured metadata, parsed labels). `sum` (with or without grouping)
 * directly over a range aggregation groups the entries as they come instead of building
 * one series per label set first, which keeps trace-id-labelled entries cheap.
 */
import type { AggregateOp, BinaryOp, Grouping, LogExpr, MetricExpr, RangeFn } from './ast.ts';
import { labelsKey, newLabels, type Labels } from './labels.ts';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, type PipelineEntry } from './pipeline.ts';
import { utf8Length } from '../shared/utf8.ts';
import { arithmetic } from '../shared/arith.ts';

/** Loki's limit on steps per series. */
export const MAX_POINTS = 11_000;
/** Loki's default limit on series in an answer. */
export const MAX_SERIES = 500;
/** Series × steps held at once while evaluating (about 64 MB of samples). */
export const MAX_CELLS = 8_000_000;

/** Refused while evaluating (too many series or points, an error label left in a sample): HTTP 400. */
export class LogQLEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogQLEvaluationError';
  }
}

export interface Steps {
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** > 0; an instant query uses any step with startNs = endNs. */
  readonly stepNs: bigint;
}

/**
 * Gives the entries `log` selects with times in (fromNs, toNs], after its pipeline, in any
 * order. The caller decides how (store pushdown, budgets); it throws to stop.
 */
export type EntrySource = (log: LogExpr, fromNs: bigint, toNs: bigint, visit: (tsNs: bigint, entry: PipelineEntry) => void) => void;

export interface Series {
  readonly metric: Labels;
  /** One value per step; NaN where the series has no sample. */
  readonly values: Float64Array;
}

export type MetricResult =
  | { readonly kind: 'scalar'; readonly values: Float64Array }
  | { readonly kind: 'vector'; readonly series: Series[] };

export function stepCount(steps: Steps): number {
  if (steps.endNs < steps.startNs) return 0;
  return Number((steps.endNs - steps.startNs) / steps.stepNs) + 1;
}

export function evaluateMetric(expr: MetricExpr, steps: Steps, source: EntrySource): MetricResult {
  const n = stepCount(steps);
  if (n > MAX_POINTS) {
    throw new LogQLEvaluationError(`exceeded maximum resolution of ${MAX_POINTS} points per timeseries. Try decreasing the query resolution (?step=XX)`);
  }
  const result = new Evaluator(steps, n, source).eval(expr);
  if (result.kind === 'vector' && result.series.length > MAX_SERIES) {
    throw new LogQLEvaluationError(
      `maximum number of series (${MAX_SERIES}) reached for a single query; consider reducing query cardinality by adding more filters or aggregating with sum by (…)`,
    );
  }
  return result;
}

/** Every label of an entry, as a range aggregation's series sees them; an entry with an error label fails the query. */
function entryLabels(e: PipelineEntry): Labels {
  const err = e.parsed[ERROR_LABEL];
  const out = newLabels();
  for (const k in e.stream) out[k] = e.stream[k];
  for (const k in e.metadata) out[k] = e.metadata[k];
  for (const k in e.parsed) out[k] = e.parsed[k];
  if (err !== undefined) {
    throw new LogQLEvaluationError(
      `pipeline error: '${err}' for series: '${labelsKey(out)}'. Use a label filter to intentionally skip this error. ` +
      `(e.g | __error__!="${err}"). To skip all errors use | __error__!="".`,
    );
  }
  delete out[ERROR_DETAILS_LABEL];
  return out;
}

function group(labels: Labels, grouping: Grouping | undefined): Labels {
  const out = newLabels();
  if (grouping === undefined) return out;
  if (grouping.without) {
    const drop = new Set(grouping.labels);
    for (const k in labels) if (!drop.has(k)) out[k] = labels[k];
  } else {
    for (const k of grouping.labels) if (labels[k] !== undefined && labels[k] !== '') out[k] = labels[k];
  }
  return out;
}

class Evaluator {
  private cells = 0;

  constructor(
    private readonly steps: Steps,
    private readonly n: number,
    private readonly source: EntrySource,
  ) {}

  private newValues(): Float64Array {
    this.cells += this.n;
    if (this.cells > MAX_CELLS) {
      throw new LogQLEvaluationError(`the query makes too many series × steps (over ${MAX_CELLS}); aggregate with sum by (…), add filters or widen the step`);
    }
    return new Float64Array(this.n).fill(NaN);
  }

  eval(expr: MetricExpr): MetricResult {
    switch (expr.kind) {
      case 'number':
        return { kind: 'scalar', values: new Float64Array(this.n).fill(expr.value) };
      case 'vector':
        return { kind: 'vector', series: [{ metric: newLabels(), values: this.newValues().fill(expr.value) }] };
      case 'range':
        return { kind: 'vector', series: this.range(expr.fn, expr.log, expr.rangeNs, expr.offsetNs, entryLabels) };
      case 'aggregate':
        if (expr.op === 'sum' && expr.inner.kind === 'range') {
          const { inner, grouping } = expr;
          return { kind: 'vector', series: this.range(inner.fn, inner.log, inner.rangeNs, inner.offsetNs, (e) => group(entryLabels(e), grouping)) };
        }
        return { kind: 'vector', series: this.aggregate(expr.op, expr.grouping, expr.param, this.vector(this.eval(expr.inner))) };
      case 'binary':
        return this.binary(expr.op, this.eval(expr.left), this.eval(expr.right));
    }
  }

  private vector(r: MetricResult): Series[] {
    if (r.kind === 'scalar') throw new LogQLEvaluationError('an aggregation needs a vector, not a number');
    return r.series;
  }

  /** Entries bucketed by series and swept across the steps with two pointers. */
  private range(fn: RangeFn, log: LogExpr, rangeNs: number, offsetNs: number, labelsOf: (e: PipelineEntry) => Labels): Series[] {
    const { startNs, endNs, stepNs } = this.steps;
    const range = BigInt(rangeNs);
    const offset = BigInt(offsetNs);
    const bySeries = new Map<string, { metric: Labels; ts: bigint[]; bytes: number[] }>();
    const wantBytes = fn === 'bytes_over_time' || fn === 'bytes_rate';
    this.source(log, startNs - offset - range, endNs - offset, (tsNs, entry) => {
      const metric = labelsOf(entry);
      const key = labelsKey(metric);
      let s = bySeries.get(key);
      if (s === undefined) {
        s = { metric, ts: [], bytes: [] };
        bySeries.set(key, s);
      }
      s.ts.push(tsNs);
      if (wantBytes) s.bytes.push(utf8Length(entry.line));
    });
    const seconds = rangeNs / 1e9;
    const out: Series[] = [];
    for (const s of bySeries.values()) {
      const order = s.ts.map((_, i) => i).sort((a, b) => (s.ts[a] < s.ts[b] ? -1 : s.ts[a] > s.ts[b] ? 1 : 0));
      const values = this.newValues();
      let lo = 0; // first entry inside the window
      let hi = 0; // first entry after the window
      let sum = 0;
      for (let i = 0; i < this.n; i++) {
        const t = startNs + BigInt(i) * stepNs - offset;
        while (hi < order.length && s.ts[order[hi]] <= t) {
          sum += wantBytes ? s.bytes[order[hi]] : 1;
          hi++;
        }
        while (lo < hi && s.ts[order[lo]] <= t - range) {
          sum -= wantBytes ? s.bytes[order[lo]] : 1;
          lo++;
        }
        if (hi > lo) values[i] = fn === 'rate' || fn === 'bytes_rate' ? sum / seconds : sum;
      }
      out.push({ metric: s.metric, values });
    }
    return out;
  }

  private aggregate(op: AggregateOp, grouping: Grouping | undefined, param: number | undefined, input: Series[]): Series[] {
    const groups = new Map<string, { metric: Labels; members: Series[] }>();
    for (const s of input) {
      const metric = group(s.metric, grouping);
      const key = labelsKey(metric);
      let g = groups.get(key);
      if (g === undefined) {
        g = { metric, members: [] };
        groups.set(key, g);
      }
      g.members.push(s);
    }
    const out: Series[] = [];
    for (const g of groups.values()) {
      if (op === 'topk' || op === 'bottomk') {
        out.push(...this.selectK(op, param ?? 1, g.members));
        continue;
      }
      const values = this.newValues();
      for (let i = 0; i < this.n; i++) {
        let count = 0;
        let acc = op === 'min' ? Infinity : op === 'max' ? -Infinity : 0;
        for (const m of g.members) {
          const v = m.values[i];
          if (Number.isNaN(v)) continue;
          count++;
          if (op === 'min') acc = Math.min(acc, v);
          else if (op === 'max') acc = Math.max(acc, v);
          else acc += v;
        }
        if (count === 0) continue;
        values[i] = op === 'count' ? count : op === 'avg' ? acc / count : acc;
      }
      out.push({ metric: g.metric, values });
    }
    return out;
  }

  /** topk / bottomk: at each step, the k largest (smallest) members keep their sample. */
  private selectK(op: 'topk' | 'bottomk', k: number, members: Series[]): Series[] {
    const kept = members.map(() => undefined as Float64Array | undefined);
    for (let i = 0; i < this.n; i++) {
      const present = members.map((m, j) => j).filter((j) => !Number.isNaN(members[j].values[i]));
      present.sort((a, b) => (op === 'topk' ? members[b].values[i] - members[a].values[i] : members[a].values[i] - members[b].values[i]));
      for (const j of present.slice(0, k)) {
        kept[j] ??= this.newValues();
        (kept[j] as Float64Array)[i] = members[j].values[i];
      }
    }
    const out: Series[] = [];
    members.forEach((m, j) => {
      const values = kept[j];
      if (values !== undefined) out.push({ metric: m.metric, values });
    });
    return out;
  }

  private binary(op: BinaryOp, left: MetricResult, right: MetricResult): MetricResult {
    const apply = (a: number, b: number): number => arithmetic(op, a, b);
    const combine = (a: Float64Array, b: Float64Array): Float64Array => {
      const out = this.newValues();
      for (let i = 0; i < this.n; i++) if (!Number.isNaN(a[i]) && !Number.isNaN(b[i])) out[i] = apply(a[i], b[i]);
      return out;
    };
    if (left.kind === 'scalar' && right.kind === 'scalar') {
      const values = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) values[i] = apply(left.values[i], right.values[i]);
      return { kind: 'scalar', values };
    }
    if (left.kind === 'scalar' && right.kind === 'vector') {
      return { kind: 'vector', series: right.series.map((s) => ({ metric: s.metric, values: combine(left.values, s.values) })) };
    }
    if (left.kind === 'vector' && right.kind === 'scalar') {
      return { kind: 'vector', series: left.series.map((s) => ({ metric: s.metric, values: combine(s.values, right.values) })) };
    }
    // Vector with vector: one-to-one on identical label sets.
    const rightByKey = new Map((right as { series: Series[] }).series.map((s) => [labelsKey(s.metric), s] as const));
    const series: Series[] = [];
    for (const l of (left as { series: Series[] }).series) {
      const r = rightByKey.get(labelsKey(l.metric));
      if (r !== undefined) series.push({ metric: l.metric, values: combine(l.values, r.values) });
    }
    return { kind: 'vector', series };
  }
}
