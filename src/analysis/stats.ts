/**
 * @module analysis/stats
 * Where a trace's time went, per span and per operation: self times, the span with the
 * most of its own time, per-operation totals, and children of one operation gathered
 * into one entry (an N+1 loop of 600 calls reads as one line, not 600).
 */
import { selfTime, type TraceTree, type TreeSpan } from './trace.ts';

/** Self time of every span, by index. */
export function selfTimes(trace: TraceTree): Float64Array {
  const out = new Float64Array(trace.spans.length);
  for (let i = 0; i < out.length; i++) out[i] = selfTime(trace, i);
  return out;
}

/** The span with the most self time (the earliest on a tie), or -1 for an empty trace. */
export function mostSelfTime(trace: TraceTree, self: Float64Array = selfTimes(trace)): number {
  let best = -1;
  for (let i = 0; i < self.length; i++) if (best < 0 || self[i] > self[best]) best = i;
  return best;
}

/** One operation (service, span name and kind) of a trace. */
export interface OperationStats {
  readonly service: string;
  readonly name: string;
  readonly kind: TreeSpan['kind'];
  readonly count: number;
  readonly errors: number;
  /** Sum of the spans' durations. */
  readonly totalNs: number;
  /** Sum of the spans' self times. */
  readonly selfNs: number;
  readonly maxNs: number;
}

const operationOf = (s: TreeSpan): string => `${s.service}\u0000${s.name}\u0000${s.kind}`;

/** Per operation: count, errors, total and self time; most self time first. */
export function operationStats(trace: TraceTree, self: Float64Array = selfTimes(trace)): OperationStats[] {
  const byOp = new Map<string, { service: string; name: string; kind: TreeSpan['kind']; count: number; errors: number; totalNs: number; selfNs: number; maxNs: number }>();
  for (const s of trace.spans) {
    const key = operationOf(s);
    let op = byOp.get(key);
    if (op === undefined) byOp.set(key, (op = { service: s.service, name: s.name, kind: s.kind, count: 0, errors: 0, totalNs: 0, selfNs: 0, maxNs: 0 }));
    op.count++;
    if (s.status === 'error') op.errors++;
    op.totalNs += s.dur;
    op.selfNs += self[s.idx];
    if (s.dur > op.maxNs) op.maxNs = s.dur;
  }
  return [...byOp.values()].sort((a, b) => b.selfNs - a.selfNs || b.totalNs - a.totalNs);
}

/** Children of one parent of the same operation, gathered. */
export interface SiblingGroup {
  readonly type: 'group';
  /** Span indexes, by start time. */
  readonly spans: readonly number[];
  readonly totalNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly errors: number;
  /** The longest member. */
  readonly slowest: number;
}

export type ChildEntry = { readonly type: 'span'; readonly idx: number } | SiblingGroup;

/** Children of one operation at least this many times are gathered (an N+1 hint needs 5). */
export const GROUP_AT = 5;

/**
 * Siblings (children of one span, in start order) where `minRepeat` or more of the same
 * operation become one group, standing where the first of them starts.
 */
export function groupSiblings(trace: TraceTree, siblings: readonly number[], minRepeat = GROUP_AT): ChildEntry[] {
  const byOp = new Map<string, number[]>();
  for (const c of siblings) {
    const key = operationOf(trace.spans[c]);
    const list = byOp.get(key);
    if (list === undefined) byOp.set(key, [c]);
    else list.push(c);
  }
  const out: ChildEntry[] = [];
  for (const c of siblings) {
    const list = byOp.get(operationOf(trace.spans[c])) as number[];
    if (list.length < minRepeat) out.push({ type: 'span', idx: c });
    else if (list[0] === c) out.push(group(trace, list));
  }
  return out;
}

function group(trace: TraceTree, spans: number[]): SiblingGroup {
  let totalNs = 0;
  let minNs = Infinity;
  let maxNs = -Infinity;
  let errors = 0;
  let slowest = spans[0];
  for (const i of spans) {
    const s = trace.spans[i];
    totalNs += s.dur;
    if (s.dur < minNs) minNs = s.dur;
    if (s.dur > maxNs) {
      maxNs = s.dur;
      slowest = i;
    }
    if (s.status === 'error') errors++;
  }
  return { type: 'group', spans, totalNs, minNs, maxNs, errors, slowest };
}
