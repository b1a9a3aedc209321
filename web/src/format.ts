/**
 * @module format
 * Numbers and times as people read them: durations with 3 significant digits and the
 * unit that fits, times in the browser's zone.
 */

import { humanDuration } from '../../src/analysis/index.ts';

/** ns → "4.20 s", "12.3 ms", "850 µs", "120 ns": the one duration format (src/analysis). */
export const fmtDur = humanDuration;

/** Seconds → duration text. */
export const fmtSec = (s: number | null | undefined): string => (s === null || s === undefined ? '–' : fmtDur(s * 1e9));

/** A rate per second: "3.2/s", "12/min" below 1/s. */
export function fmtRate(perSec: number): string {
  if (!Number.isFinite(perSec) || perSec === 0) return '0/s';
  if (perSec >= 100) return `${perSec.toFixed(0)}/s`;
  if (perSec >= 1) return `${perSec.toFixed(1)}/s`;
  const perMin = perSec * 60;
  if (perMin >= 1) return `${perMin >= 10 ? perMin.toFixed(0) : perMin.toFixed(1)}/min`;
  return `${(perMin * 60).toFixed(1)}/h`;
}

/** The unit a chart of rates reads in: per second, or per minute or hour when the rates are that low. */
export function rateUnit(maxPerSec: number): { readonly label: 'second' | 'minute' | 'hour'; readonly scale: number } {
  if (maxPerSec >= 1 || !(maxPerSec > 0)) return { label: 'second', scale: 1 };
  return maxPerSec * 60 >= 1 ? { label: 'minute', scale: 60 } : { label: 'hour', scale: 3600 };
}

/** A plain number with about 3 significant digits: "0", "0.25", "4.50", "12.5", "340". */
export function fmtNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? '0' : '–';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export const fmtPct = (x: number): string => (x === 0 ? '0%' : x < 0.001 ? '<0.1%' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`);

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Unix ms → "14:03:07.250" today, "Nov 24 14:03:07" otherwise. */
export function fmtTime(ms: number, withMs = false): string {
  const d = new Date(ms);
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMs ? '.' + pad(d.getMilliseconds(), 3) : ''}`;
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()} ${time}`;
}

/** "3 min ago", "2 h ago". */
export function fmtAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Unix ns string → unix ms. */
export const nsToMs = (ns: string | bigint): number => Number(BigInt(ns) / 1_000_000n);

/** A value of a flat attribute as text (strings as they are, the rest as JSON). */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Nice tick steps for an axis of `span` units, about `count` ticks. */
export function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(t);
  return out;
}
