/**
 * The time model of TraceQL metrics: Tempo v2.9+ (Prometheus-like).
 *
 * A range query [start, end] with step s is first aligned: start is rounded down and
 * end rounded up to multiples of s, then start moves back one more step. The aligned
 * range is cut into right-closed intervals (t − s, t], each stamped with its END t, so
 * the series has (alignedEnd − alignedStart) / s points and the first one covers the
 * step that ends at the rounded-down start. A span counts in the interval that contains
 * its start time; a span starting exactly on a step boundary belongs to the interval
 * that ends there. Spans outside (alignedStart, alignedEnd] are not counted.
 *
 * An instant query (/api/metrics/query) is one interval (start, end], unaligned, with
 * step = end − start; its single value is stamped at `end`.
 *
 * Default step: Tempo's granularity table (1h, 5m, 1m, 15s, 5s, 1s, or multiples of
 * 50 ms below a one-minute range) applied to (end − start) / 240, rounded down.
 */

const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;

export function defaultStep(startNs: bigint, endNs: bigint): bigint {
  const delta = endNs - startNs;
  const baseline = delta / 240n;
  if (delta < MINUTE) {
    const g = 50n * MS;
    return baseline > g ? (baseline / g) * g : g;
  }
  for (const g of [60n * MINUTE, 5n * MINUTE, MINUTE, 15n * SECOND, 5n * SECOND, SECOND]) {
    if (baseline > g) return (baseline / g) * g;
  }
  return SECOND;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export interface AlignedRange {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly stepNs: bigint;
}

/** Tempo's AlignRequest: start down, end up, one extra leading interval. */
export function alignRange(startNs: bigint, endNs: bigint, stepNs: bigint): AlignedRange {
  const start = startNs - mod(startNs, stepNs);
  const rest = mod(endNs, stepNs);
  const end = rest === 0n ? endNs : endNs + (stepNs - rest);
  return { startNs: start - stepNs, endNs: end, stepNs };
}

/** Maps span start times to interval indexes and intervals to their timestamps. */
export class IntervalMapper {
  readonly count: number;

  constructor(
    readonly startNs: bigint,
    readonly endNs: bigint,
    readonly stepNs: bigint,
    readonly instant: boolean,
  ) {
    this.count = instant ? 1 : Number((endNs - startNs) / stepNs);
  }

  /** The interval holding time `ns`, or -1 outside (start, end]. */
  interval(ns: bigint): number {
    if (ns <= this.startNs || ns > this.endNs) return -1;
    if (this.instant) return 0;
    const offset = ns - this.startNs;
    let i = offset / this.stepNs;
    if (i * this.stepNs === offset) i--; // on a boundary: the interval that ends there
    return Number(i);
  }

  /** The timestamp (ns) a sample of interval `i` is stamped with: the interval's end. */
  timestampNs(i: number): bigint {
    return this.instant ? this.endNs : this.startNs + BigInt(i + 1) * this.stepNs;
  }

  timestampMs(i: number): bigint {
    return this.timestampNs(i) / MS;
  }
}
