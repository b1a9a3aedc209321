/**
 * Tempo's power-of-two histograms, copied so that quantile_over_time() and
 * histogram_over_time() give Tempo's numbers: a value is counted in the bucket of the
 * next power of two at or above it, and quantiles are interpolated exponentially
 * between neighbouring buckets (Tempo's Log2Bucketize / Log2Quantile).
 */

/** The power of two at or above `v` (v ≥ 2); -1 below 2, where Tempo drops the value. */
export function log2Bucketize(v: number): number {
  if (!(v >= 2) || !Number.isFinite(v)) return -1;
  const bits = (BigInt(Math.trunc(v)) - 1n).toString(2).length;
  return 2 ** bits;
}

export interface HistogramBucket {
  /** Upper bound of the bucket (a power of two, or one divided by 1e9 for durations). */
  readonly max: number;
  readonly count: number;
}

/**
 * The `p` quantile of buckets sorted by `max`, as Tempo estimates it. Returns the value
 * and the index of the bucket it fell in (-1 when there is nothing to read).
 */
export function log2QuantileWithBucket(p: number, buckets: readonly HistogramBucket[]): [number, number] {
  if (Number.isNaN(p) || p < 0 || p > 1 || buckets.length === 0) return [0, -1];
  let totalCount = 0;
  for (const b of buckets) totalCount += b.count;
  if (totalCount === 0) return [0, -1];
  // Round up: better percentiles on small sample counts. At least one sample is read.
  let maxSamples = Math.ceil(p * totalCount);
  if (maxSamples === 0) maxSamples = 1;
  let total = 0;
  let bucket = 0;
  for (let i = 0; i < buckets.length; i++) {
    bucket = i;
    const b = buckets[i];
    if (total + b.count > maxSamples) break;
    total += b.count;
    if (total === maxSamples) return [b.max, bucket];
  }
  // How far into the bucket the quantile lies, by sample count; then exponentially between
  // the previous present bucket (or half this one) and this one.
  const interp = (maxSamples - total) / buckets[bucket].count;
  const maxV = Math.log2(buckets[bucket].max);
  const minV = bucket > 0 ? Math.log2(buckets[bucket - 1].max) : maxV - 1;
  return [2 ** (minV + (maxV - minV) * interp), bucket];
}

export function log2Quantile(p: number, buckets: readonly HistogramBucket[]): number {
  return log2QuantileWithBucket(p, buckets)[0];
}
