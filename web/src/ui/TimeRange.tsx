/**
 * @module ui/TimeRange
 * The time-range picker: relative ranges (last 5 minutes … 7 days, Tempo's longest
 * search window) or a custom from/to, kept in the URL as `range=1h` or `from=&to=`
 * (unix ms).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { setParams } from '../router.ts';

export const RANGES: ReadonlyArray<readonly [string, string, number]> = [
  ['5m', 'Last 5 minutes', 300],
  ['15m', 'Last 15 minutes', 900],
  ['30m', 'Last 30 minutes', 1800],
  ['1h', 'Last 1 hour', 3600],
  ['3h', 'Last 3 hours', 10800],
  ['6h', 'Last 6 hours', 21600],
  ['12h', 'Last 12 hours', 43200],
  ['24h', 'Last 24 hours', 86400],
  ['2d', 'Last 2 days', 172800],
  ['7d', 'Last 7 days', 604800],
];

export interface TimeWindow {
  /** Unix seconds. */
  readonly startSec: number;
  readonly endSec: number;
  readonly label: string;
  /** Relative ranges follow the clock (live mode, refresh). */
  readonly relative: boolean;
}

export function resolveRange(params: URLSearchParams, fallback = '1h'): TimeWindow {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (from > 0 && to > from) {
    const span = Math.min(to - from, 604_800_000);
    return { startSec: (to - span) / 1000, endSec: to / 1000, label: `${fmtLocal(from)} → ${fmtLocal(to)}`, relative: false };
  }
  const key = params.get('range') ?? fallback;
  const r = RANGES.find(([k]) => k === key) ?? RANGES.find(([k]) => k === fallback) ?? RANGES[3];
  const now = Date.now() / 1000;
  return { startSec: now - r[2], endSec: now + 1, label: r[1], relative: true };
}

const pad = (n: number): string => String(n).padStart(2, '0');
/** For <input type="datetime-local">. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function fmtLocal(ms: number): string {
  return toLocalInput(ms).replace('T', ' ');
}

export function TimeRangePicker({ params, fallback = '1h' }: { params: URLSearchParams; fallback?: string }): JSX.Element {
  const [open, setOpen] = useState(false);
  const w = resolveRange(params, fallback);
  const [from, setFrom] = useState(toLocalInput(w.startSec * 1000));
  const [to, setTo] = useState(toLocalInput(w.endSec * 1000));
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (ev: MouseEvent) => {
      if (!ref.current?.contains(ev.target as Node)) setOpen(false);
    };
    const esc = (ev: KeyboardEvent) => ev.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  const current = params.get('from') ? 'custom' : (params.get('range') ?? fallback);
  return (
    <div class="timerange" ref={ref}>
      <button type="button" class="btn" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="timerange">
        <svg class="icon" width="16" height="16" viewBox="0 0 24 24" aria-hidden="true">
          <path fill="currentColor" d="M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm1 3v4.6l3.5 2.1-1 1.7L11 12.7V7h2z" />
        </svg>
        {w.label}
      </button>
      {open ? (
        <div class="popover timerange-pop" role="menu">
          <div class="timerange-list">
            {RANGES.map(([k, label]) => (
              <button
                key={k}
                type="button"
                role="menuitemradio"
                aria-checked={current === k}
                class={current === k ? 'active' : ''}
                onClick={() => {
                  setParams({ range: k, from: undefined, to: undefined });
                  setOpen(false);
                }}
              >
                {label}
              </button>
            ))}
          </div>
          <form
            class="timerange-custom"
            onSubmit={(ev) => {
              ev.preventDefault();
              const f = new Date(from).getTime();
              const t = new Date(to).getTime();
              if (f > 0 && t > f) {
                setParams({ from: f, to: t, range: undefined });
                setOpen(false);
              }
            }}
          >
            <div class="label">Custom range</div>
            <label>
              From <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
            </label>
            <label>
              To <input type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit" class="btn primary">
              Apply
            </button>
            <p class="muted small">At most 7 days.</p>
          </form>
        </div>
      ) : null}
    </div>
  );
}
