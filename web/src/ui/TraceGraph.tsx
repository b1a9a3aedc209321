/**
 * @module ui/TraceGraph
 * One trace as a graph (model/trace-graph) in SVG: a box per operation or service with
 * its span count, total and self time and failures, arrows for the calls between them
 * labelled with their count, laid out in layers from the root (model/service-graph's
 * layout, model/graph-geometry's curves and label placement). A box shows its spans in
 * the timeline.
 */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import { fmtCount, fmtDur } from '../format.ts';
import { centredBox, edgeCurve, placeLabels, textWidth, type Box } from '../model/graph-geometry.ts';
import { layoutGraph } from '../model/service-graph.ts';
import { traceGraph, type GraphBy, type TraceGraphNode } from '../model/trace-graph.ts';
import type { VTrace } from '../model/trace.ts';

const W = 184;
const H = 58;
const LABEL_PX = 11;

const clip = (s: string, max: number): string => (s.length > max ? s.slice(0, max - 1) + '…' : s);
/** `service: name`, or the service alone per service. */
const nodeText = (n: Pick<TraceGraphNode, 'service' | 'name'>): string => (n.name === '' ? n.service : `${n.service}: ${n.name}`);

function NodeBox({ n, x, y, onShow }: { n: TraceGraphNode; x: number; y: number; onShow: () => void }): JSX.Element {
  const title = n.name === '' ? n.service : n.name;
  const label = `${nodeText(n)}: ${n.count} spans, ${fmtDur(n.total)} in all, ${fmtDur(n.self)} self${n.errors ? `, ${n.errors} failed` : ''}`;
  return (
    <g
      class={`tg-node${n.errors > 0 ? ' err' : ''}`}
      transform={`translate(${x - W / 2},${y - H / 2})`}
      tabIndex={0}
      role="button"
      aria-label={label}
      data-node={nodeText(n)}
      onClick={onShow}
      onKeyDown={(ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          onShow();
        }
      }}
    >
      <title>{label}</title>
      <rect class="tg-box" width={W} height={H} rx={7} />
      <rect width={5} height={H} rx={2} style={{ fill: serviceColor(n.service) }} />
      {n.name !== '' ? (
        <text class="tg-svc" x={14} y={16}>
          {clip(n.service, 28)}
        </text>
      ) : null}
      <text class="tg-name" x={14} y={n.name !== '' ? 33 : 26}>
        {clip(title, 23)}
      </text>
      <text class="tg-figs" x={14} y={n.name !== '' ? 50 : 46}>
        ×{fmtCount(n.count)} · {fmtDur(n.total)} · self {fmtDur(n.self)}
        {n.selfCalls > 0 ? ` · ↻${n.selfCalls}` : ''}
      </text>
      {n.errors > 0 ? (
        <g transform={`translate(${W - 12},12)`}>
          <circle r={9} style={{ fill: ERROR_COLOR }} />
          <text class="tg-err" text-anchor="middle" y={3.5}>
            {n.errors > 99 ? '99+' : n.errors}
          </text>
        </g>
      ) : null}
    </g>
  );
}

export function TraceGraph({ trace, onShow }: { trace: VTrace; onShow: (service: string, name: string) => void }): JSX.Element {
  const [by, setBy] = useState<GraphBy>('operation');
  const graph = useMemo(() => traceGraph(trace, by), [trace, by]);
  const layout = useMemo(() => layoutGraph(graph, { colGap: W + 60, rowGap: H + 30, pad: W / 2 + 16 }), [graph]);
  const drawn = useMemo(() => {
    const names = new Map(graph.nodes.map((n) => [n.id, nodeText(n)]));
    const maxCalls = Math.max(1, ...graph.edges.map((e) => e.calls));
    const ext = { rx: W / 2 + 2, ry: H / 2 + 2 };
    const edges = graph.edges.flatMap((e) => {
      const route = layout.routes.get(e.id);
      if (!route || route.length < 2) return [];
      const text = `×${fmtCount(e.calls)}${e.errors > 0 ? ` · ${e.errors} failed` : ''}`;
      return [{ e, name: `${names.get(e.source)}→${names.get(e.target)}`, curve: edgeCurve(route, ext, ext), text, width: 1.2 + 3 * Math.sqrt(e.calls / maxCalls) }];
    });
    const obstacles: Box[] = [...layout.nodes.values()].map((p) => centredBox(p.x, p.y, W + 8, H + 8));
    const at = placeLabels(
      edges.map((d) => ({ at: d.curve.at, w: textWidth(d.text, LABEL_PX) + 6, h: LABEL_PX + 4 })),
      obstacles,
    );
    return edges.map((d, i) => ({ ...d, label: at[i] }));
  }, [graph, layout]);
  const width = Math.max(layout.width, W + 40);
  const height = layout.height + 60;
  return (
    <div class="trace-graph-view" data-testid="trace-graph">
      <div class="view-head">
        <div class="segmented" role="group" aria-label="Nodes">
          <button type="button" class={by === 'operation' ? 'on' : ''} aria-pressed={by === 'operation'} onClick={() => setBy('operation')}>
            Operations
          </button>
          <button type="button" class={by === 'service' ? 'on' : ''} aria-pressed={by === 'service'} onClick={() => setBy('service')} data-testid="graph-by-service">
            Services
          </button>
        </div>
        <span class="muted small">
          {fmtCount(graph.nodes.length)} {by === 'operation' ? 'operations' : 'services'}, {fmtCount(graph.edges.length)} call paths · box: spans, total, self time · arrow: calls · click a box for its spans
        </span>
      </div>
      <div class="tg-scroll">
        {/* Shrunk to fit the panel down to 60%, wider graphs scroll. */}
        <svg viewBox={`0 0 ${width} ${height}`} style={{ width: '100%', maxWidth: `${width}px`, minWidth: `${Math.round(width * 0.6)}px` }} role="group" aria-label="Trace graph">
          <defs>
            <marker id="tg-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
            </marker>
          </defs>
          {drawn.map(({ e, name, curve, width: w }) => (
            <path key={e.id} class={`tg-edge${e.errors > 0 ? ' err' : ''}`} d={curve.d} stroke-width={w} marker-end="url(#tg-arrow)" data-edge={name} />
          ))}
          {graph.nodes.map((n) => {
            const pos = layout.nodes.get(n.id);
            return pos ? <NodeBox key={n.id} n={n} x={pos.x} y={pos.y} onShow={() => onShow(n.service, n.name)} /> : null;
          })}
          {drawn.map(({ e, text, label }) => (
            <text key={e.id} class={`edge-label${e.errors > 0 ? ' err' : ''}`} x={label.x} y={label.y + 4} text-anchor="middle">
              {text}
            </text>
          ))}
        </svg>
      </div>
    </div>
  );
}
