/**
 * @module pages/ComparePage
 * Two traces side by side: what changed besides time (failures, added and missing spans),
 * the operations whose time or failures changed most, then the merged tree with each
 * span's duration and status in A and B and the difference. The traces come from
 * data/compare. URL: /compare?a=<trace id>&b=<trace id>
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { searchTraces } from '../api.ts';
import { serviceColor } from '../colors.ts';
import { useComparedTraces } from '../data/compare.ts';
import { fmtDur, fmtTime, nsToMs } from '../format.ts';
import { diffOperations, diffSummary, diffTraces } from '../model/diff.ts';
import { quote } from '../model/query-builder.ts';
import type { VSpan, VTrace } from '../model/trace.ts';
import { setParams, traceHref, type Route } from '../router.ts';
import { CompareChanges } from '../ui/CompareChanges.tsx';
import { ErrorBox, Spinner } from '../ui/common.tsx';

const MAX_ROWS = 3000;

function Delta({ a, b }: { a: number | undefined; b: number | undefined }): JSX.Element {
  if (a === undefined) return <span class="delta only-b">added in B</span>;
  if (b === undefined) return <span class="delta only-a">missing in B</span>;
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

/** A span's bar in one trace's column of the span-by-span table, with its status when it failed. */
function SideBar({ s, maxDur }: { s: VSpan | undefined; maxDur: number }): JSX.Element {
  return (
    <span class="diff-bar">
      {s ? <i style={{ left: `${(s.start / maxDur) * 100}%`, width: `max(2px, ${(s.dur / maxDur) * 100}%)`, background: serviceColor(s.service) }} /> : null}
      <em class="mono small">
        {s ? fmtDur(s.dur) : ''}
        {s?.status === 'error' ? (
          <span class="err-icon" title={s.statusMessage || 'error'}>
            !
          </span>
        ) : null}
      </em>
    </span>
  );
}

export function ComparePage({ route }: { route: Route }): JSX.Element {
  const { ida, idb, a, b, error } = useComparedTraces(route);
  const rows = useMemo(() => (a && b ? diffTraces(a, b) : []), [a, b]);
  const ops = useMemo(() => (a && b ? diffOperations(a, b).slice(0, 12) : []), [a, b]);
  const summary = useMemo(() => (a && b ? diffSummary(a, b, rows) : undefined), [a, b, rows]);
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
  if (!b || !summary) return <div class="page">{idb ? <ErrorBox error={`Trace ${idb} was not found.`} /> : null}<Picker a={a} /></div>;
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
      <CompareChanges a={a} b={b} summary={summary} />
      <section class="panel">
        <h2>Biggest changes by operation</h2>
        <table class="results ops">
          <thead>
            <tr>
              <th>Operation</th>
              <th class="num">Spans A → B</th>
              <th class="num">Errors A → B</th>
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
                <td class={`num${o.errorsB > o.errorsA ? ' err-text' : ''}`}>
                  {o.errorsA} → {o.errorsB}
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
            const changed = sa !== undefined && sb !== undefined && (sa.status === 'error') !== (sb.status === 'error');
            return (
              <div key={r.key} class={`diff-row${!sa ? ' added' : !sb ? ' removed' : ''}${changed ? ' status-changed' : ''}`} role="row" data-diff={!sa ? 'added' : !sb ? 'missing' : changed ? 'status' : 'same'}>
                <span class="diff-name" style={{ paddingLeft: `${r.depth * 14}px` }}>
                  <i class="svc-bar" style={{ background: serviceColor(r.service) }} />
                  <span class="muted small">{r.service}</span> {r.name}
                </span>
                <SideBar s={sa} maxDur={maxDur} />
                <SideBar s={sb} maxDur={maxDur} />
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
