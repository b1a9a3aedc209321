/**
 * @module model/critical-path
 * The critical path (the algorithm of Jaeger's UI and of tracebox's MCP tool): from the
 * root's end walking back in time, the child that finished last before the cursor is
 * what its parent waited for; it is followed down, the cursor moves to its start, and
 * the next child that finished before the cursor is taken. Children are clipped to their
 * parent. What no chosen child covers is the parent's own time on the path.
 */
import type { VTrace } from './trace.ts';

/** Per span on the path, its [start, end) segments on it (ns from the trace start). */
export type CriticalPath = Map<number, Array<[number, number]>>;

export function criticalPath(trace: VTrace): CriticalPath {
  const path: CriticalPath = new Map();
  const spans = trace.spans;
  const add = (idx: number, a: number, b: number): void => {
    if (b <= a) return;
    let segs = path.get(idx);
    if (segs === undefined) path.set(idx, (segs = []));
    segs.push([a, b]);
  };
  // Explicit stack instead of recursion: a deep chain of spans must not overflow.
  type Job = { idx: number; lo: number; hi: number };
  const root = trace.roots.reduce((best, r) => (best < 0 || spans[r].dur > spans[best].dur ? r : best), -1);
  if (root < 0) return path;
  const jobs: Job[] = [{ idx: root, lo: spans[root].start, hi: spans[root].end }];
  while (jobs.length > 0) {
    const { idx, lo, hi } = jobs.pop() as Job;
    const kids = spans[idx].children
      .filter((c) => spans[c].start < hi && spans[c].end > lo)
      .sort((a, b) => spans[b].end - spans[a].end);
    let cursor = hi;
    for (const c of kids) {
      if (cursor <= lo) break;
      const k = spans[c];
      if (k.start >= cursor) continue;
      const cEnd = Math.min(k.end, cursor);
      add(idx, cEnd, cursor);
      const cStart = Math.max(k.start, lo);
      jobs.push({ idx: c, lo: cStart, hi: cEnd });
      cursor = cStart;
    }
    add(idx, lo, cursor);
  }
  for (const segs of path.values()) segs.sort((a, b) => a[0] - b[0]);
  return path;
}

/** Time a span spends on the path itself. */
export const onPath = (segs: Array<[number, number]> | undefined): number => (segs ?? []).reduce((n, [a, b]) => n + b - a, 0);
