/**
 * @module ui/Waterfall
 * The timeline: a virtual list of fixed-height rows (only the rows in view plus a
 * margin are in the DOM, so 10,000 spans scroll like 10), a time axis you can drag
 * across to zoom into a slice, and a minimap of the whole trace with the current slice
 * and the rows in view. A span's log records are marks on its bar at their time. Scrolling re-renders the list alone: the rows in view reach the
 * minimap through a small store, not through the page's state.
 */
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import { fmtDur } from '../format.ts';
import { axisTicks, type AxisTick } from '../model/axis.ts';
import { slowness } from '../model/history.ts';
import { severityLevel } from '../model/logs.ts';
import { firstRowInWindow } from '../model/rows.ts';
import { useStore, type Store } from '../store.ts';
import { useWidth } from './common.tsx';
import { barColor, barGeometry, HINT_LABEL, type TraceView } from './trace-view.ts';

export const ROW = 28;
const OVERSCAN = 8;

/**
 * A horizontal drag across `el` starting with `ev`: `show` gets the selection while it is
 * dragged (fractions of the width, null once released), `done` the two ends.
 */
function dragAcross(ev: MouseEvent, el: HTMLElement | null, show: (selection: [number, number] | null) => void, done: (a: number, b: number) => void): void {
  const frac = (e: MouseEvent): number => {
    const r = el?.getBoundingClientRect();
    return r ? Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) : 0;
  };
  const a = frac(ev);
  show([a, a]);
  const move = (e: MouseEvent) => show([a, frac(e)]);
  const up = (e: MouseEvent) => {
    document.removeEventListener('mousemove', move);
    document.removeEventListener('mouseup', up);
    show(null);
    done(a, frac(e));
  };
  document.addEventListener('mousemove', move);
  document.addEventListener('mouseup', up);
}

/** Tick positions and labels of the time axis over the zoom window, for an axis `width` px wide. */
export const timeTicks = (zoom: readonly [number, number], width: number): AxisTick[] => axisTicks(zoom[0], zoom[1], width, (t) => (t === 0 ? '0' : fmtDur(t)));

/** A time axis over the zoom window; dragging across it selects a new window. Reports its width (the gridlines follow its ticks). */
export function TimeAxis({ v, withDrag = true, onWidth }: { v: TraceView; withDrag?: boolean; onWidth?: (px: number) => void }): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>(600);
  useEffect(() => onWidth?.(width), [width]);
  const [drag, setDrag] = useState<[number, number] | null>(null);
  const [z0, z1] = v.zoom;
  const ts = timeTicks(v.zoom, width);
  const onDown = (ev: MouseEvent) => {
    if (!withDrag || ev.button !== 0) return;
    dragAcross(ev, ref.current, setDrag, (a, b) => {
      if (Math.abs(b - a) > 0.005) {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        v.onZoom([z0 + lo * (z1 - z0), z0 + hi * (z1 - z0)]);
      }
    });
  };
  return (
    <div class="axis-track" ref={ref} onMouseDown={onDown} title={withDrag ? 'Drag to zoom into a time slice' : undefined}>
      {ts.map((t) => (
        <span key={t.value} class={`tick${t.anchor === 'end' ? ' end' : ''}`} style={{ left: `${t.at * 100}%` }}>
          {t.text !== undefined ? <span class="tick-label">{t.text}</span> : null}
        </span>
      ))}
      {drag ? <div class="drag-sel" style={{ left: `${Math.min(...drag) * 100}%`, width: `${Math.abs(drag[1] - drag[0]) * 100}%` }} /> : null}
    </div>
  );
}

/** The whole trace in miniature: spans in pre-order top to bottom, the zoom window, the rows in view. */
/** The rows in view, [first, last), as the waterfall reports them. */
export type Viewport = Store<readonly [number, number]>;

export function Minimap({ v, viewport: rowsInView }: { v: TraceView; viewport: Viewport }): JSX.Element {
  const viewport = useStore(rowsInView);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [box, width] = useWidth<HTMLDivElement>(600);
  const [drag, setDrag] = useState<[number, number] | null>(null);
  const H = 56;
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(H * dpr);
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, H);
    const spans = v.trace.spans;
    const n = spans.length;
    const dur = v.trace.dur || 1;
    const rowH = Math.max(H / Math.max(n, 1), 0.5);
    for (const s of spans) {
      const x = (s.start / dur) * width;
      const w = Math.max(1, (s.dur / dur) * width);
      const y = (s.idx / n) * H;
      g.fillStyle = s.status === 'error' ? ERROR_COLOR : serviceColor(s.service);
      g.globalAlpha = 0.85;
      g.fillRect(x, y, w, Math.max(1, Math.min(rowH, 6)));
    }
    g.globalAlpha = 1;
  }, [v.trace, width]);
  const [z0, z1] = v.zoom;
  const dur = v.trace.dur || 1;
  const zoomed = z0 > 0 || z1 < dur;
  const onDown = (ev: MouseEvent) => {
    if (ev.button !== 0) return;
    dragAcross(ev, box.current, setDrag, (a, b) => {
      if (Math.abs(b - a) > 0.003) v.onZoom([Math.min(a, b) * dur, Math.max(a, b) * dur]);
    });
  };
  const total = v.rows.length || 1;
  return (
    <div class="minimap" ref={box} onMouseDown={onDown} onDblClick={() => v.onZoom(null)} title="Drag to zoom; double-click to see the whole trace" data-testid="minimap">
      <canvas ref={canvas} style={{ width: `${width}px`, height: `${H}px` }} />
      {zoomed ? (
        <>
          <div class="mm-shade" style={{ left: 0, width: `${(z0 / dur) * 100}%` }} />
          <div class="mm-shade" style={{ left: `${(z1 / dur) * 100}%`, right: 0 }} />
          <div class="mm-window" style={{ left: `${(z0 / dur) * 100}%`, width: `${((z1 - z0) / dur) * 100}%` }} />
        </>
      ) : null}
      {/* Moved by a transform: following the scroll then costs the compositor, not a repaint. */}
      <div class="mm-rows" style={{ height: `${Math.max(2, ((viewport[1] - viewport[0]) / total) * H)}px`, transform: `translateY(${((viewport[0] / total) * H).toFixed(1)}px)` }} />
      {drag ? <div class="drag-sel" style={{ left: `${Math.min(...drag) * 100}%`, width: `${Math.abs(drag[1] - drag[0]) * 100}%` }} /> : null}
    </div>
  );
}

function SpanRow({ v, rowIdx, top }: { v: TraceView; rowIdx: number; top: number }): JSX.Element {
  const row = v.rows[rowIdx];
  if (row.type === 'hidden') {
    return (
      <div class="wf-row hidden-row" style={{ top: `${top}px` }} role="row">
        <div class="wf-name" style={{ paddingLeft: `${8 + row.depth * 14}px` }}>
          <button type="button" class="hidden-marker" onClick={() => v.onReveal(row.parent)} data-testid="hidden-marker">
            {row.count} hidden
          </button>
        </div>
        <div class="wf-time" />
      </div>
    );
  }
  const s = v.trace.spans[row.idx];
  // The bar is clipped to the zoom window; its marks are placed within the visible part.
  const vs = Math.max(s.start, v.zoom[0]);
  const ve = Math.max(vs, Math.min(s.end, v.zoom[1]));
  const [left, width] = barGeometry(vs, ve, v.zoom);
  const within = (t: number): number => ((t - vs) / (ve - vs || 1)) * 100;
  const offscreen = s.end < v.zoom[0] || s.start > v.zoom[1];
  const selected = v.selected === s.idx;
  const segs = v.cp?.get(s.idx);
  const hints = v.hints.get(s.idx);
  const logs = v.logs.get(s.idx);
  const slow = slowness(s, v.history);
  const collapsed = v.collapsed.has(s.idx);
  const color = barColor(s, v);
  const inside = width > 0.16;
  const labelRight = !inside && left + width < 0.86;
  const err = s.status === 'error';
  return (
    <div
      class={`wf-row${selected ? ' selected' : ''}${v.matches.has(s.idx) ? ' match' : ''}${err ? ' error' : ''}`}
      style={{ top: `${top}px` }}
      role="row"
      aria-selected={selected}
      data-span={s.spanId}
      onClick={() => v.onSelect(s.idx)}
    >
      <div class="wf-name" style={{ paddingLeft: `${6 + row.depth * 14}px` }}>
        {row.depth > 0 ? <span class="guides" style={{ width: `${row.depth * 14}px` }} /> : null}
        {s.children.length > 0 ? (
          <button
            type="button"
            class={`twisty${collapsed ? '' : ' open'}`}
            aria-label={collapsed ? `Expand ${s.name}` : `Collapse ${s.name}`}
            aria-expanded={!collapsed}
            onClick={(ev) => {
              ev.stopPropagation();
              v.onToggle(s.idx);
            }}
          >
          </button>
        ) : (
          <span class="twisty-space" />
        )}
        <i class="svc-bar" style={{ background: serviceColor(s.service) }} />
        <span class="svc-name">{s.service}</span>
        <span class="span-name" title={s.name}>
          {s.name}
        </span>
        {err ? <span class="err-icon" title={s.statusMessage || 'error'}>!</span> : null}
        {collapsed ? <span class="kids">+{s.descendants}</span> : null}
        {s.orphan ? (
          <span class="badge warn" title="Its parent span was never received">
            orphan
          </span>
        ) : null}
      </div>
      <div class="wf-time">
        {offscreen ? null : (
          <div
            class={`bar${err ? ' err' : ''}${s.start < v.zoom[0] ? ' cut-l' : ''}${s.end > v.zoom[1] ? ' cut-r' : ''}`}
            style={{ left: `${left * 100}%`, width: `max(2px, ${width * 100}%)`, background: color }}
          >
            {segs && v.cp
              ? segs
                  .filter(([a, b]) => b > vs && a < ve)
                  .map(([a, b], i) => <i key={i} class="cp-seg" style={{ left: `${within(Math.max(a, vs))}%`, width: `${within(Math.min(b, ve)) - within(Math.max(a, vs))}%` }} />)
              : null}
            {logs
              ?.filter((l) => l.t >= vs && l.t <= ve)
              .map((l) => {
                const level = severityLevel(l.log.severityNumber, l.log.severityText);
                return <i key={`l${l.log.id}`} class={`lg lvl-${level}`} style={{ left: `${within(l.t)}%` }} title={`${l.log.severityText || level}: ${l.log.body.slice(0, 120)}`} />;
              })}
            {s.events
              .filter((e) => e.t >= vs && e.t <= ve)
              .map((e, i) => (
                <i key={i} class={`ev${e.name === 'exception' ? ' exc' : ''}`} style={{ left: `${within(e.t)}%` }} title={`${e.name} at ${fmtDur(e.t)}`} />
              ))}
          </div>
        )}
        <span
          class={`bar-label${inside ? ' inside' : ''}`}
          style={inside ? { left: `calc(${Math.max(0, left) * 100}% + 6px)` } : labelRight ? { left: `calc(${(left + width) * 100}% + 6px)` } : { right: `calc(${(1 - left) * 100}% + 6px)` }}
        >
          <span class="dur-text">{fmtDur(s.dur)}</span>
          {hints?.filter((h) => h.parent === s.idx).map((h) => (
            <span key={h.kind + h.parent} class={`badge hint hint-${h.kind.replace('+', 'p')}`} title={h.text}>
              {HINT_LABEL[h.kind]}
            </span>
          ))}
          {slow !== undefined ? (
            <span class="badge slow" title={`Slower than usual: ${slow.toFixed(1)}× the p95 of ${s.service}: ${s.name}`}>
              {slow >= 10 ? slow.toFixed(0) : slow.toFixed(1)}× p95
            </span>
          ) : null}
        </span>
      </div>
    </div>
  );
}

export function Waterfall({ v, nameWidth, onNameWidth, viewport, scrollToRow }: { v: TraceView; nameWidth: number; onNameWidth: (w: number) => void; viewport: Viewport; scrollToRow: number }): JSX.Element {
  const body = useRef<HTMLDivElement>(null);
  const [axisWidth, setAxisWidth] = useState(600);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const frame = useRef(0);
  useLayoutEffect(() => {
    const el = body.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onScroll = () => {
    // While scrolling, rows take no pointer: no hover restyle and repaint of the row under the cursor every frame.
    const el = body.current;
    if (el !== null) {
      if (idle.current === undefined) el.classList.add('scrolling');
      clearTimeout(idle.current);
      idle.current = setTimeout(() => {
        idle.current = undefined;
        el.classList.remove('scrolling');
      }, 120);
    }
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScroll(body.current?.scrollTop ?? 0);
    });
  };
  // Keep the selected row in view (keyboard moves, deep links).
  useEffect(() => {
    const el = body.current;
    if (!el || scrollToRow < 0) return;
    const top = scrollToRow * ROW;
    if (top < el.scrollTop) el.scrollTop = Math.max(0, top - ROW);
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + 2 * ROW - el.clientHeight;
  }, [scrollToRow]);
  // Zooming into a slice brings its spans into view, unless the selected span is in it.
  const [z0, z1] = v.zoom;
  useEffect(() => {
    const el = body.current;
    if (!el || (z0 <= 0 && z1 >= v.trace.dur)) return;
    const sel = v.trace.spans[v.selected];
    if (sel !== undefined && sel.end >= z0 && sel.start <= z1 && scrollToRow >= 0) return;
    const row = firstRowInWindow(v.trace, v.rows, v.zoom);
    if (row < 0) return;
    const top = row * ROW;
    if (top < el.scrollTop || top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, top - ROW);
  }, [z0, z1]);
  const first = Math.max(0, Math.floor(scroll / ROW) - OVERSCAN);
  const last = Math.min(v.rows.length, Math.ceil((scroll + height) / ROW) + OVERSCAN);
  useEffect(() => {
    const now = viewport.get();
    const next = [Math.floor(scroll / ROW), Math.min(v.rows.length, Math.ceil((scroll + height) / ROW))] as const;
    if (now[0] !== next[0] || now[1] !== next[1]) viewport.set(next);
  }, [scroll, height, v.rows.length]);
  // Row elements are kept per view state: while scrolling, rows already on screen are the
  // same element objects, which Preact does not diff again; only rows coming into view render.
  const cache = useMemo(() => new Map<number, JSX.Element>(), [v]);
  const items: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    let el = cache.get(i);
    if (el === undefined) {
      const r = v.rows[i];
      el = <SpanRow key={r.type === 'span' ? v.trace.spans[r.idx].spanId : r.key} v={v} rowIdx={i} top={i * ROW} />;
      cache.set(i, el);
    }
    items.push(el);
  }
  if (cache.size > 4 * (last - first) + 200) for (const k of cache.keys()) if (k < first || k >= last) cache.delete(k);
  const startDrag = (ev: MouseEvent) => {
    ev.preventDefault();
    const parent = (ev.currentTarget as HTMLElement).closest('.waterfall') as HTMLElement;
    const r = parent.getBoundingClientRect();
    const move = (e: MouseEvent) => onNameWidth(Math.min(0.7, Math.max(0.15, (e.clientX - r.left) / r.width)));
    const up = () => {
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', up);
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', up);
  };
  return (
    <div class="waterfall" style={{ '--name-w': `${nameWidth * 100}%` }} data-testid="waterfall">
      <div class="wf-head">
        <div class="wf-name head">
          Service &amp; operation <span class="muted small">({v.rows.length.toLocaleString('en-US')} rows)</span>

        </div>
        <div class="wf-time head">
          <TimeAxis v={v} onWidth={setAxisWidth} />
        </div>
        <div class="splitter" onMouseDown={startDrag} title="Drag to resize" />
      </div>
      <div class="wf-body" ref={body} onScroll={onScroll} role="treegrid" aria-label="Spans" tabIndex={0} data-testid="wf-body">
        <div class="wf-canvas" style={{ height: `${v.rows.length * ROW}px` }}>
          <div class="wf-gridlines">
            {timeTicks(v.zoom, axisWidth).map((t) => (
              <i key={t.value} style={{ left: `calc(var(--name-w) + (100% - var(--name-w)) * ${t.at})` }} />
            ))}
          </div>
          {items}
        </div>
      </div>
    </div>
  );
}
