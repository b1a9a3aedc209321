/**
 * @module analysis/critical-path
 * The critical path, as Jaeger's UI computes it: from the root's end walking back in
 * time, the child that finished last before the cursor is what its parent waited for; it
 * is followed down, the cursor moves to its start, and the next child that finished
 * before the cursor is taken. Children are clipped to their parent first; a child still
 * running at the cursor (it overlaps the one taken after it) is not on the path. What no
 * chosen child covers is the parent's own time on the path.
 */
import type { TraceTree } from './trace.ts';

/** Per span on the path, its [start, end) segments on it (ns from the trace start), in time order. */
export type CriticalPath = Map<number, Array<[number, number]>>;

/**
 * Where the path starts: the span without a parent that ends last (the longer one on a
 * tie); spans whose parent was not received count only when no true root is there.
 * -1 for an empty trace.
 */
export function pathRoot(trace: TraceTree): number {
  const real = trace.roots.filter((r) => !trace.spans[r].orphan);
  let best = -1;
  for (const r of real.length > 0 ? real : trace.roots) {
    const s = trace.spans[r];
    if (best < 0) best = r;
    else {
      const b = trace.spans[best];
      if (s.end > b.end || (s.end === b.end && s.dur > b.dur)) best = r;
    }
  }
  return best;
}

export function criticalPath(trace: TraceTree): CriticalPath {
  const path: CriticalPath = new Map();
  const spans = trace.spans;
  const add = (idx: number, a: number, b: number): void => {
    if (b <= a) return;
    let segs = path.get(idx);
    if (segs === undefined) path.set(idx, (segs = []));
    segs.push([a, b]);
  };
  const root = pathRoot(trace);
  if (root < 0) return path;

  // An explicit stack instead of recursion: a deep chain of spans must not overflow.
  interface Frame {
    idx: number;
    from: number;
    cursor: number;
    /** Children clipped to the span, latest end first; `next` walks them once. */
    kids: Array<{ idx: number; start: number; end: number }>;
    next: number;
  }
  const frame = (idx: number, from: number, to: number): Frame => ({
    idx,
    from,
    cursor: to,
    kids: spans[idx].children
      .map((c) => ({ idx: c, start: Math.max(spans[c].start, from), end: Math.min(spans[c].end, to) }))
      .filter((k) => k.end > k.start)
      .sort((a, b) => b.end - a.end || a.idx - b.idx),
    next: 0,
  });
  const stack: Frame[] = [frame(root, spans[root].start, spans[root].end)];
  // A root of zero length is still the path's start.
  path.set(root, []);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    // The cursor only moves back, so a child ending after it never qualifies later.
    while (f.next < f.kids.length && f.kids[f.next].end > f.cursor) f.next++;
    const next = f.cursor > f.from && f.next < f.kids.length ? f.kids[f.next++] : undefined;
    if (next === undefined) {
      add(f.idx, f.from, f.cursor);
      stack.pop();
      continue;
    }
    add(f.idx, next.end, f.cursor);
    f.cursor = next.start;
    if (!path.has(next.idx)) path.set(next.idx, []);
    stack.push(frame(next.idx, next.start, next.end));
  }
  for (const segs of path.values()) segs.sort((a, b) => a[0] - b[0]);
  return path;
}

/** Time a span spends on the path itself. */
export const onPath = (segs: ReadonlyArray<readonly [number, number]> | undefined): number => (segs ?? []).reduce((n, [a, b]) => n + b - a, 0);
