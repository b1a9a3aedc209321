/**
 * @module model/diff
 * Span-by-span difference of two traces. Spans are matched by their path: the chain of
 * `service: name` from the root, plus the occurrence among siblings of the same
 * operation (the 3rd `SELECT products` under the same parent matches the 3rd). The
 * result is one merged tree in pre-order; a node has a span in A, in B, or both.
 */
import { opKey, type VTrace } from './trace.ts';

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
  const ops = new Map<string, { service: string; name: string; countA: number; countB: number; durA: number; durB: number }>();
  const add = (t: VTrace, side: 'A' | 'B'): void => {
    for (const s of t.spans) {
      let o = ops.get(opKey(s));
      if (o === undefined) ops.set(opKey(s), (o = { service: s.service, name: s.name, countA: 0, countB: 0, durA: 0, durB: 0 }));
      if (side === 'A') {
        o.countA++;
        o.durA += s.dur;
      } else {
        o.countB++;
        o.durB += s.dur;
      }
    }
  };
  add(a, 'A');
  add(b, 'B');
  return [...ops.values()].sort((x, y) => Math.abs(y.durB - y.durA) - Math.abs(x.durB - x.durA));
}
