/**
 * @module pages/TracePage
 * One trace: header, toolbar, span filters, then the chosen view (timeline with its
 * minimap, flame graph, statistics, graph or JSON) beside the span detail pane, and the
 * trace's log records below them. The
 * state and its actions come from data/trace-page; this file lays the parts out and
 * binds the keyboard. A trace still receiving spans is updated in place.
 */
import type { JSX } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { fetchTempoTrace } from '../api.ts';
import { useTracePage, type TracePageActions, type TracePageState } from '../data/trace-page.ts';
import { tempoToOtlpJson, traceJsonToOtlp } from '../model/otlp.ts';
import { durationText } from '../model/query-builder.ts';
import type { TraceJson as TraceData } from '../model/trace.ts';
import { setParams, type Route } from '../router.ts';
import { createStore } from '../store.ts';
import { getUpload } from '../uploads.ts';
import { useShortcuts } from '../keys.ts';
import { downloadJson, ErrorBox, Kbd, Spinner, toast } from '../ui/common.tsx';
import { FlameGraph } from '../ui/FlameGraph.tsx';
import { TraceLogs } from '../ui/TraceLogs.tsx';
import { SpanDetail } from '../ui/SpanDetail.tsx';
import { SpanFilters } from '../ui/SpanFilters.tsx';
import { TraceGraph } from '../ui/TraceGraph.tsx';
import { TraceHeader } from '../ui/TraceHeader.tsx';
import { TraceJson } from '../ui/TraceJson.tsx';
import { TraceStats } from '../ui/TraceStats.tsx';
import { TraceToolbar } from '../ui/TraceToolbar.tsx';
import { Minimap, Waterfall } from '../ui/Waterfall.tsx';

function useTraceKeys(st: TracePageState, a: TracePageActions, findRef: { current: HTMLInputElement | null }): void {
  const { trace, v } = st;
  const selected = v?.selected ?? -1;
  useShortcuts({
    j: () => a.moveSelection(1),
    ArrowDown: () => a.moveSelection(1),
    k: () => a.moveSelection(-1),
    ArrowUp: () => a.moveSelection(-1),
    ArrowLeft: () => {
      if (!trace || !v || selected < 0) return;
      const s = trace.spans[selected];
      if (s.children.length > 0 && !v.collapsed.has(selected)) a.toggle(selected);
      else if (s.parent >= 0) a.select(s.parent);
    },
    ArrowRight: () => {
      if (!trace || !v || selected < 0) return;
      const s = trace.spans[selected];
      if (v.collapsed.has(selected)) a.toggle(selected);
      else if (s.children.length > 0) a.select(s.children[0]);
    },
    Enter: () => selected >= 0 && a.toggle(selected),
    Escape: (ev) => {
      if ((ev.target as HTMLElement).tagName === 'INPUT') return (ev.target as HTMLElement).blur();
      if (selected >= 0) setParams({ span: undefined });
      else if (st.zoomed) setParams({ zoom: undefined });
    },
    '/': () => findRef.current?.focus(),
    n: () => a.gotoMatch(1),
    N: () => a.gotoMatch(-1),
    f: () => setParams({ view: st.view === 'flame' ? undefined : 'flame' }),
    c: () => setParams({ cp: st.cpOn ? '0' : undefined }),
    h: () => setParams({ color: st.colorBy === 'history' ? undefined : 'history' }),
    '+': () => a.zoomBy(0.5),
    '=': () => a.zoomBy(0.5),
    '-': () => a.zoomBy(2),
    '0': () => setParams({ zoom: undefined }),
    e: a.expandAll,
    w: a.collapseAll,
  });
}

function TraceMissing({ id, upload }: { id: string; upload: boolean }): JSX.Element {
  return (
    <div class="page">
      <section class="panel no-results" data-testid="trace-missing">
        <h2>Trace not found</h2>
        <p>
          No span of trace <code>{id}</code> is stored{upload ? ' in this page' : ''}. If it was just sent, it appears here within a few seconds.
        </p>
        <div class="row-gap">
          <a class="btn" href="/search">
            Search traces
          </a>
          <a class="btn ghost" href="/upload">
            Open a trace file
          </a>
        </div>
      </section>
    </div>
  );
}

export function TracePage({ route }: { route: Route }): JSX.Element {
  const [st, a] = useTracePage(route);
  const findRef = useRef<HTMLInputElement>(null);
  const [nameWidth, setNameWidth] = useState(0.36);
  const viewport = useMemo(() => createStore<readonly [number, number]>([0, 0]), []);
  useTraceKeys(st, a, findRef);
  const { json, trace, v } = st;
  const raw = useMemo(() => {
    const sid = v && v.selected >= 0 ? v.trace.spans[v.selected].spanId : undefined;
    return sid === undefined ? undefined : json?.spans.find((s) => s.spanId === sid);
  }, [json, v?.selected]);

  const onDownload = async () => {
    try {
      const local = st.upload || getUpload(st.id) !== undefined;
      const data = local ? traceJsonToOtlp(json as TraceData) : tempoToOtlpJson(await fetchTempoTrace(st.id));
      downloadJson(`trace-${st.id}.otlp.json`, data);
    } catch (err) {
      toast(`Download failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  };

  if (st.error !== undefined) return <div class="page"><ErrorBox error={st.error} /></div>;
  if (json === undefined) return <div class="page"><Spinner label="Loading trace" /></div>;
  if (json === null || !trace || !v) return <TraceMissing id={st.id} upload={st.upload} />;

  const main =
    st.view === 'timeline' ? (
      <>
        <Minimap v={v} viewport={viewport} />
        <Waterfall v={v} nameWidth={nameWidth} onNameWidth={setNameWidth} viewport={viewport} scrollToRow={st.rowOfSelected} />
      </>
    ) : st.view === 'flame' ? (
      <>
        <Minimap v={v} viewport={viewport} />
        <FlameGraph v={v} hidden={st.isHidden} />
      </>
    ) : st.view === 'stats' ? (
      <TraceStats trace={trace} onShow={a.showOperation} />
    ) : st.view === 'graph' ? (
      <TraceGraph trace={trace} onShow={a.showOperation} />
    ) : (
      <TraceJson json={json} local={st.upload || getUpload(st.id) !== undefined} />
    );
  return (
    <div class="page trace-page">
      <TraceHeader trace={trace} hints={st.hints} live={st.live} grew={st.grew} hidden={st.hiddenServices} onHint={(h) => a.select(h.spans[0] ?? h.parent)} onService={a.toggleService} />
      <TraceToolbar state={st} actions={a} onDownload={() => void onDownload()} findRef={findRef} />
      {st.filters.length > 0 ? <SpanFilters trace={trace} filters={st.filters} result={st.filterResult} matched={v.matches.size} onlyMatches={st.onlyMatches} onChange={a.setFilters} /> : null}
      <div class={`trace-body${v.selected >= 0 ? ' with-detail' : ''}`}>
        <div class={`trace-main panel view-${st.view}`}>{main}</div>
        {v.selected >= 0 ? <SpanDetail v={v} raw={raw} onClose={() => setParams({ span: undefined })} /> : null}
      </div>
      {st.logs !== undefined && st.logs.list.length > 0 ? <TraceLogs trace={trace} logs={st.logs} more={st.logsMore} selected={v.selected} onSelect={a.select} /> : null}
      <p class="muted small keys-foot">
        <Kbd>j</Kbd>/<Kbd>k</Kbd> spans · <Kbd>←</Kbd>/<Kbd>→</Kbd> collapse/expand · <Kbd>/</Kbd> find, <Kbd>n</Kbd> next · <Kbd>f</Kbd> flame · <Kbd>c</Kbd> critical path · <Kbd>+</Kbd>/<Kbd>-</Kbd>/<Kbd>0</Kbd> zoom ·
        drag the axis or minimap to zoom · <Kbd>Esc</Kbd> close
      </p>
      {st.minText && st.minDur > 0 ? <span class="sr-only">hiding spans shorter than {durationText(st.minDur)}</span> : null}
    </div>
  );
}
