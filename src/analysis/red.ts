/**
 * @module analysis/red
 * RED figures (rate, errors, duration) per service from a set of spans: a service's
 * requests are its server and consumer spans, as in Tempo's span metrics and Grafana's
 * APM table. Percentiles are nearest-rank over the exact durations.
 */
import type { TraceTree } from './trace.ts';

/** What RED needs of a span. */
export interface RedSpan {
  readonly service: string;
  /** A server or consumer span: one request the service handled. */
  readonly request: boolean;
  readonly error: boolean;
  readonly durationNs: number;
}

export interface ServiceRed {
  readonly service: string;
  /** Server and consumer spans: the service's requests. */
  readonly requests: number;
  readonly errors: number;
  /** Requests per second over the window; 0 without one. */
  readonly rate: number;
  /** errors / requests, 0 without requests. */
  readonly errorRate: number;
  /** Nearest-rank percentiles of the requests' durations, ns; 0 without requests. */
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly p99Ns: number;
  /** Every span of the service. */
  readonly spans: number;
  /** Spans of the service with error status, requests or not. */
  readonly errorSpans: number;
}

/** Nearest-rank percentile of ascending values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Per service, by requests (most first), then by name. `seconds` is the window's length
 * for the rate (0: no rate).
 */
export function serviceRed(spans: Iterable<RedSpan>, seconds = 0): ServiceRed[] {
  const byService = new Map<string, { durations: number[]; errors: number; spans: number; errorSpans: number }>();
  for (const span of spans) {
    let s = byService.get(span.service);
    if (s === undefined) byService.set(span.service, (s = { durations: [], errors: 0, spans: 0, errorSpans: 0 }));
    s.spans++;
    if (span.error) s.errorSpans++;
    if (!span.request) continue;
    s.durations.push(span.durationNs);
    if (span.error) s.errors++;
  }
  const out: ServiceRed[] = [];
  for (const [service, s] of byService) {
    const sorted = s.durations.sort((a, b) => a - b);
    out.push({
      service,
      requests: sorted.length,
      errors: s.errors,
      rate: seconds > 0 ? sorted.length / seconds : 0,
      errorRate: sorted.length > 0 ? s.errors / sorted.length : 0,
      p50Ns: percentile(sorted, 0.5),
      p95Ns: percentile(sorted, 0.95),
      p99Ns: percentile(sorted, 0.99),
      spans: s.spans,
      errorSpans: s.errorSpans,
    });
  }
  return out.sort((a, b) => b.requests - a.requests || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

/** RED figures of one trace's services. */
export function traceRed(trace: TraceTree): ServiceRed[] {
  return serviceRed(
    trace.spans.map((s) => ({ service: s.service, request: s.kind === 'server' || s.kind === 'consumer', error: s.status === 'error', durationNs: s.dur })),
  );
}
