/**
 * Forwarding (`--forward <endpoint>`): relays what tracebox receives to a real Tempo or
 * OpenTelemetry Collector over OTLP/HTTP, optionally tail-sampled.
 *
 * Every commit that stored new spans names the traces it touched (StoreReader.onInsert);
 * they are only noted here, so the write path never waits for anything. A trace is
 * decided once no span of it arrived for the wait window (`--forward-wait`, default 10 s;
 * at the latest `maxTraceAgeMs` after its first span): it is read back from the store,
 * judged by the policies (policy.ts) and, when selected, encoded as one
 * ExportTraceServiceRequest and queued for the sender (sender.ts). Spans that arrive for a
 * trace after it was forwarded go upstream on their own, as the Collector's tail sampler's
 * decision cache does; those of a trace not selected stay local. Local storage keeps
 * everything either way.
 */
import { encodeTracesData } from '../otlp/index.ts';
import type { CommitSummary, RawResourceSpans, StoreReader } from '../store/index.ts';
import { decide, resolvePolicy, traceFacts, type Policy, type PolicyOptions } from './policy.ts';
import { Sender, emptyStats, type ForwardStats } from './sender.ts';

export type { ForwardStats } from './sender.ts';
export { traceHash } from './policy.ts';
export { exporterSettings, mergeHeaders, parseHeaderFlag } from './exporter-env.ts';

export interface ForwardOptions extends PolicyOptions {
  /** OTLP/HTTP endpoint: a base URL (`/v1/traces` is appended) or the full URL ending in `/v1/traces`. */
  readonly endpoint: string;
  /** Decide a trace once it had no new span for this long (ms; default 10 000). */
  readonly waitMs?: number;
  /** Decide a trace at the latest this long after its first span, however busy (ms; default 5 min). */
  readonly maxTraceAgeMs?: number;
  /** Extra request headers, e.g. `X-Scope-OrgID` for a multi-tenant Tempo or an Authorization header. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Traces decided but not yet sent, at most (default 10 000; the oldest is dropped past it). */
  readonly maxQueue?: number;
  /** Bytes decided but not yet sent, at most (default 64 MiB). */
  readonly maxQueueBytes?: number;
  /** Traces waiting for their wait window, at most (default 100 000; the longest idle is decided early past it). */
  readonly maxPendingTraces?: number;
  /** Largest request body before compression; several traces share a request up to it (default 4 MiB). */
  readonly maxBatchBytes?: number;
  /** Per attempt (ms; default 10 000). */
  readonly timeoutMs?: number;
  /** First retry delay, doubled per attempt up to retryMaxMs (ms; defaults 1 000 and 30 000). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Give up on a request failing this long (ms; default 5 min). */
  readonly retryMaxElapsedMs?: number;
  /** On close, decide what is pending and try to send the queue for up to this long (ms; default 2 000; 0 drops it). */
  readonly flushTimeoutMs?: number;
  /** gzip request bodies (default true). */
  readonly compress?: boolean;
}

export const FORWARD_DEFAULTS = {
  waitMs: 10_000,
  maxTraceAgeMs: 5 * 60_000,
  maxQueue: 10_000,
  maxQueueBytes: 64 * 1024 * 1024,
  maxPendingTraces: 100_000,
  maxBatchBytes: 4 * 1024 * 1024,
  timeoutMs: 10_000,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  retryMaxElapsedMs: 5 * 60_000,
  flushTimeoutMs: 2_000,
} as const;

/** Decisions remembered for late spans, at most. */
const DECIDED_LIMIT = 100_000;
/** Traces decided per timer turn, so a backlog never holds the event loop for long. */
const DECIDE_PER_TURN = 200;

/** The URL to POST to: `/v1/traces` appended to a base URL, a full traces URL as given. */
export function forwardUrl(endpoint: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint.trim()) ? endpoint.trim() : `http://${endpoint.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`expected an OTLP/HTTP endpoint such as http://tempo:4318, got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`expected an http:// or https:// OTLP/HTTP endpoint (OTLP/gRPC is not supported), got "${endpoint}"`);
  }
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

interface Pending {
  readonly first: number;
  last: number;
}

/** A trace forwarded already: its spans up to this rowid went upstream. */
interface Forwarded {
  lastSpan: number;
}

export class Forwarder {
  readonly url: string;
  private readonly policy: Policy;
  private readonly waitMs: number;
  private readonly maxTraceAgeMs: number;
  private readonly maxPending: number;
  private readonly flushTimeoutMs: number;
  private readonly counters: ForwardStats = emptyStats();
  private readonly sender: Sender;
  /** By trace rowid, in order of the last span's arrival: the head is the longest idle. */
  private readonly pending = new Map<number, Pending>();
  /** Traces past their wait window's cap, decided on the next turn whatever their idle time. */
  private readonly due = new Set<number>();
  /** Decisions for late spans: what went upstream, or false when the trace was not selected. */
  private readonly decided = new Map<number, Forwarded | false>();
  private readonly unsubscribe: () => void;
  private readonly readLate: (trace: number, afterSpan: number) => { spans: RawResourceSpans[]; count: number; lastSpan: number };
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly store: StoreReader,
    options: ForwardOptions,
    private readonly log: (line: string) => void,
  ) {
    this.url = forwardUrl(options.endpoint);
    this.readLate = store.spansAfter.bind(store);
    const unsubscribeCommits = store.onInsert(this.onCommit);
    // After a reset, rowids start over: what was decided would name other traces.
    const unsubscribeDeletes = store.onDelete((range) => {
      if (range === undefined) this.decided.clear();
    });
    this.unsubscribe = () => {
      unsubscribeCommits();
      unsubscribeDeletes();
    };
    this.policy = resolvePolicy(options);
    this.waitMs = options.waitMs ?? FORWARD_DEFAULTS.waitMs;
    this.maxTraceAgeMs = options.maxTraceAgeMs ?? FORWARD_DEFAULTS.maxTraceAgeMs;
    this.maxPending = options.maxPendingTraces ?? FORWARD_DEFAULTS.maxPendingTraces;
    this.flushTimeoutMs = options.flushTimeoutMs ?? FORWARD_DEFAULTS.flushTimeoutMs;
    this.sender = new Sender(
      {
        url: this.url,
        headers: options.headers ?? {},
        maxQueue: options.maxQueue ?? FORWARD_DEFAULTS.maxQueue,
        maxQueueBytes: options.maxQueueBytes ?? FORWARD_DEFAULTS.maxQueueBytes,
        maxBatchBytes: options.maxBatchBytes ?? FORWARD_DEFAULTS.maxBatchBytes,
        timeoutMs: options.timeoutMs ?? FORWARD_DEFAULTS.timeoutMs,
        retryInitialMs: options.retryInitialMs ?? FORWARD_DEFAULTS.retryInitialMs,
        retryMaxMs: options.retryMaxMs ?? FORWARD_DEFAULTS.retryMaxMs,
        retryMaxElapsedMs: options.retryMaxElapsedMs ?? FORWARD_DEFAULTS.retryMaxElapsedMs,
        compress: options.compress ?? true,
        log,
      },
      this.counters,
    );
  }

  /** A snapshot of the counters, with the gauges filled in. */
  stats(): ForwardStats {
    return { ...this.counters, pendingTraces: this.pending.size, queuedTraces: this.sender.queuedTraces() };
  }

  /** Notes the traces of a commit: cheap (a map update per trace); errors never reach the store. */
  private readonly onCommit = (summary: CommitSummary): void => {
    if (this.closing !== undefined) return;
    try {
      this.track(summary.traces);
    } catch (err) {
      this.log(`forward: internal error while tracking a commit: ${(err as Error).stack ?? err}`);
    }
  };

  /** Decides what is pending, tries to send the queue within flushTimeoutMs, then stops. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushTimeoutMs > 0) {
      const deadline = Date.now() + this.flushTimeoutMs;
      for (const key of this.pending.keys()) this.decideTrace(key);
      this.pending.clear();
      this.due.clear();
      await this.sender.drain(deadline);
    }
    await this.sender.close();
  }

  private track(traces: readonly number[]): void {
    const now = Date.now();
    for (const key of traces) {
      const decision = this.decided.get(key);
      if (decision !== undefined) {
        // Late spans of a forwarded trace go upstream on their own.
        if (decision !== false) {
          const late = this.readLate(key, decision.lastSpan);
          if (late.count > 0) {
            decision.lastSpan = late.lastSpan;
            this.sender.enqueue({ bytes: encodeTracesData(late.spans), traces: 0, spans: late.count });
          }
        }
        continue;
      }
      let p = this.pending.get(key);
      if (p === undefined) p = { first: now, last: now };
      else {
        this.pending.delete(key);
        p.last = now;
        if (now - p.first >= this.maxTraceAgeMs) this.due.add(key);
      }
      this.pending.set(key, p);
    }
    if (this.due.size > 0 || this.pending.size > this.maxPending) this.schedule(0);
    else this.schedule();
  }

  private schedule(delay?: number): void {
    if (this.closing !== undefined) return;
    if (this.timer !== undefined) {
      if (delay !== 0) return;
      clearTimeout(this.timer);
    }
    const head = this.pending.values().next();
    if (head.done === true && this.due.size === 0) {
      this.timer = undefined;
      return;
    }
    const wait = delay ?? (head.done === true ? 0 : Math.max(0, head.value.last + this.waitMs - Date.now()));
    this.timer = setTimeout(this.turn, wait);
    this.timer.unref();
  }

  private readonly turn = (): void => {
    this.timer = undefined;
    if (this.closing !== undefined) return;
    let budget = DECIDE_PER_TURN;
    for (const key of this.due) {
      if (budget === 0) break;
      this.due.delete(key);
      const p = this.pending.get(key);
      if (p === undefined) continue;
      this.pending.delete(key);
      this.decideTrace(key);
      budget--;
    }
    const now = Date.now();
    for (const [key, p] of this.pending) {
      if (budget === 0) break;
      if (p.last + this.waitMs > now && this.pending.size <= this.maxPending) break;
      this.pending.delete(key);
      this.due.delete(key);
      this.decideTrace(key);
      budget--;
    }
    this.schedule(budget === 0 ? 0 : undefined);
  };

  private decideTrace(key: number): void {
    let trace: { spans: RawResourceSpans[]; count: number; lastSpan: number; traceId: Uint8Array } | undefined;
    try {
      const read = this.readLate(key, 0);
      const row = read.count === 0 ? undefined : this.store.search.trace(key);
      if (row !== undefined) trace = { ...read, traceId: row.traceId };
    } catch (err) {
      this.log(`forward: cannot read trace ${key}: ${(err as Error).message}`);
      return;
    }
    if (trace === undefined) return; // deleted meanwhile (retention, reset)
    const facts = traceFacts(trace.spans);
    const selected = decide(this.policy, trace.traceId, facts) !== undefined;
    this.decided.set(key, selected ? { lastSpan: trace.lastSpan } : false);
    if (this.decided.size > DECIDED_LIMIT) this.decided.delete(this.decided.keys().next().value!);
    if (!selected) {
      this.counters.notSelectedTraces++;
      return;
    }
    this.sender.enqueue({ bytes: encodeTracesData(trace.spans), traces: 1, spans: facts.spans });
  }
}

/** Starts forwarding what is committed to a store; `close()` flushes and stops. */
export function startForwarding(store: StoreReader, options: ForwardOptions, log: (line: string) => void): Forwarder {
  return new Forwarder(store, options, log);
}
