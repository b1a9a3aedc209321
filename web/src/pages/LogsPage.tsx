/**
 * @module pages/LogsPage
 * Log records: a search by words of the body, least level, service, attribute and time
 * range (a trace or span from a link), live tail, the volume per level over the range,
 * and the newest matching records, each linked to its trace and span.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLogsPage } from '../data/logs-page.ts';
import { useTagValues } from '../data/tags.ts';
import { fmtAgo, fmtCount } from '../format.ts';
import { LOG_LEVELS, logSearchParams, type LogLevel, type LogSearch } from '../model/logs.ts';
import { setParams, traceHref, type Route } from '../router.ts';
import { ErrorBox, Icon, Spinner } from '../ui/common.tsx';
import { LogLines } from '../ui/LogLines.tsx';
import { LogVolume } from '../ui/LogVolume.tsx';
import { TimeRangePicker } from '../ui/TimeRange.tsx';

export function LogsPage({ route }: { route: Route }): JSX.Element {
  const st = useLogsPage(route);
  const [draft, setDraft] = useState<LogSearch>(st.search);
  useEffect(() => setDraft(st.search), [st.search]);
  const services = useTagValues('resource.service.name');
  const apply = (next: LogSearch) => setParams(logSearchParams(next), true);
  const field = (key: 'text' | 'service' | 'attr') => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  const count = st.logs === undefined ? '' : `${fmtCount(st.logs.length)}${st.more ? '+' : ''} record${st.logs.length === 1 && !st.more ? '' : 's'}`;
  return (
    <div class="page logs-page">
      <section class="panel logs-search">
        <form
          class="logs-form"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <input class="input grow" type="search" placeholder="Words in the log line" aria-label="Words in the log line" value={draft.text} onInput={field('text')} data-testid="logs-q" />
          <select
            class="input"
            aria-label="Least level"
            value={draft.level}
            onChange={(e) => apply({ ...draft, level: (e.target as HTMLSelectElement).value as LogLevel | '' })}
            data-testid="logs-level"
          >
            <option value="">Any level</option>
            {LOG_LEVELS.filter((l) => l !== 'unspecified').map((l) => (
              <option key={l} value={l}>
                {l} and above
              </option>
            ))}
          </select>
          <input class="input" list="log-services" placeholder="Service" aria-label="Service" value={draft.service} onInput={field('service')} data-testid="logs-service" />
          <datalist id="log-services">
            {services.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          <input class="input mono" placeholder="attribute=value" aria-label="Attribute" value={draft.attr} onInput={field('attr')} data-testid="logs-attr" />
          <button type="submit" class="btn primary" data-testid="logs-run">
            <Icon name="search" /> Search
          </button>
        </form>
        <div class="query-tools">
          <TimeRangePicker params={route.params} />
          <button
            type="button"
            class={`btn toggle${st.live ? ' on' : ''}`}
            aria-pressed={st.live}
            onClick={() => setParams({ live: st.live ? undefined : '1' })}
            data-testid="logs-live"
            title="Live tail: new records appear on top as they arrive"
          >
            <span class={`live-dot${st.live ? ' pulsing' : ''}`} /> Live tail
          </button>
          {st.search.traceId !== '' ? (
            <span class="chip" data-testid="logs-trace-filter">
              <a href={traceHref(st.search.traceId, st.search.spanId === '' ? {} : { span: st.search.spanId })}>
                trace {st.search.traceId.slice(0, 8)}
                {st.search.spanId !== '' ? ` / span ${st.search.spanId.slice(0, 8)}` : ''}
              </a>
              <button type="button" class="btn-icon" aria-label="Show the records of every trace" onClick={() => apply({ ...st.search, traceId: '', spanId: '' })}>
                <Icon name="close" size={12} />
              </button>
            </span>
          ) : null}
          <span class="spacer" />
          <span class="muted small" data-testid="logs-count">
            {count}
            {st.live && st.updated ? ` · updated ${fmtAgo(st.updated)}` : ''}
          </span>
        </div>
        {st.error !== undefined ? <ErrorBox error={st.error} /> : null}
      </section>
      {st.volume !== undefined ? (
        <section class="panel chart-panel">
          <LogVolume volume={st.volume} />
        </section>
      ) : null}
      <section class="panel logs-list">
        {st.logs === undefined ? (
          st.error === undefined ? <Spinner label="Reading logs" /> : null
        ) : st.logs.length === 0 ? (
          <p class="muted no-logs" data-testid="logs-empty">
            No log record matches in {st.window.label.toLowerCase()}. Records arrive at <code>/v1/logs</code> (OTLP), as spans do at <code>/v1/traces</code>.
          </p>
        ) : (
          <>
            <LogLines items={st.logs.map((log) => ({ log }))} showTrace testid="log-lines" />
            {st.more ? <p class="muted small">The newest {fmtCount(st.logs.length)} are listed: narrow the search or the time range for the others.</p> : null}
          </>
        )}
      </section>
    </div>
  );
}
