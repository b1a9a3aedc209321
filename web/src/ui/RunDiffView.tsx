/**
 * @module ui/RunDiffView
 * The diff of two runs (src/analysis/run-compare): the two sides, "no change" or the operations that
 * changed (calls per trace, p50/p95 with their samples, errors) with links to an example
 * trace of each side and to the compare page for the pair, the calls between operations
 * that appeared or vanished, and what moved on each root operation's critical path.
 */
import type { JSX } from 'preact';
import type { RunDiff } from '../api.ts';
import { serviceColor } from '../colors.ts';
import { fmtDur } from '../format.ts';
import { traceHref } from '../router.ts';
import { noiseText, pathChangeText, type DurationChange, type OperationChange, type SideSummary } from '../../../src/analysis/index.ts';

const num = (n: number): string => String(Math.round(n * 100) / 100);

function Side({ tag, side }: { tag: 'A' | 'B'; side: SideSummary }): JSX.Element {
  return (
    <div class="compare-side">
      <span class={`side-tag side-${tag}`}>{tag}</span>
      <b>{side.name}</b>
      <span class="muted small">
        {side.traces} traces · {side.spans} spans{side.partial ? ` · ${side.partial}` : ''}
      </span>
    </div>
  );
}

/** A duration: both sides and the change when it counts, else the value (both when they differ within the bound). */
function Dur({ c, which }: { c: OperationChange; which: 'p50' | 'p95' }): JSX.Element {
  const d: DurationChange | undefined = c[which];
  if (d !== undefined) {
    const pct = d.pct === Infinity ? 'from 0' : `${d.pct >= 0 ? '+' : '−'}${Math.abs(Math.round(d.pct))}%`;
    return (
      <span>
        {fmtDur(d.aNs)} → {fmtDur(d.bNs)} <span class={`delta ${d.deltaNs > 0 ? 'slower' : 'faster'}`}>{pct}</span>
      </span>
    );
  }
  const pick = (s: OperationChange['a']): number | undefined => (s === undefined ? undefined : which === 'p50' ? s.p50Ns : s.p95Ns);
  const [a, b] = [pick(c.a), pick(c.b)];
  if (a !== undefined && b !== undefined && fmtDur(a) !== fmtDur(b)) return <span class="muted" title="within the noise bound">{fmtDur(a)} → {fmtDur(b)}</span>;
  return <span>{fmtDur(b ?? a ?? 0)}</span>;
}

function Calls({ c }: { c: OperationChange }): JSX.Element {
  if (c.calls === undefined) return <span>{num(c.b?.callsPerTrace ?? c.a?.callsPerTrace ?? 0)}</span>;
  return (
    <span>
      {num(c.calls.a)} → {num(c.calls.b)}{' '}
      <span class={`delta ${c.calls.delta > 0 ? 'slower' : 'faster'}`}>
        {c.calls.delta > 0 ? '+' : '−'}
        {num(Math.abs(c.calls.delta))}
      </span>
    </span>
  );
}

function Errors({ c }: { c: OperationChange }): JSX.Element {
  if (c.errors === undefined) return <span>{c.b?.errors ?? c.a?.errors ?? 0}</span>;
  return (
    <span class={c.errors.b > c.errors.a || c.errors.newMessages.length > 0 ? 'err-text' : ''}>
      {c.errors.a} → {c.errors.b}
      {c.errors.newMessages.filter((m) => m !== '').map((m) => (
        <span key={m} class="small" style={{ display: 'block' }}>
          new: {m}
        </span>
      ))}
    </span>
  );
}

const STATUS: Record<OperationChange['status'], string> = { added: 'only-b', removed: 'only-a', changed: 'same' };
const STATUS_TEXT: Record<OperationChange['status'], string> = { added: 'new in B', removed: 'gone from B', changed: 'changed' };

function Examples({ c }: { c: OperationChange }): JSX.Element {
  const a = c.a?.example;
  const b = c.b?.example;
  return (
    <span class="row-gap small">
      {a ? (
        <a href={traceHref(a)} title={`A trace of run A with ${c.label}`} data-testid="example-a">
          A
        </a>
      ) : null}
      {b ? (
        <a href={traceHref(b)} title={`A trace of run B with ${c.label}`} data-testid="example-b">
          B
        </a>
      ) : null}
      {a && b ? (
        <a href={`/compare?a=${a}&b=${b}`} title="Compare the two example traces">
          compare
        </a>
      ) : null}
    </span>
  );
}

export function RunDiffView({ diff }: { diff: RunDiff }): JSX.Element {
  const edges = [
    ...diff.edges.added.map((e) => ({ e, text: `${num(e.b)} per call`, cls: 'only-b', what: 'new' })),
    ...diff.edges.removed.map((e) => ({ e, text: `was ${num(e.a)} per call`, cls: 'only-a', what: 'gone' })),
    ...diff.edges.changed.map((e) => ({ e, text: `${num(e.a)} → ${num(e.b)} per call`, cls: 'same', what: 'changed' })),
  ];
  return (
    <>
      <section class="panel compare-head" data-testid="run-diff-head">
        <Side tag="A" side={diff.a} />
        <Side tag="B" side={diff.b} />
        <div class="compare-total" data-testid="run-diff-verdict">
          {diff.changed ? `${diff.operations.length} operation(s) changed` : 'No change'}
        </div>
      </section>
      <section class="panel" data-testid="run-diff-ops">
        <h2>Operations</h2>
        <p class="muted small">
          {diff.unchanged} operation(s) unchanged. Calls per trace and errors are exact; durations count beyond {noiseText(diff)}.
        </p>
        {diff.operations.length === 0 ? (
          <p data-testid="no-change">Nothing changed beyond the noise bound.</p>
        ) : (
          <table class="results ops">
            <thead>
              <tr>
                <th>Operation</th>
                <th>Change</th>
                <th class="num">Calls / trace</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">Samples A / B</th>
                <th class="num">Errors</th>
                <th>Example traces</th>
              </tr>
            </thead>
            <tbody>
              {diff.operations.map((c) => (
                <tr key={c.key} data-op={c.name}>
                  <td>
                    <i class="dot" style={{ background: serviceColor(c.service) }} /> <span class="muted">{c.service}:</span> {c.label}
                  </td>
                  <td>
                    <span class={`delta ${STATUS[c.status]}`}>{STATUS_TEXT[c.status]}</span>
                  </td>
                  <td class="num">
                    <Calls c={c} />
                  </td>
                  <td class="num mono">
                    <Dur c={c} which="p50" />
                  </td>
                  <td class="num mono">
                    <Dur c={c} which="p95" />
                  </td>
                  <td class="num muted">
                    {c.a?.calls ?? 0} / {c.b?.calls ?? 0}
                  </td>
                  <td class="num">
                    <Errors c={c} />
                  </td>
                  <td>
                    <Examples c={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {edges.length > 0 ? (
        <section class="panel" data-testid="run-diff-edges">
          <h2>Calls between operations</h2>
          <ul class="plain-list">
            {edges.map(({ e, text, cls, what }) => (
              <li key={`${e.parent}\u0001${e.child}`}>
                <span class={`delta ${cls}`}>{what}</span> {e.parentLabel} → {e.childLabel} <span class="muted">({text})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {diff.roots.length > 0 ? (
        <section class="panel" data-testid="run-diff-path">
          <h2>Critical path</h2>
          {diff.roots.map((r) => (
            <div key={r.key}>
              <h3>
                {r.label} <span class="muted small">({r.traces.a} / {r.traces.b} traces)</span>
              </h3>
              <ul class="plain-list">
                {r.path.map((p) => (
                  <li key={p.key}>
                    <i class="dot" style={{ background: serviceColor(p.service) }} /> {p.label}: {pathChangeText(p)}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </section>
      ) : null}
    </>
  );
}
