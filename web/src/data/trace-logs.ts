/**
 * @module data/trace-logs
 * The log records of the trace on the trace page, oldest first: read when the trace is,
 * again whenever its spans change, and every few seconds while the trace is recent (an
 * SDK batches log records apart from spans, so they may arrive after them). None for a
 * file opened in the page, or from a tracebox that keeps no logs.
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchLogs } from '../api.ts';
import { nsToMs } from '../format.ts';
import type { LogRecord } from '../model/logs.ts';
import type { TraceJson } from '../model/trace.ts';

/** Records read for one trace; past this the page says there are more. */
export const TRACE_LOG_LIMIT = 1000;
const POLL_MS = 3000;
/** A trace that ended this recently may still get records. */
const RECENT_MS = 120_000;

export interface TraceLogData {
  /** undefined until read (and for files opened in the page). */
  readonly logs: readonly LogRecord[] | undefined;
  /** More records than TRACE_LOG_LIMIT belong to the trace. */
  readonly more: boolean;
}

function lastEndMs(t: TraceJson): number {
  let last = 0n;
  for (const s of t.spans) if (BigInt(s.endTimeUnixNano) > last) last = BigInt(s.endTimeUnixNano);
  return nsToMs(last);
}

export function useTraceLogs(id: string, json: TraceJson | null | undefined, upload: boolean): TraceLogData {
  const [data, setData] = useState<TraceLogData>({ logs: undefined, more: false });
  useEffect(() => {
    if (upload || !json || !/^[0-9a-f]{32}$/.test(id)) return;
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = '';
    const endMs = lastEndMs(json);
    const read = () => {
      if (document.hidden) return schedule();
      fetchLogs({ traceId: id, direction: 'forward', limit: TRACE_LOG_LIMIT }, ac.signal).then((page) => {
        const logs = page?.logs ?? [];
        // Re-render only when something changed: the list and the waterfall redraw with it.
        const key = `${logs.length}:${Math.max(0, ...logs.map((l) => l.id))}`;
        if (key !== last) setData({ logs, more: page?.more ?? false });
        last = key;
        schedule();
      }, () => undefined);
    };
    const schedule = () => {
      if (!ac.signal.aborted && Date.now() - endMs < RECENT_MS) timer = setTimeout(read, POLL_MS);
    };
    read();
    return () => {
      ac.abort();
      if (timer) clearTimeout(timer);
    };
  }, [id, json, upload]);
  return data;
}
