/**
 * @module data/compare
 * The two traces of the compare page (stored, or opened from files in the page), each
 * loaded when its id in the URL changes. URL: /compare?a=<trace id>&b=<trace id>
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchTrace } from '../api.ts';
import { assignColors } from '../colors.ts';
import { markReady } from '../keys.ts';
import { buildTrace, type VTrace } from '../model/trace.ts';
import type { Route } from '../router.ts';
import { getUpload } from '../uploads.ts';
import { normalizeTraceId } from './trace-page.ts';

async function load(id: string): Promise<VTrace | null> {
  const json = getUpload(id) ?? (await fetchTrace(id));
  if (!json) return null;
  const t = buildTrace(json);
  assignColors(t.services);
  return t;
}

/** A trace: undefined while loading, null when there is no such trace (or no id). */
function useOne(id: string, setError: (e: unknown) => void): VTrace | null | undefined {
  const [t, setT] = useState<VTrace | null | undefined>();
  useEffect(() => {
    setT(undefined);
    if (id) load(id).then(setT, setError);
    else setT(null);
  }, [id]);
  return t;
}

export interface Compared {
  readonly ida: string;
  readonly idb: string;
  readonly a: VTrace | null | undefined;
  readonly b: VTrace | null | undefined;
  readonly error: unknown;
}

export function useComparedTraces(route: Route): Compared {
  const ida = normalizeTraceId(route.params.get('a') ?? '');
  const idb = normalizeTraceId(route.params.get('b') ?? '');
  const [error, setError] = useState<unknown>();
  const a = useOne(ida, setError);
  const b = useOne(idb, setError);
  useEffect(() => {
    if (a !== undefined && b !== undefined) markReady();
  }, [a, b]);
  return { ida, idb, a, b, error };
}
