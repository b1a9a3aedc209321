/**
 * @module ui/ServiceMap
 * The service graph in SVG: nodes sized by request rate, ringed by error rate (the red
 * arc is the failing share), edges as curves whose width follows the rate, labelled
 * with rate, p95 and errors where the label covers no node, node text or other label.
 * Nodes are focusable; Enter or click selects one.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import { fmtPct, fmtRate, fmtSec } from '../format.ts';
import { centredBox, edgeCurve, placeLabels, textWidth, type Box } from '../model/graph-geometry.ts';
import { layoutGraph, type GraphNode, type ServiceGraph } from '../model/service-graph.ts';

const TYPE_LABEL: Record<string, string> = { user: 'client', database: 'database', virtual: 'uninstrumented' };

function arc(cx: number, cy: number, r: number, from: number, to: number): string {
  const a0 = from * 2 * Math.PI - Math.PI / 2;
  const a1 = to * 2 * Math.PI - Math.PI / 2;
  const large = to - from > 0.5 ? 1 : 0;
  return `M${cx + r * Math.cos(a0)},${cy + r * Math.sin(a0)} A${r},${r} 0 ${large} 1 ${cx + r * Math.cos(a1)},${cy + r * Math.sin(a1)}`;
}

/** The second line under a node: error share and p95 (callers for the user node). */
function nodeSub(n: GraphNode): string {
  if (n.type === 'user') return 'callers';
  if (n.type === 'service') return `${fmtPct(n.errorRate)} err · p95 ${fmtSec(n.latency.p95)}`;
  return `${TYPE_LABEL[n.type]} · p95 ${fmtSec(n.latency.p95)}${n.errorRate > 0 ? ` · ${fmtPct(n.errorRate)} err` : ''}`;
}

const EDGE_PX = 11;

export function ServiceMap({ graph, selected, onSelect }: { graph: ServiceGraph; selected: string; onSelect: (id: string) => void }): JSX.Element {
  const layout = useMemo(() => layoutGraph(graph, { colGap: 270, rowGap: 135, pad: 95 }), [graph]);
  const maxRate = Math.max(...graph.nodes.map((n) => n.rate), 1e-9);
  const maxEdge = Math.max(...graph.edges.map((e) => e.rate), 1e-9);
  const radius = (rate: number) => 20 + 18 * Math.sqrt(rate / maxRate);
  // Edges and where their labels go: clear of the nodes, the nodes' two text lines and each other.
  const edges = useMemo(() => {
    const nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
    const obstacles: Box[] = graph.nodes.flatMap((n) => {
      const pos = layout.nodes.get(n.id);
      if (!pos) return [];
      const r = radius(n.rate);
      return [
        centredBox(pos.x, pos.y, 2 * r + 14, 2 * r + 14),
        centredBox(pos.x, pos.y + r + 17, textWidth(n.id, 13.5), 16),
        centredBox(pos.x, pos.y + r + 33, textWidth(nodeSub(n), 11), 13),
      ];
    });
    const drawn = graph.edges.flatMap((e) => {
      const na = nodeById.get(e.source);
      const nb = nodeById.get(e.target);
      const route = layout.routes.get(e.id);
      if (!na || !nb || !route || route.length < 2) return [];
      const ra = radius(na.rate) + 4;
      const rb = radius(nb.rate) + 6;
      const text = `${fmtRate(e.rate)} · p95 ${fmtSec(e.latency.p95)}${e.errorRate > 0 ? ` · ${fmtPct(e.errorRate)} err` : ''}`;
      return [{ e, text, curve: edgeCurve(route, { rx: ra, ry: ra }, { rx: rb, ry: rb }) }];
    });
    const at = placeLabels(
      drawn.map((d) => ({ at: d.curve.at, w: textWidth(d.text, EDGE_PX) + 6, h: EDGE_PX + 4 })),
      obstacles,
    );
    return drawn.map((d, i) => ({ ...d, label: at[i] }));
  }, [graph, layout]);
  return (
    <div class="servicemap" data-testid="service-map">
      <svg viewBox={`0 0 ${Math.max(layout.width, 400)} ${layout.height + 30}`} width="100%" style={{ maxHeight: `${Math.max(320, layout.height + 30)}px` }} role="group" aria-label="Service graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
          </marker>
          <marker id="arrow-err" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill={ERROR_COLOR} />
          </marker>
        </defs>
        {edges.map(({ e, curve }) => {
          const width = 1.2 + 4 * Math.sqrt(e.rate / maxEdge);
          const err = e.errorRate > 0;
          const active = selected === e.source || selected === e.target;
          return (
            <g key={e.id} class={`edge${err ? ' err' : ''}${active ? ' active' : ''}`} data-edge={`${e.source}→${e.target}`}>
              <path d={curve.d} stroke-width={width} marker-end={err ? 'url(#arrow-err)' : 'url(#arrow)'} />
            </g>
          );
        })}
        {graph.nodes.map((n) => {
          const pos = layout.nodes.get(n.id);
          if (!pos) return null;
          const r = radius(n.rate);
          const color = n.type === 'service' ? serviceColor(n.id) : '#94a3b8';
          const errFrac = Math.min(1, n.errorRate);
          return (
            <g
              key={n.id}
              class={`node${selected === n.id ? ' selected' : ''} type-${n.type}`}
              transform={`translate(${pos.x},${pos.y})`}
              tabIndex={0}
              role="button"
              aria-label={`${n.id}: ${fmtRate(n.rate)}, ${fmtPct(n.errorRate)} errors, p95 ${fmtSec(n.latency.p95)}`}
              aria-pressed={selected === n.id}
              data-node={n.id}
              onClick={() => onSelect(n.id)}
              onKeyDown={(ev) => {
                if (ev.key === 'Enter' || ev.key === ' ') {
                  ev.preventDefault();
                  onSelect(n.id);
                }
              }}
            >
              <circle r={r + 7} class="halo" />
              <circle r={r} class="node-body" style={{ fill: color }} />
              <circle r={r + 3.5} class="ring-ok" />
              {errFrac > 0 ? <path d={arc(0, 0, r + 3.5, 0, Math.max(errFrac, 0.02))} class="ring-err" /> : null}
              <text class="node-rate" y={4} text-anchor="middle">
                {n.type === 'user' ? '⇢' : fmtRate(n.rate)}
              </text>
              <text class="node-name" y={r + 22} text-anchor="middle">
                {n.id}
              </text>
              <text class="node-sub" y={r + 37} text-anchor="middle">
                {nodeSub(n)}
              </text>
            </g>
          );
        })}
        {/* Labels last: above every edge and node. */}
        {edges.map(({ e, text, label }) => (
          <text key={e.id} x={label.x} y={label.y + 4} text-anchor="middle" class={`edge-label${e.errorRate > 0 ? ' err' : ''}`} data-edge-label={`${e.source}→${e.target}`}>
            {text}
          </text>
        ))}
      </svg>
    </div>
  );
}
