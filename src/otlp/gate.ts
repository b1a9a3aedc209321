/**
 * Backpressure: a bound on the request bytes accepted but not yet stored. Ingest is
 * synchronous, so when the store falls behind, requests pile up with their bodies in
 * memory; past the bound new exports are refused with OTLP's retryable answers
 * (HTTP 503 + Retry-After, gRPC UNAVAILABLE) instead of growing memory without limit.
 */

export class IngestGate {
  private pending = 0;
  private refused = 0;

  constructor(private readonly maxPendingBytes: number) {}

  /** Reserves room for a request of `bytes`; false when it must be refused. */
  tryAcquire(bytes: number): boolean {
    // An idle gate admits any single request the body limit allows.
    if (this.pending > 0 && this.pending + bytes > this.maxPendingBytes) {
      this.refused++;
      return false;
    }
    this.pending += bytes;
    return true;
  }

  release(bytes: number): void {
    this.pending -= bytes;
  }

  stats(): { pendingBytes: number; refused: number } {
    return { pendingBytes: this.pending, refused: this.refused };
  }
}

/** Seconds a refused exporter is asked to wait. */
export const RETRY_AFTER_S = 1;
