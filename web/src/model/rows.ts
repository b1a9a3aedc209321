/**
 * @module model/rows
 * The waterfall's rows: a pure function of the trace (pre-order, from model/trace), the
 * collapsed spans and the hiding filter. A hidden span (shorter than the threshold, from
 * a hidden service, or not among the matches when only those are shown) is left out but
 * its visible descendants are kept, drawn one
 * level below the nearest shown ancestor; every shown span whose subtree lost spans gets
 * one "n hidden" row after its children, which reveals them when clicked.
 */
import type { VTrace } from './trace.ts';

export type Row =
  | { readonly type: 'span'; readonly idx: number; readonly depth: number }
  | { readonly type: 'hidden'; readonly parent: number; readonly count: number; readonly depth: number; readonly key: string };

export interface RowOptions {
  /** Span indexes whose children are not shown. */
  readonly collapsed: ReadonlySet<number>;
  /** Spans shorter than this (ns) are hidden; 0 hides none. */
  readonly minDur: number;
  readonly hiddenServices: ReadonlySet<string>;
  /** When set, only these spans are shown ("show matches only"). */
  readonly only?: ReadonlySet<number>;
  /** Shown spans whose hidden descendants are revealed anyway. */
  readonly revealed: ReadonlySet<number>;
}

export const NO_FILTER: RowOptions = { collapsed: new Set(), minDur: 0, hiddenServices: new Set(), revealed: new Set() };

/** Whether the hiding filter of `o` leaves a span out (revealing aside); undefined when nothing is filtered. */
export function hiddenBy(trace: VTrace, o: Pick<RowOptions, 'minDur' | 'hiddenServices' | 'only'>): ((idx: number) => boolean) | undefined {
  if (o.minDur <= 0 && o.hiddenServices.size === 0 && o.only === undefined) return undefined;
  const spans = trace.spans;
  return (idx) => spans[idx].dur < o.minDur || o.hiddenServices.has(spans[idx].service) || (o.only !== undefined && !o.only.has(idx));
}

export function buildRows(trace: VTrace, o: RowOptions): Row[] {
  const spans = trace.spans;
  const rows: Row[] = [];
  const hidden = hiddenBy(trace, o);
  const hides = (idx: number, revealedBy: boolean): boolean => hidden !== undefined && !revealedBy && hidden(idx);

  // Each frame: a span to visit, the depth it is drawn at, the nearest shown ancestor,
  // and whether a revealed ancestor lifts the filter. A closing frame emits the marker.
  type Frame = { idx: number; depth: number; shownParent: number; revealed: boolean; close?: boolean };
  const hiddenUnder = new Map<number, number>();
  const stack: Frame[] = [];
  for (let r = trace.roots.length - 1; r >= 0; r--) stack.push({ idx: trace.roots[r], depth: 0, shownParent: -1, revealed: false });
  while (stack.length > 0) {
    const f = stack.pop() as Frame;
    if (f.close) {
      const n = hiddenUnder.get(f.idx) ?? 0;
      if (n > 0) rows.push({ type: 'hidden', parent: f.idx, count: n, depth: f.depth + 1, key: `hidden-${spans[f.idx].spanId}` });
      continue;
    }
    const s = spans[f.idx];
    let childDepth: number;
    let shown: number;
    const revealed = f.revealed || o.revealed.has(f.shownParent);
    if (hides(f.idx, revealed)) {
      if (f.shownParent >= 0) hiddenUnder.set(f.shownParent, (hiddenUnder.get(f.shownParent) ?? 0) + 1);
      else hiddenUnder.set(-1, (hiddenUnder.get(-1) ?? 0) + 1);
      childDepth = f.depth;
      shown = f.shownParent;
    } else {
      rows.push({ type: 'span', idx: f.idx, depth: f.depth });
      if (o.collapsed.has(f.idx)) continue;
      stack.push({ idx: f.idx, depth: f.depth, shownParent: -1, revealed: false, close: true });
      childDepth = f.depth + 1;
      shown = f.idx;
    }
    for (let c = s.children.length - 1; c >= 0; c--) {
      stack.push({ idx: s.children[c], depth: childDepth, shownParent: shown, revealed: revealed || o.revealed.has(shown) });
    }
  }
  const topHidden = hiddenUnder.get(-1) ?? 0;
  if (topHidden > 0) rows.push({ type: 'hidden', parent: -1, count: topHidden, depth: 0, key: 'hidden-top' });
  return rows;
}

/** Collapses every span with children deeper than `depth` (0: only roots stay open… none). */
export function collapseBelow(trace: VTrace, depth: number): Set<number> {
  const out = new Set<number>();
  for (const s of trace.spans) if (s.depth >= depth && s.children.length > 0) out.add(s.idx);
  return out;
}

/** The ancestors of a span, nearest first. */
export function ancestors(trace: VTrace, idx: number): number[] {
  const out: number[] = [];
  for (let p = trace.spans[idx]?.parent ?? -1; p >= 0; p = trace.spans[p].parent) out.push(p);
  return out;
}

/**
 * The row to bring into view after zooming into [from, to]: the first span (in row order)
 * that starts inside the window, else the first that ends inside it, else the last that
 * spans it (the deepest of a chain of parents); -1 when no row does.
 */
export function firstRowInWindow(trace: VTrace, rows: readonly Row[], zoom: readonly [number, number]): number {
  const [from, to] = zoom;
  let ends = -1;
  let covers = -1;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.type !== 'span') continue;
    const s = trace.spans[row.idx];
    if (s.start >= from && s.start <= to) return r;
    if (ends < 0 && s.end >= from && s.end <= to) ends = r;
    if (s.start < from && s.end > to) covers = r;
  }
  return ends >= 0 ? ends : covers;
}
