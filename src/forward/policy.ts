/**
 * Which idle traces go upstream: the tail-sampling policies of the OpenTelemetry
 * Collector's tail_sampling processor that matter locally — status_code ERROR, latency
 * (whole-trace duration, last end minus first start), probabilistic by trace-id hash —
 * combined with OR. With no policy at all every trace is forwarded.
 */
import { ProtoReader } from '../shared/protowire.ts';
import { eachNestedField, SPAN, STATUS, type RawResourceSpans } from '../otlp/index.ts';

export interface PolicyOptions {
  /** Forward every trace with a span whose status is ERROR. */
  readonly errors?: boolean;
  /** Forward every trace that lasted at least this long (ms). */
  readonly slowerThanMs?: number;
  /** Forward this percentage (0–100) of the other traces, chosen by a hash of the trace id. */
  readonly samplePercent?: number;
}

export interface Policy {
  /** No policy was given: everything is forwarded. */
  readonly all: boolean;
  readonly errors: boolean;
  readonly slowerThanNs: bigint | undefined;
  /** Hits below this (out of 10 000) are sampled. */
  readonly sampleBelow: number | undefined;
}

export type Decision = 'all' | 'error' | 'slow' | 'sampled' | undefined;

/** `errors` defaults to on as soon as any policy is given; `errors: false` alone is no policy. */
export function resolvePolicy(o: PolicyOptions): Policy {
  const any = o.errors === true || o.slowerThanMs !== undefined || o.samplePercent !== undefined;
  return {
    all: !any,
    errors: any && o.errors !== false,
    slowerThanNs: o.slowerThanMs === undefined ? undefined : BigInt(Math.round(o.slowerThanMs * 1e6)),
    sampleBelow: o.samplePercent === undefined ? undefined : Math.round(o.samplePercent * 100),
  };
}

export interface TraceFacts {
  readonly spans: number;
  readonly error: boolean;
  /** Trace duration: latest end minus earliest start (0 without timestamps). */
  readonly durationNs: bigint;
}

export function decide(policy: Policy, traceId: Uint8Array, facts: TraceFacts): Decision {
  if (policy.all) return 'all';
  if (policy.errors && facts.error) return 'error';
  if (policy.slowerThanNs !== undefined && facts.durationNs >= policy.slowerThanNs) return 'slow';
  if (policy.sampleBelow !== undefined && traceHash(traceId) % 10_000 < policy.sampleBelow) return 'sampled';
  return undefined;
}

/** FNV-1a over the trace id: deterministic, so every tracebox samples the same traces. */
export function traceHash(traceId: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Span count, error status and duration, read from the raw Span messages. */
export function traceFacts(trace: readonly RawResourceSpans[]): TraceFacts {
  let spans = 0;
  let error = false;
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const rs of trace) {
    for (const ss of rs.scopeSpans) {
      for (const raw of ss.spans) {
        spans++;
        const r = new ProtoReader(raw);
        while (r.more()) {
          const tag = r.uint32();
          if (tag === SPAN.startTimeUnixNano) {
            const v = r.fixed64();
            if (v !== 0n && (min === undefined || v < min)) min = v;
          } else if (tag === SPAN.endTimeUnixNano) {
            const v = r.fixed64();
            if (max === undefined || v > max) max = v;
          } else if (tag === SPAN.status) {
            eachNestedField(r, (t) => {
              if (t !== STATUS.code) return false;
              error ||= r.uint32() === 2;
              return true;
            });
          } else r.skip(tag & 7);
        }
      }
    }
  }
  const durationNs = min !== undefined && max !== undefined && max > min ? max - min : 0n;
  return { spans, error, durationNs };
}
