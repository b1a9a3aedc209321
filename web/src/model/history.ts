/**
 * @module model/history
 * What is usual for an operation (service and span name): the p50 and p95 of its
 * durations in the stored history, and how many spans that history holds. A handful of
 * spans says nothing about what is usual, so nothing is compared with fewer than
 * MIN_HISTORY of them: no "usually" line, no "slower than usual" badge, no colour.
 */
import { opKey, type VSpan } from './trace.ts';

/** Spans of an operation the history must hold before the viewer calls anything usual. */
export const MIN_HISTORY = 20;

export interface Usual {
  /** ns. */
  readonly p50: number;
  readonly p95: number;
  /** Spans of the operation in the history. */
  readonly count: number;
}

/** service+name → what is usual; null while unknown. */
export type History = ReadonlyMap<string, Usual> | null;

export interface QuantileSample {
  readonly service: string;
  readonly name: string;
  /** 0.5 or 0.95. */
  readonly p: number;
  /** Seconds. */
  readonly value: number;
}

export interface CountSample {
  readonly service: string;
  readonly name: string;
  readonly value: number;
}

/** The history from TraceQL metrics: quantile_over_time(duration, .5, .95) and count_over_time(), both by service and name. */
export function historyFrom(quantiles: readonly QuantileSample[], counts: readonly CountSample[]): Map<string, Usual> {
  const out = new Map<string, { p50: number; p95: number; count: number }>();
  const entry = (service: string, name: string) => {
    const key = opKey({ service, name });
    let e = out.get(key);
    if (e === undefined) out.set(key, (e = { p50: 0, p95: 0, count: 0 }));
    return e;
  };
  for (const q of quantiles) {
    if (!Number.isFinite(q.value)) continue;
    const e = entry(q.service, q.name);
    if (q.p === 0.5) e.p50 = q.value * 1e9;
    if (q.p === 0.95) e.p95 = q.value * 1e9;
  }
  for (const c of counts) if (Number.isFinite(c.value)) entry(c.service, c.name).count += c.value;
  return out;
}

/** What is usual for the span's operation, when the history holds enough of it. */
export function usualFor(s: VSpan, history: History): Usual | undefined {
  const u = history?.get(opKey(s));
  return u !== undefined && u.count >= MIN_HISTORY && u.p95 > 0 ? u : undefined;
}

/** How much slower than its usual p95 (≥ 1.5× and 1 ms over it), else undefined. */
export function slowness(s: VSpan, history: History): number | undefined {
  const u = usualFor(s, history);
  if (u === undefined) return undefined;
  const r = s.dur / u.p95;
  return r >= 1.5 && s.dur - u.p95 > 1e6 ? r : undefined;
}

export type Band = 'unknown' | 'p50' | 'p95' | 'slow' | 'very-slow';

/** Where the span falls against the usual: ≤ p50, ≤ p95, ≤ 2× p95, beyond; unknown without enough history. */
export function band(s: VSpan, history: History): Band {
  const u = usualFor(s, history);
  if (u === undefined) return 'unknown';
  if (s.dur <= u.p50) return 'p50';
  if (s.dur <= u.p95) return 'p95';
  return s.dur <= 2 * u.p95 ? 'slow' : 'very-slow';
}
