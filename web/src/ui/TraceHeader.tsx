/**
 * @module ui/TraceHeader
 * The trace page's header: root service and operation, whether it is still growing,
 * duration, span, service, error and depth counts, start time and id, a chip per service
 * (click to hide its spans) and the hints found in the trace.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { fmtCount, fmtDur, fmtTime, nsToMs } from '../format.ts';
import type { Hint } from '../model/hints.ts';
import type { VTrace } from '../model/trace.ts';
import { CopyButton, ServiceChip } from './common.tsx';
import { HINT_LABEL } from './trace-view.ts';

export interface TraceHeaderProps {
  readonly trace: VTrace;
  readonly hints: readonly Hint[];
  readonly live: boolean;
  readonly grew: number;
  readonly hidden: ReadonlySet<string>;
  readonly onHint: (h: Hint) => void;
  readonly onService: (service: string) => void;
}

export function TraceHeader({ trace, hints, live, grew, hidden, onHint, onService }: TraceHeaderProps): JSX.Element {
  const perService = useMemo(() => {
    const out = new Map<string, [number, number]>();
    for (const s of trace.spans) {
      const e = out.get(s.service) ?? [0, 0];
      e[0]++;
      if (s.status === 'error') e[1]++;
      out.set(s.service, e);
    }
    return out;
  }, [trace]);
  const byKind = useMemo(() => {
    const out = new Map<string, Hint[]>();
    for (const h of hints) out.set(h.kind, [...(out.get(h.kind) ?? []), h]);
    return out;
  }, [hints]);
  const root = trace.spans[trace.roots[0]];
  const stat = (label: string, value: JSX.Element | string | number, cls = '', testid?: string) => (
    <div class={`stat${cls}`}>
      <span class="stat-label">{label}</span>
      <span class="stat-value" data-testid={testid}>
        {value}
      </span>
    </div>
  );
  return (
    <header class="panel trace-head" data-testid="trace-header">
      <div class="trace-title">
        <h1>
          <span class="svc">{trace.rootService || root?.service || 'unknown'}</span>
          <span class="sep">:</span>
          <span class="op">{trace.rootName || root?.name || '(no root span)'}</span>
        </h1>
        {live ? (
          <span class="live-badge" title="This trace ended recently or misses spans: it is re-read every 2 s" data-testid="live-trace">
            <span class="live-dot pulsing" /> live{grew > 0 ? ` · +${grew} spans` : ''}
          </span>
        ) : null}
      </div>
      <div class="trace-stats">
        {stat('Duration', fmtDur(trace.dur), '', 'trace-duration')}
        {stat('Spans', fmtCount(trace.spans.length), '', 'span-count')}
        {stat('Services', trace.services.length)}
        <div class="stat">
          <span class="stat-label">Errors</span>
          <span class={`stat-value${trace.errors ? ' err-text' : ''}`}>{trace.errors}</span>
        </div>
        {stat('Depth', trace.maxDepth + 1)}
        <div class="stat">
          <span class="stat-label">Started</span>
          <span class="stat-value small">{fmtTime(nsToMs(trace.startUnixNano), true)}</span>
        </div>
        <div class="stat id-stat">
          <span class="stat-label">Trace ID</span>
          <span class="stat-value mono small">
            {trace.traceId} <CopyButton text={trace.traceId} what="trace ID" />
          </span>
        </div>
      </div>
      <div class="trace-services">
        {[...perService].map(([s, [n, e]]) => (
          <ServiceChip key={s} name={s} count={n} errors={e} dim={hidden.has(s)} onClick={() => onService(s)} />
        ))}
        {byKind.size > 0 ? <span class="divider" /> : null}
        {[...byKind].map(([kind, list]) => (
          <button key={kind} type="button" class={`badge hint hint-${kind.replace('+', 'p')} big`} title={list.map((h) => h.text).join('\n')} onClick={() => onHint(list[0])} data-testid={`hint-${kind}`}>
            {HINT_LABEL[kind as Hint['kind']]} ×{list.length}
          </button>
        ))}
      </div>
    </header>
  );
}
