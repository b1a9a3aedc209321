/**
 * @module ui/LineChart
 * A small multi-series time chart in SVG (RED charts): x = time, y from 0 (labelled
 * "0" whatever the unit), a crosshair that reads every series at the hovered step.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { serviceColor } from '../colors.ts';
import { fmtTime, ticks } from '../format.ts';
import { useWidth } from './common.tsx';

export interface Series {
  readonly name: string;
  /** [unix ms, value]; NaN = no sample. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export function LineChart({ title, series, format, height = 150 }: { title: string; series: readonly Series[]; format: (v: number) => string; height?: number }): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);
  const padL = 58;
  const padR = 10;
  const padT = 8;
  const padB = 22;
  const w = Math.max(220, width);
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const vals = all.map((p) => p[1]).filter((v) => Number.isFinite(v));
  const yMax = Math.max(...vals, 0) * 1.1 || 1;
  const x = (t: number) => padL + ((t - x0) / (x1 - x0 || 1)) * (w - padL - padR);
  const y = (v: number) => padT + (1 - v / yMax) * (height - padT - padB);
  const steps = [...new Set(xs)].sort((a, b) => a - b);
  const onMove = (ev: MouseEvent) => {
    const r = (ev.currentTarget as SVGElement).getBoundingClientRect();
    const t = x0 + ((ev.clientX - r.left - padL) / (w - padL - padR)) * (x1 - x0);
    let best = steps[0];
    for (const s of steps) if (Math.abs(s - t) < Math.abs(best - t)) best = s;
    setHover(best ?? null);
  };
  return (
    <div class="linechart" ref={ref}>
      <div class="chart-title">{title}</div>
      {vals.length === 0 ? (
        <div class="muted small chart-empty">No data in this range.</div>
      ) : (
        <svg width={w} height={height} onMouseMove={onMove} onMouseLeave={() => setHover(null)} role="img" aria-label={title}>
          {ticks(0, yMax, 3).map((v) => (
            <g key={v}>
              <line class="grid" x1={padL} x2={w - padR} y1={y(v)} y2={y(v)} />
              <text class="axis" x={padL - 6} y={y(v) + 4} text-anchor="end">
                {v === 0 ? '0' : format(v)}
              </text>
            </g>
          ))}
          {[x0, (x0 + x1) / 2, x1].map((t, i) => (
            <text key={i} class="axis" x={x(t)} y={height - 5} text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
              {fmtTime(t).replace(/:\d\d$/, '')}
            </text>
          ))}
          {series.map((s) => {
            let d = '';
            let pen = false;
            for (const [t, v] of s.points) {
              if (!Number.isFinite(v)) {
                pen = false;
                continue;
              }
              d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
              pen = true;
            }
            return <path key={s.name} d={d} class="line" stroke={serviceColor(s.name)} />;
          })}
          {hover !== null ? <line class="crosshair" x1={x(hover)} x2={x(hover)} y1={padT} y2={height - padB} /> : null}
        </svg>
      )}
      {hover !== null ? (
        <div class="tooltip chart-tip" style={{ left: `${Math.min(x(hover) + 10, w - 220)}px`, top: '24px' }}>
          <div class="tt-title">{fmtTime(hover)}</div>
          {series.map((s) => {
            const pt = s.points.find((p) => p[0] === hover);
            return pt && Number.isFinite(pt[1]) ? (
              <div key={s.name}>
                <i class="dot" style={{ background: serviceColor(s.name) }} /> {s.name}: <b>{format(pt[1])}</b>
              </div>
            ) : null;
          })}
        </div>
      ) : null}
      <div class="legend">
        {series.map((s) => (
          <span key={s.name}>
            <i class="dot" style={{ background: serviceColor(s.name) }} />
            {s.name}
          </span>
        ))}
      </div>
    </div>
  );
}
