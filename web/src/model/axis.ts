/**
 * @module model/axis
 * A time axis's ticks and which of their labels fit: about one tick per `spacing` pixels,
 * each label starting just right of its tick, or ending just left of it near the right
 * edge; a label that would run into the one before it is left out (its tick stays).
 */
import { ticks } from '../format.ts';

export interface AxisTick {
  readonly value: number;
  /** Position, 0..1 across the axis. */
  readonly at: number;
  /** undefined when the label does not fit. */
  readonly text: string | undefined;
  readonly anchor: 'start' | 'end';
}

export interface AxisOptions {
  /** Pixels wanted between ticks. */
  readonly spacing: number;
  /** Estimated width of a label character, px. */
  readonly charPx: number;
  /** Space between a tick and its label, and between labels, px. */
  readonly gap: number;
}

const DEFAULTS: AxisOptions = { spacing: 110, charPx: 6.4, gap: 4 };

export function axisTicks(lo: number, hi: number, widthPx: number, label: (v: number) => string, options: Partial<AxisOptions> = {}): AxisTick[] {
  const o = { ...DEFAULTS, ...options };
  const count = Math.max(2, Math.floor(widthPx / o.spacing));
  let lastEnd = -Infinity;
  return ticks(lo, hi, count).map((value) => {
    const at = hi > lo ? (value - lo) / (hi - lo) : 0;
    const text = label(value);
    const w = text.length * o.charPx;
    const x = at * widthPx;
    const anchor = x + o.gap + w > widthPx ? 'end' : 'start';
    const from = anchor === 'start' ? x + o.gap : x - o.gap - w;
    if (from < lastEnd + 2 * o.gap || from < 0) return { value, at, text: undefined, anchor };
    lastEnd = from + w;
    return { value, at, text, anchor };
  });
}
