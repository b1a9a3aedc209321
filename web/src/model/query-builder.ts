/**
 * @module model/query-builder
 * The search form → TraceQL. Every condition lands in one spanset filter, so they must
 * hold on the same span, as in Grafana's Tempo search form. traceqlToForm() reads a
 * query back into the form when it has that shape.
 */
import { parseUnvalidated, type FieldExpression, type Static } from '../../../src/traceql/index.ts';

/** The comparison operators a filter offers, as TraceQL spells them. */
export const ATTR_OPS = ['=', '!=', '=~', '!~', '>', '>=', '<', '<='] as const;

export interface AttrFilter {
  /** `span.http.route`, `resource.k8s.pod.name`, `.db.system` or a bare name (→ `.name`). */
  readonly key: string;
  readonly op: (typeof ATTR_OPS)[number];
  readonly value: string;
}

export interface SearchForm {
  readonly service: string;
  readonly name: string;
  /** TraceQL durations ("1s", "250ms") or ''. */
  readonly minDuration: string;
  readonly maxDuration: string;
  readonly status: '' | 'error' | 'ok' | 'unset';
  readonly attrs: readonly AttrFilter[];
}

export const EMPTY_FORM: SearchForm = { service: '', name: '', minDuration: '', maxDuration: '', status: '', attrs: [] };

/** A TraceQL string literal. */
export function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t') + '"';
}

/** Numbers, booleans and durations stay bare; everything else is quoted. */
export function literal(v: string): string {
  const t = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(t) || t === 'true' || t === 'false') return t;
  return quote(v);
}

const DURATION = /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/;

/** `.name`, `span.name`, … as written; a bare key becomes an unscoped `.key`. */
export function attrRef(key: string): string {
  const k = key.trim();
  if (/^(span|resource|event|link|instrumentation)\./.test(k) || k.startsWith('.')) return k;
  return /^[\w.-]+$/.test(k) ? `.${k}` : `.${quote(k)}`;
}

export function formToTraceQL(f: SearchForm): string {
  const parts: string[] = [];
  if (f.service) parts.push(`resource.service.name = ${quote(f.service)}`);
  if (f.name) parts.push(`name = ${quote(f.name)}`);
  if (DURATION.test(f.minDuration.trim())) parts.push(`duration > ${f.minDuration.trim()}`);
  if (DURATION.test(f.maxDuration.trim())) parts.push(`duration < ${f.maxDuration.trim()}`);
  if (f.status) parts.push(`status = ${f.status}`);
  for (const a of f.attrs) {
    if (a.key.trim() === '' || a.value === '') continue;
    const value = a.op === '=~' || a.op === '!~' ? quote(a.value) : literal(a.value);
    parts.push(`${attrRef(a.key)} ${a.op} ${value}`);
  }
  return parts.length === 0 ? '{ }' : `{ ${parts.join(' && ')} }`;
}

export function isDuration(s: string): boolean {
  return s.trim() === '' || DURATION.test(s.trim());
}

/** "5ms", "1.5s", "250us", or a bare number of milliseconds → ns; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}

// ------------------------------------------------------------ TraceQL → form


/** A duration in TraceQL's shortest exact spelling: 1000000000 → "1s". */
export function durationText(ns: number): string {
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) {
    if (ns >= size && ns % size === 0) return `${ns / size}${unit}`;
  }
  if (ns >= 1e6) return `${ns / 1e6}ms`;
  return `${ns}ns`;
}

function staticText(s: Static): string | undefined {
  switch (s.type) {
    case 'string':
      return s.value;
    case 'int':
    case 'float':
    case 'bool':
      return String(s.value);
    case 'duration':
      return durationText(s.value);
    case 'status':
    case 'kind':
      return s.value;
    default:
      return undefined;
  }
}

const SCOPE_PREFIX: Record<string, string> = { none: '.', span: 'span.', resource: 'resource.', event: 'event.', link: 'link.', instrumentation: 'instrumentation.' };

/**
 * The form a query came from, when it is one spanset filter of `&&`-joined simple
 * comparisons (what formToTraceQL writes, or close to it); undefined otherwise.
 */
export function traceqlToForm(q: string): SearchForm | undefined {
  let root;
  try {
    root = parseUnvalidated(q.trim() === '' ? '{ }' : q);
  } catch {
    return undefined;
  }
  if (root.metrics !== null || root.secondStage !== null || root.pipeline.stages.length !== 1) return undefined;
  const stage = root.pipeline.stages[0];
  if (stage.kind !== 'SpansetFilter') return undefined;
  const form = { ...EMPTY_FORM, attrs: [] as AttrFilter[] };
  const conds: FieldExpression[] = [];
  const flatten = (e: FieldExpression | null): boolean => {
    if (e === null) return true;
    if (e.kind === 'BinaryOperation' && e.op === '&&') return flatten(e.lhs) && flatten(e.rhs);
    conds.push(e);
    return true;
  };
  flatten(stage.expression);
  for (const c of conds) {
    if (c.kind !== 'BinaryOperation' || c.rhs.kind !== 'Static') return undefined;
    const value = staticText(c.rhs);
    if (value === undefined) return undefined;
    const lhs = c.lhs;
    if (lhs.kind === 'Intrinsic') {
      if (lhs.name === 'name' && c.op === '=' && !form.name) form.name = value;
      else if (lhs.name === 'duration' && c.op === '>' && !form.minDuration) form.minDuration = value;
      else if (lhs.name === 'duration' && c.op === '<' && !form.maxDuration) form.maxDuration = value;
      else if (lhs.name === 'status' && c.op === '=' && !form.status) form.status = value as SearchForm['status'];
      else return undefined;
    } else if (lhs.kind === 'Attribute' && !lhs.parent) {
      if (lhs.scope === 'resource' && lhs.name === 'service.name' && c.op === '=' && !form.service) form.service = value;
      else if ((ATTR_OPS as readonly string[]).includes(c.op)) {
        const key = /^[\w.-]+$/.test(lhs.name) ? SCOPE_PREFIX[lhs.scope] + lhs.name : SCOPE_PREFIX[lhs.scope] + quote(lhs.name);
        form.attrs.push({ key: key.startsWith('.') ? key.slice(1) : key, op: c.op as AttrFilter['op'], value });
      } else return undefined;
    } else return undefined;
  }
  return form;
}
