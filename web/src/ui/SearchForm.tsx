/**
 * @module ui/SearchForm
 * The search page's filter form: service, span name, duration range, status and
 * attribute conditions, with values offered from the stored tags. It describes one
 * spanset filter; model/query-builder turns it into TraceQL.
 */
import type { JSX } from 'preact';
import { useTagNames, useTagValues } from '../data/tags.ts';
import { ATTR_OPS, isDuration, type AttrFilter, type SearchForm as Form } from '../model/query-builder.ts';
import { Icon } from './common.tsx';

function scopedKey(key: string): string {
  const k = key.trim();
  if (/^(span|resource|event|link|instrumentation)\./.test(k) || k.startsWith('.')) return k;
  return `.${k}`;
}

function AttrRow({ a, onChange, onRemove }: { a: AttrFilter; onChange: (a: AttrFilter) => void; onRemove: () => void }): JSX.Element {
  const values = useTagValues(a.key.trim() && /^[\w."-]+$/.test(a.key.trim()) ? scopedKey(a.key) : '');
  const listId = `vals-${a.key.replace(/\W/g, '_')}`;
  return (
    <div class="attr-row">
      <input class="input" list="tb-tags" placeholder="attribute, e.g. http.route" aria-label="Attribute name" value={a.key} onInput={(e) => onChange({ ...a, key: (e.target as HTMLInputElement).value })} />
      <select class="input op" aria-label="Operator" value={a.op} onChange={(e) => onChange({ ...a, op: (e.target as HTMLSelectElement).value as AttrFilter['op'] })}>
        {ATTR_OPS.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <input class="input" list={listId} placeholder="value" aria-label="Attribute value" value={a.value} onInput={(e) => onChange({ ...a, value: (e.target as HTMLInputElement).value })} />
      <datalist id={listId}>
        {values.slice(0, 200).map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <button type="button" class="btn-icon" aria-label="Remove attribute filter" onClick={onRemove}>
        <Icon name="close" size={14} />
      </button>
    </div>
  );
}

export function SearchForm({ form, onChange }: { form: Form; onChange: (f: Form) => void }): JSX.Element {
  const services = useTagValues('resource.service.name');
  const names = useTagValues('name', form.service ? `{ resource.service.name = ${JSON.stringify(form.service)} }` : undefined);
  const tags = useTagNames();
  const set = (patch: Partial<Form>) => onChange({ ...form, ...patch });
  return (
    <div class="filter-form" role="group" aria-label="Filters">
      <label class="field">
        <span>Service</span>
        <select class="input" value={form.service} onChange={(e) => set({ service: (e.target as HTMLSelectElement).value, name: '' })} data-testid="f-service">
          <option value="">Any service</option>
          {[...new Set([...services, form.service].filter(Boolean))].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Span name</span>
        <input class="input" list="tb-names" placeholder="Any" value={form.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} data-testid="f-name" />
        <datalist id="tb-names">
          {names.slice(0, 300).map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </label>
      <label class="field narrow">
        <span>Duration ≥</span>
        <input
          class={`input${isDuration(form.minDuration) ? '' : ' invalid'}`}
          placeholder="e.g. 1s"
          value={form.minDuration}
          onInput={(e) => set({ minDuration: (e.target as HTMLInputElement).value })}
          data-testid="f-min"
        />
      </label>
      <label class="field narrow">
        <span>Duration ≤</span>
        <input class={`input${isDuration(form.maxDuration) ? '' : ' invalid'}`} placeholder="e.g. 5s" value={form.maxDuration} onInput={(e) => set({ maxDuration: (e.target as HTMLInputElement).value })} />
      </label>
      <label class="field narrow">
        <span>Status</span>
        <select class="input" value={form.status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value as Form['status'] })} data-testid="f-status">
          <option value="">Any</option>
          <option value="error">error</option>
          <option value="ok">ok</option>
          <option value="unset">unset</option>
        </select>
      </label>
      <div class="field attrs">
        <span>Attributes</span>
        {form.attrs.map((a, i) => (
          <AttrRow
            key={i}
            a={a}
            onChange={(na) => set({ attrs: form.attrs.map((x, j) => (j === i ? na : x)) })}
            onRemove={() => set({ attrs: form.attrs.filter((_, j) => j !== i) })}
          />
        ))}
        <button type="button" class="btn ghost small" onClick={() => set({ attrs: [...form.attrs, { key: '', op: '=', value: '' }] })}>
          + attribute
        </button>
      </div>
      <datalist id="tb-tags">
        {tags.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
    </div>
  );
}
