/**
 * @module pages/ComparePage
 * Two traces span by span: the operations whose time changed most, then the merged tree
 * with each span's duration in A and B, the difference, and spans found in only one.
 * URL: /compare?a=<trace id>&b=<trace id>
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fetchTrace, searchTraces } from '../api.ts';
import { assignColors, serviceColor } from '../colors.ts';
import { fmtDur, fmtTime, nsToMs } from '../format.ts';
import { markReady } from '../keys.ts';
import { diffOperations, diffTraces } from '../model/diff.ts';
import { quote } from '../model/query-builder.ts';
import { buildTrace, type VTrace } from '../model/trace.ts';
import { setParams, traceHref, type Route } from '../router.ts';
import { getUpload } from '../uploads.ts';
import { ErrorBox, Spinner } from '../ui/common.tsx';

const MAX_ROWS = 3000;

async function load(id: string): Promise<VTrace | null> {
  const up = getUpload(id);
  const json = up ?? (await fetchTrace(id));
  if (!json) return null;
  const t = buildTrace(json);
  assignColors(t.services);
  return t;
}

function Delta({ a, b }: { a: number | undefined; b: number | undefined }): JSX.Element {
  if (a === undefined) return <span class="delta only-b">only in B</span>;
  if (b === undefined) return <span class="delta only-a">only in A</span>;
  const d = b - a;
  const rel = a > 0 ? d / a : 0;
  const cls = Math.abs(rel) < 0.1 || Math.abs(d) < 1e6 ? 'same' : d > 0 ? 'slower' : 'faster';
  return (
    <span class={`delta ${cls}`}>
      {d >= 0 ? '+' : '−'}
      {fmtDur(Math.abs(d))}
      {a > 0 && cls !== 'same' ? <span class="small"> ({d > 0 ? '+' : '−'}{Math.abs(rel * 100).toFixed(0)}%)</span> : null}
    </span>
  );
}

function Picker({ a }: { a: VTrace }): JSX.Element {
  const [recent, setRecent] = useState<Array<{ id: string; ms: number; dur: number }>>([]);
  const [text, setText] = useState('');
  useEffect(() => {
    const now = Date.now() / 1000;
    searchTraces(`{ trace:rootName = ${quote(a.rootName)} }`, now - 7 * 86400 + 60, now, 30)
      .then((list) => setRecent(list.map((t) => ({ ...t, traceID: t.traceID.padStart(32, '0') })).filter((t) => t.traceID !== a.traceId).map((t) => ({ id: t.traceID, ms: nsToMs(t.startTimeUnixNano), dur: (t.durationMs ?? 0) * 1e6 }))))
      .catch(() => undefined);
  }, [a.traceId]);
  return (
    <section class="panel">
      <h2>Compare with…</h2>
      <form
        class="row-gap"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) setParams({ b: text.trim().toLowerCase() }, true);
        }}
      >
        <input class="input mono" placeholder="trace ID" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="Trace ID to compare with" />
        <button class="btn primary" type="submit">
          Compare
        </button>
      </form>
      {recent.length > 0 ? (
        <>
          <p class="muted small">Other traces of {a.rootName} (last 7 days):</p>
          <ul class="pick-list">
            {recent.map((t) => (
              <li key={t.id}>
                <button type="button" class="btn ghost" onClick={() => setParams({ b: t.id }, true)}>
                  <span class="mono">{t.id.slice(0, 16)}</span> {fmtTime(t.ms)} · <b>{fmtDur(t.dur)}</b>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

export function ComparePage({ route }: { route: Route }): JSX.Element {
  const norm = (id: string) => (/^[0-9a-f]{1,31}$/i.test(id) ? id.toLowerCase().padStart(32, '0') : id.toLowerCase());
  const ida = norm(route.params.get('a') ?? '');
  const idb = norm(route.params.get('b') ?? '');
  const [a, setA] = useState<VTrace | null | undefined>();
  const [b, setB] = useState<VTrace | null | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setA(undefined);
    if (ida) load(ida).then(setA, setError);
    else setA(null);
  }, [ida]);
  useEffect(() => {
    setB(undefined);
    if (idb) load(idb).then(setB, setError);
    else setB(null);
  }, [idb]);
  useEffect(() => {
    if (a !== undefined && b !== undefined) markReady();
  }, [a, b]);
  const rows = useMemo(() => (a && b ? diffTraces(a, b) : []), [a, b]);
  const ops = useMemo(() => (a && b ? diffOperations(a, b).slice(0, 12) : []), [a, b]);
  if (error !== undefined) return <div class="page"><ErrorBox error={error} /></div>;
  if (!ida)
    return (
      <div class="page">
        <section class="panel no-results">
          <h2>Compare two traces</h2>
          <p>
            On the search page, tick two traces and press Compare, or open a trace and press <b>Compare</b>.
          </p>
          <a class="btn" href="/search">
            Search traces
          </a>
        </section>
      </div>
    );
  if (a === undefined || (idb && b === undefined)) return <div class="page"><Spinner label="Loading traces" /></div>;
  if (a === null) return <div class="page"><ErrorBox error={`Trace ${ida} was not found.`} /></div>;
  if (!b) return <div class="page">{idb ? <ErrorBox error={`Trace ${idb} was not found.`} /> : null}<Picker a={a} /></div>;
  const maxDur = Math.max(a.dur, b.dur, 1);
  return (
    <div class="page compare-page" data-testid="compare">
      <section class="panel compare-head">
        {[
          ['A', a],
          ['B', b],
        ].map(([label, t]) => {
          const tr = t as VTrace;
          return (
            <div key={label as string} class="compare-side">
              <span class={`side-tag side-${label}`}>{label as string}</span>
              <a href={traceHref(tr.traceId)} class="trace-link">
                <i class="dot" style={{ background: serviceColor(tr.rootService) }} />
                <span class="svc">{tr.rootService}</span> <span class="op">{tr.rootName}</span>
              </a>
              <span class="mono small muted">{tr.traceId.slice(0, 16)}</span>
              <span>
                <b>{fmtDur(tr.dur)}</b> · {tr.spans.length} spans · {tr.errors} errors · {fmtTime(nsToMs(tr.startUnixNano))}
              </span>
            </div>
          );
        })}
        <div class="compare-total">
          B − A: <Delta a={a.dur} b={b.dur} />
        </div>
      </section>
      <section class="panel">
        <h2>Biggest changes by operation</h2>
        <table class="results ops">
          <thead>
            <tr>
              <th>Operation</th>
              <th class="num">Spans A → B</th>
              <th class="num">Time in A</th>
              <th class="num">Time in B</th>
              <th class="num">Change</th>
            </tr>
          </thead>
          <tbody>
            {ops.map((o) => (
              <tr key={o.service + o.name}>
                <td>
                  <i class="dot" style={{ background: serviceColor(o.service) }} /> <span class="muted">{o.service}:</span> {o.name}
                </td>
                <td class="num">
                  {o.countA} → {o.countB}
                </td>
                <td class="num mono">{o.countA ? fmtDur(o.durA) : '–'}</td>
                <td class="num mono">{o.countB ? fmtDur(o.durB) : '–'}</td>
                <td class="num">
                  <Delta a={o.countA ? o.durA : undefined} b={o.countB ? o.durB : undefined} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Span by span</h2>
        <div class="diff-rows" role="table">
          <div class="diff-row head" role="row">
            <span>Span</span>
            <span>A</span>
            <span>B</span>
            <span class="num">B − A</span>
          </div>
          {rows.slice(0, MAX_ROWS).map((r) => {
            const sa = r.a !== undefined ? a.spans[r.a] : undefined;
            const sb = r.b !== undefined ? b.spans[r.b] : undefined;
            return (
              <div key={r.key} class={`diff-row${!sa ? ' added' : !sb ? ' removed' : ''}`} role="row">
                <span class="diff-name" style={{ paddingLeft: `${r.depth * 14}px` }}>
                  <i class="svc-bar" style={{ background: serviceColor(r.service) }} />
                  <span class="muted small">{r.service}</span> {r.name}
                </span>
                <span class="diff-bar">
                  {sa ? <i style={{ left: `${(sa.start / maxDur) * 100}%`, width: `max(2px, ${(sa.dur / maxDur) * 100}%)`, background: serviceColor(sa.service) }} /> : null}
                  <em class="mono small">{sa ? fmtDur(sa.dur) : ''}</em>
                </span>
                <span class="diff-bar">
                  {sb ? <i style={{ left: `${(sb.start / maxDur) * 100}%`, width: `max(2px, ${(sb.dur / maxDur) * 100}%)`, background: serviceColor(sb.service) }} /> : null}
                  <em class="mono small">{sb ? fmtDur(sb.dur) : ''}</em>
                </span>
                <span class="num">
                  <Delta a={sa?.dur} b={sb?.dur} />
                </span>
              </div>
            );
          })}
          {rows.length > MAX_ROWS ? <p class="muted small">First {MAX_ROWS} of {rows.length} rows.</p> : null}
        </div>
      </section>
    </div>
  );
}
