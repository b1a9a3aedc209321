/**
 * @module ui/TraceLogs
 * A trace's log records in time order below its views, with a level filter; clicking a
 * record selects its span. Links to the Logs page for the trace's records in full.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { fmtCount } from '../format.ts';
import { LOG_LEVELS, logsHref, severityLevel, type LogLevel, type LogRecord, type TraceLogs as Placed } from '../model/logs.ts';
import type { VTrace } from '../model/trace.ts';
import { Icon } from './common.tsx';
import { LogLines } from './LogLines.tsx';

export function TraceLogs({ trace, logs, more, selected, onSelect }: { trace: VTrace; logs: Placed<LogRecord>; more: boolean; selected: number; onSelect: (idx: number) => void }): JSX.Element {
  const [min, setMin] = useState<LogLevel>('unspecified');
  const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);
  const shown = logs.list.filter((l) => rank(severityLevel(l.log.severityNumber, l.log.severityText)) >= rank(min));
  const errors = logs.list.filter((l) => rank(severityLevel(l.log.severityNumber, l.log.severityText)) >= rank('error')).length;
  const selectedSpan = selected >= 0 ? trace.spans[selected]?.spanId : undefined;
  return (
    <section class="panel trace-logs" aria-label="Logs of this trace" data-testid="trace-logs">
      <header class="trace-logs-head">
        <h3>
          <Icon name="logs" /> Logs <span class="count">{fmtCount(logs.list.length)}{more ? '+' : ''}</span>
          {errors > 0 ? <span class="badge err-badge">{fmtCount(errors)} error{errors === 1 ? '' : 's'}</span> : null}
        </h3>
        <span class="spacer" />
        <label class="muted small">
          At least{' '}
          <select class="input small" value={min} onChange={(e) => setMin((e.target as HTMLSelectElement).value as LogLevel)} data-testid="trace-logs-level">
            {LOG_LEVELS.map((l) => (
              <option key={l} value={l}>
                {l === 'unspecified' ? 'any level' : l}
              </option>
            ))}
          </select>
        </label>
        <a class="btn ghost small" href={logsHref(trace.traceId)}>
          Open in Logs
        </a>
      </header>
      {more ? <p class="muted small">Only the first {fmtCount(logs.list.length)} records are shown here; the Logs page has them all.</p> : null}
      <LogLines
        items={shown}
        selectedSpan={selectedSpan}
        onSelect={(log) => {
          const idx = trace.byId.get(log.spanId);
          if (idx !== undefined) onSelect(idx);
        }}
        testid="trace-log-lines"
      />
    </section>
  );
}
