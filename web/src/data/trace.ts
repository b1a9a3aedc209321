/**
 * @module data/trace
 * A trace's data for the trace page: its span JSON (from tracebox, or from a file opened
 * in the page), re-read while it may still be growing, and the stored history of its
 * operations' durations.
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchTraceText, labelValue, queryInstant } from '../api.ts';
import { nsToMs } from '../format.ts';
import { historyFrom, type History } from '../model/history.ts';
import type { TraceJson, VTrace } from '../model/trace.ts';
import { getUpload } from '../uploads.ts';

const POLL_MS = 2000;
/** A trace whose last span ended this recently may still be growing. */
const RECENT_MS = 120_000;
/** How long a trace id nothing is stored for is looked for again (its spans may be on their way). */
const WAIT_MS = 30_000;

export interface TraceData {
  /** undefined while loading, null when there is no such trace. */
  readonly json: TraceJson | null | undefined;
  readonly error: unknown;
  /** Still re-read: it ended recently or misses spans. */
  readonly live: boolean;
  /** Spans that arrived since the page opened. */
  readonly grew: number;
}

/** Whether a trace may still grow: it ended recently, or a span's parent has not arrived. */
function mayGrow(t: TraceJson): { lastEndMs: number; incomplete: boolean } {
  let lastEnd = 0n;
  for (const s of t.spans) if (BigInt(s.endTimeUnixNano) > lastEnd) lastEnd = BigInt(s.endTimeUnixNano);
  const ids = new Set(t.spans.map((s) => s.spanId));
  return { lastEndMs: nsToMs(lastEnd), incomplete: t.spans.some((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId)) };
}

export function useTraceJson(id: string, upload: boolean): TraceData {
  const [json, setJson] = useState<TraceJson | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState(false);
  const [grew, setGrew] = useState(0);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastText: string | undefined;
    let count = -1;
    let shape = { lastEndMs: 0, incomplete: false };
    let waited = 0;
    setJson(undefined);
    setError(undefined);
    setLive(false);
    const local = getUpload(id);
    if (upload || (local !== undefined && !/^[0-9a-f]{32}$/.test(id))) {
      setJson(local ?? null);
      return;
    }
    let delay = POLL_MS;
    const tick = async () => {
      if (document.hidden) {
        timer = setTimeout(tick, POLL_MS);
        return;
      }
      try {
        const began = performance.now();
        const text = await fetchTraceText(id);
        if (stop) return;
        if (text === undefined) {
          const up = getUpload(id);
          if (up !== undefined) return setJson(up);
          setJson(null);
          waited += POLL_MS;
          if (waited < WAIT_MS) timer = setTimeout(tick, POLL_MS);
          return;
        }
        if (text !== lastText) {
          lastText = text;
          const t = JSON.parse(text) as TraceJson;
          if (count >= 0 && t.spans.length > count) setGrew((g) => g + (t.spans.length - count));
          count = t.spans.length;
          shape = mayGrow(t);
          setJson(t);
        }
        // Big traces cost more to re-read: poll them less often (2 s up to 15 s).
        delay = Math.min(15_000, Math.max(POLL_MS, (performance.now() - began) * 20));
        const growing = shape.incomplete || Date.now() - shape.lastEndMs < RECENT_MS;
        setLive(growing);
        if (growing) timer = setTimeout(tick, delay);
      } catch (err) {
        if (!stop) setError(err);
      }
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id, upload]);
  return { json, error, live, grew };
}

/** TraceQL's string escaping inside a regex literal. */
const regexLiteral = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * What is usual for each operation of the trace's services: p50, p95 and how many spans,
 * over the day before the trace (ending an hour after its start, or now). null while
 * unknown, and for files opened in the page.
 */
export function useHistory(trace: VTrace | undefined, upload: boolean): History {
  const [history, setHistory] = useState<History>(null);
  const services = trace?.services.join('\u0000') ?? '';
  useEffect(() => {
    if (trace === undefined || upload) return;
    const ac = new AbortController();
    const end = Math.min(Date.now(), nsToMs(trace.startUnixNano) + 3600_000) / 1000;
    const sel = `{ resource.service.name =~ "${trace.services.map(regexLiteral).join('|')}" }`;
    const by = 'by (resource.service.name, name)';
    const op = (labels: Parameters<typeof labelValue>[0]) => ({ service: String(labelValue(labels, 'resource.service.name') ?? ''), name: String(labelValue(labels, 'name') ?? '') });
    Promise.all([
      queryInstant(`${sel} | quantile_over_time(duration, .5, .95) ${by}`, end - 86400, end, ac.signal),
      queryInstant(`${sel} | count_over_time() ${by}`, end - 86400, end, ac.signal),
    ])
      .then(([quantiles, counts]) => {
        if (quantiles === undefined || counts === undefined) return;
        setHistory(
          historyFrom(
            quantiles.map((s) => ({ ...op(s.labels), p: Number(labelValue(s.labels, 'p')), value: s.value })),
            counts.map((s) => ({ ...op(s.labels), value: s.value })),
          ),
        );
      })
      .catch(() => undefined);
    return () => ac.abort();
    // Re-asked when the set of services changes, not on every new span.
  }, [trace?.traceId, services, upload]);
  return history;
}
