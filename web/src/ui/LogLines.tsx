/**
 * @module ui/LogLines
 * Log records as lines: time (or the offset into the trace), level in its colour,
 * service, body and attributes, and where asked a link to the record's trace and span.
 * Lines of a trace can select their span when clicked. Every value is rendered as text.
 */
import type { JSX } from 'preact';
import { fmtDur, fmtTime, nsToMs } from '../format.ts';
import { severityLevel, type LogRecord } from '../model/logs.ts';
import { traceHref } from '../router.ts';
import { Icon } from './common.tsx';

export interface LogLineItem {
  readonly log: LogRecord;
  /** ns from the trace start: shown as +offset instead of the clock time. */
  readonly t?: number;
}

/** A level badge: the severity text as sent (the level's name without one), coloured by level. */
export function LevelBadge({ log }: { log: LogRecord }): JSX.Element {
  const level = severityLevel(log.severityNumber, log.severityText);
  return <span class={`log-level lvl-${level}`}>{log.severityText || (level === 'unspecified' ? '—' : level.toUpperCase())}</span>;
}

export function LogLines({
  items,
  showService = true,
  showTrace = false,
  onSelect,
  selectedSpan,
  testid,
}: {
  items: readonly LogLineItem[];
  showService?: boolean;
  /** A link to each record's trace and span (the Logs page). */
  showTrace?: boolean;
  /** Clicking a line (a trace's list: selects its span). */
  onSelect?: (log: LogRecord) => void;
  /** Lines of this span are marked. */
  selectedSpan?: string;
  testid?: string;
}): JSX.Element {
  return (
    <ol class="log-lines" data-testid={testid}>
      {items.map(({ log, t }) => {
        const level = severityLevel(log.severityNumber, log.severityText);
        const attrs = Object.entries(log.attributes);
        const clickable = onSelect !== undefined && log.spanId !== '';
        return (
          <li
            key={log.id}
            class={`log-line lvl-${level}${clickable ? ' clickable' : ''}${selectedSpan !== undefined && selectedSpan !== '' && log.spanId === selectedSpan ? ' selected' : ''}`}
            data-log={log.id}
            data-span={log.spanId || undefined}
            onClick={clickable ? () => onSelect(log) : undefined}
          >
            <span class="log-time mono" title={fmtTime(nsToMs(log.timeUnixNano), true)}>
              {t !== undefined ? `+${fmtDur(Math.max(0, t))}` : fmtTime(nsToMs(log.timeUnixNano), true)}
            </span>
            <LevelBadge log={log} />
            {showService ? <span class="log-svc">{log.service}</span> : null}
            <span class="log-body">
              {log.eventName ? <b class="log-event">{log.eventName} </b> : null}
              {log.body}
              {attrs.length > 0 ? (
                <span class="log-attrs">
                  {attrs.map(([k, v]) => (
                    <span key={k} class="log-attr">
                      <span class="muted">{k}=</span>
                      {v}
                    </span>
                  ))}
                </span>
              ) : null}
            </span>
            {showTrace && log.traceId !== '' ? (
              log.traceStored ? (
                <a class="log-trace mono" href={traceHref(log.traceId, log.spanId === '' ? {} : { span: log.spanId })} title="Open its trace at its span" data-testid="log-trace-link">
                  <Icon name="link" size={12} /> {log.traceId.slice(0, 8)}
                  {log.spanId !== '' ? ` / ${log.spanId.slice(0, 6)}` : ''}
                </a>
              ) : (
                <span class="log-trace mono muted" title="No span of this trace is stored">
                  {log.traceId.slice(0, 8)}
                </span>
              )
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
