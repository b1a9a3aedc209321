/**
 * @module data/search
 * The search page's state: the query, time range, limit and sort from the URL; the query
 * being edited (text and form, kept in step); the results of the query in the URL, kept
 * per query so a result or an error of one query never shows under another; live mode.
 * URL: /search?q=&range=|from=&to=&live=1&sort=&dir=&limit=
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { anyTraces, searchTraces } from '../api.ts';
import { assignColors } from '../colors.ts';
import { markReady } from '../keys.ts';
import { EMPTY_FORM, formToTraceQL, traceqlToForm, type SearchForm } from '../model/query-builder.ts';
import { SORT_KEYS, toRow, type ResultRow, type SortKey } from '../model/search-results.ts';
import { setParams, type Route } from '../router.ts';
import { resolveRange, type TimeWindow } from '../ui/TimeRange.tsx';

const LIVE_MS = 2000;
/** How long a trace that arrived in live mode stays marked new. */
const FRESH_MS = 15_000;

export interface SearchState {
  /** The query that ran (the URL's). */
  readonly query: string;
  readonly live: boolean;
  readonly sort: SortKey;
  readonly dir: 'asc' | 'desc';
  readonly limit: number;
  readonly window: TimeWindow;
  /** The text in the editor, and a counter bumped when it was set from outside the editor. */
  readonly draft: string;
  readonly revision: number;
  readonly form: SearchForm;
  /** Whether the form still describes the draft (false once the text was edited by hand). */
  readonly formLinked: boolean;
  /**
   * The rows of the query in the URL; while a new query runs, the last query's rows
   * (`stale`); undefined before the first answer and after a failed query.
   */
  readonly rows: ResultRow[] | undefined;
  readonly stale: boolean;
  /** Why the query in the URL failed; undefined once the draft differs from it. */
  readonly error: unknown;
  /** The query in the URL failed (its error may be hidden by an edited draft). */
  readonly failed: boolean;
  readonly loading: boolean;
  /** Nothing stored at all (the empty state instead of "no match"); undefined until known. */
  readonly empty: boolean | undefined;
  /** Trace id → when it arrived, for rows added by live mode. */
  readonly fresh: ReadonlyMap<string, number>;
  /** When live mode last got an answer (unix ms). */
  readonly updated: number;
}

export interface SearchActions {
  /** Runs the draft (or `q`): a new query goes into the URL, the same one runs again. */
  readonly submit: (q?: string) => void;
  /** The editor's text changed by hand. */
  readonly edit: (text: string) => void;
  /** The form changed: it writes the query. */
  readonly setForm: (form: SearchForm) => void;
}

interface Result {
  readonly key: string;
  readonly rows: ResultRow[];
}

interface Failure {
  readonly key: string;
  readonly query: string;
  readonly error: unknown;
}

export function useSearch(route: Route): [SearchState, SearchActions] {
  const p = route.params;
  const query = p.get('q') ?? '{ }';
  const live = p.get('live') === '1';
  const sortParam = p.get('sort') as SortKey | null;
  const sort = sortParam !== null && SORT_KEYS.includes(sortParam) ? sortParam : 'start';
  const dir = p.get('dir') === 'asc' ? 'asc' : 'desc';
  const limit = Number(p.get('limit')) || 100;
  const rangeKey = `${p.get('range') ?? ''}|${p.get('from') ?? ''}|${p.get('to') ?? ''}`;
  const key = `${query}\u0000${rangeKey}\u0000${limit}`;

  const [draft, setDraft] = useState(query);
  const [revision, setRevision] = useState(0);
  const [form, setFormState] = useState<SearchForm>(() => traceqlToForm(query) ?? EMPTY_FORM);
  const [formLinked, setFormLinked] = useState(() => traceqlToForm(query) !== undefined);
  const [result, setResult] = useState<Result | undefined>();
  const [failure, setFailure] = useState<Failure | undefined>();
  const [loading, setLoading] = useState(false);
  const [empty, setEmpty] = useState<boolean | undefined>();
  const [fresh, setFresh] = useState<ReadonlyMap<string, number>>(new Map());
  const [updated, setUpdated] = useState(0);
  const known = useRef<Set<string> | null>(null);
  const seq = useRef(0);

  /** The query text changed from outside the editor (form, URL). */
  const putDraft = (q: string) => {
    setDraft(q);
    setRevision((r) => r + 1);
  };

  // The URL is the truth: a new q (back button, deep link) resets the editor and form.
  useEffect(() => {
    putDraft(query);
    const f = traceqlToForm(query);
    setFormLinked(f !== undefined);
    if (f !== undefined) setFormState(f);
  }, [query]);

  const run = useCallback(
    async (opts: { background?: boolean } = {}) => {
      const id = ++seq.current;
      const w = resolveRange(p);
      if (!opts.background) setLoading(true);
      try {
        const traces = await searchTraces(query, w.startSec, w.endSec, limit);
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
        setResult({ key, rows: next });
        setFailure(undefined);
        setUpdated(now);
        if (next.length === 0 && empty === undefined) setEmpty(!(await anyTraces()));
        else if (next.length > 0) setEmpty(false);
      } catch (error) {
        if (id === seq.current) setFailure({ key, query, error });
      } finally {
        if (id === seq.current) {
          setLoading(false);
          markReady();
        }
      }
    },
    [key],
  );

  useEffect(() => {
    known.current = null;
    void run();
  }, [run]);

  // Live mode; and an empty store keeps looking so the first trace appears without a reload.
  useEffect(() => {
    if (!live && !empty) return;
    const t = setInterval(() => void run({ background: true }), LIVE_MS);
    return () => clearInterval(t);
  }, [live, empty, run]);

  const current = result?.key === key ? result : undefined;
  const failed = failure?.key === key ? failure : undefined;
  // A failed query shows no rows at all: the last query's rows would read as its results.
  const rows = current?.rows ?? (loading && failed === undefined ? result?.rows : undefined);
  const state: SearchState = {
    query,
    live,
    sort,
    dir,
    limit,
    window: resolveRange(p),
    draft,
    revision,
    form,
    formLinked,
    rows,
    stale: current === undefined && rows !== undefined,
    error: failed !== undefined && draft.trim() === failed.query.trim() ? failed.error : undefined,
    failed: failed !== undefined,
    loading,
    empty,
    fresh,
    updated,
  };
  const actions: SearchActions = {
    submit: (q = draft) => {
      const next = q.trim() === '' ? '{ }' : q;
      if (next === query) void run();
      else setParams({ q: next === '{ }' ? undefined : next }, true);
    },
    edit: (text) => {
      setDraft(text);
      setFormLinked(false);
    },
    setForm: (f) => {
      setFormState(f);
      setFormLinked(true);
      putDraft(formToTraceQL(f));
    },
  };
  return [state, actions];
}
