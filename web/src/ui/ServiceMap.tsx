/**
 * @module ui/ServiceMap
 * The service graph in SVG: nodes sized by request rate, ringed by error rate (the red
 * arc is the failing share), edges as curves whose width follows the rate, labelled
 * with rate, p95 and errors. Nodes are focusable; Enter or click selects one.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import { fmtPct, fmtRate, fmtSec } from '../format.ts';
import { layoutGraph, type ServiceGraph } from '../model/service-graph.ts';

const TYPE_LABEL: Record<string, string> = { user: 'client', database: 'database', virtual: 'uninstrumented' };

function arc(cx: number, cy: number, r: number, from: number, to: number): string {
  const a0 = from * 2 * Math.PI - Math.PI / 2;
  const a1 = to * 2 * Math.PI - Math.PI / 2;
  const large = to - from > 0.5 ? 1 : 0;
  return `M${cx + r * Math.cos(a0)},${cy + r * Math.sin(a0)} A${r},${r} 0 ${large} 1 ${cx + r * Math.cos(a1)},${cy + r * Math.sin(a1)}`;
}

export function ServiceMap({ graph, selected, onSelect }: { graph: ServiceGraph; selected: string; onSelect: (id: string) => void }): JSX.Element {
  const layout = useMemo(() => layoutGraph(graph, { colGap: 270, rowGap: 135, pad: 95 }), [graph]);
  const maxRate = Math.max(...graph.nodes.map((n) => n.rate), 1e-9);
  const maxEdge = Math.max(...graph.edges.map((e) => e.rate), 1e-9);
  const radius = (rate: number) => 20 + 18 * Math.sqrt(rate / maxRate);
  const nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
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
        {graph.edges.map((e) => {
          const na = nodeById.get(e.source);
          const nb = nodeById.get(e.target);
          const pts = layout.routes.get(e.id);
          if (!na || !nb || !pts || pts.length < 2) return null;
          const ra = radius(na.rate) + 4;
          const rb = radius(nb.rate) + 6;
          const a = pts[0];
          const b = pts[pts.length - 1];
          const backwards = b.x <= a.x;
          let d: string;
          let mx: number;
          let my: number;
          if (backwards) {
            const low = Math.max(a.y, b.y) + 90;
            d = `M${a.x},${a.y + ra} C${a.x},${low} ${b.x},${low} ${b.x},${b.y + rb}`;
            mx = (a.x + b.x) / 2;
            my = low - 14;
          } else {
            const p = pts.map((q, i) => ({ x: i === 0 ? q.x + ra : i === pts.length - 1 ? q.x - rb : q.x, y: q.y }));
            d = `M${p[0].x},${p[0].y}`;
            for (let i = 1; i < p.length; i++) {
              const dx = (p[i].x - p[i - 1].x) / 2;
              d += ` C${p[i - 1].x + dx},${p[i - 1].y} ${p[i].x - dx},${p[i].y} ${p[i].x},${p[i].y}`;
            }
            const k = Math.floor((p.length - 1) / 2);
            mx = (p[k].x + p[k + 1].x) / 2;
            my = (p[k].y + p[k + 1].y) / 2 - 7;
          }
          const width = 1.2 + 4 * Math.sqrt(e.rate / maxEdge);
          const err = e.errorRate > 0;
          const active = selected === e.source || selected === e.target;
          return (
            <g key={e.id} class={`edge${err ? ' err' : ''}${active ? ' active' : ''}`} data-edge={`${e.source}→${e.target}`}>
              <path d={d} stroke-width={width} marker-end={err ? 'url(#arrow-err)' : 'url(#arrow)'} />
              <text x={mx} y={my} text-anchor="middle" class="edge-label">
                {fmtRate(e.rate)} · p95 {fmtSec(e.latency.p95)}
                {err ? ` · ${fmtPct(e.errorRate)} err` : ''}
              </text>
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
                {n.type === 'user'
                  ? 'callers'
                  : n.type === 'service'
                    ? `${fmtPct(n.errorRate)} err · p95 ${fmtSec(n.latency.p95)}`
                    : `${TYPE_LABEL[n.type]} · p95 ${fmtSec(n.latency.p95)}${n.errorRate > 0 ? ` · ${fmtPct(n.errorRate)} err` : ''}`}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
