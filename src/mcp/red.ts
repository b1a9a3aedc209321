/**
 * Per-service RED figures (rate, errors, duration) over a time window, computed from the
 * stored spans with a plain search. The one function to replace when derived metrics
 * exist; list_services only formats what it returns.
 */
import type { Search } from '../query/index.ts';
import { parse } from '../traceql/index.ts';

const SERVER = 2;
const CONSUMER = 5;
const ERROR = 2;

export interface ServiceRed {
  readonly service: string;
  /** Server and consumer spans that started in the window: the service's requests. */
  readonly requests: number;
  readonly errors: number;
  /** Requests per second over the window. */
  readonly rate: number;
  /** errors / requests, 0 without requests. */
  readonly errorRate: number;
  /** Nearest-rank percentiles of the requests' durations, ns; 0 without requests. */
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly p99Ns: number;
  /** Every span of the service that started in the window. */
  readonly spans: number;
}

export interface RedFigures {
  /** Services by requests (most first), then by name; services without requests last. */
  readonly services: ServiceRed[];
  readonly traces: number;
  /** True when the window held more than MAX_TRACES traces and only the newest were read. */
  readonly truncated: boolean;
}

/** Traces read at most per call: enough for a laptop's hour, bounded for memory. */
export const MAX_TRACES = 20_000;

export interface RedWindow {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function serviceRed(search: Search, window: RedWindow): RedFigures {
  const result = search({ root: parse('{ }'), limit: MAX_TRACES + 1, window });
  const hits = result.hits.slice(0, MAX_TRACES);
  const byService = new Map<string, { durations: number[]; errors: number; spans: number }>();
  for (const hit of hits) {
    for (const span of hit.trace.spans) {
      if (span.startNs < window.startNs || span.startNs >= window.endNs) continue;
      let s = byService.get(span.service);
      if (s === undefined) byService.set(span.service, (s = { durations: [], errors: 0, spans: 0 }));
      s.spans++;
      if (span.kind !== SERVER && span.kind !== CONSUMER) continue;
      s.durations.push(Number(span.durationNs));
      if (span.status === ERROR) s.errors++;
    }
  }
  const seconds = Number(window.endNs - window.startNs) / 1e9;
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
    });
  }
  out.sort((a, b) => b.requests - a.requests || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  return { services: out, traces: hits.length, truncated: result.hits.length > MAX_TRACES };
}
