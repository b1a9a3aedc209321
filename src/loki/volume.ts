/**
 * @module loki/volume
 * Answers from the store's per-bucket counts (entries and bytes by resource and severity)
 * instead of reading records: `index/stats`, `index/volume`, `index/volume_range`, and the
 * log-volume histogram Grafana asks with every log query —
 * `sum by (level, detected_level) (count_over_time({…} | drop __error__ [step]))` — whose
 * labels all come from a record's resource and severity. Exact for what is stored, flushed
 * or not (Loki answers 0 for data still in its ingesters).
 */
import type { LogVolume } from '../store/index.ts';
import { keyTerm } from '../store/index.ts';
import { labelsKey, MAX_POINTS, newLabels, type LabelMatcher, type Labels, type MetricExpr, type MetricResult, type Series, type Steps } from '../logql/index.ts';
import type { LokiData } from './data.ts';
import { detectedLevel, DETECTED_LEVEL, INDEX_LABELS } from './model.ts';
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

/** Labels a volume row knows: its resource's stream labels and those of its severity. */
const ROW_LABELS: ReadonlySet<string> = new Set([...INDEX_LABELS, DETECTED_LEVEL, 'severity_text', 'severity_number', 'level']);

/**
 * The histogram shape, answered from counts: `sum [by (…)] (count_over_time | rate | bytes_over_time | bytes_rate
 * ({selector} [| drop names…] [range]))` with the range equal to the step, no offset, grouping only by labels a
 * count row carries, and `level` only when no record in the window has a `level` attribute (it would be one).
 * Undefined when the query is of another shape.
 */
export function countsQuery(data: LokiData, expr: MetricExpr, steps: Steps): MetricResult | undefined {
  if (expr.kind !== 'aggregate' || expr.op !== 'sum' || expr.inner.kind !== 'range') return undefined;
  const { grouping, inner } = expr;
  if (grouping?.without === true) return undefined;
  const by = grouping?.labels ?? [];
  if (BigInt(inner.rangeNs) !== steps.stepNs || inner.offsetNs !== 0) return undefined;
  if (!by.every((l) => ROW_LABELS.has(l))) return undefined;
  for (const s of inner.log.stages) {
    if (s.kind !== 'drop' || s.labels.some((l) => l.matcher !== undefined || by.includes(l.name))) return undefined;
  }
  const n = Number((steps.endNs - steps.startNs) / steps.stepNs) + 1;
  if (n > MAX_POINTS) return undefined; // refused with Loki's message by the general path
  const originNs = steps.startNs - steps.stepNs + 1n;
  const endNs = steps.endNs + 1n;
  const resourceIds = data.resourceIds(inner.log.selector);
  if (by.includes('level') && resourceIds.length > 0) {
    if (resourceIds.some((id) => data.resource(id).metadata.level !== undefined)) return undefined;
    const withLevel = data.store.logs.count({ startNs: originNs, endNs, resourceIds, terms: [keyTerm('s', 'level')] });
    if (withLevel > 0) return undefined;
  }
  const series = new Map<string, Series>();
  const perSecond = inner.fn === 'rate' || inner.fn === 'bytes_rate';
  const bytes = inner.fn === 'bytes_over_time' || inner.fn === 'bytes_rate';
  const seconds = inner.rangeNs / 1e9;
  for (const r of resourceIds.length === 0 ? [] : data.store.logs.volume({ startNs: originNs, endNs, resourceIds }, steps.stepNs)) {
    if (r.bucket < 0 || r.bucket >= n) continue;
    const stream = data.resource(r.resourceId).stream;
    const metric = newLabels();
    for (const l of by) {
      const v =
        l === DETECTED_LEVEL ? detectedLevel(r.severity, r.severityText)
        : l === 'severity_text' ? r.severityText
        : l === 'severity_number' ? (r.severity === 0 ? '' : String(r.severity))
        : stream[l] ?? '';
      if (v !== '') metric[l] = v;
    }
    const key = labelsKey(metric);
    let s = series.get(key);
    if (s === undefined) series.set(key, (s = { metric, values: new Float64Array(n).fill(NaN) }));
    const add = (bytes ? r.bytes : r.entries) / (perSecond ? seconds : 1);
    s.values[r.bucket] = (Number.isNaN(s.values[r.bucket]) ? 0 : s.values[r.bucket]) + add;
  }
  return { kind: 'vector', series: [...series.values()] };
}
