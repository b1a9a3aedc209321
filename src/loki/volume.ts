/**
 * @module loki/volume
 * Answers from the store's per-bucket counts (entries and bytes by resource and severity)
 * instead of reading records: `index/stats`, `index/volume`, `index/volume_range`, and the
 * log-volume histogram Grafana asks with every log query —
 * `sum by (level, detected_level) (count_over_time({…} | drop __error__ [step]))` — whose
 * labels all come from a record's resource and severity. Exact for what is stored, flushed
 * or not (Loki answers 0 for data still in its ingesters).
 */
import { keyTerm, type LogFilter, type LogVolume } from '../store/index.ts';
import {
  compilePipeline, ERROR_LABEL, labelsKey, MAX_POINTS, newLabels, stepCount,
  type LabelMatcher, type Labels, type MetricExpr, type MetricResult, type Series, type Stage, type Steps,
} from '../logql/index.ts';
import type { LokiData } from './data.ts';
import { detectedLevel, DETECTED_LEVEL, INDEX_LABELS } from './model.ts';
import { predicateNames, storeFilter } from './plan.ts';
import { sampleTime, type Window } from './params.ts';

function rows(data: LokiData, selector: readonly LabelMatcher[], originNs: bigint, endNs: bigint, stepNs: bigint): LogVolume[] {
  const resourceIds = data.resourceIds(selector);
  if (resourceIds.length === 0) return [];
  return data.store.logs.volume({ startNs: originNs, endNs, resourceIds }, stepNs);
}

export function streamStats(data: LokiData, selector: readonly LabelMatcher[], window: Window): Record<string, number> {
  const got = rows(data, selector, window.startNs, window.endNs + 1n, window.endNs - window.startNs + 1n);
  const streams = new Set(got.map((r) => r.resourceId)).size;
  let entries = 0;
  let bytes = 0;
  for (const r of got) {
    entries += r.entries;
    bytes += r.bytes;
  }
  // One stream's records are one chunk here: nothing is cut into chunks.
  return { streams, chunks: streams, bytes, entries };
}

/** The labels a volume groups by: the requested ones, else those the selector names. */
function volumeLabels(stream: Labels, selector: readonly LabelMatcher[], targets: readonly string[]): Labels {
  const names = targets.length > 0 ? targets : selector.map((m) => m.name);
  const out = newLabels();
  for (const n of names) if (stream[n] !== undefined) out[n] = stream[n];
  return out;
}

export function volume(data: LokiData, selector: readonly LabelMatcher[], window: Window, targets: readonly string[], limit: number): unknown {
  const byKey = new Map<string, { metric: Labels; bytes: number }>();
  for (const r of rows(data, selector, window.startNs, window.endNs + 1n, window.endNs - window.startNs + 1n)) {
    const metric = volumeLabels(data.resource(r.resourceId).stream, selector, targets);
    const key = labelsKey(metric);
    const g = byKey.get(key) ?? { metric, bytes: 0 };
    g.bytes += r.bytes;
    byKey.set(key, g);
  }
  const t = sampleTime(window.endNs);
  const result = [...byKey.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit)
    .map((g) => ({ metric: g.metric, value: [t, String(g.bytes)] }));
  return { resultType: 'vector', result, stats: {} };
}

export function volumeRange(data: LokiData, selector: readonly LabelMatcher[], window: Window, stepNs: bigint, targets: readonly string[], limit: number): unknown {
  const byKey = new Map<string, { metric: Labels; total: number; points: Map<number, number> }>();
  // Bucket k holds (start + (k-1)·step, start + k·step], the window a sample at start + k·step covers.
  for (const r of rows(data, selector, window.startNs - stepNs + 1n, window.endNs + 1n, stepNs)) {
    const metric = volumeLabels(data.resource(r.resourceId).stream, selector, targets);
    const key = labelsKey(metric);
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { metric, total: 0, points: new Map() }));
    g.total += r.bytes;
    g.points.set(r.bucket, (g.points.get(r.bucket) ?? 0) + r.bytes);
  }
  const result = [...byKey.values()]
    .sort((a, b) => b.total - a.total)
    .slice(0, limit)
    .map((g) => ({
      metric: g.metric,
      values: [...g.points.entries()].sort(([a], [b]) => a - b).map(([k, v]) => [sampleTime(window.startNs + BigInt(k) * stepNs), String(v)]),
    }));
  return { resultType: 'matrix', result, stats: {} };
}

/** Labels a count row carries besides its resource's stream labels (structured metadata from the record's severity). */
const SEVERITY_LABELS: ReadonlySet<string> = new Set([DETECTED_LEVEL, 'severity_text', 'severity_number']);

/** The labels of a count row: its resource's stream labels and the structured metadata its severity gives. */
function rowMetadata(r: LogVolume): Labels {
  const md = newLabels();
  if (r.severityText !== '') md.severity_text = r.severityText;
  if (r.severity !== 0) md.severity_number = String(r.severity);
  md[DETECTED_LEVEL] = detectedLevel(r.severity, r.severityText);
  return md;
}

/**
 * `sum [by (…)] (count_over_time | rate | bytes_over_time | bytes_rate ({selector} stages [range]))` answered from
 * SQL counts instead of reading records — the shape of Grafana's log-volume histogram,
 * `sum by (level, detected_level) (count_over_time({…} | drop __error__ [step]))`. It applies when every label the
 * query groups or filters by is a stream label or comes from the severity, the line filters are ones the store
 * applies exactly (`|=` one text, `!=`), any `drop` names nothing else the query reads, there is no offset, and
 * the range is the step, a multiple of it, or the query is instant. Grouping by `level` needs every record in
 * the window to lack a `level` attribute (it would be one). Undefined when the query is of another shape.
 */
export function countsQuery(data: LokiData, expr: MetricExpr, steps: Steps): MetricResult | undefined {
  if (expr.kind !== 'aggregate' || expr.op !== 'sum' || expr.inner.kind !== 'range') return undefined;
  const { grouping, inner } = expr;
  const { log } = inner;
  if (grouping?.without === true || inner.offsetNs !== 0) return undefined;
  const by = grouping?.labels ?? [];
  const n = stepCount(steps);
  if (n === 0 || n > MAX_POINTS) return undefined; // the general path refuses with Loki's message
  const range = BigInt(inner.rangeNs);
  const width = n === 1 ? range : steps.stepNs;
  if (range % width !== 0n) return undefined;
  const span = Number(range / width);

  const read = new Set<string>();
  const residual: Stage[] = [];
  const dropped: string[] = [];
  for (const s of log.stages) {
    if (s.kind === 'line') {
      // Only what the store applies exactly (plan.ts pushes these).
      if (!((s.op === '|=' && s.values.length === 1 && s.values[0] !== '') || (s.op === '!=' && !s.values.includes('')))) return undefined;
    } else if (s.kind === 'labelFilter') {
      predicateNames(s.predicate, read);
      residual.push(s);
    } else if (s.kind === 'drop' && s.labels.every((l) => l.matcher === undefined)) {
      dropped.push(...s.labels.map((l) => l.name));
    } else return undefined;
  }
  const known = (name: string): boolean => INDEX_LABELS.has(name) || SEVERITY_LABELS.has(name);
  if (![...read].every(known) || !by.every((l) => known(l) || l === 'level')) return undefined;
  if (dropped.some((d) => read.has(d) || by.includes(d))) return undefined;

  const origin = steps.startNs - range + 1n;
  const endNs = steps.startNs + BigInt(n - 1) * steps.stepNs + 1n;
  const filter = storeFilter(data, log, { startNs: origin, endNs });
  const buckets = n + span - 1;
  if (filter === undefined) return { kind: 'vector', series: [] };
  if (by.includes('level')) {
    const ids = filter.resourceIds ?? data.allResources().map((r) => r.id);
    if (ids.some((id) => data.resource(id).metadata.level !== undefined)) return undefined;
    if (data.store.logs.count({ ...filter, terms: [keyTerm('s', 'level')] }) > 0) return undefined;
  }
  const bytes = inner.fn === 'bytes_over_time' || inner.fn === 'bytes_rate';
  const perSecond = inner.fn === 'rate' || inner.fn === 'bytes_rate' ? inner.rangeNs / 1e9 : 1;
  const pipeline = compilePipeline({ kind: 'log', selector: [], stages: residual });
  const series = new Map<string, { metric: Labels; counts: Float64Array }>();
  // The severity text matters to a query that reads it; detected_level needs it only without a severity number.
  const texts = read.has('severity_text') || by.includes('severity_text') ? 'all' : 'unnumbered';
  for (const r of data.store.logs.volume(filter as LogFilter & { startNs: bigint }, width, { withBytes: bytes, texts })) {
    if (r.bucket < 0 || r.bucket >= buckets) continue;
    const out = pipeline('', data.resource(r.resourceId).stream, rowMetadata(r));
    if (out === null) continue;
    if (out.parsed[ERROR_LABEL] !== undefined) return undefined; // the general path reports it as Loki does
    const metric = newLabels();
    for (const l of by) {
      const v = out.parsed[l] ?? out.metadata[l] ?? out.stream[l];
      if (v !== undefined && v !== '') metric[l] = v;
    }
    const key = labelsKey(metric);
    let g = series.get(key);
    if (g === undefined) series.set(key, (g = { metric, counts: new Float64Array(buckets) }));
    g.counts[r.bucket] += bytes ? r.bytes : r.entries;
  }
  const result: Series[] = [];
  for (const g of series.values()) {
    const values = new Float64Array(n).fill(NaN);
    let sum = 0;
    for (let b = 0; b < buckets; b++) {
      sum += g.counts[b];
      if (b >= span) sum -= g.counts[b - span];
      const i = b - span + 1;
      if (i >= 0 && sum > 0) values[i] = sum / perSecond;
    }
    result.push({ metric: g.metric, values });
  }
  return { kind: 'vector', series: result };
}
