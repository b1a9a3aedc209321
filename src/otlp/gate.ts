/**
 * Backpressure. Ingest is synchronous, so a store that cannot keep up shows in two
 * ways: request bodies pile up in memory, and the event loop falls behind (every
 * request, queries too, waits longer). Past a bound on either, new exports are refused
 * with OTLP's retryable answers (HTTP 503 + Retry-After, gRPC UNAVAILABLE) instead of
 * growing memory or latency without limit; exporters retry after Retry-After.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often the event-loop delay is read (and its histogram restarted). */
const LAG_WINDOW_MS = 500;

export class IngestGate {
  private pending = 0;
  private refused = 0;
  private lagMs = 0;
  private lastWindowMs = 0;
  private readonly histogram: IntervalHistogram | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  /**
   * @param maxPendingBytes request bytes accepted but not yet stored
   * @param maxLagMs event-loop delay (p99, in two half-second windows running) past which
   *   exports are refused; 0 turns the check off
   */
  constructor(
    private readonly maxPendingBytes: number,
    private readonly maxLagMs = 0,
  ) {
    if (maxLagMs > 0) {
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      this.histogram = histogram;
      this.timer = setInterval(() => {
        // Two windows in a row: one slow request (a huge span) is not an overload.
        const lag = histogram.percentile(99) / 1e6;
        this.lagMs = Math.min(lag, this.lastWindowMs);
        this.lastWindowMs = lag;
        histogram.reset();
      }, LAG_WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Reserves room for a request of `bytes`; false when it must be refused. */
  tryAcquire(bytes: number): boolean {
    // An idle gate admits any single request the body limit allows.
    const full = this.pending > 0 && this.pending + bytes > this.maxPendingBytes;
    if (full || (this.maxLagMs > 0 && this.lagMs > this.maxLagMs)) {
      this.refused++;
      return false;
    }
    this.pending += bytes;
    return true;
  }

  release(bytes: number): void {
    this.pending -= bytes;
  }

  stats(): { pendingBytes: number; refused: number; lagMs: number } {
    return { pendingBytes: this.pending, refused: this.refused, lagMs: this.lagMs };
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.histogram?.disable();
  }
}

/** Seconds a refused exporter is asked to wait. */
export const RETRY_AFTER_S = 1;
