/**
 * @module data/trace-page
 * The trace page's state: the trace and its derived views (rows, critical path, hints,
 * matches of the find box and the span filters), read from the URL and written back to
 * it, with the actions the page's parts call. The page only draws what this returns.
 * URL: /trace/<id>?span=&view=flame|stats|graph|json&zoom=a-b&min=&hide=&find=&sf=&only=1&cp=0&color=history&c=&depth=
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { assignColors } from '../colors.ts';
import { criticalPath } from '../model/critical-path.ts';
import { findHints, hintsBySpan, type Hint } from '../model/hints.ts';
import { parseDuration } from '../model/query-builder.ts';
import { ancestors, buildRows, hiddenBy } from '../model/rows.ts';
import { applyFilters, filtersParam, findText, parseFilters, type FilterResult, type SpanFilter } from '../model/span-filter.ts';
import { buildTrace, type VTrace } from '../model/trace.ts';
import { setParams, type Route } from '../router.ts';
import { markReady } from '../keys.ts';
import type { TraceView } from '../ui/trace-view.ts';
import { placeLogs, type LogRecord, type TraceLogs } from '../model/logs.ts';
import { useTraceLogs } from './trace-logs.ts';
import { useHistory, useTraceJson, type TraceData } from './trace.ts';

export type TraceViewKind = 'timeline' | 'flame' | 'stats' | 'graph' | 'json';
const VIEWS: readonly TraceViewKind[] = ['timeline', 'flame', 'stats', 'graph', 'json'];

export interface TracePageState extends TraceData {
  readonly id: string;
  readonly upload: boolean;
  readonly trace: VTrace | undefined;
  /** Everything the waterfall, flame graph, minimap and detail draw; undefined until the trace is there. */
  readonly v: TraceView | undefined;
  readonly view: TraceViewKind;
  readonly hints: Hint[];
  readonly hiddenServices: ReadonlySet<string>;
  /** The "hide shorter than" text and its value in ns (0: invalid or empty). */
  readonly minText: string;
  readonly minDur: number;
  /** Spans the hiding filter leaves out. */
  readonly hiddenCount: number;
  readonly isHidden: (idx: number) => boolean;
  readonly find: string;
  readonly filters: SpanFilter[];
  readonly filterResult: FilterResult;
  readonly onlyMatches: boolean;
  /** Position in the match list after n / N, -1 before. */
  readonly matchCursor: number;
  readonly cpOn: boolean;
  readonly colorBy: 'service' | 'history';
  readonly zoomed: boolean;
  /** The row of the selected span, -1 when none is shown. */
  readonly rowOfSelected: number;
  /** The trace's log records on its spans and time line; undefined until read (or for a file). */
  readonly logs: TraceLogs<LogRecord> | undefined;
  /** The trace has more records than were read. */
  readonly logsMore: boolean;
}

export interface TracePageActions {
  readonly select: (idx: number) => void;
  readonly toggle: (idx: number) => void;
  readonly expandAll: () => void;
  readonly collapseAll: () => void;
  readonly moveSelection: (delta: number) => void;
  readonly gotoMatch: (delta: number) => void;
  readonly setFind: (text: string) => void;
  readonly setFilters: (filters: readonly SpanFilter[]) => void;
  /** Shows the spans of an operation (or a service when name is '') in the timeline. */
  readonly showOperation: (service: string, name: string) => void;
  readonly zoomBy: (factor: number) => void;
  readonly toggleService: (service: string) => void;
}

/** Tempo's search answers drop leading zeros; a short hex id is one of those. */
export const normalizeTraceId = (id: string): string => (/^[0-9a-f]{1,31}$/i.test(id) ? id.toLowerCase().padStart(32, '0') : id.toLowerCase());

const NO_LOGS: TraceView['logs'] = new Map();

const idSet = (text: string | null): Set<string> => new Set((text ?? '').split(',').filter(Boolean));

export function useTracePage(route: Route): [TracePageState, TracePageActions] {
  const id = normalizeTraceId(route.id);
  const p = route.params;
  const upload = p.get('src') === 'upload';
  const data = useTraceJson(id, upload);
  const { json, error } = data;
  const trace = useMemo(() => {
    if (!json) return undefined;
    const t = buildTrace(json);
    assignColors(t.services);
    return t;
  }, [json]);
  useEffect(() => {
    if (trace || json === null || error) markReady();
  }, [trace, json, error]);

  const viewParam = p.get('view') as TraceViewKind | null;
  const view = viewParam !== null && VIEWS.includes(viewParam) ? viewParam : 'timeline';
  const selectedId = p.get('span') ?? '';
  const minText = p.get('min') ?? '';
  const minDur = parseDuration(minText) ?? 0;
  const hideParam = p.get('hide');
  const hiddenServices = useMemo(() => idSet(hideParam), [hideParam]);
  const find = p.get('find') ?? '';
  const sf = p.get('sf');
  const filters = useMemo(() => parseFilters(sf), [sf]);
  const onlyMatches = p.get('only') === '1';
  const cpOn = p.get('cp') !== '0';
  const colorBy = p.get('color') === 'history' ? 'history' : 'service';
  const zoomParam = p.get('zoom');
  const [collapsedIds, setCollapsedIds] = useState<Set<string>>(() => idSet(p.get('c')));
  const [revealedIds, setRevealedIds] = useState<Set<string>>(new Set());
  const [matchCursor, setMatchCursor] = useState(-1);

  // Collapse to a depth from the URL once the trace is there.
  const depthParam = p.get('depth');
  useEffect(() => {
    if (!trace || depthParam === null) return;
    const d = Number(depthParam);
    setCollapsedIds(new Set(trace.spans.filter((s) => s.depth >= d && s.children.length > 0).map((s) => s.spanId)));
  }, [trace?.traceId, depthParam]);

  const history = useHistory(trace, upload);
  const logData = useTraceLogs(id, json, upload);
  const logs = useMemo(() => (trace && logData.logs ? placeLogs(trace, logData.logs) : undefined), [trace, logData.logs]);
  const cp = useMemo(() => (trace && cpOn ? criticalPath(trace) : null), [trace, cpOn]);
  const hintList = useMemo(() => (trace ? findHints(trace) : []), [trace]);
  const hints = useMemo(() => hintsBySpan(hintList), [hintList]);
  const found = useMemo(() => (trace ? findText(trace, find) : undefined), [trace, find]);
  const filterResult = useMemo((): FilterResult => (trace ? applyFilters(trace, filters) : { matches: undefined, errors: [] }), [trace, filters]);
  const matches = useMemo(() => {
    const f = filterResult.matches;
    if (found === undefined) return f ?? new Set<number>();
    return f === undefined ? found : new Set([...found].filter((i) => f.has(i)));
  }, [found, filterResult]);
  const searching = found !== undefined || filterResult.matches !== undefined;
  const selected = trace && selectedId ? (trace.byId.get(selectedId) ?? -1) : -1;
  const collapsed = useMemo(() => toIndexes(trace, collapsedIds), [trace, collapsedIds]);
  const revealed = useMemo(() => {
    const out = new Set<number>();
    if (trace) for (const sid of revealedIds) out.add(sid === '' ? -1 : (trace.byId.get(sid) ?? -2));
    return out;
  }, [trace, revealedIds]);
  const only = onlyMatches && searching ? matches : undefined;
  const rows = useMemo(() => (trace ? buildRows(trace, { collapsed, minDur, hiddenServices, revealed, only }) : []), [trace, collapsed, minDur, hiddenServices, revealed, only]);
  const isHidden = useMemo(() => (trace ? hiddenBy(trace, { minDur, hiddenServices, only }) : undefined) ?? (() => false), [trace, minDur, hiddenServices, only]);
  const hiddenCount = useMemo(() => (trace ? trace.spans.reduce((n, s) => n + (isHidden(s.idx) ? 1 : 0), 0) : 0), [trace, isHidden]);
  const zoom = useMemo((): [number, number] => {
    const dur = trace?.dur || 1;
    const m = /^([\d.]+)-([\d.]+)$/.exec(zoomParam ?? '');
    if (m) {
      const a = Math.max(0, Math.min(1, Number(m[1])));
      const b = Math.max(0, Math.min(1, Number(m[2])));
      if (b > a) return [a * dur, b * dur];
    }
    return [0, dur];
  }, [trace?.dur, zoomParam]);

  const setCollapsed = useCallback((next: Set<string>) => {
    setCollapsedIds(next);
    setParams({ c: next.size > 0 && next.size <= 100 ? [...next].join(',') : undefined, depth: undefined });
  }, []);

  const select = useCallback(
    (idx: number) => {
      if (!trace) return;
      const s = trace.spans[idx];
      if (s === undefined) return setParams({ span: undefined });
      // Open the way to it.
      const blocked = ancestors(trace, idx).filter((a) => collapsed.has(a));
      if (blocked.length > 0) {
        const next = new Set(collapsedIds);
        for (const a of blocked) next.delete(trace.spans[a].spanId);
        setCollapsed(next);
      }
      setParams({ span: s.spanId });
    },
    [trace, collapsed, collapsedIds],
  );

  const toggle = useCallback(
    (idx: number) => {
      if (!trace) return;
      const sid = trace.spans[idx].spanId;
      const next = new Set(collapsedIds);
      if (next.has(sid)) next.delete(sid);
      else next.add(sid);
      setCollapsed(next);
    },
    [trace, collapsedIds],
  );

  const v: TraceView | undefined = useMemo(
    () =>
      trace && {
        trace,
        rows,
        cp,
        hints,
        history,
        matches,
        selected,
        logs: logs?.bySpan ?? NO_LOGS,
        collapsed,
        zoom,
        colorBy,
        onSelect: select,
        onToggle: toggle,
        onReveal: (parent: number) => setRevealedIds((old) => new Set([...old, parent < 0 ? '' : trace.spans[parent].spanId])),
        onZoom: (z: readonly [number, number] | null) => {
          const dur = trace.dur || 1;
          setParams({ zoom: z === null ? undefined : `${(z[0] / dur).toFixed(5)}-${(z[1] / dur).toFixed(5)}` });
        },
      },
    [trace, rows, cp, hints, history, matches, selected, logs, collapsed, zoom, colorBy, select, toggle],
  );

  const rowOfSelected = selected >= 0 ? rows.findIndex((r) => r.type === 'span' && r.idx === selected) : -1;
  const matchList = useMemo(() => [...matches].sort((a, b) => a - b), [matches]);

  const actions: TracePageActions = {
    select,
    toggle,
    expandAll: () => setCollapsed(new Set()),
    collapseAll: () => trace && setCollapsed(new Set(trace.spans.filter((s) => s.depth >= 1 && s.children.length > 0).map((s) => s.spanId))),
    moveSelection: (delta) => {
      if (rows.length === 0) return;
      let r = rowOfSelected < 0 ? (delta > 0 ? -1 : rows.length) : rowOfSelected;
      for (;;) {
        r += delta;
        if (r < 0 || r >= rows.length) return;
        const row = rows[r];
        if (row.type === 'span') return select(row.idx);
      }
    },
    gotoMatch: (delta) => {
      if (matchList.length === 0) return;
      const next = (matchCursor + delta + matchList.length) % matchList.length;
      setMatchCursor(next);
      select(matchList[next]);
    },
    setFind: (text) => {
      setMatchCursor(-1);
      setParams({ find: text });
    },
    setFilters: (next) => {
      setMatchCursor(-1);
      setParams({ sf: filtersParam(next) });
    },
    showOperation: (service, name) => {
      setMatchCursor(-1);
      const next: SpanFilter[] = [{ key: 'service', op: '=', value: service }];
      if (name !== '') next.push({ key: 'name', op: '=', value: name });
      setParams({ view: undefined, sf: filtersParam(next), find: undefined }, true);
    },
    zoomBy: (factor) => {
      if (!v || !trace) return;
      const c = selected >= 0 ? (trace.spans[selected].start + trace.spans[selected].end) / 2 : (zoom[0] + zoom[1]) / 2;
      const half = ((zoom[1] - zoom[0]) * factor) / 2;
      if (factor > 1 && half * 2 >= trace.dur) return v.onZoom(null);
      v.onZoom([Math.max(0, c - half), Math.min(trace.dur, c + half)]);
    },
    toggleService: (s) => {
      const next = new Set(hiddenServices);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      setParams({ hide: [...next].join(',') });
    },
  };

  const state: TracePageState = {
    ...data,
    id,
    upload,
    trace,
    v,
    view,
    hints: hintList,
    hiddenServices,
    minText,
    minDur,
    hiddenCount,
    isHidden,
    find,
    filters,
    filterResult,
    onlyMatches,
    matchCursor,
    cpOn,
    colorBy,
    zoomed: zoomParam !== null,
    rowOfSelected,
    logs,
    logsMore: logData.more,
  };
  return [state, actions];
}

function toIndexes(trace: VTrace | undefined, ids: ReadonlySet<string>): Set<number> {
  const out = new Set<number>();
  if (trace) {
    for (const sid of ids) {
      const i = trace.byId.get(sid);
      if (i !== undefined) out.add(i);
    }
  }
  return out;
}
