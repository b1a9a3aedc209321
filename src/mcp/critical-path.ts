/**
 * The critical path of a trace: starting at the root's end and walking back in time,
 * the child that finished last before the cursor is what the parent was waiting for;
 * it is followed down, then the cursor moves to that child's start and the next child
 * that finished before it is taken, and so on (the algorithm Jaeger's UI uses).
 * Children are clipped to their parent's interval first. Time not covered by a chosen
 * child is the parent's own time on the path.
 */
import type { Span, SpanNode, Trace } from '../testing/client.ts';

export interface PathStep {
  readonly span: SpanNode;
  /** Depth below the path's root (0 for the root). */
  readonly depth: number;
  /** The span's duration minus the union of its children's intervals. */
  readonly selfNs: bigint;
  /** The part of the critical path spent in this span itself (not in a child on the path). */
  readonly criticalNs: bigint;
}

export interface CriticalPath {
  readonly root: SpanNode;
  /** Spans on the path in tree order (children by start time). */
  readonly steps: PathStep[];
  /** The root's duration: the sum of every step's criticalNs. */
  readonly totalNs: bigint;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Duration minus the union of the children's intervals, clipped to the span. */
export function selfTimeNs(span: Span, children: readonly Span[]): bigint {
  const kids = children.map((k) => [k.startTimeNs, k.endTimeNs] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let covered = 0n;
  let reach = span.startTimeNs;
  for (const [start, end] of kids) {
    const from = max(start, reach);
    const to = min(end, span.endTimeNs);
    if (to > from) covered += to - from;
    if (to > reach) reach = to;
  }
  return span.durationNs - covered;
}

/** The trace's root (a span without parent, latest end first), or undefined for an empty trace. */
function pathRoot(trace: Trace): SpanNode | undefined {
  const real = trace.roots.filter((r) => r.parentSpanId === '');
  const candidates = real.length > 0 ? real : trace.roots;
  let best: SpanNode | undefined;
  for (const r of candidates) {
    if (best === undefined || r.endTimeNs > best.endTimeNs || (r.endTimeNs === best.endTimeNs && r.durationNs > best.durationNs)) best = r;
  }
  return best;
}

export function criticalPath(trace: Trace): CriticalPath | undefined {
  const root = pathRoot(trace);
  if (root === undefined) return undefined;
  const critical = new Map<string, bigint>();
  const add = (span: SpanNode, ns: bigint): void => {
    if (ns > 0n || !critical.has(span.spanId)) critical.set(span.spanId, (critical.get(span.spanId) ?? 0n) + (ns > 0n ? ns : 0n));
  };

  // Iterative, so deep traces do not exhaust the stack: each frame is a span being walked back from `cursor`.
  interface Frame {
    node: SpanNode;
    from: bigint;
    cursor: bigint;
    kids: Array<{ node: SpanNode; start: bigint; end: bigint; used: boolean }>;
  }
  const frame = (node: SpanNode, from: bigint, to: bigint): Frame => ({
    node,
    from,
    cursor: to,
    kids: node.children
      .map((k) => ({ node: k, start: max(k.startTimeNs, from), end: min(k.endTimeNs, to), used: false }))
      .filter((k) => k.end > k.start),
  });
  const stack: Frame[] = [frame(root, root.startTimeNs, root.endTimeNs)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    let next: Frame['kids'][number] | undefined;
    if (f.cursor > f.from) {
      for (const k of f.kids) if (!k.used && k.end <= f.cursor && (next === undefined || k.end > next.end)) next = k;
    }
    if (next === undefined) {
      add(f.node, f.cursor - f.from);
      stack.pop();
      continue;
    }
    add(f.node, f.cursor - next.end);
    next.used = true;
    f.cursor = next.start;
    stack.push(frame(next.node, next.start, next.end));
  }

  const steps: PathStep[] = [];
  const walk = (node: SpanNode, depth: number): void => {
    const criticalNs = critical.get(node.spanId);
    if (criticalNs === undefined) return;
    steps.push({ span: node, depth, selfNs: selfTimeNs(node, node.children), criticalNs });
    [...node.children].sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : 1)).forEach((k) => walk(k, depth + 1));
  };
  walk(root, 0);
  return { root, steps, totalNs: root.durationNs };
}
