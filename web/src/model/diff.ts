/**
 * @module model/diff
 * Span-by-span difference of two traces. Spans are matched by their path: the chain of
 * `service: name` from the root, plus the occurrence among siblings of the same
 * operation (the 3rd `SELECT products` under the same parent matches the 3rd). The
 * result is one merged tree in pre-order; a node has a span in A, in B, or both.
 * Per operation, counts, time and failures in each; and what changed besides time:
 * matched spans whose status or error message differs, spans only in B (added) and
 * only in A (missing from B), grouped by operation.
 */
import { opKey, type Status, type VTrace } from './trace.ts';

/** Separates the levels of a path key (span names hold '/'). */
const SEP = '\u0001';

export interface DiffRow {
  readonly key: string;
  readonly depth: number;
  readonly a: number | undefined;
  readonly b: number | undefined;
  readonly name: string;
  readonly service: string;
}

export interface OpDiff {
  readonly service: string;
  readonly name: string;
  readonly countA: number;
  readonly countB: number;
  /** Summed durations, ns. */
  readonly durA: number;
  readonly durB: number;
  /** Spans with status error. */
  readonly errorsA: number;
  readonly errorsB: number;
}

export function diffTraces(a: VTrace, b: VTrace): DiffRow[] {
  // For each trace: path key → span index.
  const keyed = (t: VTrace): Map<string, number> => {
    const keys = new Map<string, number>();
    const keyOf: string[] = new Array(t.spans.length);
    const counts = new Map<string, number>();
    for (const s of t.spans) {
      const parentKey = s.parent >= 0 ? keyOf[s.parent] : '';
      const base = `${parentKey}${SEP}${opKey(s).replaceAll(SEP, ' ')}`;
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      keyOf[s.idx] = `${base}#${n}`;
      keys.set(keyOf[s.idx], s.idx);
    }
    return keys;
  };
  const ka = keyed(a);
  const kb = keyed(b);
  // Merged tree: children per parent key, in order of first appearance (A's order first).
  type Node = { key: string; a?: number; b?: number; children: string[] };
  const nodes = new Map<string, Node>();
  const rootKeys: string[] = [];
  const parentKey = (key: string): string => key.slice(0, key.lastIndexOf(SEP));
  const ensure = (key: string): Node => {
    let n = nodes.get(key);
    if (n === undefined) {
      nodes.set(key, (n = { key, children: [] }));
      const pk = parentKey(key);
      if (pk === '') rootKeys.push(key);
      else ensure(pk).children.push(key);
    }
    return n;
  };
  for (const [key, idx] of ka) ensure(key).a = idx;
  for (const [key, idx] of kb) ensure(key).b = idx;
  const rows: DiffRow[] = [];
  const stack: Array<[string, number]> = rootKeys.map((k): [string, number] => [k, 0]).reverse();
  while (stack.length > 0) {
    const [key, depth] = stack.pop() as [string, number];
    const n = nodes.get(key) as Node;
    const span = n.a !== undefined ? a.spans[n.a] : b.spans[n.b as number];
    rows.push({ key, depth, a: n.a, b: n.b, name: span.name, service: span.service });
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], depth + 1]);
  }
  return rows;
}

/** Per operation: how many spans and how much time in each trace, biggest change first. */
export function diffOperations(a: VTrace, b: VTrace): OpDiff[] {
  const ops = new Map<string, { service: string; name: string; countA: number; countB: number; durA: number; durB: number; errorsA: number; errorsB: number }>();
  const add = (t: VTrace, side: 'A' | 'B'): void => {
    for (const s of t.spans) {
      let o = ops.get(opKey(s));
      if (o === undefined) ops.set(opKey(s), (o = { service: s.service, name: s.name, countA: 0, countB: 0, durA: 0, durB: 0, errorsA: 0, errorsB: 0 }));
      const err = s.status === 'error' ? 1 : 0;
      if (side === 'A') {
        o.countA++;
        o.durA += s.dur;
        o.errorsA += err;
      } else {
        o.countB++;
        o.durB += s.dur;
        o.errorsB += err;
      }
    }
  };
  add(a, 'A');
  add(b, 'B');
  return [...ops.values()].sort((x, y) => Math.abs(y.durB - y.durA) - Math.abs(x.durB - x.durA));
}

/** A matched span whose status or error message is not the same in both traces. */
export interface StatusChange {
  readonly row: DiffRow;
  readonly statusA: Status;
  readonly statusB: Status;
  readonly messageA: string;
  readonly messageB: string;
}

/** Spans of one operation found in one trace only. */
export interface OpCount {
  readonly service: string;
  readonly name: string;
  readonly count: number;
  /** Of them, with status error. */
  readonly errors: number;
}

export interface DiffSummary {
  /** Failing in B, not in A. */
  readonly newErrors: StatusChange[];
  /** Failing in A, not in B. */
  readonly fixed: StatusChange[];
  /** Failing in both with another message; or another status without an error. */
  readonly otherChanges: StatusChange[];
  /** Spans only in B, by operation, most first. */
  readonly added: OpCount[];
  /** Spans only in A. */
  readonly missing: OpCount[];
}

function countByOp(t: VTrace, idxs: readonly number[]): OpCount[] {
  const m = new Map<string, { service: string; name: string; count: number; errors: number }>();
  for (const i of idxs) {
    const s = t.spans[i];
    let o = m.get(opKey(s));
    if (o === undefined) m.set(opKey(s), (o = { service: s.service, name: s.name, count: 0, errors: 0 }));
    o.count++;
    if (s.status === 'error') o.errors++;
  }
  return [...m.values()].sort((x, y) => y.count - x.count || (opKey(x) < opKey(y) ? -1 : 1));
}

/** What changed besides time, from the merged rows of diffTraces(a, b). */
export function diffSummary(a: VTrace, b: VTrace, rows: readonly DiffRow[]): DiffSummary {
  const newErrors: StatusChange[] = [];
  const fixed: StatusChange[] = [];
  const otherChanges: StatusChange[] = [];
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  for (const row of rows) {
    if (row.a === undefined) onlyB.push(row.b as number);
    else if (row.b === undefined) onlyA.push(row.a);
    else {
      const sa = a.spans[row.a];
      const sb = b.spans[row.b];
      if (sa.status === sb.status && (sa.status !== 'error' || sa.statusMessage === sb.statusMessage)) continue;
      const change = { row, statusA: sa.status, statusB: sb.status, messageA: sa.statusMessage, messageB: sb.statusMessage };
      if (sb.status === 'error' && sa.status !== 'error') newErrors.push(change);
      else if (sa.status === 'error' && sb.status !== 'error') fixed.push(change);
      else otherChanges.push(change);
    }
  }
  return { newErrors, fixed, otherChanges, added: countByOp(b, onlyB), missing: countByOp(a, onlyA) };
}
