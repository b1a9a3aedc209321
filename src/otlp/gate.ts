/**
 * Backpressure, decided when a request arrives. The receivers count request bytes
 * against two bounds as they arrive: how many may wait to be stored (`--max-pending`),
 * and how long the requests already waiting may take (`--max-lag`). Past either, exports
 * are refused with OTLP's retryable answers (HTTP 503 + Retry-After, gRPC UNAVAILABLE) at
 * once, instead of queueing where an exporter's timeout would fire before the answer.
 *
 * "How long" is judged two ways: the oldest request in flight has already waited longer
 * than the bound (the store is behind, whatever the reason: this keeps the wait of those
 * admitted near the bound), or the bytes waiting would take longer than that at the rate
 * the store has been taking them (a burst of large requests, refused before any of them
 * has waited). The largest request in flight is left out of both: one large or slow
 * request is not an overload, and small ones are decoded and stored beside it.
 */

/** The store's rate is taken to be at least this (bytes/s): small requests' fixed costs must not make a few KiB look like a backlog. */
const MIN_RATE = 4 * 1024 * 1024;
/** How much of the rate estimate each second of work replaces. */
const RATE_HALF_LIFE_MS = 2_000;

export class IngestGate {
  private pending = 0;
  private refused = 0;
  private rate = MIN_RATE * 2;
  /** When the store last became busy (pending went above 0), or the last rate sample. */
  private busySince = 0;
  private doneSinceSample = 0;
  /** Arrival time and bytes so far of the requests in flight, oldest first. */
  private readonly inFlight = new Map<number, { readonly at: number; bytes: number }>();
  private nextId = 1;

  /**
   * @param maxPendingBytes request bytes received but not yet stored
   * @param maxLagMs how long the requests already waiting may take; 0 turns this off
   */
  constructor(
    private readonly maxPendingBytes: number,
    private readonly maxLagMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whether a new request (of `declared` bytes, 0 when unknown) may start; counts a
   * refusal. An admitted request is in flight until done().
   */
  admit(declared: number): number | undefined {
    if (this.inFlight.size > 0) {
      const t = this.now();
      // The largest of those in flight and the new one is left out (see the module comment).
      let largest: { at: number; bytes: number } = { at: t, bytes: declared };
      for (const r of this.inFlight.values()) if (r.bytes > largest.bytes) largest = r;
      let oldest = t;
      for (const r of this.inFlight.values()) if (r !== largest && r.at < oldest) oldest = r.at;
      const others = this.pending + declared - largest.bytes;
      const behind = this.maxLagMs > 0 && t - oldest > this.maxLagMs;
      const burst = this.maxLagMs > 0 && (others / this.rate) * 1000 > this.maxLagMs;
      if (this.pending + declared > this.maxPendingBytes || behind || burst) {
        this.refused++;
        return undefined;
      }
    }
    const id = this.nextId++;
    this.inFlight.set(id, { at: this.now(), bytes: 0 });
    return id;
  }

  /** Counts `bytes` of request `id` as they arrive; false (and nothing counted) when that overfills the gate. */
  add(id: number, bytes: number): boolean {
    if (this.pending > 0 && this.pending + bytes > this.maxPendingBytes) {
      this.refused++;
      return false;
    }
    if (this.pending === 0) {
      this.busySince = this.now();
      this.doneSinceSample = 0;
    }
    this.pending += bytes;
    const r = this.inFlight.get(id);
    if (r !== undefined) r.bytes += bytes;
    return true;
  }

  /** Request `id` is over: its `bytes` were stored (`stored`), or given up (refused, failed, the client went away). */
  done(id: number, bytes: number, stored = false): void {
    this.inFlight.delete(id);
    this.pending = Math.max(0, this.pending - bytes);
    if (!stored) return;
    this.doneSinceSample += bytes;
    const t = this.now();
    const elapsed = t - this.busySince;
    if (elapsed >= 50) {
      // Bytes per second over busy time only: an idle store says nothing about its speed.
      const sample = (this.doneSinceSample / elapsed) * 1000;
      const keep = Math.pow(0.5, elapsed / RATE_HALF_LIFE_MS);
      this.rate = Math.max(MIN_RATE, keep * this.rate + (1 - keep) * sample);
      this.busySince = t;
      this.doneSinceSample = 0;
    }
  }

  stats(): { pendingBytes: number; inFlight: number; refused: number; bytesPerSecond: number } {
    return { pendingBytes: this.pending, inFlight: this.inFlight.size, refused: this.refused, bytesPerSecond: Math.round(this.rate) };
  }
}

/** What a refused exporter is told. */
export const OVERLOADED = 'overloaded: the store is behind; retry later';

/** Seconds a refused exporter is asked to wait. */
export const RETRY_AFTER_S = 1;
