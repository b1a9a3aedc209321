/**
 * Prometheus remote write (protocol 1.0: snappy-compressed protobuf WriteRequest) of the
 * derived metrics' cumulative totals, on an interval, as Tempo's metrics-generator does.
 */
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from '../shared/protowire.ts';
import { VERSION } from '../version.ts';
import type { DerivedMetrics } from './types.ts';
import { derivedFamilies, flatten, type FlatSample } from './exposition.ts';
import { snappyCompress } from './snappy.ts';

export interface RemoteWriteOptions {
  /** Receiver URL, e.g. http://localhost:9090/api/v1/write. */
  readonly url: string;
  /** Push interval (default 15 s, Tempo's collection_interval). */
  readonly intervalMs?: number;
  /** Extra request headers (e.g. Authorization, X-Scope-OrgID). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

export interface TimeSeries {
  /** Sorted by name, `__name__` included. */
  readonly labels: readonly (readonly [string, string])[];
  readonly samples: readonly { readonly value: number; readonly timestampMs: number }[];
}

/** prometheus.WriteRequest { repeated TimeSeries timeseries = 1; } */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const w = new ProtoWriter(1 << 16);
  for (const ts of series) {
    w.fork(1);
    for (const [name, value] of ts.labels) {
      w.fork(1).stringField(1, name).stringField(2, value).join();
    }
    for (const s of ts.samples) {
      w.fork(2).tag(1, WIRE_I64).double(s.value).tag(2, WIRE_VARINT).uint64(BigInt(s.timestampMs)).join();
    }
    w.join();
  }
  return w.finish();
}

function seriesKey(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([k, v]) => k + '\0' + v).join('\0\0');
}

function toLabels(s: FlatSample): [string, string][] {
  const labels: [string, string][] = [['__name__', s.name]];
  for (const k of Object.keys(s.labels)) labels.push([k, s.labels[k]]);
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export interface RemoteWriter {
  /** Pushes the current totals now. */
  push(): Promise<void>;
  /** Stops the interval, waits for a push in flight, then pushes once more. */
  stop(): Promise<void>;
}

export function startRemoteWrite(metrics: DerivedMetrics, options: RemoteWriteOptions, log: (line: string) => void): RemoteWriter {
  const intervalMs = options.intervalMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Series sent before: a series first seen later starts with an explicit 0 just before
  // its first value, so rate() counts its first increment (Tempo does the same). The
  // first push only continues what an earlier run of tracebox may have sent.
  const known = new Set<string>();
  let first = true;
  let failing = false;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  async function send(): Promise<void> {
    const now = Date.now();
    const series: TimeSeries[] = [];
    for (const s of flatten(derivedFamilies(metrics.totals()))) {
      const labels = toLabels(s);
      const key = seriesKey(labels);
      const samples = [{ value: s.value, timestampMs: now }];
      if (!known.has(key)) {
        known.add(key);
        if (!first) samples.unshift({ value: 0, timestampMs: now - 1 });
      }
      series.push({ labels, samples });
    }
    first = false;
    if (series.length === 0) return;
    const body = snappyCompress(encodeWriteRequest(series));
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'Content-Encoding': 'snappy',
          'Content-Type': 'application/x-protobuf',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'User-Agent': `tracebox/${VERSION}`,
          ...options.headers,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (failing) log(`remote write: ${options.url} accepts samples again`);
      failing = false;
    } catch (err) {
      if (!failing) log(`remote write to ${options.url} failed: ${(err as Error).message}; retrying every ${intervalMs / 1000} s`);
      failing = true;
    }
  }

  function push(): Promise<void> {
    inFlight ??= send().finally(() => (inFlight = undefined));
    return inFlight;
  }

  const timer = setInterval(() => {
    if (!stopped && inFlight === undefined) void push();
  }, intervalMs);
  timer.unref();

  return {
    push,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await inFlight;
      await push();
    },
  };
}
