/**
 * @module pages/SearchPage
 * Find traces: the filter form (it writes the TraceQL), the TraceQL editor, the time
 * range and live mode; results as a duration-over-time scatter plot and a sortable
 * table. The state comes from data/search; this file lays the parts out and binds the
 * keyboard.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useSearch } from '../data/search.ts';
import { fmtAgo, fmtCount } from '../format.ts';
import { sortRows } from '../model/search-results.ts';
import { navigate, setParams, traceHref, type Route } from '../router.ts';
import { useShortcuts } from '../keys.ts';
import { ErrorBox, Icon, SendSpansHelp, Spinner } from '../ui/common.tsx';
import { QueryEditor } from '../ui/QueryEditor.tsx';
import { Scatter, type ScatterPoint } from '../ui/Scatter.tsx';
import { SearchForm } from '../ui/SearchForm.tsx';
import { NoResults, ResultsTable } from '../ui/SearchResults.tsx';
import { TimeRangePicker } from '../ui/TimeRange.tsx';

export function SearchPage({ route }: { route: Route }): JSX.Element {
  const p = route.params;
  const [st, a] = useSearch(route);
  const [picked, setPicked] = useState<string[]>([]);
  const [cursor, setCursor] = useState(-1);
  const [showForm, setShowForm] = useState(true);
  const focusEditor = useRef<(() => void) | null>(null);

  const sorted = useMemo(() => (st.rows === undefined ? [] : sortRows(st.rows, st.sort, st.dir)), [st.rows, st.sort, st.dir]);
  const points: ScatterPoint[] = useMemo(
    () => sorted.map((r) => ({ id: r.id, t: r.startMs, dur: r.dur, service: r.service, name: r.name, errors: r.errors, fresh: st.fresh.has(r.id) })),
    [sorted, st.fresh],
  );
  const togglePick = (id: string) => setPicked((old) => (old.includes(id) ? old.filter((x) => x !== id) : [...old.slice(-1), id]));

  useShortcuts({
    '/': () => focusEditor.current?.(),
    j: () => setCursor((c) => Math.min(sorted.length - 1, c + 1)),
    k: () => setCursor((c) => Math.max(0, c - 1)),
    Enter: () => cursor >= 0 && sorted[cursor] && navigate(traceHref(sorted[cursor].id)),
    x: () => cursor >= 0 && sorted[cursor] && togglePick(sorted[cursor].id),
    l: () => setParams({ live: st.live ? undefined : '1' }),
  });
  useEffect(() => {
    if (cursor >= 0) document.querySelector(`[data-row="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);

  const count = st.rows !== undefined && !st.stale ? `${fmtCount(st.rows.length)} trace${st.rows.length === 1 ? '' : 's'}${st.rows.length >= st.limit ? ' (limit reached)' : ''}` : '';
  return (
    <div class="page search-page">
      <section class="panel query-panel">
        <div class="query-head">
          <h1 class="page-title">Search traces</h1>
          <button type="button" class="btn ghost small" onClick={() => setShowForm(!showForm)} aria-expanded={showForm}>
            {showForm ? 'Hide filters' : 'Show filters'}
          </button>
        </div>
        {showForm ? <SearchForm form={st.form} onChange={a.setForm} /> : null}
        {showForm && !st.formLinked ? <p class="muted small">The query below was edited by hand; changing a filter rewrites it.</p> : null}
        <div class="query-row">
          <QueryEditor value={st.draft} revision={st.revision} onChange={a.edit} onRun={() => a.submit()} focusRef={focusEditor} />
          <button type="button" class="btn primary" onClick={() => a.submit()} data-testid="run">
            <Icon name="search" /> Run
          </button>
        </div>
        <div class="query-tools">
          <TimeRangePicker params={p} />
          <button
            type="button"
            class={`btn toggle${st.live ? ' on' : ''}`}
            aria-pressed={st.live}
            onClick={() => setParams({ live: st.live ? undefined : '1' })}
            data-testid="live"
            title="Live mode: new matching traces appear as they arrive (l)"
          >
            <span class={`live-dot${st.live ? ' pulsing' : ''}`} /> Live
          </button>
          <label class="inline">
            Limit
            <select class="input small" value={String(st.limit)} onChange={(e) => setParams({ limit: (e.target as HTMLSelectElement).value === '100' ? undefined : (e.target as HTMLSelectElement).value })}>
              {[20, 100, 500, 1000].map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <span class="spacer" />
          {picked.length > 0 ? (
            <button type="button" class="btn" disabled={picked.length < 2} onClick={() => navigate(`/compare?a=${picked[0]}&b=${picked[1]}`)} data-testid="compare">
              <Icon name="compare" /> Compare {picked.length}/2
            </button>
          ) : null}
          <span class="muted small">
            {st.loading ? 'Searching…' : count}
            {st.live && st.updated ? ` · updated ${fmtAgo(st.updated)}` : ''}
          </span>
        </div>
        {st.error !== undefined ? <ErrorBox error={st.error} /> : null}
      </section>

      {st.empty === true ? (
        <section class="panel">
          <SendSpansHelp />
        </section>
      ) : st.rows === undefined ? (
        st.failed ? null : (
          <section class="panel">
            <Spinner label="Searching" />
          </section>
        )
      ) : st.rows.length === 0 ? (
        st.stale ? null : <NoResults query={st.query} rangeLabel={st.window.label} params={p} />
      ) : (
        <>
          <section class={`panel chart-panel${st.stale ? ' stale' : ''}`}>
            <Scatter points={points} startMs={st.window.startSec * 1000} endMs={st.window.endSec * 1000} />
          </section>
          <ResultsTable rows={sorted} sort={st.sort} dir={st.dir} stale={st.stale} fresh={st.fresh} cursor={cursor} picked={picked} onPick={togglePick} />
        </>
      )}
    </div>
  );
}
