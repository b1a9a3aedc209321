/**
 * @module data/trace-logs
 * The log records of the trace on the trace page, oldest first: read when the trace is,
 * and again whenever its spans change (a trace still growing gains records too). None
 * for a file opened in the page, or from a tracebox that keeps no logs.
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchLogs } from '../api.ts';
import type { LogRecord } from '../model/logs.ts';
import type { TraceJson } from '../model/trace.ts';

/** Records read for one trace; past this the page says there are more. */
export const TRACE_LOG_LIMIT = 1000;

export interface TraceLogData {
  /** undefined until read (and for files opened in the page). */
  readonly logs: readonly LogRecord[] | undefined;
  /** More records than TRACE_LOG_LIMIT belong to the trace. */
  readonly more: boolean;
}

export function useTraceLogs(id: string, json: TraceJson | null | undefined, upload: boolean): TraceLogData {
  const [data, setData] = useState<TraceLogData>({ logs: undefined, more: false });
  useEffect(() => {
    if (upload || !json || !/^[0-9a-f]{32}$/.test(id)) return;
    const ac = new AbortController();
    fetchLogs({ traceId: id, direction: 'forward', limit: TRACE_LOG_LIMIT }, ac.signal).then(
      (page) => setData({ logs: page?.logs ?? [], more: page?.more ?? false }),
      () => undefined,
    );
    return () => ac.abort();
  }, [id, json, upload]);
  return data;
}
