/**
 * @module pages/SearchPage
 * Find traces: the filter form (it writes the TraceQL), the TraceQL editor, the time
 * range, live mode; results as a duration-over-time scatter plot and a sortable table.
 * URL: /search?q=&range=|from=&to=&live=1&sort=&dir=&limit=
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { anyTraces, searchTraces, tagValues, tagScopes, type SearchTrace } from '../api.ts';
import { assignColors, serviceColor } from '../colors.ts';
import { fmtAgo, fmtCount, fmtDur, fmtTime, nsToMs } from '../format.ts';
import { EMPTY_FORM, formToTraceQL, isDuration, traceqlToForm, type AttrFilter, type SearchForm } from '../model/query-builder.ts';
import { navigate, setParams, traceHref, type Route } from '../router.ts';
import { ErrorBox, Icon, Kbd, SendSpansHelp, ServiceChip, Spinner } from '../ui/common.tsx';
import { QueryEditor } from '../ui/QueryEditor.tsx';
import { Scatter, type ScatterPoint } from '../ui/Scatter.tsx';
import { resolveRange, TimeRangePicker } from '../ui/TimeRange.tsx';
import { markReady, useShortcuts, whenReady } from '../keys.ts';

interface Row {
  id: string;
  service: string;
  name: string;
  startMs: number;
  dur: number;
  spans: number;
  errors: number;
  services: Array<[string, number, number]>;
}

function toRow(t: SearchTrace): Row {
  const stats = Object.entries(t.serviceStats ?? {});
  return {
    // Tempo's search JSON drops an id's leading zeros.
    id: t.traceID.toLowerCase().padStart(32, '0'),
    service: t.rootServiceName || '<root span not yet received>',
    name: t.rootTraceName ?? '',
    startMs: nsToMs(t.startTimeUnixNano),
    dur: (t.durationMs ?? 0) * 1e6,
    spans: stats.reduce((n, [, s]) => n + s.spanCount, 0),
    errors: stats.reduce((n, [, s]) => n + (s.errorCount ?? 0), 0),
    services: stats.map(([name, s]) => [name, s.spanCount, s.errorCount ?? 0] as [string, number, number]).sort((a, b) => b[1] - a[1]),
  };
}

type SortKey = 'start' | 'duration' | 'spans' | 'errors' | 'service';
const COLUMNS: Array<[SortKey, string]> = [
  ['service', 'Trace'],
  ['start', 'Start'],
  ['duration', 'Duration'],
  ['spans', 'Spans'],
  ['errors', 'Errors'],
];

function sortRows(rows: Row[], key: SortKey, dir: 'asc' | 'desc'): Row[] {
  const val = (r: Row): number | string =>
    key === 'start' ? r.startMs : key === 'duration' ? r.dur : key === 'spans' ? r.spans : key === 'errors' ? r.errors : `${r.service}\u0000${r.name}`;
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign || b.startMs - a.startMs;
  });
}

// ---------------------------------------------------------------- the form

function useTagValues(tag: string, q?: string): string[] {
  const [values, setValues] = useState<string[]>([]);
  useEffect(() => {
    if (tag === '') return setValues([]);
    const ac = new AbortController();
    // After the first results: the lists are for the next query, not this one.
    const t = setTimeout(() => {
      whenReady
        .then(() => tagValues(tag, q, ac.signal))
        .then((v) => setValues(v.map((x) => x.value).sort()))
        .catch(() => undefined);
    }, 150);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [tag, q]);
  return values;
}

function scopedKey(key: string): string {
  const k = key.trim();
  if (/^(span|resource|event|link|instrumentation)\./.test(k) || k.startsWith('.')) return k;
  return `.${k}`;
}

function AttrRow({ a, onChange, onRemove }: { a: AttrFilter; onChange: (a: AttrFilter) => void; onRemove: () => void }): JSX.Element {
  const values = useTagValues(a.key.trim() && /^[\w."-]+$/.test(a.key.trim()) ? scopedKey(a.key) : '');
  const listId = `vals-${a.key.replace(/\W/g, '_')}`;
  return (
    <div class="attr-row">
      <input class="input" list="tb-tags" placeholder="attribute, e.g. http.route" aria-label="Attribute name" value={a.key} onInput={(e) => onChange({ ...a, key: (e.target as HTMLInputElement).value })} />
      <select class="input op" aria-label="Operator" value={a.op} onChange={(e) => onChange({ ...a, op: (e.target as HTMLSelectElement).value as AttrFilter['op'] })}>
        {['=', '!=', '=~', '!~', '>', '<', '>=', '<='].map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <input class="input" list={listId} placeholder="value" aria-label="Attribute value" value={a.value} onInput={(e) => onChange({ ...a, value: (e.target as HTMLInputElement).value })} />
      <datalist id={listId}>
        {values.slice(0, 200).map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <button type="button" class="btn-icon" aria-label="Remove attribute filter" onClick={onRemove}>
        <Icon name="close" size={14} />
      </button>
    </div>
  );
}

function FilterForm({ form, onChange }: { form: SearchForm; onChange: (f: SearchForm) => void }): JSX.Element {
  const services = useTagValues('resource.service.name');
  const names = useTagValues('name', form.service ? `{ resource.service.name = ${JSON.stringify(form.service)} }` : undefined);
  const [tags, setTags] = useState<string[]>([]);
  useEffect(() => {
    whenReady
      .then(() => tagScopes())
      .then((scopes) =>
        setTags(
          scopes
            .filter((s) => s.name === 'span' || s.name === 'resource')
            .flatMap((s) => s.tags.map((t) => `${s.name}.${t}`))
            .sort(),
        ),
      )
      .catch(() => undefined);
  }, []);
  const set = (patch: Partial<SearchForm>) => onChange({ ...form, ...patch });
  return (
    <div class="filter-form" role="group" aria-label="Filters">
      <label class="field">
        <span>Service</span>
        <select class="input" value={form.service} onChange={(e) => set({ service: (e.target as HTMLSelectElement).value, name: '' })} data-testid="f-service">
          <option value="">Any service</option>
          {[...new Set([...services, form.service].filter(Boolean))].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Span name</span>
        <input class="input" list="tb-names" placeholder="Any" value={form.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} data-testid="f-name" />
        <datalist id="tb-names">
          {names.slice(0, 300).map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </label>
      <label class="field narrow">
        <span>Duration ≥</span>
        <input
          class={`input${isDuration(form.minDuration) ? '' : ' invalid'}`}
          placeholder="e.g. 1s"
          value={form.minDuration}
          onInput={(e) => set({ minDuration: (e.target as HTMLInputElement).value })}
          data-testid="f-min"
        />
      </label>
      <label class="field narrow">
        <span>Duration ≤</span>
        <input class={`input${isDuration(form.maxDuration) ? '' : ' invalid'}`} placeholder="e.g. 5s" value={form.maxDuration} onInput={(e) => set({ maxDuration: (e.target as HTMLInputElement).value })} />
      </label>
      <label class="field narrow">
        <span>Status</span>
        <select class="input" value={form.status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value as SearchForm['status'] })} data-testid="f-status">
          <option value="">Any</option>
          <option value="error">error</option>
          <option value="ok">ok</option>
          <option value="unset">unset</option>
        </select>
      </label>
      <div class="field attrs">
        <span>Attributes</span>
        {form.attrs.map((a, i) => (
          <AttrRow
            key={i}
            a={a}
            onChange={(na) => set({ attrs: form.attrs.map((x, j) => (j === i ? na : x)) })}
            onRemove={() => set({ attrs: form.attrs.filter((_, j) => j !== i) })}
          />
        ))}
        <button type="button" class="btn ghost small" onClick={() => set({ attrs: [...form.attrs, { key: '', op: '=', value: '' }] })}>
          + attribute
        </button>
      </div>
      <datalist id="tb-tags">
        {tags.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
    </div>
  );
}

// ---------------------------------------------------------------- the page

const LIVE_MS = 2000;
const FRESH_MS = 15_000;

export function SearchPage({ route }: { route: Route }): JSX.Element {
  const p = route.params;
  const urlQ = p.get('q') ?? '{ }';
  const live = p.get('live') === '1';
  const sort = (p.get('sort') as SortKey | null) ?? 'start';
  const dir = (p.get('dir') as 'asc' | 'desc' | null) ?? 'desc';
  const limit = Number(p.get('limit')) || 100;
  const rangeKey = `${p.get('range') ?? ''}|${p.get('from') ?? ''}|${p.get('to') ?? ''}`;

  const [draft, setDraft] = useState(urlQ);
  const [revision, setRevision] = useState(0);
  /** The query text changed from outside the editor (form, URL). */
  const putDraft = (q: string) => {
    setDraft(q);
    setRevision((r) => r + 1);
  };
  const [form, setForm] = useState<SearchForm>(() => traceqlToForm(urlQ) ?? EMPTY_FORM);
  const [formLinked, setFormLinked] = useState(() => traceqlToForm(urlQ) !== undefined);
  const [rows, setRows] = useState<Row[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [empty, setEmpty] = useState<boolean | undefined>();
  const [fresh, setFresh] = useState<Map<string, number>>(new Map());
  const [updated, setUpdated] = useState(0);
  const [picked, setPicked] = useState<string[]>([]);
  const [cursor, setCursor] = useState(-1);
  const [showForm, setShowForm] = useState(true);
  const focusEditor = useRef<(() => void) | null>(null);
  const known = useRef<Set<string> | null>(null);
  const seq = useRef(0);

  // The URL is the truth: a new q (back button, deep link) resets the editor and form.
  useEffect(() => {
    putDraft(urlQ);
    const f = traceqlToForm(urlQ);
    setFormLinked(f !== undefined);
    if (f !== undefined) setForm(f);
  }, [urlQ]);

  const run = useCallback(
    async (opts: { background?: boolean } = {}) => {
      const id = ++seq.current;
      const w = resolveRange(p);
      if (!opts.background) setLoading(true);
      try {
        const traces = await searchTraces(urlQ, w.startSec, w.endSec, limit);
        if (id !== seq.current) return;
        const next = traces.map(toRow);
        assignColors([...new Set(next.flatMap((r) => r.services.map((s) => s[0])))]);
        const now = Date.now();
        if (known.current !== null && opts.background) {
          const added = next.filter((r) => !known.current?.has(r.id));
          if (added.length > 0) {
            setFresh((old) => {
              const m = new Map([...old].filter(([, t]) => now - t < FRESH_MS));
              for (const r of added) m.set(r.id, now);
              return m;
            });
          }
        }
        known.current = new Set(next.map((r) => r.id));
        setRows(next);
        setError(undefined);
        setUpdated(now);
        if (next.length === 0 && empty === undefined) setEmpty(!(await anyTraces()));
        else if (next.length > 0) setEmpty(false);
      } catch (err) {
        if (id === seq.current) setError(err);
      } finally {
        if (id === seq.current) {
          setLoading(false);
          markReady();
        }
      }
    },
    [urlQ, rangeKey, limit],
  );

  useEffect(() => {
    known.current = null;
    void run();
  }, [run]);

  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => void run({ background: true }), LIVE_MS);
    return () => clearInterval(t);
  }, [live, run]);

  // Empty store: keep looking so the first trace appears without a reload.
  useEffect(() => {
    if (!empty) return;
    const t = setInterval(() => void run({ background: true }), LIVE_MS);
    return () => clearInterval(t);
  }, [empty, run]);

  const submit = (q = draft) => {
    const query = q.trim() === '' ? '{ }' : q;
    if (query === urlQ) void run();
    else setParams({ q: query === '{ }' ? undefined : query }, true);
  };

  const onForm = (f: SearchForm) => {
    setForm(f);
    setFormLinked(true);
    putDraft(formToTraceQL(f));
  };

  const sorted = useMemo(() => (rows === undefined ? [] : sortRows(rows, sort, dir)), [rows, sort, dir]);
  const w = resolveRange(p);
  const maxDur = Math.max(1, ...sorted.map((r) => r.dur));
  const points: ScatterPoint[] = useMemo(
    () => sorted.map((r) => ({ id: r.id, t: r.startMs, dur: r.dur, service: r.service, name: r.name, errors: r.errors, fresh: fresh.has(r.id) })),
    [sorted, fresh],
  );

  const togglePick = (id: string) => setPicked((old) => (old.includes(id) ? old.filter((x) => x !== id) : [...old.slice(-1), id]));

  useShortcuts({
    '/': () => focusEditor.current?.(),
    j: () => setCursor((c) => Math.min(sorted.length - 1, c + 1)),
    k: () => setCursor((c) => Math.max(0, c - 1)),
    Enter: () => cursor >= 0 && sorted[cursor] && navigate(traceHref(sorted[cursor].id)),
    x: () => cursor >= 0 && sorted[cursor] && togglePick(sorted[cursor].id),
    l: () => setParams({ live: live ? undefined : '1' }),
  });

  useEffect(() => {
    if (cursor >= 0) document.querySelector(`[data-row="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);

  const sortBy = (key: SortKey) => setParams({ sort: key === 'start' ? undefined : key, dir: sort === key ? (dir === 'desc' ? 'asc' : undefined) : undefined });

  return (
    <div class="page search-page">
      <section class="panel query-panel">
        <div class="query-head">
          <h1 class="page-title">Search traces</h1>
          <button type="button" class="btn ghost small" onClick={() => setShowForm(!showForm)} aria-expanded={showForm}>
            {showForm ? 'Hide filters' : 'Show filters'}
          </button>
        </div>
        {showForm ? <FilterForm form={form} onChange={onForm} /> : null}
        {showForm && !formLinked ? <p class="muted small">The query below was edited by hand; changing a filter rewrites it.</p> : null}
        <div class="query-row">
          <QueryEditor
            value={draft}
            revision={revision}
            onChange={(v) => {
              setDraft(v);
              setFormLinked(false);
            }}
            onRun={() => submit()}
            focusRef={focusEditor}
          />
          <button type="button" class="btn primary" onClick={() => submit()} data-testid="run">
            <Icon name="search" /> Run
          </button>
        </div>
        <div class="query-tools">
          <TimeRangePicker params={p} />
          <button
            type="button"
            class={`btn toggle${live ? ' on' : ''}`}
            aria-pressed={live}
            onClick={() => setParams({ live: live ? undefined : '1' })}
            data-testid="live"
            title="Live mode: new matching traces appear as they arrive (l)"
          >
            <span class={`live-dot${live ? ' pulsing' : ''}`} /> Live
          </button>
          <label class="inline">
            Limit
            <select class="input small" value={String(limit)} onChange={(e) => setParams({ limit: (e.target as HTMLSelectElement).value === '100' ? undefined : (e.target as HTMLSelectElement).value })}>
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
            {loading ? 'Searching…' : rows !== undefined ? `${fmtCount(rows.length)} trace${rows.length === 1 ? '' : 's'}${rows.length >= limit ? ' (limit reached)' : ''}` : ''}
            {live && updated ? ` · updated ${fmtAgo(updated)}` : ''}
          </span>
        </div>
        {error !== undefined ? <ErrorBox error={error} /> : null}
      </section>

      {empty === true ? (
        <section class="panel">
          <SendSpansHelp />
        </section>
      ) : rows === undefined ? (
        <section class="panel">
          <Spinner label="Searching" />
        </section>
      ) : rows.length === 0 ? (
        <section class="panel no-results" data-testid="no-results">
          <h2>No traces match</h2>
          <p>
            Nothing matched <code>{urlQ}</code> in the {w.label.toLowerCase()}.
          </p>
          <div class="row-gap">
            {p.get('range') !== '7d' ? (
              <button type="button" class="btn" onClick={() => setParams({ range: '7d', from: undefined, to: undefined })}>
                Search the last 7 days
              </button>
            ) : null}
            {urlQ !== '{ }' ? (
              <button type="button" class="btn ghost" onClick={() => setParams({ q: undefined })}>
                Clear the query
              </button>
            ) : null}
          </div>
        </section>
      ) : (
        <>
          <section class="panel chart-panel">
            <Scatter points={points} startMs={w.startSec * 1000} endMs={w.endSec * 1000} />
          </section>
          <section class="panel table-panel">
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
                {sorted.map((r, i) => (
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
                      <input type="checkbox" aria-label="Pick to compare" checked={picked.includes(r.id)} onChange={() => togglePick(r.id)} />
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
        </>
      )}
    </div>
  );
}
