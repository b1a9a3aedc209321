/**
 * @module ui/SpanDetail
 * One span in full: timing (with its critical-path share and how it compares with the
 * stored history of the same operation), status, ids to copy, its log records, the logs
 * link (tracebox's Logs page when the span has records, the configured one too), the source
 * link, span and resource attributes, events (exception stack traces with their frames
 * linked to the editor), links to other traces, the instrumentation scope, and the span
 * as JSON. Every value is rendered as text.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { fmtDur, fmtTime, nsToMs, valueText } from '../format.ts';
import { onPath } from '../model/critical-path.ts';
import { MIN_HISTORY, slowness, usualFor } from '../model/history.ts';
import { logsUrl } from '../model/logs-link.ts';
import { logsHref } from '../model/logs.ts';
import { codeLocation, editorUrl, parseMappings, splitFrame, type PathMapping } from '../model/source.ts';
import { opKey, selfTime, type FlatValue, type SpanJson } from '../model/trace.ts';
import { traceHref } from '../router.ts';
import { settings } from '../settings.ts';
import { useStore } from '../store.ts';
import { CopyButton, Icon, ServiceChip } from './common.tsx';
import { LogLines } from './LogLines.tsx';
import { HINT_LABEL, type TraceView } from './trace-view.ts';

function Section({ title, count, children, open = true }: { title: string; count?: number; children: ComponentChildren; open?: boolean }): JSX.Element {
  return (
    <details class="section" open={open}>
      <summary>
        {title}
        {count !== undefined ? <span class="count">{count}</span> : null}
      </summary>
      <div class="section-body">{children}</div>
    </details>
  );
}

function Value({ v }: { v: FlatValue }): JSX.Element {
  const text = valueText(v);
  const long = text.length > 120 || text.includes('\n');
  const kind = typeof v === 'number' ? 'num' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'arr' : 'str';
  return long ? <pre class={`val ${kind}`}>{text}</pre> : <span class={`val ${kind}`}>{text}</span>;
}

function AttrTable({ attrs, filter, testid }: { attrs: Record<string, FlatValue>; filter: string; testid?: string }): JSX.Element {
  const entries = Object.entries(attrs)
    .filter(([k, v]) => filter === '' || k.toLowerCase().includes(filter) || valueText(v).toLowerCase().includes(filter))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return <p class="muted small">{filter ? 'No attribute matches.' : 'None.'}</p>;
  return (
    <table class="kv" data-testid={testid}>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th title={k}>{k}</th>
            <td>
              <Value v={v} />
              <CopyButton text={valueText(v)} what={k} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StackTrace({ text, template, mappings }: { text: string; template: string; mappings: readonly PathMapping[] }): JSX.Element {
  return (
    <pre class="stack" data-testid="stacktrace">
      {text.split('\n').map((line, i) => {
        const part = splitFrame(line);
        const url = part.loc ? editorUrl(template, part.loc.path, part.loc.line, part.loc.col, mappings) : undefined;
        const vendored = /node_modules|site-packages|\/usr\/lib\//.test(line);
        return (
          <div key={i} class={`frame${i === 0 ? ' head' : ''}${vendored ? ' vendored' : ''}`}>
            {part.before}
            {url !== undefined ? (
              <a href={url} class="src-link" title="Open in your editor">
                {part.locText}
              </a>
            ) : (
              part.locText
            )}
            {part.after}
          </div>
        );
      })}
    </pre>
  );
}

/** The "usually" line: what the stored history says of this operation, or that it holds too little to say. */
function UsualLine({ v }: { v: TraceView }): JSX.Element | null {
  const s = v.trace.spans[v.selected];
  const known = v.history?.get(opKey(s));
  const usual = usualFor(s, v.history);
  if (usual === undefined) {
    if (v.history === null) return null;
    const n = known?.count ?? 0;
    return (
      <div class="usual few" data-testid="history">
        {n === 0 ? 'No span of this operation' : `Only ${n} span${n === 1 ? '' : 's'} of this operation`} in the stored history of the last 24 h: {MIN_HISTORY} are needed to say what is usual.
      </div>
    );
  }
  const slow = slowness(s, v.history);
  return (
    <div class={`usual${slow !== undefined ? ' slow' : ''}`} data-testid="history">
      {slow !== undefined ? <b>{slow >= 10 ? slow.toFixed(0) : slow.toFixed(1)}× slower than usual. </b> : null}
      Usually p50 <span class="mono">{fmtDur(usual.p50)}</span>, p95 <span class="mono">{fmtDur(usual.p95)}</span> for this operation ({usual.count.toLocaleString('en-US')} spans in the stored history, last 24 h).
    </div>
  );
}

export function SpanDetail({ v, raw, onClose }: { v: TraceView; raw: SpanJson | undefined; onClose: () => void }): JSX.Element | null {
  const s = v.trace.spans[v.selected];
  const cfg = useStore(settings);
  const [filter, setFilter] = useState('');
  const mappings = useMemo(() => parseMappings(cfg.pathMappings), [cfg.pathMappings]);
  if (s === undefined) return null;
  const startMs = nsToMs(s.startUnixNano);
  const logs = logsUrl(cfg.logsTemplate, { traceId: v.trace.traceId, spanId: s.spanId, service: s.service, name: s.name, startMs, endMs: startMs + s.dur / 1e6 });
  const code = codeLocation(s.attributes);
  const codeUrl = code ? editorUrl(cfg.editorTemplate, code.path, code.line, code.col, mappings) : undefined;
  const cpNs = onPath(v.cp?.get(s.idx));
  const parent = s.parent >= 0 ? v.trace.spans[s.parent] : undefined;
  const hints = v.hints.get(s.idx) ?? [];
  const spanLogs = v.logs.get(s.idx) ?? [];
  const f = filter.trim().toLowerCase();
  return (
    <aside class="detail" aria-label="Span details" data-testid="span-detail">
      <header class="detail-head">
        <div class="detail-title">
          <ServiceChip name={s.service} />
          <h2 title={s.name}>{s.name}</h2>
        </div>
        <button type="button" class="btn-icon" aria-label="Close details (Esc)" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="facts">
        <div>
          <span class="fact-label">Duration</span>
          <span class="fact-value mono" data-testid="detail-duration">
            {fmtDur(s.dur)}
          </span>
        </div>
        <div>
          <span class="fact-label">Starts at</span>
          <span class="fact-value mono">+{fmtDur(s.start)}</span>
        </div>
        <div>
          <span class="fact-label">Self time</span>
          <span class="fact-value mono">{fmtDur(selfTime(v.trace, s.idx))}</span>
        </div>
        <div>
          <span class="fact-label">Kind</span>
          <span class="fact-value">{s.kind}</span>
        </div>
        <div>
          <span class="fact-label">Status</span>
          <span class={`fact-value status-${s.status}`}>{s.status}</span>
        </div>
        <div>
          <span class="fact-label">Critical path</span>
          <span class="fact-value mono">{cpNs > 0 ? `${fmtDur(cpNs)} (${Math.round((cpNs / (v.trace.dur || 1)) * 100)}%)` : '—'}</span>
        </div>
      </div>
      {s.status === 'error' && s.statusMessage ? (
        <div class="status-msg" role="note">
          <Icon name="error" /> <span>{s.statusMessage}</span>
        </div>
      ) : null}
      <UsualLine v={v} />
      {hints.length > 0 ? (
        <ul class="hint-list">
          {hints.map((h) => (
            <li key={h.kind + h.parent}>
              <span class={`badge hint hint-${h.kind.replace('+', 'p')}`}>{HINT_LABEL[h.kind]}</span> {h.text}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="actions">
        {spanLogs.length > 0 ? (
          <a class="btn" href={logsHref(v.trace.traceId, s.spanId)} data-testid="span-logs-link">
            <Icon name="logs" /> Logs for this span <span class="count">{spanLogs.length}</span>
          </a>
        ) : null}
        {logs !== undefined ? (
          <a class={`btn${spanLogs.length > 0 ? ' ghost' : ''}`} href={logs} target="_blank" rel="noopener noreferrer" data-testid="logs-link" title="The logs link of the settings">
            <Icon name="external" /> {spanLogs.length > 0 ? 'Elsewhere' : 'Logs for this span'}
          </a>
        ) : null}
        {codeUrl !== undefined && code ? (
          <a class="btn" href={codeUrl} title={`${code.path}:${code.line ?? ''}`} data-testid="source-link">
            <Icon name="code" /> {code.fn ? `${code.fn}()` : 'Source'} <span class="muted small">{code.path.split('/').pop()}:{code.line ?? ''}</span>
          </a>
        ) : null}
        {parent !== undefined ? (
          <button type="button" class="btn ghost" onClick={() => v.onSelect(parent.idx)}>
            ↑ Parent: {parent.name}
          </button>
        ) : null}
      </div>
      <div class="ids">
        <div>
          <span class="fact-label">Span ID</span> <code data-testid="span-id">{s.spanId}</code> <CopyButton text={s.spanId} what="span ID" />
        </div>
        <div>
          <span class="fact-label">Trace ID</span> <code>{v.trace.traceId}</code> <CopyButton text={v.trace.traceId} what="trace ID" />
        </div>
        {s.parentSpanId ? (
          <div>
            <span class="fact-label">Parent ID</span> <code>{s.parentSpanId}</code> <CopyButton text={s.parentSpanId} what="parent span ID" />
          </div>
        ) : null}
        <div>
          <span class="fact-label">Started</span> <span class="mono small">{fmtTime(startMs, true)}</span>
        </div>
      </div>
      {Object.keys(s.attributes).length > 10 ? (
        <input class="input filter" placeholder="Filter attributes" aria-label="Filter attributes" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      ) : null}
      <Section title="Span attributes" count={Object.keys(s.attributes).length}>
        <AttrTable attrs={s.attributes} filter={f} testid="span-attributes" />
      </Section>
      <Section title="Resource attributes" count={Object.keys(s.resource).length} open={false}>
        <AttrTable attrs={s.resource} filter={f} />
      </Section>
      {spanLogs.length > 0 ? (
        <Section title="Logs" count={spanLogs.length}>
          <LogLines items={spanLogs.map((l) => ({ log: l.log, t: l.t - s.start }))} showService={false} testid="span-logs" />
        </Section>
      ) : null}
      {s.events.length > 0 ? (
        <Section title="Events" count={s.events.length}>
          {s.events.map((e, i) => {
            const stack = e.attributes['exception.stacktrace'];
            const rest = Object.fromEntries(Object.entries(e.attributes).filter(([k]) => k !== 'exception.stacktrace'));
            return (
              <div key={i} class={`event${e.name === 'exception' ? ' exception' : ''}`}>
                <div class="event-head">
                  <span class="mono small">+{fmtDur(e.t - s.start)}</span> <b>{e.name}</b>
                  {e.name === 'exception' ? (
                    <span class="err-text">
                      {' '}
                      {valueText(e.attributes['exception.type'] ?? '')}: {valueText(e.attributes['exception.message'] ?? '')}
                    </span>
                  ) : null}
                </div>
                {Object.keys(rest).length > 0 ? <AttrTable attrs={rest} filter="" /> : null}
                {typeof stack === 'string' ? <StackTrace text={stack} template={cfg.editorTemplate} mappings={mappings} /> : null}
              </div>
            );
          })}
        </Section>
      ) : null}
      {s.links.length > 0 ? (
        <Section title="Links" count={s.links.length}>
          {s.links.map((l, i) => (
            <div key={i} class="link-item">
              <a href={traceHref(l.traceId, { span: l.spanId })} data-testid="span-link">
                <Icon name="link" /> trace {l.traceId.slice(0, 16)}… span {l.spanId}
              </a>
              {Object.keys(l.attributes).length > 0 ? <AttrTable attrs={l.attributes} filter="" /> : null}
            </div>
          ))}
        </Section>
      ) : null}
      <Section title="Instrumentation scope" open={false}>
        <p class="mono small">
          {s.scope.name || '(none)'} {s.scope.version}
        </p>
      </Section>
      {raw !== undefined ? <SpanJsonSection raw={raw} /> : null}
    </aside>
  );
}

function SpanJsonSection({ raw }: { raw: SpanJson }): JSX.Element {
  const text = JSON.stringify(raw, null, 2);
  return (
    <Section title="JSON" open={false}>
      <div class="json-actions">
        <CopyButton text={text} label="Copy" what="the span's JSON" />
      </div>
      <pre class="json-text small" data-testid="span-json">
        {text}
      </pre>
    </Section>
  );
}
