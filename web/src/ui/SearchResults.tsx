/**
 * @module ui/SearchResults
 * The search results: the sortable table (root, start, duration bar, spans, errors,
 * services; a tick picks a trace to compare) and the panel for a query nothing matched.
 */
import type { JSX } from 'preact';
import { serviceColor } from '../colors.ts';
import { fmtAgo, fmtCount, fmtDur, fmtTime } from '../format.ts';
import type { ResultRow, SortKey } from '../model/search-results.ts';
import { navigate, setParams, traceHref } from '../router.ts';
import { Kbd, ServiceChip } from './common.tsx';

const COLUMNS: ReadonlyArray<[SortKey, string]> = [
  ['service', 'Trace'],
  ['start', 'Start'],
  ['duration', 'Duration'],
  ['spans', 'Spans'],
  ['errors', 'Errors'],
];

export interface ResultsTableProps {
  readonly rows: readonly ResultRow[];
  readonly sort: SortKey;
  readonly dir: 'asc' | 'desc';
  /** The rows are a previous query's, shown while this one runs. */
  readonly stale: boolean;
  readonly fresh: ReadonlyMap<string, number>;
  readonly cursor: number;
  readonly picked: readonly string[];
  readonly onPick: (id: string) => void;
}

export function ResultsTable({ rows, sort, dir, stale, fresh, cursor, picked, onPick }: ResultsTableProps): JSX.Element {
  const maxDur = Math.max(1, ...rows.map((r) => r.dur));
  const sortBy = (key: SortKey) => setParams({ sort: key === 'start' ? undefined : key, dir: sort === key ? (dir === 'desc' ? 'asc' : undefined) : undefined });
  return (
    <section class={`panel table-panel${stale ? ' stale' : ''}`} aria-busy={stale}>
      <table class="results" data-testid="results">
        <thead>
          <tr>
            <th class="pick" aria-label="Pick to compare" />
            {COLUMNS.map(([key, label]) => (
              <th key={key} aria-sort={sort === key ? (dir === 'asc' ? 'ascending' : 'descending') : undefined} class={key === 'duration' ? 'dur-col' : ''}>
                <button type="button" class="th-btn" onClick={() => sortBy(key)}>
                  {label}
                  <span class="sort-mark">{sort === key ? (dir === 'asc' ? '▲' : '▼') : ''}</span>
                </button>
              </th>
            ))}
            <th>Services</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr
              key={r.id}
              data-row={i}
              data-trace={r.id}
              class={`${fresh.has(r.id) ? 'fresh' : ''}${i === cursor ? ' cursor' : ''}`}
              onClick={(ev) => {
                if ((ev.target as Element).closest('a,button,input')) return;
                navigate(traceHref(r.id));
              }}
            >
              <td class="pick">
                <input type="checkbox" aria-label="Pick to compare" checked={picked.includes(r.id)} onChange={() => onPick(r.id)} />
              </td>
              <td class="trace-cell">
                <a href={traceHref(r.id)} class="trace-link">
                  <i class="dot" style={{ background: serviceColor(r.service) }} />
                  <span class="svc">{r.service}</span>
                  <span class="op">{r.name}</span>
                </a>
                <span class="id mono">{r.id.slice(0, 12)}</span>
              </td>
              <td class="nowrap">
                {fmtTime(r.startMs)}
                <span class="muted small"> {fmtAgo(r.startMs)}</span>
              </td>
              <td class="dur-col">
                <div class="dur-cell">
                  <span class="mono">{fmtDur(r.dur)}</span>
                  <span class="dur-bar">
                    <i style={{ width: `${Math.max(1, (r.dur / maxDur) * 100)}%` }} class={r.errors ? 'err' : ''} />
                  </span>
                </div>
              </td>
              <td class="num">{fmtCount(r.spans)}</td>
              <td class="num">{r.errors ? <span class="err-badge">{r.errors}</span> : <span class="muted">0</span>}</td>
              <td>
                <div class="services-cell">
                  {r.services.slice(0, 5).map(([s, n, e]) => (
                    <ServiceChip key={s} name={s} count={n} errors={e} />
                  ))}
                  {r.services.length > 5 ? <span class="muted small">+{r.services.length - 5}</span> : null}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small table-foot">
        <Kbd>j</Kbd>/<Kbd>k</Kbd> move · <Kbd>Enter</Kbd> open · <Kbd>x</Kbd> pick for compare · <Kbd>l</Kbd> live · <Kbd>/</Kbd> edit query
      </p>
    </section>
  );
}

/** Nothing matched the query in the range: widen the range, or clear the query. */
export function NoResults({ query, rangeLabel, params }: { query: string; rangeLabel: string; params: URLSearchParams }): JSX.Element {
  return (
    <section class="panel no-results" data-testid="no-results">
      <h2>No traces match</h2>
      <p>
        Nothing matched <code>{query}</code> in the {rangeLabel.toLowerCase()}.
      </p>
      <div class="row-gap">
        {params.get('range') !== '7d' ? (
          <button type="button" class="btn" onClick={() => setParams({ range: '7d', from: undefined, to: undefined })}>
            Search the last 7 days
          </button>
        ) : null}
        {query !== '{ }' ? (
          <button type="button" class="btn ghost" onClick={() => setParams({ q: undefined })}>
            Clear the query
          </button>
        ) : null}
      </div>
    </section>
  );
}
