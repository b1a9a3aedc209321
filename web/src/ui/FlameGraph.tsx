/**
 * @module ui/FlameGraph
 * The trace as a flame graph (icicle: roots on top, children below, x = time in the
 * zoom window) on a canvas, so 10,000 spans draw in a few milliseconds. Hover shows the
 * span, click selects it; spans off the critical path are dimmed, errors outlined in
 * red, hidden spans left out.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { blend, ERROR_COLOR, textOn } from '../colors.ts';
import { fmtDur } from '../format.ts';
import { shownTheme } from '../settings.ts';
import { useStore } from '../store.ts';
import { useWidth } from './common.tsx';
import { TimeAxis } from './Waterfall.tsx';
import { barColor, type TraceView } from './trace-view.ts';

const H = 20;
/** Opacity of the bars not on the critical path, or not matching the find box or filters. */
const DIM = 0.38;

export function FlameGraph({ v, hidden }: { v: TraceView; hidden: (idx: number) => boolean }): JSX.Element {
  const [box, width] = useWidth<HTMLDivElement>(800);
  // Redrawn when the theme changes: label colours depend on the background.
  const theme = useStore(shownTheme);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ idx: number; x: number; y: number } | null>(null);
  const height = (v.trace.maxDepth + 1) * H + 4;
  const [z0, z1] = v.zoom;
  const scale = width / (z1 - z0 || 1);
  useEffect(() => {
    const c = canvas.current;
    const g = c?.getContext('2d');
    if (!c || !g) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11.5px ui-sans-serif, system-ui, sans-serif';
    const background = getComputedStyle(c).getPropertyValue('--panel').trim() || '#ffffff';
    g.textBaseline = 'middle';
    for (const s of v.trace.spans) {
      if (s.end < z0 || s.start > z1 || hidden(s.idx)) continue;
      const x = (s.start - z0) * scale;
      const w = s.dur * scale;
      if (w < 0.4) continue;
      const y = s.depth * H;
      // Find dims what does not match; the critical path dims what is off it.
      const dim = (v.matches.size > 0 && !v.matches.has(s.idx)) || (v.cp !== null && v.matches.size === 0 && !v.cp.has(s.idx));
      g.globalAlpha = dim ? DIM : 1;
      const fill = barColor(s, v);
      g.fillStyle = fill;
      g.fillRect(x, y + 1, Math.max(w - 1, 0.6), H - 2);
      if (s.status === 'error' && w > 3) {
        g.strokeStyle = ERROR_COLOR;
        g.lineWidth = 2;
        g.strokeRect(x + 1, y + 2, Math.max(w - 3, 0.5), H - 4);
      }
      if (s.idx === v.selected) {
        g.strokeStyle = '#3b82f6';
        g.lineWidth = 2.5;
        g.strokeRect(x + 1, y + 2, Math.max(w - 3, 1), H - 4);
      }
      if (w > 40) {
        // The label is drawn opaque in the colour that reads on the bar as it shows (a dimmed bar is mostly background).
        g.globalAlpha = 1;
        g.fillStyle = textOn(dim ? blend(fill, DIM, background) : fill);
        const label = `${s.name} · ${fmtDur(s.dur)}`;
        const max = w - 8;
        let text = label;
        if (g.measureText(text).width > max) {
          let lo = 0;
          let hi = label.length;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (g.measureText(label.slice(0, mid) + '…').width <= max) lo = mid;
            else hi = mid - 1;
          }
          text = lo > 0 ? label.slice(0, lo) + '…' : '';
        }
        if (text) g.fillText(text, Math.max(x, 0) + 4, y + H / 2);
      }
    }
    g.globalAlpha = 1;
  }, [v, width, height, hidden, theme]);
  const at = (ev: MouseEvent): number => {
    const r = canvas.current?.getBoundingClientRect();
    if (!r) return -1;
    const x = ev.clientX - r.left;
    const depth = Math.floor((ev.clientY - r.top) / H);
    const t = z0 + x / scale;
    let best = -1;
    for (const s of v.trace.spans) {
      if (s.depth === depth && s.start <= t && s.end >= t && !hidden(s.idx) && (best < 0 || s.dur < v.trace.spans[best].dur)) best = s.idx;
    }
    return best;
  };
  const hs = hover ? v.trace.spans[hover.idx] : undefined;
  return (
    <div class="flame" ref={box} data-testid="flame">
      <div class="flame-axis">
        <TimeAxis v={v} />
      </div>
      <div class="flame-scroll">
        <canvas
          ref={canvas}
          style={{ width: `${width}px`, height: `${height}px` }}
          onMouseMove={(ev) => {
            const idx = at(ev);
            setHover(idx < 0 ? null : { idx, x: ev.offsetX, y: ev.offsetY });
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(ev) => {
            const idx = at(ev);
            if (idx >= 0) v.onSelect(idx);
          }}
          role="img"
          aria-label="Flame graph of the trace's spans"
        />
        {hs && hover ? (
          <div class="tooltip" style={{ left: `${Math.min(hover.x + 14, width - 260)}px`, top: `${hover.y + 14}px` }}>
            <div class="tt-title">
              {hs.service}: {hs.name}
            </div>
            <div>
              <b>{fmtDur(hs.dur)}</b> at {fmtDur(hs.start)} {hs.status === 'error' ? <span class="err-text">· error</span> : null}
            </div>
          </div>
        ) : null}
      </div>
    </div>
  );
}
