/**
 * Turns a parsed query into the span condition that drives the candidate scan: a
 * necessary condition (every matching trace has a span satisfying it), never a
 * sufficient one, because the evaluator re-checks every candidate trace. When nothing
 * useful can be pushed down the plan scans traces newest first.
 */
import { decodeResource } from '../otlp/index.ts';
import type { Attributes } from '../shared/span.ts';
import { dictionaryTerm, keyTerm, nameTerm, eventNameTerm, valueTerm, type RelatedCondition, type SearchReader, type SpanCondition, type TagReader, type TagScope, type TagValue, type TermScope } from '../store/index.ts';
import { compare, isNumeric, type FieldExpression, type Pipeline, type Root, type SpansetOperand, type Static, type CompareOp, type Value } from '../traceql/index.ts';

export type Plan =
  /** The query can match nothing (e.g. a value the dictionary has never seen). */
  | { readonly kind: 'never' }
  /** No usable condition: scan traces newest first. */
  | { readonly kind: 'scan' }
  | {
      readonly kind: 'candidates';
      readonly condition: SpanCondition;
      /** For structural queries: what the parent / an ancestor of a candidate span must satisfy. */
      readonly related?: RelatedCondition;
    };

/** Structural operators whose result is non-empty only when a `lower` span has a parent / ancestor in the other operand. */
const STRUCTURAL: Readonly<Record<string, { lower: 'lhs' | 'rhs'; relation: 'parent' | 'ancestor' }>> = {
  '>': { lower: 'rhs', relation: 'parent' },
  '&>': { lower: 'rhs', relation: 'parent' },
  '>>': { lower: 'rhs', relation: 'ancestor' },
  '&>>': { lower: 'rhs', relation: 'ancestor' },
  '<': { lower: 'lhs', relation: 'parent' },
  '&<': { lower: 'lhs', relation: 'parent' },
  '<<': { lower: 'lhs', relation: 'ancestor' },
  '&<<': { lower: 'lhs', relation: 'ancestor' },
};

interface Cond {
  termGroups: string[][];
  status?: number;
  kind?: number;
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  resourceIds?: number[];
  never?: boolean;
  /** Only set by structural operators: the span satisfying this one also has a parent / ancestor satisfying `cond`. */
  related?: { relation: 'parent' | 'ancestor'; cond: Cond };
}

const STATUS_CODES: Record<string, number> = { unset: 0, ok: 1, error: 2 };
const KIND_CODES: Record<string, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const TERM_SCOPES: Partial<Record<string, TermScope>> = { span: 's', event: 'e', link: 'l' };
const TAG_SCOPES: Partial<Record<TermScope, TagScope>> = { s: 'span', e: 'event', l: 'link' };

export interface PlannerDeps {
  readonly search: SearchReader;
  readonly tags: TagReader;
  /** Changes when stored rows were deleted (ids may then be reused). */
  generation(): number;
}

function merge(a: Cond, b: Cond): Cond {
  const out: Cond = { termGroups: [...a.termGroups, ...b.termGroups], never: a.never || b.never };
  for (const c of [a, b]) {
    if (c.status !== undefined) {
      if (out.status !== undefined && out.status !== c.status) out.never = true;
      out.status = c.status;
    }
    if (c.kind !== undefined) {
      if (out.kind !== undefined && out.kind !== c.kind) out.never = true;
      out.kind = c.kind;
    }
    if (c.minDurationNs !== undefined && (out.minDurationNs === undefined || c.minDurationNs > out.minDurationNs)) out.minDurationNs = c.minDurationNs;
    if (c.maxDurationNs !== undefined && (out.maxDurationNs === undefined || c.maxDurationNs < out.maxDurationNs)) out.maxDurationNs = c.maxDurationNs;
    if (c.resourceIds !== undefined) {
      out.resourceIds = out.resourceIds === undefined ? c.resourceIds : out.resourceIds.filter((id) => c.resourceIds!.includes(id));
      if (out.resourceIds.length === 0) out.never = true;
    }
  }
  return out;
}

const EMPTY: Cond = { termGroups: [] };
const NEVER: Cond = { termGroups: [], never: true };

interface Operand {
  readonly exists: Cond;
  readonly spans: Cond;
}

function isStatic(e: FieldExpression): e is Static {
  return e.kind === 'Static';
}

function flip(op: CompareOp): CompareOp {
  switch (op) {
    case '<':
      return '>';
    case '>':
      return '<';
    case '<=':
      return '>=';
    case '>=':
      return '<=';
    default:
      return op;
  }
}

/** How selective a condition looks; the most selective side of `A && B` drives the scan. */
function score(c: Cond): number {
  if (c.never) return 100;
  if (c.termGroups.length > 0) return 10 + c.termGroups.length;
  if (c.status === 2) return 8;
  if (c.resourceIds !== undefined) return 6;
  if (c.minDurationNs !== undefined) return 4;
  if (c.status !== undefined || c.kind !== undefined || c.maxDurationNs !== undefined) return 1;
  return 0;
}

/**
 * A dictionary entry as a run-time value and as the term its spans were indexed under, or
 * undefined when the entry no longer says exactly which value it was: the column's numeric
 * affinity stores a numeric-looking string ("007", "1.50") as a number, and an int past
 * 2^53 reads back rounded.
 */
export function dictionaryEntry(scope: TermScope, key: string, v: TagValue): { value: Value; term: string } | undefined {
  const term = dictionaryTerm(scope, key, v);
  if (term === undefined) return undefined;
  switch (v.type) {
    case 'string':
      return { value: { type: 'string', value: String(v.value) }, term };
    case 'bool':
      return { value: { type: 'bool', value: v.value === 1 }, term };
    case 'int':
      return { value: { type: 'int', value: Number(BigInt(v.value)) }, term };
    default:
      return { value: { type: 'float', value: Number(v.value) }, term };
  }
}

/** Whether a value of dictionary type `type` can satisfy `op value` at all (incompatible types compare false). */
function comparable(type: TagValue['type'], op: CompareOp, value: Value): boolean {
  if (op === '=~' || op === '!~') return type === 'string' && value.type === 'string';
  if (type === 'string' || type === 'bool') return value.type === type;
  return isNumeric(value);
}

/**
 * Whether `= value` finds every matching span through the value's own term. Numbers are
 * compared as doubles, so an integral value from 2^53 on also equals int64 attributes
 * that only round to it, each indexed under its own term.
 */
function exactTerm(value: Value): value is Extract<Value, { type: 'string' | 'int' | 'float' | 'bool' }> {
  if (value.type === 'string' || value.type === 'bool') return true;
  if (value.type !== 'int' && value.type !== 'float') return false;
  return !Number.isInteger(value.value) || Math.abs(value.value) < 2 ** 53;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/**
 * A bound on the stored duration_ns column (the exact duration, clamped to int64) for an
 * integral `ns`: the lowest (`min`) or highest (`max`) stored value a duration compared
 * with `ns` can have. The evaluator compares durations as doubles, so from 2^53 on a
 * stored duration may round to `ns` from either side: the bound widens by more than that
 * rounding. Clamping keeps it monotone, as the column's own clamp is.
 */
function durationBound(ns: number, side: 'min' | 'max'): bigint {
  const slack = Math.abs(ns) >= 2 ** 53 ? BigInt(Math.ceil(Math.abs(ns) / 2 ** 50)) : 0n;
  return clampInt64(side === 'min' ? BigInt(ns) - slack : BigInt(ns) + slack);
}

/**
 * Most dictionary values a range or regex is tested against; a key with more (ids, say)
 * is pushed down as "has the key" instead, so a query never turns into a million terms.
 */
const PUSHDOWN_VALUES = 1000;

export function createPlanner(deps: PlannerDeps): (root: Root) => Plan {
  // Resources are few and immutable; re-read only when rows were added or deleted.
  let resourceCache: { key: string; list: Array<{ id: number; attrs: Attributes }> } | undefined;

  function resources(): Array<{ id: number; attrs: Attributes }> {
    const rows = deps.search.resources();
    const key = `${deps.generation()}:${rows.length}`;
    if (resourceCache === undefined || resourceCache.key !== key) {
      resourceCache = { key, list: rows.map((r) => ({ id: r.id, attrs: decodeResource(r.raw) })) };
    }
    return resourceCache.list;
  }

  function resourceMatch(name: string, op: CompareOp, value: Value): Cond {
    const ids = resources()
      .filter((r) => compare(op, r.attrs.get(name) ?? { type: 'nil' }, value))
      .map((r) => r.id);
    return ids.length === 0 ? { termGroups: [], never: true } : { termGroups: [], resourceIds: ids };
  }

  /** Terms for `scope.key op value` using the tag dictionary when it lists every value of the key. */
  function attributeCond(scope: TermScope, key: string, op: CompareOp, value: Value): Cond {
    if (value.type === 'nil') return op === '!=' ? { termGroups: [[keyTerm(scope, key)]] } : EMPTY;
    if (op === '=' && exactTerm(value)) return { termGroups: [[valueTerm(scope, key, value.value)]] };
    const tagScope = TAG_SCOPES[scope];
    // A NaN double is never in the dictionary (SQLite stores NaN as NULL), and `!=` holds for it.
    const nanMatches = op === '!=' && isNumeric(value);
    if (tagScope !== undefined && !nanMatches) {
      const { complete, values } = deps.tags.values(tagScope, key, PUSHDOWN_VALUES);
      const terms: string[] = [];
      let exact = complete;
      for (const v of values) {
        if (!exact) break;
        if (!comparable(v.type, op, value)) continue;
        const entry = dictionaryEntry(scope, key, v);
        if (entry === undefined) exact = false;
        else if (compare(op, entry.value, value)) terms.push(entry.term);
      }
      if (exact) return terms.length === 0 ? { termGroups: [], never: true } : { termGroups: [terms] };
    }
    // Any comparison with a present operand needs the key to exist on the span.
    return { termGroups: [[keyTerm(scope, key)]] };
  }

  function comparison(lhs: FieldExpression, op: CompareOp, rhs: Static): Cond {
    const value: Value = rhs;
    if (lhs.kind === 'Attribute') {
      if (lhs.scope === 'resource') return resourceMatch(lhs.name, op, value);
      const scope = TERM_SCOPES[lhs.scope];
      if (scope !== undefined) return attributeCond(scope, lhs.name, op, value);
      if (lhs.scope === 'none') {
        // `.x` matches on the span or on its resource: push down only when no resource can match.
        const viaResource = resourceMatch(lhs.name, op, value);
        return viaResource.never ? attributeCond('s', lhs.name, op, value) : EMPTY;
      }
      return EMPTY;
    }
    if (lhs.kind !== 'Intrinsic') return EMPTY;
    switch (lhs.name) {
      // An empty name is usually an absent field, which gets no term.
      case 'name':
        return op === '=' && value.type === 'string' && value.value !== '' ? { termGroups: [[nameTerm(value.value)]] } : EMPTY;
      case 'event:name':
        return op === '=' && value.type === 'string' && value.value !== '' ? { termGroups: [[eventNameTerm(value.value)]] } : EMPTY;
      case 'status':
        return op === '=' && value.type === 'status' ? { termGroups: [], status: STATUS_CODES[value.value] } : EMPTY;
      case 'kind':
        return op === '=' && value.type === 'kind' ? { termGroups: [], kind: KIND_CODES[value.value] } : EMPTY;
      case 'duration': {
        if (value.type !== 'duration' && value.type !== 'int' && value.type !== 'float') return EMPTY;
        const floor = Math.floor(value.value);
        const ceil = Math.ceil(value.value);
        if (op === '>') return { termGroups: [], minDurationNs: durationBound(floor, 'min') };
        if (op === '>=') return { termGroups: [], minDurationNs: durationBound(ceil, 'min') };
        if (op === '<') return { termGroups: [], maxDurationNs: durationBound(ceil, 'max') };
        if (op === '<=') return { termGroups: [], maxDurationNs: durationBound(floor, 'max') };
        if (op === '=') return { termGroups: [], minDurationNs: durationBound(ceil, 'min'), maxDurationNs: durationBound(floor, 'max') };
        return EMPTY;
      }
      default:
        return EMPTY;
    }
  }

  function expression(e: FieldExpression | null): Cond {
    if (e === null) return EMPTY;
    switch (e.kind) {
      case 'BinaryOperation': {
        if (e.op === '&&') return merge(expression(e.lhs), expression(e.rhs));
        if (e.op === '||') {
          const l = expression(e.lhs);
          const r = expression(e.rhs);
          if (l.never) return r;
          if (r.never) return l;
          // Two single term groups OR together into one group; anything else is not pushed down.
          const single = (c: Cond): boolean =>
            c.termGroups.length === 1 && c.status === undefined && c.kind === undefined && c.resourceIds === undefined &&
            c.minDurationNs === undefined && c.maxDurationNs === undefined;
          return single(l) && single(r) ? { termGroups: [[...l.termGroups[0], ...r.termGroups[0]]] } : EMPTY;
        }
        if (e.op === '=' || e.op === '!=' || e.op === '<' || e.op === '<=' || e.op === '>' || e.op === '>=' || e.op === '=~' || e.op === '!~') {
          if (isStatic(e.rhs) && !isStatic(e.lhs)) return comparison(e.lhs, e.op, e.rhs);
          if (isStatic(e.lhs) && !isStatic(e.rhs) && e.op !== '=~' && e.op !== '!~') {
            // A nil on the right compares as existence: `"a" != span.x` holds for spans without x,
            // and `nil = span.x` only for those, so neither is the flipped `span.x op static`.
            if (e.op === '!=' || e.lhs.type === 'nil') return EMPTY;
            return comparison(e.rhs, flip(e.op), e.lhs);
          }
        }
        return EMPTY;
      }
      case 'Static':
        return e.type === 'bool' && !e.value ? { termGroups: [], never: true } : EMPTY;
      default:
        return EMPTY;
    }
  }

  /**
   * Two conditions for an operand: `exists` holds for some span of every trace the operand
   * matches; `spans` holds for every span of its result. They differ once a spanset
   * operation is involved: `{A} && {B}` needs an A span, but its result holds B spans too.
   * Only `spans` may stand for the spans a structural relation is checked on.
   */
  function operand(o: SpansetOperand): Operand {
    switch (o.kind) {
      case 'SpansetFilter': {
        const c = expression(o.expression);
        return { exists: c, spans: c };
      }
      case 'Pipeline':
        return pipeline(o);
      case 'SpansetOperation': {
        const l = operand(o.lhs);
        const r = operand(o.rhs);
        if (o.op === '||') return l.exists.never ? r : r.exists.never ? l : { exists: EMPTY, spans: EMPTY };
        // Negated structural operators keep right-hand spans even when the left is empty.
        if (o.op.startsWith('!')) return r;
        // Plain structural operators answer right-hand spans; `&&` and the union forms answer both sides'.
        const spans = o.op === '&&' || o.op.startsWith('&') ? EMPTY : r.spans;
        if (l.exists.never || r.exists.never) return { exists: NEVER, spans };
        const chosen = score(l.exists) >= score(r.exists) ? l : r;
        const structural = STRUCTURAL[o.op];
        if (structural !== undefined && chosen === (structural.lower === 'lhs' ? l : r) && score(chosen.spans) >= score(chosen.exists)) {
          // The chosen side's result spans need a parent / ancestor among the other side's:
          // checked per candidate before loading.
          const upper = chosen === l ? r : l;
          return { exists: { ...chosen.spans, related: { relation: structural.relation, cond: upper.spans } }, spans };
        }
        return { exists: chosen.exists, spans };
      }
      default:
        return { exists: EMPTY, spans: EMPTY };
    }
  }

  function pipeline(p: Pipeline): Operand {
    // Every filter and spanset operation of a pipeline constrains its result spans (the
    // other stages only drop or regroup spansets). As a condition for some span to exist,
    // consecutive filters at the head constrain the same spans; after a spanset operation
    // each stage is a separate necessary condition and the best one wins.
    let exists: Cond = EMPTY;
    let spans: Cond = EMPTY;
    let separate = false;
    let head = true;
    for (const stage of p.stages) {
      if (stage.kind === 'SpansetFilter') {
        const c = expression(stage.expression);
        spans = merge(spans, c);
        if (!head) continue;
        if (!separate) exists = merge(exists, c);
        else if (score(c) > score(exists)) exists = c;
      } else if (stage.kind === 'SpansetOperation') {
        const c = operand(stage);
        spans = merge(spans, c.spans);
        if (!head) continue;
        if (score(c.exists) > score(exists)) exists = c.exists;
        separate = true;
      } else head = false;
    }
    // A match has result spans, so `spans` is a necessary condition too.
    return { exists: score(spans) > score(exists) ? spans : exists, spans };
  }

  /** What can be checked of a related condition on a span row without its attributes; undefined if nothing. */
  function relatedCondition(related: Cond['related']): RelatedCondition | undefined {
    if (related === undefined) return undefined;
    const c = related.cond;
    if (c.status === undefined && c.kind === undefined && c.minDurationNs === undefined && c.maxDurationNs === undefined && c.resourceIds === undefined) {
      return undefined;
    }
    const condition: SpanCondition = {
      termGroups: [], // FTS terms cannot be checked per span row: leaving them out only weakens the check
      status: c.status,
      kind: c.kind,
      minDurationNs: c.minDurationNs,
      maxDurationNs: c.maxDurationNs,
      resourceIds: c.resourceIds,
    };
    return { relation: related.relation, condition };
  }

  return (root) => {
    const cond = pipeline(root.pipeline).exists;
    if (cond.never) return { kind: 'never' };
    if (score(cond) === 0 && cond.status === undefined && cond.kind === undefined && cond.maxDurationNs === undefined) return { kind: 'scan' };
    const related = relatedCondition(cond.related);
    return related === undefined ? { kind: 'candidates', condition: cond } : { kind: 'candidates', condition: cond, related };
  }
}
