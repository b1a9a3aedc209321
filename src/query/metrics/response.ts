/**
 * TraceQL metrics results in Tempo's QueryRangeResponse / QueryInstantResponse JSON
 * (as in Tempo 2.7). Grafana decodes these with a strict protobuf-JSON
 * decoder, so only the proto's fields are emitted: series labels, samples, exemplars and
 * the classic search metrics; never promLabels, status or message.
 */
import type { Value } from '../../traceql/index.ts';
import { jsonValue, type JsonAnyValue, type JsonKeyValue } from '../search-response.ts';
import { compareSeries, type MetricsResult, type SeriesLabel } from './engine.ts';

export interface JsonSample {
  timestampMs: string;
  value: number | string;
}

export interface JsonExemplar {
  labels: JsonKeyValue[];
  value: number | string;
  timestampMs: string;
}

export interface JsonSeries {
  labels?: JsonKeyValue[];
  samples: JsonSample[];
  exemplars?: JsonExemplar[];
}

export interface JsonInstantSeries {
  labels?: JsonKeyValue[];
  value: number | string;
}

export interface JsonMetrics {
  inspectedTraces?: number;
  inspectedBytes?: string;
  inspectedSpans?: string;
  completedJobs?: number;
  totalJobs?: number;
}

export interface QueryRangeResponse {
  series: JsonSeries[];
  metrics: JsonMetrics;
}

export interface QueryInstantResponse {
  series: JsonInstantSeries[];
  metrics: JsonMetrics;
}

/** A label value as Tempo's AsAnyValue writes it: nil as the string "nil". */
function labelValue(v: Value): JsonAnyValue {
  return jsonValue(v) ?? { stringValue: 'nil' };
}

function labels(ls: readonly SeriesLabel[]): JsonKeyValue[] {
  return ls.map((l) => ({ key: l.key, value: labelValue(l.value) }));
}

/** A double for protobuf-JSON: NaN and infinities as strings. */
function double(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function metrics(result: MetricsResult): JsonMetrics {
  const m: JsonMetrics = { completedJobs: 1, totalJobs: 1 };
  if (result.inspectedTraces > 0) m.inspectedTraces = result.inspectedTraces;
  if (result.inspectedBytes > 0) m.inspectedBytes = String(result.inspectedBytes);
  if (result.inspectedSpans > 0) m.inspectedSpans = String(result.inspectedSpans);
  return m;
}

/**
 * Range response: series in Tempo's order, NaN samples and sample-less series dropped,
 * count-like exemplars given the value of their interval's sample.
 */
export function queryRangeResponse(result: MetricsResult): QueryRangeResponse {
  const { mapper } = result;
  const out: JsonSeries[] = [];
  for (const s of [...result.series].sort(compareSeries)) {
    const samples: JsonSample[] = [];
    for (let i = 0; i < s.values.length && i < mapper.count; i++) {
      const v = s.values[i];
      if (Number.isNaN(v)) continue;
      samples.push({ timestampMs: String(mapper.timestampMs(i)), value: double(v) });
    }
    if (samples.length === 0) continue;
    const series: JsonSeries = s.labels.length > 0 ? { labels: labels(s.labels), samples } : { samples };
    const exemplars: Array<JsonExemplar & { t: bigint }> = [];
    for (const e of s.exemplars) {
      const i = mapper.interval(e.timeNs);
      if (i < 0 || i >= s.values.length || Number.isNaN(s.values[i])) continue;
      const value = Number.isNaN(e.value) ? s.values[i] : e.value;
      const t = e.timeNs / 1_000_000n;
      exemplars.push({ labels: labels(e.labels), value: double(value), timestampMs: String(t), t });
    }
    if (exemplars.length > 0) {
      exemplars.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
      series.exemplars = exemplars.map(({ t: _t, ...e }) => e);
    }
    out.push(series);
  }
  return { series: out, metrics: metrics(result) };
}

/** Instant response: one value per series (its only interval). */
export function queryInstantResponse(result: MetricsResult): QueryInstantResponse {
  const out: JsonInstantSeries[] = [];
  for (const s of [...result.series].sort(compareSeries)) {
    const v = s.values[0];
    if (v === undefined || Number.isNaN(v)) continue;
    const series: JsonInstantSeries = s.labels.length > 0 ? { labels: labels(s.labels), value: double(v) } : { value: double(v) };
    out.push(series);
  }
  return { series: out, metrics: metrics(result) };
}
