/**
 * @module ui/SpanFilters
 * The span filter bar under the trace toolbar: one `key op value` row per filter (keys
 * and values offered from the trace itself), the matching span count, and "show matches
 * only", which hides the other spans in the timeline and flame graph.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { fmtCount } from '../format.ts';
import { FILTER_OPS, filterKeys, filterValues, type FilterOp, type FilterResult, type SpanFilter } from '../model/span-filter.ts';
import type { VTrace } from '../model/trace.ts';
import { setParams } from '../router.ts';
import { Icon } from './common.tsx';

export interface SpanFiltersProps {
  readonly trace: VTrace;
  readonly filters: readonly SpanFilter[];
  readonly result: FilterResult;
  /** Spans matched by the filters and the find box together. */
  readonly matched: number;
  readonly onlyMatches: boolean;
  readonly onChange: (filters: readonly SpanFilter[]) => void;
}

function FilterRow({ trace, f, i, error, onChange, onRemove, keysId }: { trace: VTrace; f: SpanFilter; i: number; error: string | undefined; onChange: (f: SpanFilter) => void; onRemove: () => void; keysId: string }): JSX.Element {
  const values = useMemo(() => filterValues(trace, f.key), [trace, f.key]);
  const valuesId = `sf-values-${i}`;
  return (
    <div class="sf-row" data-testid="span-filter">
      <input
        class="input mono"
        list={keysId}
        placeholder="key: name, service, duration, span.http.route…"
        aria-label="Filter key"
        value={f.key}
        onInput={(e) => onChange({ ...f, key: (e.target as HTMLInputElement).value })}
        data-testid="sf-key"
      />
      <select class="input op" aria-label="Operator" value={f.op} onChange={(e) => onChange({ ...f, op: (e.target as HTMLSelectElement).value as FilterOp })} data-testid="sf-op">
        {FILTER_OPS.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <input
        class={`input mono${error ? ' invalid' : ''}`}
        list={valuesId}
        placeholder={f.key.trim() === 'duration' ? 'e.g. 5ms' : f.op === '=~' || f.op === '!~' ? 'regular expression (whole value)' : 'value (empty: the key is set)'}
        aria-label="Filter value"
        value={f.value}
        onInput={(e) => onChange({ ...f, value: (e.target as HTMLInputElement).value })}
        data-testid="sf-value"
      />
      <datalist id={valuesId}>
        {values.map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <button type="button" class="btn-icon" aria-label="Remove this filter" onClick={onRemove}>
        <Icon name="close" size={14} />
      </button>
      {error ? <span class="err-text small">{error}</span> : null}
    </div>
  );
}

export function SpanFilters({ trace, filters, result, matched, onlyMatches, onChange }: SpanFiltersProps): JSX.Element {
  const keys = useMemo(() => filterKeys(trace), [trace]);
  const keysId = 'sf-keys';
  const active = result.matches !== undefined;
  return (
    <section class="panel span-filters" aria-label="Span filters" data-testid="span-filters">
      <div class="sf-rows">
        {filters.map((f, i) => (
          <FilterRow
            key={i}
            trace={trace}
            f={f}
            i={i}
            keysId={keysId}
            error={result.errors[i]}
            onChange={(nf) => onChange(filters.map((x, j) => (j === i ? nf : x)))}
            onRemove={() => onChange(filters.filter((_, j) => j !== i))}
          />
        ))}
        <datalist id={keysId}>
          {keys.map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
      </div>
      <div class="sf-foot">
        <button type="button" class="btn ghost small" onClick={() => onChange([...filters, { key: '', op: '=', value: '' }])}>
          + filter
        </button>
        <label class="inline">
          <input type="checkbox" checked={onlyMatches} onChange={() => setParams({ only: onlyMatches ? undefined : '1' })} data-testid="sf-only" /> Show matches only
        </label>
        <span class="muted small" data-testid="sf-count">
          {active ? `${fmtCount(matched)} of ${fmtCount(trace.spans.length)} spans match` : 'All spans: add a key to filter'}
        </span>
        <span class="spacer" />
        <button type="button" class="btn ghost small" onClick={() => onChange([])}>
          Clear
        </button>
      </div>
    </section>
  );
}
