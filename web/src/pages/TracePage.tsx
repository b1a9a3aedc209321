/**
 * @module pages/TracePage
 * One trace: header (root, duration, services, spans, errors, hints), toolbar (view,
 * find, hide filters, collapse, critical path, colouring, download), minimap, the
 * waterfall or flame graph, and the span detail pane. A trace still receiving spans is
 * polled and updated in place (selection, collapsed spans and scroll are kept by span id).
 * URL: /trace/<id>?span=&view=flame&zoom=a-b&min=&hide=&find=&cp=0&color=history&c=&depth=
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fetchTempoTrace, fetchTrace, queryInstant, labelValue } from '../api.ts';
import { assignColors } from '../colors.ts';
import { fmtCount, fmtDur, fmtTime, nsToMs } from '../format.ts';
import { criticalPath } from '../model/critical-path.ts';
import { findHints, hintsBySpan, type Hint } from '../model/hints.ts';
import { tempoToOtlpJson, traceJsonToOtlp } from '../model/otlp.ts';
import { durationText } from '../model/query-builder.ts';
import { ancestors, buildRows } from '../model/rows.ts';
import { buildTrace, opKey, type TraceJson, type VTrace } from '../model/trace.ts';
import { setParams, type Route } from '../router.ts';
import { getUpload } from '../uploads.ts';
import { markReady, useShortcuts } from '../keys.ts';
import { CopyButton, ErrorBox, Icon, Kbd, ServiceChip, Spinner, toast } from '../ui/common.tsx';
import { FlameGraph } from '../ui/FlameGraph.tsx';
import { SpanDetail } from '../ui/SpanDetail.tsx';
import { HINT_LABEL, type TraceView, type Usual } from '../ui/trace-view.ts';
import { Minimap, Waterfall } from '../ui/Waterfall.tsx';

const POLL_MS = 2000;
/** A trace whose last span ended this recently may still be growing. */
const RECENT_MS = 120_000;

/** "5ms", "1.5s", "250us" → ns; '' or invalid → 0. */
export function parseDur(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!m) return 0;
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}

function useTrace(id: string, upload: boolean): { json: TraceJson | null | undefined; error: unknown; live: boolean; grew: number } {
  const [json, setJson] = useState<TraceJson | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState(false);
  const [grew, setGrew] = useState(0);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let count = -1;
    let waited = 0;
    setJson(undefined);
    setError(undefined);
    setLive(false);
    const local = getUpload(id);
    if (upload || (local !== undefined && !/^[0-9a-f]{32}$/.test(id))) {
      setJson(local ?? null);
      return;
    }
    let delay = POLL_MS;
    const tick = async () => {
      if (document.hidden) {
        timer = setTimeout(tick, POLL_MS);
        return;
      }
      try {
        const began = performance.now();
        const t = await fetchTrace(id);
        // Big traces cost more to re-read: poll them less often (2 s up to 15 s).
        delay = Math.min(15_000, Math.max(POLL_MS, (performance.now() - began) * 20));
        if (stop) return;
        if (t === undefined) {
          const up = getUpload(id);
          if (up !== undefined) return setJson(up);
          // Not there (yet): its spans may be on their way; look again for a while.
          setJson(null);
          waited += POLL_MS;
          if (waited < 30_000) timer = setTimeout(tick, POLL_MS);
          return;
        }
        if (t.spans.length !== count) {
          if (count >= 0) setGrew((g) => g + (t.spans.length - count));
          count = t.spans.length;
          setJson(t);
        }
        let lastEnd = 0n;
        for (const s of t.spans) if (BigInt(s.endTimeUnixNano) > lastEnd) lastEnd = BigInt(s.endTimeUnixNano);
        const ids = new Set(t.spans.map((s) => s.spanId));
        const incomplete = t.spans.some((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId));
        const recent = Date.now() - nsToMs(lastEnd) < RECENT_MS;
        setLive(recent || incomplete);
        if (recent || incomplete) timer = setTimeout(tick, delay);
      } catch (err) {
        if (!stop) setError(err);
      }
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id, upload]);
  return { json, error, live, grew };
}

/** Usual p50/p95 per operation of this trace's services over the day before it. */
function useHistory(trace: VTrace | undefined, upload: boolean): Map<string, Usual> | null {
  const [history, setHistory] = useState<Map<string, Usual> | null>(null);
  const services = trace?.services.join('\u0000') ?? '';
  useEffect(() => {
    if (trace === undefined || upload) return;
    const ac = new AbortController();
    const end = Math.min(Date.now(), nsToMs(trace.startUnixNano) + 3600_000) / 1000;
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const q = `{ resource.service.name =~ "${trace.services.map(escape).join('|')}" } | quantile_over_time(duration, .5, .95) by (resource.service.name, name)`;
    queryInstant(q, end - 86400, end, ac.signal)
      .then((series) => {
        if (series === undefined) return;
        const m = new Map<string, { p50: number; p95: number }>();
        for (const s of series) {
          const key = opKey({ service: String(labelValue(s.labels, 'resource.service.name') ?? ''), name: String(labelValue(s.labels, 'name') ?? '') });
          const p = Number(labelValue(s.labels, 'p'));
          const e = m.get(key) ?? { p50: 0, p95: 0 };
          if (p === 0.5) e.p50 = s.value * 1e9;
          if (p === 0.95) e.p95 = s.value * 1e9;
          m.set(key, e);
        }
        setHistory(m);
      })
      .catch(() => undefined);
    return () => ac.abort();
    // Re-asked when the set of services changes, not on every new span.
  }, [trace?.traceId, services, upload]);
  return history;
}

function matchesOf(trace: VTrace, find: string): Set<number> {
  const out = new Set<number>();
  const q = find.trim().toLowerCase();
  if (q === '') return out;
  for (const s of trace.spans) {
    if (s.name.toLowerCase().includes(q) || s.service.toLowerCase().includes(q) || s.spanId === q) {
      out.add(s.idx);
      continue;
    }
    for (const [k, v] of Object.entries(s.attributes)) {
      if (k.toLowerCase().includes(q) || String(v).toLowerCase().includes(q)) {
        out.add(s.idx);
        break;
      }
    }
  }
  return out;
}

function download(name: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

function Header({ trace, hints, live, grew, onHint, onService, hidden }: { trace: VTrace; hints: Hint[]; live: boolean; grew: number; onHint: (h: Hint) => void; onService: (s: string) => void; hidden: ReadonlySet<string> }): JSX.Element {
  const perService = new Map<string, [number, number]>();
  for (const s of trace.spans) {
    const e = perService.get(s.service) ?? [0, 0];
    e[0]++;
    if (s.status === 'error') e[1]++;
    perService.set(s.service, e);
  }
  const byKind = new Map<string, Hint[]>();
  for (const h of hints) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h]);
  const root = trace.spans[trace.roots[0]];
  return (
    <header class="panel trace-head" data-testid="trace-header">
      <div class="trace-title">
        <h1>
          <span class="svc">{trace.rootService || root?.service || 'unknown'}</span>
          <span class="sep">:</span>
          <span class="op">{trace.rootName || root?.name || '(no root span)'}</span>
        </h1>
        {live ? (
          <span class="live-badge" title="This trace ended recently or misses spans: it is re-read every 2 s" data-testid="live-trace">
            <span class="live-dot pulsing" /> live{grew > 0 ? ` · +${grew} spans` : ''}
          </span>
        ) : null}
      </div>
      <div class="trace-stats">
        <div class="stat">
          <span class="stat-label">Duration</span>
          <span class="stat-value" data-testid="trace-duration">
            {fmtDur(trace.dur)}
          </span>
        </div>
        <div class="stat">
          <span class="stat-label">Spans</span>
          <span class="stat-value" data-testid="span-count">
            {fmtCount(trace.spans.length)}
          </span>
        </div>
        <div class="stat">
          <span class="stat-label">Services</span>
          <span class="stat-value">{trace.services.length}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Errors</span>
          <span class={`stat-value${trace.errors ? ' err-text' : ''}`}>{trace.errors}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Depth</span>
          <span class="stat-value">{trace.maxDepth + 1}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Started</span>
          <span class="stat-value small">{fmtTime(nsToMs(trace.startUnixNano), true)}</span>
        </div>
        <div class="stat id-stat">
          <span class="stat-label">Trace ID</span>
          <span class="stat-value mono small">
            {trace.traceId} <CopyButton text={trace.traceId} what="trace ID" />
          </span>
        </div>
      </div>
      <div class="trace-services">
        {[...perService].map(([s, [n, e]]) => (
          <ServiceChip key={s} name={s} count={n} errors={e} dim={hidden.has(s)} onClick={() => onService(s)} />
        ))}
        {byKind.size > 0 ? <span class="divider" /> : null}
        {[...byKind].map(([kind, list]) => (
          <button key={kind} type="button" class={`badge hint hint-${kind.replace('+', 'p')} big`} title={list.map((h) => h.text).join('\n')} onClick={() => onHint(list[0])} data-testid={`hint-${kind}`}>
            {HINT_LABEL[kind as Hint['kind']]} ×{list.length}
          </button>
        ))}
      </div>
    </header>
  );
}

export function TracePage({ route }: { route: Route }): JSX.Element {
  // Tempo's search answers drop leading zeros; a short hex id is one of those.
  const id = /^[0-9a-f]{1,31}$/i.test(route.id) ? route.id.toLowerCase().padStart(32, '0') : route.id.toLowerCase();
  const p = route.params;
  const upload = p.get('src') === 'upload';
  const { json, error, live, grew } = useTrace(id, upload);
  const trace = useMemo(() => {
    if (!json) return undefined;
    const t = buildTrace(json);
    assignColors(t.services);
    return t;
  }, [json]);
  useEffect(() => {
    if (trace || json === null || error) markReady();
  }, [trace, json, error]);

  const view = p.get('view') === 'flame' ? 'flame' : 'timeline';
  const selectedId = p.get('span') ?? '';
  const minText = p.get('min') ?? '';
  const minDur = parseDur(minText);
  const hiddenServices = useMemo(() => new Set((p.get('hide') ?? '').split(',').filter(Boolean)), [p.get('hide')]);
  const find = p.get('find') ?? '';
  const cpOn = p.get('cp') !== '0';
  const colorBy = p.get('color') === 'history' ? 'history' : 'service';
  const [collapsedIds, setCollapsedIds] = useState<Set<string>>(() => new Set((p.get('c') ?? '').split(',').filter(Boolean)));
  const [revealedIds, setRevealedIds] = useState<Set<string>>(new Set());
  const [nameWidth, setNameWidth] = useState(0.36);
  const [viewport, setViewport] = useState<[number, number]>([0, 0]);
  const [findDraft, setFindDraft] = useState(find);
  const findInput = useRef<HTMLInputElement>(null);
  const [matchCursor, setMatchCursor] = useState(-1);
  useEffect(() => setFindDraft(find), [find]);

  // Collapse to a depth from the URL once the trace is there.
  const depthParam = p.get('depth');
  useEffect(() => {
    if (!trace || depthParam === null) return;
    const d = Number(depthParam);
    setCollapsedIds(new Set(trace.spans.filter((s) => s.depth >= d && s.children.length > 0).map((s) => s.spanId)));
  }, [trace?.traceId, depthParam]);

  const history = useHistory(trace, upload);
  const cp = useMemo(() => (trace && cpOn ? criticalPath(trace) : null), [trace, cpOn]);
  const hintList = useMemo(() => (trace ? findHints(trace) : []), [trace]);
  const hints = useMemo(() => hintsBySpan(hintList), [hintList]);
  const matches = useMemo(() => (trace ? matchesOf(trace, find) : new Set<number>()), [trace, find]);
  const selected = trace && selectedId ? (trace.byId.get(selectedId) ?? -1) : -1;
  const collapsed = useMemo(() => {
    const out = new Set<number>();
    if (trace) for (const sid of collapsedIds) {
      const i = trace.byId.get(sid);
      if (i !== undefined) out.add(i);
    }
    return out;
  }, [trace, collapsedIds]);
  const revealed = useMemo(() => {
    const out = new Set<number>();
    if (trace) for (const sid of revealedIds) out.add(sid === '' ? -1 : (trace.byId.get(sid) ?? -2));
    return out;
  }, [trace, revealedIds]);
  const rows = useMemo(() => (trace ? buildRows(trace, { collapsed, minDur, hiddenServices, revealed }) : []), [trace, collapsed, minDur, hiddenServices, revealed]);
  const zoom = useMemo((): [number, number] => {
    const dur = trace?.dur || 1;
    const m = /^([\d.]+)-([\d.]+)$/.exec(p.get('zoom') ?? '');
    if (m) {
      const a = Math.max(0, Math.min(1, Number(m[1])));
      const b = Math.max(0, Math.min(1, Number(m[2])));
      if (b > a) return [a * dur, b * dur];
    }
    return [0, dur];
  }, [trace?.dur, p.get('zoom')]);

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
    [trace, rows, cp, hints, history, matches, selected, collapsed, zoom, colorBy, select, toggle],
  );

  const hiddenFn = useCallback((idx: number) => (trace ? trace.spans[idx].dur < minDur || hiddenServices.has(trace.spans[idx].service) : false), [trace, minDur, hiddenServices]);
  const rowOfSelected = selected >= 0 ? rows.findIndex((r) => r.type === 'span' && r.idx === selected) : -1;
  const matchList = useMemo(() => [...matches].sort((a, b) => a - b), [matches]);

  const moveSelection = (delta: number) => {
    if (!v || rows.length === 0) return;
    let r = rowOfSelected < 0 ? (delta > 0 ? -1 : rows.length) : rowOfSelected;
    for (;;) {
      r += delta;
      if (r < 0 || r >= rows.length) return;
      const row = rows[r];
      if (row.type === 'span') return select(row.idx);
    }
  };
  const gotoMatch = (delta: number) => {
    if (matchList.length === 0) return;
    const next = (matchCursor + delta + matchList.length) % matchList.length;
    setMatchCursor(next);
    select(matchList[next]);
  };
  const zoomBy = (factor: number) => {
    if (!v || !trace) return;
    const c = selected >= 0 ? (trace.spans[selected].start + trace.spans[selected].end) / 2 : (zoom[0] + zoom[1]) / 2;
    const half = ((zoom[1] - zoom[0]) * factor) / 2;
    if (factor > 1 && half * 2 >= trace.dur) return v.onZoom(null);
    v.onZoom([Math.max(0, c - half), Math.min(trace.dur, c + half)]);
  };

  useShortcuts({
    j: () => moveSelection(1),
    ArrowDown: () => moveSelection(1),
    k: () => moveSelection(-1),
    ArrowUp: () => moveSelection(-1),
    ArrowLeft: () => {
      if (!trace || selected < 0) return;
      const s = trace.spans[selected];
      if (s.children.length > 0 && !collapsed.has(selected)) toggle(selected);
      else if (s.parent >= 0) select(s.parent);
    },
    ArrowRight: () => {
      if (!trace || selected < 0) return;
      const s = trace.spans[selected];
      if (collapsed.has(selected)) toggle(selected);
      else if (s.children.length > 0) select(s.children[0]);
    },
    Enter: () => selected >= 0 && toggle(selected),
    Escape: (ev) => {
      if ((ev.target as HTMLElement).tagName === 'INPUT') return (ev.target as HTMLElement).blur();
      if (selected >= 0) setParams({ span: undefined });
      else if (p.get('zoom')) setParams({ zoom: undefined });
    },
    '/': () => findInput.current?.focus(),
    n: () => gotoMatch(1),
    N: () => gotoMatch(-1),
    f: () => setParams({ view: view === 'flame' ? undefined : 'flame' }),
    c: () => setParams({ cp: cpOn ? '0' : undefined }),
    h: () => setParams({ color: colorBy === 'history' ? undefined : 'history' }),
    '+': () => zoomBy(0.5),
    '=': () => zoomBy(0.5),
    '-': () => zoomBy(2),
    '0': () => setParams({ zoom: undefined }),
    e: () => setCollapsed(new Set()),
    w: () => trace && setCollapsed(new Set(trace.spans.filter((s) => s.depth >= 1 && s.children.length > 0).map((s) => s.spanId))),
  });

  const onDownload = async () => {
    try {
      const data = upload || getUpload(id) ? traceJsonToOtlp(json as TraceJson) : tempoToOtlpJson(await fetchTempoTrace(id));
      download(`trace-${id}.otlp.json`, data);
    } catch (err) {
      toast(`Download failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  };

  if (error !== undefined) return <div class="page"><ErrorBox error={error} /></div>;
  if (json === undefined) return <div class="page"><Spinner label="Loading trace" /></div>;
  if (json === null || !trace || !v) {
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

  const zoomed = p.get('zoom') !== null;
  const hiddenCount = trace.spans.filter((s) => s.dur < minDur || hiddenServices.has(s.service)).length;
  return (
    <div class="page trace-page">
      <Header
        trace={trace}
        hints={hintList}
        live={live}
        grew={grew}
        hidden={hiddenServices}
        onHint={(h) => select(h.spans[0] ?? h.parent)}
        onService={(s) => {
          const next = new Set(hiddenServices);
          if (next.has(s)) next.delete(s);
          else next.add(s);
          setParams({ hide: [...next].join(',') });
        }}
      />
      <div class="toolbar" role="toolbar" aria-label="Trace view">
        <div class="segmented" role="group" aria-label="View">
          <button type="button" class={view === 'timeline' ? 'on' : ''} aria-pressed={view === 'timeline'} onClick={() => setParams({ view: undefined })}>
            <Icon name="timeline" /> Timeline
          </button>
          <button type="button" class={view === 'flame' ? 'on' : ''} aria-pressed={view === 'flame'} onClick={() => setParams({ view: 'flame' })} data-testid="view-flame">
            <Icon name="flame" /> Flame graph
          </button>
        </div>
        <form
          class="find"
          onSubmit={(e) => {
            e.preventDefault();
            if (findDraft === find) gotoMatch(1);
            else setParams({ find: findDraft });
          }}
        >
          <Icon name="search" />
          <input
            ref={findInput}
            class="input"
            placeholder="Find in trace (/)"
            aria-label="Find in trace"
            value={findDraft}
            onInput={(e) => {
              const val = (e.target as HTMLInputElement).value;
              setFindDraft(val);
              setMatchCursor(-1);
              setParams({ find: val });
            }}
            data-testid="find"
          />
          {find ? (
            <span class="muted small nowrap">
              {matchCursor >= 0 ? `${matchCursor + 1}/` : ''}
              {matches.size} found
            </span>
          ) : null}
        </form>
        <label class="inline" title="Hide spans shorter than this (e.g. 1ms, 500us)">
          Hide &lt;
          <input class={`input tiny${minText && minDur === 0 ? ' invalid' : ''}`} placeholder="1ms" value={minText} onInput={(e) => setParams({ min: (e.target as HTMLInputElement).value })} data-testid="min-dur" />
        </label>
        {hiddenCount > 0 ? <span class="muted small">{fmtCount(hiddenCount)} hidden</span> : null}
        <button type="button" class={`btn toggle${cpOn ? ' on' : ''}`} aria-pressed={cpOn} onClick={() => setParams({ cp: cpOn ? '0' : undefined })} title="Critical path (c): the dark stripe marks what the trace waited for">
          <i class="cp-swatch" aria-hidden="true" /> Critical path
        </button>
        <button type="button" class={`btn toggle${colorBy === 'history' ? ' on' : ''}`} aria-pressed={colorBy === 'history'} onClick={() => setParams({ color: colorBy === 'history' ? undefined : 'history' })} title="Colour spans by how they compare with the usual duration of the same operation (h)">
          vs. usual
        </button>
        <div class="segmented" role="group" aria-label="Collapse">
          <button type="button" onClick={() => setCollapsed(new Set())} title="Expand all (e)">
            Expand
          </button>
          <button type="button" onClick={() => setCollapsed(new Set(trace.spans.filter((s) => s.depth >= 1 && s.children.length > 0).map((s) => s.spanId)))} title="Collapse below the root (w)">
            Collapse
          </button>
        </div>
        {zoomed ? (
          <button type="button" class="btn" onClick={() => setParams({ zoom: undefined })} title="Show the whole trace (0)">
            Reset zoom
          </button>
        ) : null}
        <div class="toolbar-end">
          <a class="btn ghost" href={`/compare?a=${trace.traceId}`} title="Compare with another trace">
            <Icon name="compare" /> Compare
          </a>
          <button type="button" class="btn ghost" onClick={() => void onDownload()} title="Download as OTLP/JSON" data-testid="download">
            <Icon name="download" /> OTLP JSON
          </button>
        </div>
      </div>
      <div class={`trace-body${selected >= 0 ? ' with-detail' : ''}`}>
        <div class="trace-main panel">
          <Minimap v={v} viewport={viewport} />
          {view === 'flame' ? (
            <FlameGraph v={v} hidden={hiddenFn} />
          ) : (
            <Waterfall v={v} nameWidth={nameWidth} onNameWidth={setNameWidth} onViewport={setViewport} scrollToRow={rowOfSelected} />
          )}
        </div>
        {selected >= 0 ? <SpanDetail v={v} onClose={() => setParams({ span: undefined })} /> : null}
      </div>
      <p class="muted small keys-foot">
        <Kbd>j</Kbd>/<Kbd>k</Kbd> spans · <Kbd>←</Kbd>/<Kbd>→</Kbd> collapse/expand · <Kbd>/</Kbd> find, <Kbd>n</Kbd> next · <Kbd>f</Kbd> flame · <Kbd>c</Kbd> critical path · <Kbd>+</Kbd>/<Kbd>-</Kbd>/<Kbd>0</Kbd> zoom ·
        drag the axis or minimap to zoom · <Kbd>Esc</Kbd> close
      </p>
      {minText && minDur > 0 ? <span class="sr-only">hiding spans shorter than {durationText(minDur)}</span> : null}
    </div>
  );
}
