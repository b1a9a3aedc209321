/**
 * @module uploads
 * Traces opened from files live in the page (and, when they fit, in sessionStorage so a
 * reload keeps them); they are never sent to tracebox.
 */
import type { TraceJson } from './model/trace.ts';

const uploads = new Map<string, TraceJson>();
const KEY = 'tracebox.uploads';

try {
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as TraceJson[];
  for (const t of saved) uploads.set(t.traceId, t);
} catch {
  /* nothing saved */
}

export function putUploads(traces: readonly TraceJson[]): void {
  for (const t of traces) uploads.set(t.traceId, t);
  try {
    sessionStorage.setItem(KEY, JSON.stringify([...uploads.values()]));
  } catch {
    /* too big for sessionStorage: kept for this page only */
  }
}

export function getUpload(id: string): TraceJson | undefined {
  return uploads.get(id.toLowerCase());
}
