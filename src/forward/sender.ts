/**
 * The send side of forwarding: a bounded queue of encoded traces and one loop that POSTs
 * them as OTLP/HTTP protobuf (gzip unless turned off), several traces per request. Network
 * errors, attempts without a whole answer within the per-attempt timeout, and
 * 429/502/503/504 are retried with exponential backoff and jitter (Retry-After honoured)
 * until a time budget runs out; other answers are final. Nothing here is awaited by the
 * ingest path: a full queue drops its oldest entry, counted and logged.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { VERSION } from '../version.ts';

const gzip = promisify(zlib.gzip);

/** One decided trace (or late spans of a forwarded one), as ExportTraceServiceRequest bytes. */
export interface QueueItem {
  readonly bytes: Uint8Array;
  /** 1 for a whole trace, 0 for late spans of a trace already forwarded. */
  readonly traces: number;
  readonly spans: number;
}

/** Counters and gauges for /metrics: read them whenever; they only grow, except the gauges. */
export interface ForwardStats {
  /** Traces delivered upstream (a 2xx answer). */
  forwardedTraces: number;
  forwardedSpans: number;
  /** Idle traces no policy selected (kept locally only). */
  notSelectedTraces: number;
  /** Dropped unsent: the queue was full, or tracebox closed before they went out. */
  droppedTraces: number;
  droppedSpans: number;
  /** Given up on: refused by the upstream (a 4xx other than 429), or still failing when the retry budget ran out. */
  failedTraces: number;
  failedSpans: number;
  /** Requests answered 2xx, and attempts repeated after a retryable failure. */
  requests: number;
  retries: number;
  /** Attempts given up after the per-attempt timeout without a whole answer (retried like other network errors). */
  timeouts: number;
  /** Gauges: traces waiting for their idle window, and traces decided but not yet delivered. */
  pendingTraces: number;
  queuedTraces: number;
}

export function emptyStats(): ForwardStats {
  return {
    forwardedTraces: 0, forwardedSpans: 0, notSelectedTraces: 0, droppedTraces: 0, droppedSpans: 0,
    failedTraces: 0, failedSpans: 0, requests: 0, retries: 0, timeouts: 0, pendingTraces: 0, queuedTraces: 0,
  };
}

export interface SenderOptions {
  /** The full OTLP/HTTP traces URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxQueue: number;
  readonly maxQueueBytes: number;
  readonly maxBatchBytes: number;
  readonly timeoutMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly retryMaxElapsedMs: number;
  readonly compress: boolean;
  readonly log: (line: string) => void;
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** A repeated warning is logged at most this often, with the count of those left out. */
const WARN_EVERY_MS = 30_000;

/** Logs a kind of problem the first time, then at most once per WARN_EVERY_MS with a count. */
class Warnings {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly log: (line: string) => void) {}

  warn(kind: string, line: string): void {
    const now = Date.now();
    const seen = this.last.get(kind);
    if (seen !== undefined && now - seen.at < WARN_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    const more = seen !== undefined && seen.suppressed > 0 ? ` (${seen.suppressed} more like it since the last report)` : '';
    this.last.set(kind, { at: now, suppressed: 0 });
    this.log(`forward: ${line}${more}`);
  }
}

type Attempt = { ok: true } | { ok: false; retry: boolean; afterMs?: number; problem: string; timedOut?: boolean };

export class Sender {
  private queue: QueueItem[] = [];
  private queuedBytes = 0;
  private running = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly drained: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private inFlight: QueueItem[] = [];
  private readonly warnings: Warnings;

  constructor(
    private readonly o: SenderOptions,
    private readonly stats: ForwardStats,
  ) {
    this.warnings = new Warnings(o.log);
  }

  enqueue(item: QueueItem): void {
    if (this.closed) {
      this.count('dropped', [item]);
      return;
    }
    this.queue.push(item);
    this.queuedBytes += item.bytes.length;
    let dropped = 0;
    while (this.queue.length > 1 && (this.queue.length > this.o.maxQueue || this.queuedBytes > this.o.maxQueueBytes)) {
      const old = this.queue.shift()!;
      this.queuedBytes -= old.bytes.length;
      this.count('dropped', [old]);
      dropped++;
    }
    if (dropped > 0) {
      this.warnings.warn('queue-full', `the send queue is full (${this.o.maxQueue} traces or ${this.o.maxQueueBytes} bytes) while ${this.o.url} is slow or down; dropped the oldest (${this.stats.droppedTraces} trace(s) dropped so far; local storage keeps them)`);
    }
    if (!this.running) {
      this.running = true;
      void this.run();
    }
  }

  /** Traces queued or being sent. */
  queuedTraces(): number {
    let n = 0;
    for (const i of this.queue) n += i.traces;
    for (const i of this.inFlight) n += i.traces;
    return n;
  }

  /** Resolves once everything queued was sent (or given up on), or at `deadline` (Unix ms). */
  drain(deadline: number): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Stops sending: the request in flight is aborted and whatever is unsent counts as
   * dropped. Resolves once the request in flight has been counted too.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.abort.abort();
      this.wake?.();
      this.count('dropped', this.queue);
      this.queue = [];
      this.queuedBytes = 0;
    }
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.takeBatch();
        this.inFlight = batch;
        await this.deliver(batch);
        this.inFlight = [];
      }
    } catch (err) {
      this.o.log(`forward: internal error: ${(err as Error).stack ?? err}`);
    } finally {
      this.running = false;
      if (this.queue.length > 0 && !this.closed) {
        this.running = true;
        void this.run();
      } else {
        for (const done of this.drained.splice(0)) done();
      }
    }
  }

  /** The oldest items up to maxBatchBytes (at least one): concatenated requests are one request. */
  private takeBatch(): QueueItem[] {
    let size = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || size + this.queue[n].bytes.length <= this.o.maxBatchBytes)) {
      size += this.queue[n].bytes.length;
      n++;
    }
    const batch = this.queue.splice(0, n);
    this.queuedBytes -= size;
    return batch;
  }

  private async deliver(batch: QueueItem[]): Promise<void> {
    const raw = batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((i) => i.bytes));
    const body = this.o.compress ? await gzip(raw) : raw;
    const started = Date.now();
    let backoff = this.o.retryInitialMs;
    for (;;) {
      const attempt = await this.post(body);
      if (this.closed) {
        this.count('dropped', batch);
        return;
      }
      if (attempt.ok) {
        this.stats.requests++;
        this.count('forwarded', batch);
        return;
      }
      const wait = attempt.afterMs === undefined ? backoff * (0.8 + Math.random() * 0.4) : Math.max(attempt.afterMs, 100);
      if (!attempt.retry || Date.now() - started + wait > this.o.retryMaxElapsedMs) {
        this.count('failed', batch);
        const why = attempt.retry ? `still failing after ${Math.round((Date.now() - started) / 1000)}s of retries` : 'not retryable';
        this.warnings.warn(`failed-${attempt.retry}`, `gave up on ${traces(batch)} to ${this.o.url}: ${attempt.problem} (${why}; ${this.stats.failedTraces} trace(s) failed so far)`);
        return;
      }
      this.stats.retries++;
      // A timeout has its own kind, so other retried failures never hide it from the log.
      this.warnings.warn(attempt.timedOut === true ? 'timeout' : 'retrying', `${this.o.url}: ${attempt.problem}; retrying ${traces(batch)} in ${Math.round(wait)}ms`);
      backoff = Math.min(backoff * 2, this.o.retryMaxMs);
      await this.sleep(wait);
      if (this.closed) {
        this.count('dropped', batch);
        return;
      }
    }
  }

  /**
   * One attempt, bounded by timeoutMs from the request's start to the last byte of the
   * answer. The timer is this attempt's own: a timeout signal combined with
   * AbortSignal.any() can be garbage-collected on Node 20 and then never fires, which left
   * a target that accepts and never answers holding the sender for minutes.
   */
  private async post(body: Uint8Array): Promise<Attempt> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-protobuf',
      'User-Agent': `tracebox/${VERSION}`,
      ...(this.o.compress ? { 'Content-Encoding': 'gzip' } : {}),
      ...this.o.headers,
    };
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, this.o.timeoutMs);
    const onClose = (): void => attempt.abort();
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    try {
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.o.url, { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer>, signal: attempt.signal });
        text = (await res.text()).slice(0, 200).replace(/\s+/g, ' ').trim();
      } catch (err) {
        if (timedOut) {
          this.stats.timeouts++;
          return { ok: false, retry: true, problem: `no answer within ${this.o.timeoutMs}ms (${this.stats.timeouts} attempt(s) timed out so far)`, timedOut: true };
        }
        const e = err as Error & { cause?: { code?: string; message?: string } };
        return { ok: false, retry: true, problem: e.cause?.code ?? e.cause?.message ?? e.message };
      }
      if (res.ok) return { ok: true };
      const problem = `HTTP ${res.status}${text === '' ? '' : `: ${text}`}`;
      if (!RETRYABLE.has(res.status)) return { ok: false, retry: false, problem };
      return { ok: false, retry: true, problem, afterMs: retryAfterMs(res.headers.get('retry-after')) };
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onClose);
    }
  }

  /** A wait that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private count(kind: 'forwarded' | 'dropped' | 'failed', items: readonly QueueItem[]): void {
    let t = 0;
    let s = 0;
    for (const i of items) {
      t += i.traces;
      s += i.spans;
    }
    if (kind === 'forwarded') {
      this.stats.forwardedTraces += t;
      this.stats.forwardedSpans += s;
    } else if (kind === 'dropped') {
      this.stats.droppedTraces += t;
      this.stats.droppedSpans += s;
    } else {
      this.stats.failedTraces += t;
      this.stats.failedSpans += s;
    }
  }
}

function traces(batch: readonly QueueItem[]): string {
  let t = 0;
  let s = 0;
  for (const i of batch) {
    t += i.traces;
    s += i.spans;
  }
  return `${t} trace(s) (${s} span(s))`;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
