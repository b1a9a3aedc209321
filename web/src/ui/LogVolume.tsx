/**
 * @module ui/LogVolume
 * The log-volume histogram: a stacked bar per time bucket, one segment per level (least
 * severe at the bottom, in the level's colour), drawn as SVG. Clicking a bar narrows the
 * time range to it.
 */
import type { JSX } from 'preact';
import { fmtCount, fmtTime } from '../format.ts';
import { volumeBars, type LogVolume as Volume } from '../model/logs.ts';
import { setParams } from '../router.ts';
import { useWidth } from './common.tsx';

const H = 96;
const AXIS = 16;

export function LogVolume({ volume }: { volume: Volume }): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>(900);
  const { bars, max } = volumeBars(volume);
  const barW = width / Math.max(1, bars.length);
  const plot = H - AXIS;
  const total = bars.reduce((n, b) => n + b.total, 0);
  const labelEvery = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(width / 90))));
  return (
    <div class="log-volume" ref={ref} data-testid="log-volume">
      <svg width={width} height={H} role="img" aria-label={`Log volume: ${fmtCount(total)} records${volume.exact ? '' : ' (about)'}`}>
        {bars.map((b, i) => (
          <g key={i} class="vol-bar" onClick={() => b.total > 0 && setParams({ from: Math.floor(b.startMs), to: Math.ceil(b.endMs), range: undefined }, true)}>
            <title>
              {fmtTime(b.startMs)}: {fmtCount(b.total)} record{b.total === 1 ? '' : 's'}
              {b.segments.map((s) => `\n${s.level}: ${fmtCount(s.count)}`).join('')}
            </title>
            <rect class="vol-hit" x={i * barW} y={0} width={barW} height={plot} />
            {b.segments.map((s) => {
              const y0 = plot - (s.below / (max || 1)) * plot;
              const h = (s.count / (max || 1)) * plot;
              return <rect key={s.level} class={`vol-seg lvl-${s.level}`} x={i * barW + 1} y={y0 - h} width={Math.max(1, barW - 2)} height={h} />;
            })}
            {i % labelEvery === 0 ? (
              <text class="vol-label" x={i * barW + 2} y={H - 3}>
                {fmtTime(b.startMs)}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
    </div>
  );
}
