/**
 * @module model/service-graph
 * The service map's data and its drawing positions. The graph comes from tracebox's
 * derived metrics (`/api/service-graph`); when that endpoint is missing (an older
 * tracebox) it is computed here from a sample of recent traces with Tempo's rules:
 * a server/consumer span whose parent is in another service is a request on the edge
 * parent service → its service; a client span with no such child goes to a virtual
 * node named by peer.service, db.system or server.address; a root server span is a
 * request from "user".
 *
 * Layout: layers by longest path from the sources (back edges of cycles ignored), order
 * within a layer by the barycentre of the neighbours, a few sweeps each way.
 */
import type { TraceJson } from './trace.ts';

export interface Latency {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface GraphNode {
  id: string;
  type: 'service' | 'user' | 'database' | 'virtual';
  requests: number;
  rate: number;
  errors: number;
  errorRate: number;
  /** Seconds. */
  latency: Latency;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  connectionType: string;
  requests: number;
  rate: number;
  errors: number;
  errorRate: number;
  latency: Latency;
}

export interface ServiceGraph {
  start: number;
  end: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function latencyOf(sortedSec: number[]): Latency {
  if (sortedSec.length === 0) return { avg: null, p50: null, p95: null, p99: null };
  const q = (p: number): number => sortedSec[Math.min(sortedSec.length - 1, Math.max(0, Math.ceil(p * sortedSec.length) - 1))];
  return { avg: sortedSec.reduce((a, b) => a + b, 0) / sortedSec.length, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/** Tempo's service-graph rules over whole traces (the fallback, see the module doc). */
export function graphFromTraces(traces: readonly TraceJson[], startSec: number, endSec: number): ServiceGraph {
  type Acc = { requests: number; errors: number; durs: number[]; type: GraphNode['type']; connectionType: string };
  const nodes = new Map<string, Acc>();
  const edges = new Map<string, Acc & { source: string; target: string }>();
  const node = (id: string, type: GraphNode['type']): Acc => {
    let n = nodes.get(id);
    if (n === undefined) nodes.set(id, (n = { requests: 0, errors: 0, durs: [], type, connectionType: '' }));
    return n;
  };
  const edge = (source: string, target: string, connectionType: string): Acc => {
    const id = `${source}->${target}`;
    let e = edges.get(id);
    if (e === undefined) edges.set(id, (e = { source, target, requests: 0, errors: 0, durs: [], type: 'service', connectionType }));
    return e;
  };
  const inWindow = (ns: string): boolean => {
    const s = Number(BigInt(ns) / 1_000_000n) / 1000;
    return s >= startSec && s < endSec;
  };
  for (const t of traces) {
    const byId = new Map(t.spans.map((s) => [s.spanId, s]));
    const servedChild = new Set<string>();
    for (const s of t.spans) {
      node(s.service, 'service');
      if (s.kind !== 'server' && s.kind !== 'consumer') continue;
      const p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (p !== undefined && p.service !== s.service) servedChild.add(p.spanId);
      if (!inWindow(s.startTimeUnixNano)) continue;
      const sec = Number(s.durationNanos) / 1e9;
      const err = s.status === 'error';
      const n = node(s.service, 'service');
      n.requests++;
      n.durs.push(sec);
      if (err) n.errors++;
      const source = p === undefined ? (s.parentSpanId ? undefined : 'user') : p.service !== s.service ? p.service : undefined;
      if (source === undefined) continue;
      if (source === 'user') node('user', 'user');
      const e = edge(source, s.service, s.kind === 'consumer' ? 'messaging_system' : '');
      e.requests++;
      e.durs.push(sec);
      if (err) e.errors++;
    }
    for (const s of t.spans) {
      if ((s.kind !== 'client' && s.kind !== 'producer') || servedChild.has(s.spanId) || !inWindow(s.startTimeUnixNano)) continue;
      const a = s.attributes;
      const db = typeof a['db.system'] === 'string' ? a['db.system'] : undefined;
      const peer = a['peer.service'] ?? a['db.name'] ?? db ?? a['server.address'] ?? a['messaging.system'];
      if (typeof peer !== 'string' || peer === '') continue;
      const n = node(peer, db !== undefined ? 'database' : 'virtual');
      const sec = Number(s.durationNanos) / 1e9;
      n.requests++;
      n.durs.push(sec);
      const e = edge(s.service, peer, db !== undefined ? 'database' : 'virtual_node');
      e.requests++;
      e.durs.push(sec);
      if (s.status === 'error') {
        n.errors++;
        e.errors++;
      }
    }
  }
  const secs = Math.max(1, endSec - startSec);
  const fig = (a: Acc) => ({
    requests: a.requests,
    rate: a.requests / secs,
    errors: a.errors,
    errorRate: a.requests === 0 ? 0 : a.errors / a.requests,
    latency: latencyOf(a.durs.sort((x, y) => x - y)),
  });
  return {
    start: startSec,
    end: endSec,
    nodes: [...nodes].map(([id, a]) => ({ id, type: a.type, ...fig(a) })),
    edges: [...edges].map(([id, e]) => ({ id, source: e.source, target: e.target, connectionType: e.connectionType, ...fig(e) })),
  };
}

export interface Placed {
  readonly id: string;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly nodes: Map<string, Placed>;
  /** Per edge id, the points it passes: source, one per layer it crosses, target. */
  readonly routes: Map<string, Array<{ x: number; y: number }>>;
  readonly width: number;
  readonly height: number;
}

/**
 * Layered drawing (Sugiyama-style): back edges of cycles found by DFS are ignored for
 * layering; layers by longest path; an edge that spans several layers gets a dummy
 * node in each layer it crosses, so it is routed around the nodes there; the order
 * within a layer comes from a few barycentre sweeps up and down.
 */
/** What layoutGraph needs of a graph: node ids and the edges between them. */
export interface GraphShape {
  readonly nodes: ReadonlyArray<{ readonly id: string }>;
  readonly edges: ReadonlyArray<{ readonly id: string; readonly source: string; readonly target: string }>;
}

export function layoutGraph(graph: GraphShape, opts = { colGap: 250, rowGap: 120, pad: 90 }): Layout {
  const ids = graph.nodes.map((n) => n.id);
  const known = new Set(ids);
  const edges = graph.edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.source)?.push(e.target);
  // Back edges by DFS from the sources (then from anything left).
  const state = new Map<string, 1 | 2>();
  const back = new Set<string>();
  const hasIn = new Set(edges.map((e) => e.target));
  const dfs = (start: string): void => {
    const stack: Array<[string, number]> = [[start, 0]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const next = (out.get(top[0]) ?? [])[top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) back.add(`${top[0]}\u0000${next}`);
      else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  };
  for (const s of [...ids.filter((id) => !hasIn.has(id)), ...ids]) if (!state.has(s)) dfs(s);
  const forward = edges.filter((e) => !back.has(`${e.source}\u0000${e.target}`));
  // Longest-path layers (Kahn's order over the forward edges).
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const e of forward) indeg.set(e.target, (indeg.get(e.target) ?? 0) + 1);
  const queue = ids.filter((id) => indeg.get(id) === 0);
  while (queue.length > 0) {
    const s = queue.shift() as string;
    for (const e of forward) {
      if (e.source !== s) continue;
      layer.set(e.target, Math.max(layer.get(e.target) ?? 0, (layer.get(s) ?? 0) + 1));
      indeg.set(e.target, (indeg.get(e.target) ?? 0) - 1);
      if (indeg.get(e.target) === 0) queue.push(e.target);
    }
  }
  // Dummy nodes for long edges; every link then joins adjacent layers.
  const chains = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  const link = (a: string, b: string): void => {
    (down.get(a) ?? down.set(a, []).get(a))?.push(b);
    (up.get(b) ?? up.set(b, []).get(b))?.push(a);
  };
  for (const e of forward) {
    const la = layer.get(e.source) ?? 0;
    const lb = layer.get(e.target) ?? 0;
    const chain = [e.source];
    for (let l = la + 1; l < lb; l++) {
      const d = `\u0001${e.id}\u0001${l}`;
      layer.set(d, l);
      chain.push(d);
    }
    chain.push(e.target);
    for (let i = 1; i < chain.length; i++) link(chain[i - 1], chain[i]);
    chains.set(e.id, chain);
  }
  const layers: string[][] = [];
  for (const [id, l] of layer) (layers[l] ??= []).push(id);
  for (let i = 0; i < layers.length; i++) layers[i] ??= [];
  for (const l of layers) l.sort();
  const index = new Map<string, number>();
  const reindex = (): void => layers.forEach((l) => l.forEach((id, i) => index.set(id, i)));
  reindex();
  for (let sweep = 0; sweep < 6; sweep++) {
    const downward = sweep % 2 === 0;
    const order = layers.map((_, i) => i);
    if (!downward) order.reverse();
    for (const li of order.slice(1)) {
      const nb = downward ? up : down;
      const bary = new Map<string, number>();
      for (const id of layers[li]) {
        const ns = nb.get(id) ?? [];
        bary.set(id, ns.length === 0 ? (index.get(id) ?? 0) : ns.reduce((a, n) => a + (index.get(n) ?? 0), 0) / ns.length);
      }
      layers[li].sort((a, b) => (bary.get(a) ?? 0) - (bary.get(b) ?? 0));
      reindex();
    }
  }
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const height = opts.pad * 2 + (tallest - 1) * opts.rowGap;
  const pos = new Map<string, Placed>();
  layers.forEach((l, li) => {
    const top = (height - (l.length - 1) * opts.rowGap) / 2;
    l.forEach((id, i) => pos.set(id, { id, layer: li, x: opts.pad + li * opts.colGap, y: top + i * opts.rowGap }));
  });
  const nodes = new Map([...pos].filter(([id]) => known.has(id)));
  const routes = new Map<string, Array<{ x: number; y: number }>>();
  for (const e of edges) {
    const chain = chains.get(e.id) ?? [e.source, e.target];
    routes.set(
      e.id,
      chain.map((id) => pos.get(id) as Placed).map((p) => ({ x: p.x, y: p.y })),
    );
  }
  return { nodes, routes, width: opts.pad * 2 + Math.max(0, layers.length - 1) * opts.colGap, height };
}
