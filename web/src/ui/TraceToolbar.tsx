/**
 * @module ui/TraceToolbar
 * The trace page's toolbar: the view (timeline, flame graph, statistics, graph, JSON),
 * find, span filters, and for the timeline and flame graph the hiding threshold, the
 * critical path, colouring by the usual durations, collapse and zoom; compare and
 * download at the end.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { TracePageActions, TracePageState, TraceViewKind } from '../data/trace-page.ts';
import { fmtCount } from '../format.ts';
import { setParams } from '../router.ts';
import { Icon } from './common.tsx';

const VIEWS: ReadonlyArray<[TraceViewKind, string, string, string]> = [
  ['timeline', 'Timeline', 'timeline', 'Spans on a time axis'],
  ['flame', 'Flame', 'flame', 'Flame graph: spans stacked by depth (f)'],
  ['stats', 'Stats', 'table', 'Count, time and self time per operation or service'],
  ['graph', 'Graph', 'graph', 'Operations and the calls between them'],
  ['json', 'JSON', 'braces', 'The trace as JSON'],
];

export interface TraceToolbarProps {
  readonly state: TracePageState;
  readonly actions: TracePageActions;
  readonly onDownload: () => void;
  readonly findRef: { current: HTMLInputElement | null };
}

export function TraceToolbar({ state: st, actions, onDownload, findRef }: TraceToolbarProps): JSX.Element {
  const [findDraft, setFindDraft] = useState(st.find);
  useEffect(() => setFindDraft(st.find), [st.find]);
  const drawn = st.view === 'timeline' || st.view === 'flame';
  const matchCount = st.v?.matches.size ?? 0;
  const filtering = st.filters.length > 0;
  return (
    <div class="toolbar" role="toolbar" aria-label="Trace view">
      <div class="segmented" role="group" aria-label="View">
        {VIEWS.map(([kind, label, icon, title]) => (
          <button
            key={kind}
            type="button"
            class={st.view === kind ? 'on' : ''}
            aria-pressed={st.view === kind}
            title={title}
            onClick={() => setParams({ view: kind === 'timeline' ? undefined : kind })}
            data-testid={`view-${kind}`}
          >
            <Icon name={icon} /> {label}
          </button>
        ))}
      </div>
      <form
        class="find"
        onSubmit={(e) => {
          e.preventDefault();
          if (findDraft === st.find) actions.gotoMatch(1);
          else actions.setFind(findDraft);
        }}
      >
        <Icon name="search" />
        <input
          ref={findRef}
          class="input"
          placeholder="Find in trace (/)"
          aria-label="Find in trace"
          value={findDraft}
          onInput={(e) => {
            const val = (e.target as HTMLInputElement).value;
            setFindDraft(val);
            actions.setFind(val);
          }}
          data-testid="find"
        />
        {st.find ? (
          <span class="muted small nowrap">
            {st.matchCursor >= 0 ? `${st.matchCursor + 1}/` : ''}
            {matchCount} found
          </span>
        ) : null}
      </form>
      <button
        type="button"
        class={`btn toggle${filtering ? ' on' : ''}`}
        aria-pressed={filtering}
        onClick={() => actions.setFilters(filtering ? [] : [{ key: '', op: '=', value: '' }])}
        title="Filter spans by attribute"
        data-testid="filter-toggle"
      >
        <Icon name="filter" /> Filter{filtering ? ` (${st.filters.length})` : ''}
      </button>
      {drawn ? (
        <>
          <label class="inline" title="Hide spans shorter than this (e.g. 1ms, 500us)">
            Hide &lt;
            <input
              class={`input tiny${st.minText && st.minDur === 0 ? ' invalid' : ''}`}
              placeholder="1ms"
              value={st.minText}
              onInput={(e) => setParams({ min: (e.target as HTMLInputElement).value })}
              data-testid="min-dur"
            />
          </label>
          {st.hiddenCount > 0 ? <span class="muted small">{fmtCount(st.hiddenCount)} hidden</span> : null}
          <button
            type="button"
            class={`btn toggle${st.cpOn ? ' on' : ''}`}
            aria-pressed={st.cpOn}
            onClick={() => setParams({ cp: st.cpOn ? '0' : undefined })}
            title="Critical path (c): the dark stripe marks what the trace waited for"
          >
            <i class="cp-swatch" aria-hidden="true" /> Critical path
          </button>
          <button
            type="button"
            class={`btn toggle${st.colorBy === 'history' ? ' on' : ''}`}
            aria-pressed={st.colorBy === 'history'}
            onClick={() => setParams({ color: st.colorBy === 'history' ? undefined : 'history' })}
            title="Colour spans by how they compare with the usual duration of the same operation (h)"
          >
            vs. usual
          </button>
          <div class="segmented" role="group" aria-label="Collapse">
            <button type="button" onClick={actions.expandAll} title="Expand all (e)">
              Expand
            </button>
            <button type="button" onClick={actions.collapseAll} title="Collapse below the root (w)">
              Collapse
            </button>
          </div>
          {st.zoomed ? (
            <button type="button" class="btn" onClick={() => setParams({ zoom: undefined })} title="Show the whole trace (0)">
              Reset zoom
            </button>
          ) : null}
        </>
      ) : null}
      <div class="toolbar-end">
        <a class="btn-icon" href={`/compare?a=${st.id}`} title="Compare with another trace" aria-label="Compare with another trace">
          <Icon name="compare" />
        </a>
        <button type="button" class="btn-icon" onClick={onDownload} title="Download as OTLP/JSON" aria-label="Download as OTLP/JSON" data-testid="download">
          <Icon name="download" />
        </button>
      </div>
    </div>
  );
}
