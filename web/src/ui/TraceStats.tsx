/**
 * @module ui/TraceStats
 * The trace's statistics table (model/stats): per operation or per service, span and
 * error counts, total, average, shortest and longest duration, self time in all and on
 * average, with the share of the trace's duration as a bar. Columns sort; a row shows
 * its spans in the timeline.
 */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { serviceColor } from '../colors.ts';
import { fmtCount, fmtDur, fmtPct } from '../format.ts';
import { sortStats, traceStats, type StatsColumn, type StatsGroup } from '../model/stats.ts';
import type { VTrace } from '../model/trace.ts';

const COLUMNS: ReadonlyArray<[StatsColumn, string, string]> = [
  ['count', 'Spans', 'How many spans'],
  ['errors', 'Errors', 'Spans with status error'],
  ['total', 'Total', 'Summed durations'],
  ['avg', 'Avg', 'Average duration'],
  ['min', 'Min', 'Shortest'],
  ['max', 'Max', 'Longest'],
  ['self', 'Self total', 'Summed self time: duration minus what the children cover'],
  ['selfAvg', 'Self avg', 'Average self time'],
];

export function TraceStats({ trace, onShow }: { trace: VTrace; onShow: (service: string, name: string) => void }): JSX.Element {
  const [by, setBy] = useState<StatsGroup>('operation');
  const [sort, setSort] = useState<[StatsColumn, 'asc' | 'desc']>(['self', 'desc']);
  const all = useMemo(() => traceStats(trace, by), [trace, by]);
  const rows = useMemo(() => sortStats(all, sort[0], sort[1]), [all, sort]);
  const sortBy = (c: StatsColumn) => setSort(([k, d]) => [c, k === c ? (d === 'desc' ? 'asc' : 'desc') : c === 'name' ? 'asc' : 'desc']);
  const head = (c: StatsColumn, label: string, title: string, cls = 'num') => (
    <th key={c} class={cls} title={title} aria-sort={sort[0] === c ? (sort[1] === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="th-btn" onClick={() => sortBy(c)}>
        {label}
        <span class="sort-mark">{sort[0] === c ? (sort[1] === 'asc' ? '▲' : '▼') : ''}</span>
      </button>
    </th>
  );
  return (
    <div class="trace-stats-view" data-testid="trace-stats">
      <div class="view-head">
        <div class="segmented" role="group" aria-label="Group by">
          <button type="button" class={by === 'operation' ? 'on' : ''} aria-pressed={by === 'operation'} onClick={() => setBy('operation')} data-testid="stats-by-operation">
            Per operation
          </button>
          <button type="button" class={by === 'service' ? 'on' : ''} aria-pressed={by === 'service'} onClick={() => setBy('service')} data-testid="stats-by-service">
            Per service
          </button>
        </div>
        <span class="muted small">
          {fmtCount(rows.length)} {by === 'operation' ? 'operations' : 'services'} · self time is a span's duration minus what its children cover · click a row for its spans
        </span>
      </div>
      <div class="table-scroll">
        <table class="results stats-table">
          <thead>
            <tr>
              {head('name', by === 'operation' ? 'Service: operation' : 'Service', 'Sort by name', '')}
              {COLUMNS.map(([c, label, title]) => head(c, label, title))}
              <th class="share-col" title="Self time as a share of the trace's duration">
                Self share
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} onClick={() => onShow(r.service, r.name)} data-op={r.name === '' ? r.service : `${r.service}: ${r.name}`}>
                <td>
                  <i class="dot" style={{ background: serviceColor(r.service) }} /> <span class={r.name ? 'muted' : ''}>{r.service}</span>
                  {r.name ? <>: {r.name}</> : null}
                </td>
                <td class="num">{fmtCount(r.count)}</td>
                <td class="num">{r.errors > 0 ? <span class="err-badge">{r.errors}</span> : <span class="muted">0</span>}</td>
                <td class="num mono">{fmtDur(r.total)}</td>
                <td class="num mono">{fmtDur(r.avg)}</td>
                <td class="num mono">{fmtDur(r.min)}</td>
                <td class="num mono">{fmtDur(r.max)}</td>
                <td class="num mono">{fmtDur(r.self)}</td>
                <td class="num mono">{fmtDur(r.selfAvg)}</td>
                <td class="share-col">
                  <span class="share-bar" title={fmtPct(r.selfShare)}>
                    <i style={{ width: `${Math.min(100, r.selfShare * 100)}%`, background: serviceColor(r.service) }} />
                  </span>
                  <span class="small mono">{fmtPct(r.selfShare)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
