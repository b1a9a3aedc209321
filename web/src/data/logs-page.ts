/**
 * @module data/logs-page
 * The Logs page's state: the search in its URL (text, level, service, attribute, trace,
 * span, time range), the newest matching records and their volume per level over the
 * range. Live mode polls for records stored since the last one seen (`after`, the
 * arrival cursor) and puts them on top, and redraws the volume.
 * URL: /logs?q=&level=&service=&attr=&trace=&span=&range=|from=&to=&live=1
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fetchLogs, logVolume } from '../api.ts';
import { markReady } from '../keys.ts';
import { logQuery, logSearchFrom, type LogRecord, type LogSearch, type LogVolume } from '../model/logs.ts';
import type { Route } from '../router.ts';
import { resolveRange, type TimeWindow } from '../ui/TimeRange.tsx';

/** Records listed at once; a live tail keeps at most LIVE_KEEP. */
export const LOG_PAGE_LIMIT = 200;
const LIVE_KEEP = 1000;
const POLL_MS = 2000;
const BUCKETS = 60;

export interface LogsPageState {
  readonly search: LogSearch;
  readonly window: TimeWindow;
  readonly live: boolean;
  /** Newest first; undefined while the first answer is awaited. */
  readonly logs: readonly LogRecord[] | undefined;
  /** More records matched than are listed. */
  readonly more: boolean;
  readonly volume: LogVolume | undefined;
  readonly error: unknown;
  /** Unix ms of the last answer. */
  readonly updated: number;
}

export function useLogsPage(route: Route): LogsPageState {
  const p = route.params;
  const search = useMemo(() => logSearchFrom(p), [p.toString()]);
  const live = p.get('live') === '1';
  const rangeKey = `${p.get('range') ?? ''}|${p.get('from') ?? ''}|${p.get('to') ?? ''}`;
  const [logs, setLogs] = useState<readonly LogRecord[] | undefined>(undefined);
  const [more, setMore] = useState(false);
  const [volume, setVolume] = useState<LogVolume | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [updated, setUpdated] = useState(0);
  const [win, setWin] = useState<TimeWindow>(() => resolveRange(p));

  useEffect(() => {
    const ac = new AbortController();
    const filters = logQuery(search);
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cursor = 0;
    let shown: LogRecord[] = [];
    setLogs(undefined);
    setError(undefined);
    const load = async (w: TimeWindow): Promise<void> => {
      const [page, vol] = await Promise.all([
        fetchLogs({ ...filters, start: Math.floor(w.startSec), end: Math.ceil(w.endSec), limit: LOG_PAGE_LIMIT }, ac.signal),
        logVolume(filters, w.startSec, w.endSec, BUCKETS, ac.signal),
      ]);
      if (stop) return;
      shown = page?.logs ?? [];
      cursor = page?.lastId ?? cursor;
      setLogs(shown);
      setMore(page?.more ?? false);
      setVolume(vol);
      setUpdated(Date.now());
    };
    const tail = async (): Promise<void> => {
      if (document.hidden) return;
      const w = resolveRange(new URLSearchParams(location.search));
      setWin(w);
      // Records stored since the last one seen, whatever their time, newest first.
      const page = await fetchLogs({ ...filters, ...(cursor > 0 ? { after: cursor } : { start: Math.floor(w.startSec) }), limit: LOG_PAGE_LIMIT }, ac.signal);
      const vol = await logVolume(filters, w.startSec, w.endSec, BUCKETS, ac.signal);
      if (stop) return;
      const fresh = page?.logs ?? [];
      if (fresh.length > 0) {
        const seen = new Set(shown.map((l) => l.id));
        shown = [...fresh.filter((l) => !seen.has(l.id)), ...shown].slice(0, LIVE_KEEP);
        cursor = Math.max(cursor, page?.lastId ?? 0);
        setLogs(shown);
        if (page?.more) setMore(true);
      }
      setVolume(vol);
      setUpdated(Date.now());
    };
    const w = resolveRange(p);
    setWin(w);
    const fail = (err: unknown) => {
      if (!stop && !(err instanceof DOMException && err.name === 'AbortError')) setError(err);
    };
    load(w)
      .catch(fail)
      .finally(() => {
        markReady();
        if (!live || stop) return;
        const poll = () => {
          timer = setTimeout(() => {
            tail()
              .catch(fail)
              .finally(() => !stop && poll());
          }, POLL_MS);
        };
        poll();
      });
    return () => {
      stop = true;
      ac.abort();
      if (timer) clearTimeout(timer);
    };
  }, [search, rangeKey, live]);

  return { search, window: win, live, logs, more, volume, error, updated };
}
