/**
 * @module ui/CompareChanges
 * What changed between two traces besides time (model/diff's summary): spans failing
 * in B that did not in A, fixed ones, other status or message changes, and the spans
 * added in B or missing from it, by operation.
 */
import type { ComponentChildren, JSX } from 'preact';
import { serviceColor } from '../colors.ts';
import type { DiffSummary, OpCount, StatusChange } from '../model/diff.ts';
import type { VTrace } from '../model/trace.ts';

function Op({ service, name }: { service: string; name: string }): JSX.Element {
  return (
    <>
      <i class="dot" style={{ background: serviceColor(service) }} /> <span class="muted">{service}:</span> {name}
    </>
  );
}

function Group({ title, count, kind, children, testid }: { title: string; count: number; kind: string; children: ComponentChildren; testid: string }): JSX.Element | null {
  if (count === 0) return null;
  return (
    <div class={`change-group ${kind}`} data-testid={testid}>
      <h3>
        {title} <span class="count">{count}</span>
      </h3>
      <ul>{children}</ul>
    </div>
  );
}

const status = (st: string, message: string): string => (st === 'error' && message ? `error: ${message}` : st);

function Changes({ list }: { list: StatusChange[] }): JSX.Element {
  return (
    <>
      {list.slice(0, 50).map((c) => (
        <li key={c.row.key}>
          <Op service={c.row.service} name={c.row.name} /> <span class="status-from">{status(c.statusA, c.messageA)}</span> → <span class={`status-to status-${c.statusB}`}>{status(c.statusB, c.messageB)}</span>
        </li>
      ))}
      {list.length > 50 ? <li class="muted">and {list.length - 50} more</li> : null}
    </>
  );
}

function Ops({ list }: { list: OpCount[] }): JSX.Element {
  return (
    <>
      {list.slice(0, 30).map((o) => (
        <li key={`${o.service}\u0000${o.name}`}>
          <b>{o.count}×</b> <Op service={o.service} name={o.name} />
          {o.errors > 0 ? <span class="err-text"> ({o.errors} failed)</span> : null}
        </li>
      ))}
      {list.length > 30 ? <li class="muted">and {list.length - 30} more operations</li> : null}
    </>
  );
}

export function CompareChanges({ a, b, summary }: { a: VTrace; b: VTrace; summary: DiffSummary }): JSX.Element {
  const spans = (l: OpCount[]) => l.reduce((n, o) => n + o.count, 0);
  const nothing = summary.newErrors.length + summary.fixed.length + summary.otherChanges.length + summary.added.length + summary.missing.length === 0;
  return (
    <section class="panel compare-changes" data-testid="compare-changes">
      <h2>What changed besides time</h2>
      <p class="muted small">
        Errors: {a.errors} in A → <span class={b.errors > a.errors ? 'err-text' : ''}>{b.errors} in B</span> · spans: {a.spans.length} → {b.spans.length}
      </p>
      {nothing ? <p class="muted">The same spans, with the same status, in both.</p> : null}
      <div class="change-groups">
        <Group title="Failing in B, not in A" count={summary.newErrors.length} kind="worse" testid="new-errors">
          <Changes list={summary.newErrors} />
        </Group>
        <Group title="Failing in A, not in B" count={summary.fixed.length} kind="better" testid="fixed">
          <Changes list={summary.fixed} />
        </Group>
        <Group title="Other status changes" count={summary.otherChanges.length} kind="other" testid="other-changes">
          <Changes list={summary.otherChanges} />
        </Group>
        <Group title="Added in B" count={spans(summary.added)} kind="added" testid="added">
          <Ops list={summary.added} />
        </Group>
        <Group title="Missing from B" count={spans(summary.missing)} kind="missing" testid="missing">
          <Ops list={summary.missing} />
        </Group>
      </div>
    </section>
  );
}
