/**
 * @module ui/Scatter
 * Search results as duration over time: one dot per trace (log-scaled duration), in
 * its root service's colour, errors as red dots with a ring; each dot is a link to the
 * trace (click, or Tab and Enter).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ERROR_COLOR, serviceColor } from '../colors.ts';
import { fmtDur, fmtTime } from '../format.ts';
import { traceHref } from '../router.ts';
import { useWidth } from './common.tsx';

export interface ScatterPoint {
  readonly id: string;
  /** Unix ms. */
  readonly t: number;
  /** ns. */
  readonly dur: number;
  readonly service: string;
  readonly name: string;
  readonly errors: number;
  readonly fresh?: boolean;
}


const DECADES = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
const decade = (ns: number): string => (ns >= 1e9 ? `${ns / 1e9} s` : ns >= 1e6 ? `${ns / 1e6} ms` : `${ns / 1e3} µs`);

export function Scatter({ points, startMs, endMs, height = 180 }: { points: readonly ScatterPoint[]; startMs: number; endMs: number; height?: number }): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<ScatterPoint | null>(null);
  const padL = 56;
  const padR = 16;
  const padT = 12;
  const padB = 24;
  const w = Math.max(200, width);
  const durs = points.map((p) => Math.max(p.dur, 1e3));
  let lo = durs.length ? Math.min(...durs) : 1e6;
  let hi = durs.length ? Math.max(...durs) : 1e9;
  lo = 10 ** Math.floor(Math.log10(lo));
  hi = 10 ** Math.ceil(Math.log10(hi));
  if (hi / lo < 100) lo = hi / 100;
  const ts = points.map((p) => p.t);
  let t0 = ts.length ? Math.min(...ts) : startMs;
  let t1 = ts.length ? Math.max(...ts) : endMs;
  const padT0 = Math.max((t1 - t0) * 0.04, 30_000);
  t0 = Math.max(startMs, t0 - padT0);
  t1 = Math.min(Math.max(endMs, t0 + 1), t1 + padT0);
  if (t1 <= t0) t1 = t0 + 60_000;
  const x = (t: number): number => padL + ((t - t0) / (t1 - t0)) * (w - padL - padR);
  const y = (d: number): number => padT + (1 - (Math.log10(Math.max(d, 1e3)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (height - padT - padB);
  const xticks: number[] = [];
  const steps = [1e3, 5e3, 15e3, 30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];
  const step = steps.find((s) => (t1 - t0) / s <= Math.max(2, Math.floor(w / 110))) ?? 86400e3;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) xticks.push(t);
  return (
    <div class="scatter" ref={ref} data-testid="scatter">
      <svg width={w} height={height} role="group" aria-label="Trace durations over time">
        {DECADES.filter((d) => d >= lo && d <= hi).map((d) => (
          <g key={d}>
            <line class="grid" x1={padL} x2={w - padR} y1={y(d)} y2={y(d)} />
            <text class="axis" x={padL - 8} y={y(d) + 4} text-anchor="end">
              {decade(d)}
            </text>
          </g>
        ))}
        {xticks.map((t) => (
          <text key={t} class="axis" x={x(t)} y={height - 6} text-anchor="middle">
            {fmtTime(t).replace(/:00$/, '')}
          </text>
        ))}
        {points.map((p) => (
          <a
            key={p.id}
            href={traceHref(p.id)}
            aria-label={`${p.service}: ${p.name}, ${fmtDur(p.dur)}${p.errors ? `, ${p.errors} errors` : ''}`}
            onMouseEnter={() => setHover(p)}
            onMouseLeave={() => setHover(null)}
            onFocus={() => setHover(p)}
            onBlur={() => setHover(null)}
            data-trace={p.id}
          >
            {p.errors > 0 ? <circle cx={x(p.t)} cy={y(p.dur)} r={8} class="dot-ring" stroke={ERROR_COLOR} /> : null}
            <circle
              cx={x(p.t)}
              cy={y(p.dur)}
              r={p.fresh ? 6.5 : 5}
              class={`dot${p.fresh ? ' fresh' : ''}`}
              fill={p.errors > 0 ? ERROR_COLOR : serviceColor(p.service)}
            />
          </a>
        ))}
      </svg>
      {hover ? (
        <div class="tooltip" style={{ left: `${Math.min(x(hover.t) + 12, w - 240)}px`, top: `${Math.max(0, y(hover.dur) - 54)}px` }}>
          <div class="tt-title">
            <i class="dot" style={{ background: serviceColor(hover.service) }} /> {hover.service}: {hover.name}
          </div>
          <div>
            <b>{fmtDur(hover.dur)}</b> · {fmtTime(hover.t, true)}
            {hover.errors ? <span class="err-text"> · {hover.errors} errors</span> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
