/**
 * @module data/runs
 * The runs page's state: the recorded runs, and the diff of the two picked in the URL
 * (by default the newest run as B and the one before it as A, as `tracebox diff` picks).
 * URL: /runs?a=<run id>&b=<run id>
 */
import { useEffect, useState } from 'preact/hooks';
import { listRuns, runDiff, type RunDiff, type RunRecord } from '../api.ts';
import { assignColors } from '../colors.ts';
import { markReady } from '../keys.ts';
import type { Route } from '../router.ts';

export interface RunsState {
  /** undefined while loading. */
  readonly runs: RunRecord[] | undefined;
  readonly a: string;
  readonly b: string;
  /** undefined while loading (or with fewer than two runs), null when nothing is picked. */
  readonly diff: RunDiff | null | undefined;
  readonly error: unknown;
}

export function useRuns(route: Route): RunsState {
  const [runs, setRuns] = useState<RunRecord[] | undefined>();
  const [diff, setDiff] = useState<RunDiff | null | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const ctl = new AbortController();
    listRuns(ctl.signal).then((list) => setRuns(list ?? []), setError);
    return () => ctl.abort();
  }, []);
  const b = route.params.get('b') ?? runs?.[0]?.id ?? '';
  const a = route.params.get('a') ?? runs?.find((r) => Number(r.id) < Number(b))?.id ?? '';
  useEffect(() => {
    if (runs === undefined) return;
    if (a === '' || b === '') {
      setDiff(null);
      markReady();
      return;
    }
    const ctl = new AbortController();
    setDiff(undefined);
    setError(undefined);
    runDiff(a, b, ctl.signal).then(
      (d) => {
        if (d === undefined) return setDiff(null);
        assignColors([...new Set(d.operations.map((o) => o.service))]);
        setDiff(d);
        markReady();
      },
      (err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(err);
      },
    );
    return () => ctl.abort();
  }, [runs, a, b]);
  return { runs, a, b, diff, error };
}
