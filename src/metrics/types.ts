/**
 * The contract between the derived-metrics engine (service graph and span metrics,
 * computed from stored spans) and its readers: /metrics, remote write, the PromQL
 * subset and the viewer's service-graph API.
 */

/** Prometheus label set, names already sanitised; empty values are left out. */
export type Labels = Readonly<Record<string, string>>;

export interface CounterSeries {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramSeries {
  /** Base name without `_bucket`/`_sum`/`_count`. */
  readonly name: string;
  readonly labels: Labels;
  /** Upper bounds in seconds, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /** Cumulative counts per bound, plus a last entry for +Inf (= count). */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** What the metrics-generator would have added to its series over a time window. */
export interface MetricsIncrease {
  readonly counters: readonly CounterSeries[];
  readonly histograms: readonly HistogramSeries[];
}

export interface DerivedMetrics {
  /**
   * The increase of every derived series over spans whose start time lies in
   * [startNs, endNs), rebuilt from the stored spans (cached where it can be).
   */
  increase(startNs: bigint, endNs: bigint): MetricsIncrease;
  /** Cumulative totals since the store began (for /metrics and remote write). */
  totals(): MetricsIncrease;
}
