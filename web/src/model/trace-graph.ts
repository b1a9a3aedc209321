/**
 * @module model/trace-graph
 * One trace as a graph (Jaeger's trace graph): a node per operation (service and span
 * name) or per service, an edge from a parent's node to its child's for every call, with
 * counts, failures and time. A node calling itself (recursion, a service calling within
 * itself) counts those calls on the node instead of drawing an edge.
 */
import { selfTime, type VTrace } from './trace.ts';

export type GraphBy = 'operation' | 'service';

export interface TraceGraphNode {
  readonly id: string;
  readonly service: string;
  /** The span name; '' per service. */
  readonly name: string;
  readonly count: number;
  readonly errors: number;
  /** Summed durations and self times, ns. */
  readonly total: number;
  readonly self: number;
  /** Calls from this node to itself. */
  readonly selfCalls: number;
  /** Whether a span of it has no parent in the trace. */
  readonly root: boolean;
}

export interface TraceGraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly calls: number;
  /** Calls whose callee span failed. */
  readonly errors: number;
  /** The callees' summed durations, ns. */
  readonly total: number;
}

export interface TraceGraph {
  readonly nodes: TraceGraphNode[];
  readonly edges: TraceGraphEdge[];
}

export function traceGraph(trace: VTrace, by: GraphBy): TraceGraph {
  type NodeAcc = { service: string; name: string; count: number; errors: number; total: number; self: number; selfCalls: number; root: boolean };
  type EdgeAcc = { source: string; target: string; calls: number; errors: number; total: number };
  const nodes = new Map<string, NodeAcc>();
  const edges = new Map<string, EdgeAcc>();
  const idOf = trace.spans.map((s) => (by === 'service' ? s.service : `${s.service}\u0000${s.name}`));
  for (const s of trace.spans) {
    const id = idOf[s.idx];
    let n = nodes.get(id);
    if (n === undefined) nodes.set(id, (n = { service: s.service, name: by === 'service' ? '' : s.name, count: 0, errors: 0, total: 0, self: 0, selfCalls: 0, root: false }));
    n.count++;
    n.total += s.dur;
    n.self += selfTime(trace, s.idx);
    if (s.status === 'error') n.errors++;
    if (s.parent < 0) {
      n.root = true;
      continue;
    }
    const from = idOf[s.parent];
    if (from === id) {
      n.selfCalls++;
      continue;
    }
    const key = `${from}\u0001${id}`;
    let e = edges.get(key);
    if (e === undefined) edges.set(key, (e = { source: from, target: id, calls: 0, errors: 0, total: 0 }));
    e.calls++;
    e.total += s.dur;
    if (s.status === 'error') e.errors++;
  }
  return {
    nodes: [...nodes].map(([id, n]) => ({ id, ...n })),
    edges: [...edges].map(([id, e]) => ({ id, ...e })),
  };
}
