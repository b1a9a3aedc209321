/**
 * The Prometheus text exposition format (0.0.4) for derived metrics and tracebox's own
 * process and ingest metrics, and the flat sample list remote write sends.
 */
import type { CounterSeries, HistogramSeries, Labels, MetricsIncrease } from './types.ts';
import { METRIC } from './aggregate.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One family of series ready to print: counters/gauges as values, histograms as HistogramSeries. */
export interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly values?: readonly { labels: Labels; value: number }[];
  readonly histograms?: readonly HistogramSeries[];
}

const HELP: Record<string, string> = {
  [METRIC.calls]: 'Spans, by service, span name, kind and status (derived from stored spans, as Tempo span-metrics).',
  [METRIC.size]: 'Protobuf-encoded size of the spans in bytes.',
  [METRIC.latency]: 'Span duration in seconds.',
  [METRIC.requests]: 'Requests between two nodes of the service graph (derived from stored spans, as Tempo service-graphs).',
  [METRIC.failed]: 'Failed requests between two nodes.',
  [METRIC.serverSeconds]: 'Request duration between two nodes as seen from the server, seconds.',
  [METRIC.clientSeconds]: 'Request duration between two nodes as seen from the client, seconds.',
  [METRIC.unpaired]: 'Client or server spans whose other half never arrived and that formed no virtual-node edge.',
  [METRIC.dropped]: 'Client/server/producer/consumer spans left out of the service graph (their resource has no service.name).',
};

/** Groups derived series into families, in a stable order. */
export function derivedFamilies(m: MetricsIncrease): Family[] {
  const counters = new Map<string, { labels: Labels; value: number }[]>();
  for (const c of m.counters as CounterSeries[]) {
    let list = counters.get(c.name);
    if (!list) counters.set(c.name, (list = []));
    list.push({ labels: c.labels, value: c.value });
  }
  const histograms = new Map<string, HistogramSeries[]>();
  for (const h of m.histograms) {
    let list = histograms.get(h.name);
    if (!list) histograms.set(h.name, (list = []));
    list.push(h);
  }
  const out: Family[] = [];
  for (const [name, values] of counters) out.push({ name, type: 'counter', help: HELP[name] ?? name, values });
  for (const [name, hs] of histograms) out.push({ name, type: 'histogram', help: HELP[name] ?? name, histograms: hs });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A float as Prometheus prints it (Go's strconv 'g'-like shortest form, +Inf/-Inf/NaN). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels).sort()) parts.push(`${k}="${escapeValue(labels[k])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Renders families in the text format. */
export function renderText(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.values ?? []) lines.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
    for (const h of f.histograms ?? []) {
      h.bounds.forEach((b, i) => lines.push(`${f.name}_bucket${labelText(h.labels, ['le', formatValue(b)])} ${formatValue(h.cumulative[i])}`));
      lines.push(`${f.name}_bucket${labelText(h.labels, ['le', '+Inf'])} ${formatValue(h.cumulative[h.bounds.length])}`);
      lines.push(`${f.name}_sum${labelText(h.labels)} ${formatValue(h.sum)}`);
      lines.push(`${f.name}_count${labelText(h.labels)} ${formatValue(h.count)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** One flat series: `__name__` plus labels, and its value. */
export interface FlatSample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  readonly type: MetricType;
}

/** Families → flat series (histograms as _bucket/_sum/_count), as remote write sends them. */
export function flatten(families: readonly Family[]): FlatSample[] {
  const out: FlatSample[] = [];
  for (const f of families) {
    for (const s of f.values ?? []) out.push({ name: f.name, labels: s.labels, value: s.value, type: f.type });
    for (const h of f.histograms ?? []) {
      h.bounds.forEach((b, i) => out.push({ name: f.name + '_bucket', labels: { ...h.labels, le: formatValue(b) }, value: h.cumulative[i], type: 'histogram' }));
      out.push({ name: f.name + '_bucket', labels: { ...h.labels, le: '+Inf' }, value: h.cumulative[h.bounds.length], type: 'histogram' });
      out.push({ name: f.name + '_sum', labels: h.labels, value: h.sum, type: 'histogram' });
      out.push({ name: f.name + '_count', labels: h.labels, value: h.count, type: 'histogram' });
    }
  }
  return out;
}
