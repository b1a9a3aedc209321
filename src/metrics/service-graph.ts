/**
 * The viewer's service graph: nodes with RED figures and edges with rate, error rate and
 * latency percentiles over a time window, from the same aggregates as the Prometheus
 * series. Like Grafana's service map, a node's figures are those of the requests it
 * served (its incoming edges). Latency is the server span's when there is one (the
 * client span's for uninstrumented peers); percentiles come from 2^(1/8) log buckets,
 * so they are within about 4.5% of the exact value.
 */
import { type Agg, type Cell, E_FAILED, E_LATENCY_SUM, E_TOTAL, Family, fineQuantile } from './aggregate.ts';

export interface Latency {
  readonly avg: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export interface GraphNode {
  readonly id: string;
  /** service: has spans in the window; user: Tempo's stand-in for callers of root spans; database / virtual: uninstrumented peers. */
  readonly type: 'service' | 'user' | 'database' | 'virtual';
  readonly requests: number;
  /** Requests per second over the window. */
  readonly rate: number;
  readonly errors: number;
  readonly errorRate: number;
  /** Seconds. */
  readonly latency: Latency;
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** '' (RPC), messaging_system, database or virtual_node; the most frequent when several. */
  readonly connectionType: string;
  readonly requests: number;
  readonly rate: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latency: Latency;
}

export interface ServiceGraph {
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

interface Acc {
  requests: number;
  errors: number;
  latencySumNs: number;
  fine: Map<number, number>;
  types: Map<string, number>;
}

function newAcc(): Acc {
  return { requests: 0, errors: 0, latencySumNs: 0, fine: new Map(), types: new Map() };
}

function add(acc: Acc, cell: Cell): void {
  const v = cell.v;
  acc.requests += v[E_TOTAL];
  acc.errors += v[E_FAILED];
  acc.latencySumNs += v[E_LATENCY_SUM];
  for (const [k, n] of cell.fine ?? []) acc.fine.set(k, (acc.fine.get(k) ?? 0) + n);
  const t = cell.labels.connection_type ?? '';
  acc.types.set(t, (acc.types.get(t) ?? 0) + v[E_TOTAL]);
}

function latency(acc: Acc): Latency {
  if (acc.requests === 0) return { avg: null, p50: null, p95: null, p99: null };
  return {
    avg: acc.latencySumNs / acc.requests / 1e9,
    p50: fineQuantile(acc.fine, 0.5) ?? null,
    p95: fineQuantile(acc.fine, 0.95) ?? null,
    p99: fineQuantile(acc.fine, 0.99) ?? null,
  };
}

export function buildServiceGraph(agg: Agg, startS: number, endS: number): ServiceGraph {
  const seconds = Math.max(endS - startS, 1e-9);
  const services = new Set<string>();
  const edges = new Map<string, { source: string; target: string; acc: Acc }>();
  const incoming = new Map<string, Acc>();
  const nodes = new Set<string>();
  for (const cell of agg.values()) {
    if (cell.family === Family.Span) {
      if (cell.labels.service) services.add(cell.labels.service);
      continue;
    }
    if (cell.family !== Family.Edge) continue;
    const source = cell.labels.client ?? '';
    const target = cell.labels.server ?? '';
    const id = JSON.stringify([source, target]);
    let e = edges.get(id);
    if (e === undefined) edges.set(id, (e = { source, target, acc: newAcc() }));
    add(e.acc, cell);
    let inc = incoming.get(target);
    if (inc === undefined) incoming.set(target, (inc = newAcc()));
    add(inc, cell);
    nodes.add(source);
    nodes.add(target);
  }
  const mostFrequent = (types: Map<string, number>): string => {
    let best = '';
    let n = -1;
    for (const [t, c] of types) if (c > n) (best = t), (n = c);
    return best;
  };
  const nodeList: GraphNode[] = [...nodes].sort().map((id) => {
    const acc = incoming.get(id) ?? newAcc();
    let type: GraphNode['type'] = 'service';
    if (!services.has(id)) {
      if (id === 'user' && acc.requests === 0) type = 'user';
      else type = acc.types.has('database') ? 'database' : 'virtual';
    }
    return {
      id,
      type,
      requests: acc.requests,
      rate: acc.requests / seconds,
      errors: acc.errors,
      errorRate: acc.requests === 0 ? 0 : acc.errors / acc.requests,
      latency: latency(acc),
    };
  });
  const edgeList: GraphEdge[] = [...edges.values()]
    .sort((a, b) => (a.source === b.source ? (a.target < b.target ? -1 : 1) : a.source < b.source ? -1 : 1))
    .map(({ source, target, acc }) => ({
      id: `${source}->${target}`,
      source,
      target,
      connectionType: mostFrequent(acc.types),
      requests: acc.requests,
      rate: acc.requests / seconds,
      errors: acc.errors,
      errorRate: acc.requests === 0 ? 0 : acc.errors / acc.requests,
      latency: latency(acc),
    }));
  return { start: startS, end: endS, nodes: nodeList, edges: edgeList };
}
