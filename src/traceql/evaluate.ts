/**
 * @module traceql/evaluate
 * Runs a parsed query over one trace (as in Tempo 2.7): spanset filters,
 * spanset and structural operators, pipelines with aggregates, by(), coalesce() and
 * select(). The store narrows which traces are looked at; this module alone decides
 * what matches, so a loose pushdown can never change an answer.
 */
import type { AttrValue, QuerySpan, QueryTrace, SpanEvent, SpanLink } from '../shared/span.ts';
import type {
  Aggregate,
  AttributeRef,
  FieldExpression,
  KindValue,
  Pipeline,
  PipelineStage,
  Root,
  ScalarExpression,
  SpansetOperand,
  SpansetOperation,
  StatusValue,
} from './ast.ts';
import { assertNever } from './ast.ts';
import { label } from './labels.ts';
import { NIL, arithmetic, bool, compare, isNumeric, type CompareOp, type Value } from './values.ts';

/** A pipeline-level value attached to a spanset: `by(...)` keys and aggregate results. */
export interface SpansetAttribute {
  readonly name: string;
  readonly value: Value;
}

export interface Spanset {
  /** In start-time order. */
  readonly spans: readonly QuerySpan[];
  readonly attributes: readonly SpansetAttribute[];
}

/** A query that is valid TraceQL but cannot run on this trace (Tempo answers these with 400). */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

const STATUS: readonly StatusValue[] = ['unset', 'ok', 'error'];
const KINDS: readonly KindValue[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const ID_INTRINSICS = new Set(['trace:id', 'span:id', 'link:traceID', 'link:spanID']);

interface Row {
  readonly span: QuerySpan;
  readonly event: SpanEvent | undefined;
  readonly link: SpanLink | undefined;
}

interface NestedSet {
  readonly left: number;
  readonly right: number;
  readonly parent: number;
}

/** Per-trace state: the span tree, built once and only when a query needs it. */
class TraceContext {
  private parents: Map<QuerySpan, QuerySpan> | undefined;
  private nested: Map<QuerySpan, NestedSet> | undefined;
  readonly durationNs: number;

  constructor(readonly trace: QueryTrace) {
    this.durationNs = Number(trace.endNs - trace.startNs);
  }

  /**
   * Parent links of the spans reachable from a root (a span with an empty parent id).
   * Orphans have no entry and so never take part in a structural relation, as in Tempo.
   */
  parentMap(): Map<QuerySpan, QuerySpan> {
    if (this.parents !== undefined) return this.parents;
    this.buildTree();
    return this.parents!;
  }

  nestedSet(span: QuerySpan): NestedSet | undefined {
    if (this.nested === undefined) this.buildTree();
    return this.nested!.get(span);
  }

  private buildTree(): void {
    const children = new Map<string, QuerySpan[]>();
    const roots: QuerySpan[] = [];
    for (const s of this.trace.spans) {
      if (s.parentId === '') roots.push(s);
      else {
        let list = children.get(s.parentId);
        if (list === undefined) children.set(s.parentId, (list = []));
        list.push(s);
      }
    }
    const parents = new Map<QuerySpan, QuerySpan>();
    const nested = new Map<QuerySpan, NestedSet>();
    let counter = 0;
    const seen = new Set<QuerySpan>();
    // Iterative DFS: traces can be deep enough to overflow recursion.
    for (const root of roots) {
      const stack: Array<{ span: QuerySpan; parentLeft: number; left: number; next: number }> = [];
      stack.push({ span: root, parentLeft: -1, left: ++counter, next: 0 });
      seen.add(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const kids = children.get(top.span.spanId) ?? [];
        if (top.next < kids.length) {
          const child = kids[top.next++];
          if (seen.has(child)) continue;
          seen.add(child);
          parents.set(child, top.span);
          stack.push({ span: child, parentLeft: top.left, left: ++counter, next: 0 });
        } else {
          stack.pop();
          nested.set(top.span, { left: top.left, right: ++counter, parent: top.parentLeft });
        }
      }
    }
    this.parents = parents;
    this.nested = nested;
  }
}

// ------------------------------------------------------------------ fields

function attributeOf(map: ReadonlyMap<string, AttrValue>, name: string): Value {
  return map.get(name) ?? NIL;
}

/** The value of an attribute reference for one row; unscoped names prefer the span's own. */
function readAttribute(ref: AttributeRef, row: Row, tc: TraceContext): Value {
  const span = row.span;
  if (ref.kind === 'Intrinsic') return intrinsic(ref.name, row, tc);
  switch (ref.scope) {
    case 'span':
      return attributeOf(span.attributes, ref.name);
    case 'resource':
      return attributeOf(span.resource, ref.name);
    case 'none': {
      const v = span.attributes.get(ref.name);
      return v ?? attributeOf(span.resource, ref.name);
    }
    case 'event':
      return row.event === undefined ? NIL : attributeOf(row.event.attributes, ref.name);
    case 'link':
      return row.link === undefined ? NIL : attributeOf(row.link.attributes, ref.name);
    case 'instrumentation':
      return attributeOf(span.scope.attributes, ref.name);
    default:
      return assertNever(ref.scope);
  }
}

function str(s: string | undefined): Value {
  return s === undefined ? NIL : { type: 'string', value: s };
}

function intrinsic(name: string, row: Row, tc: TraceContext): Value {
  const span = row.span;
  switch (name) {
    case 'duration':
      return { type: 'duration', value: Number(span.durationNs) };
    case 'name':
      return { type: 'string', value: span.name };
    case 'status':
      return { type: 'status', value: STATUS[span.status] ?? 'unset' };
    case 'statusMessage':
      return { type: 'string', value: span.statusMessage };
    case 'kind':
      return { type: 'kind', value: KINDS[span.kind] ?? 'unspecified' };
    case 'traceDuration':
      return { type: 'duration', value: tc.durationNs };
    case 'rootName':
      return str(tc.trace.rootName);
    case 'rootServiceName':
      return str(tc.trace.rootService);
    case 'trace:id':
      // Shown as search shows trace ids, without leading zeros (comparisons ignore them anyway).
      return { type: 'string', value: tc.trace.traceId.replace(/^0+(?=.)/, '') };
    case 'span:id':
      return { type: 'string', value: span.spanId };
    case 'event:name':
      return str(row.event?.name);
    case 'event:timeSinceStart':
      return row.event === undefined ? NIL : { type: 'duration', value: Number(row.event.timeNs - span.startNs) };
    case 'link:traceID':
      return str(row.link?.traceId);
    case 'link:spanID':
      return str(row.link?.spanId);
    case 'instrumentation:name':
      return span.scope.name === '' ? NIL : { type: 'string', value: span.scope.name };
    case 'instrumentation:version':
      return span.scope.version === '' ? NIL : { type: 'string', value: span.scope.version };
    case 'nestedSetLeft':
    case 'nestedSetRight':
    case 'nestedSetParent': {
      const n = tc.nestedSet(span);
      const v = n === undefined ? 0 : name === 'nestedSetLeft' ? n.left : name === 'nestedSetRight' ? n.right : n.parent;
      return { type: 'int', value: v };
    }
    default:
      return NIL;
  }
}

/** Ids compare as bytes: case and leading zeros do not matter. */
function normalizeId(v: Value): Value {
  if (v.type !== 'string') return v;
  const s = v.value.toLowerCase().replace(/^0+/, '');
  return { type: 'string', value: s };
}

function isIdRef(e: FieldExpression): boolean {
  return e.kind === 'Intrinsic' && ID_INTRINSICS.has(e.name);
}

/** Values an operand can take in a comparison: an unscoped name may match on the span or its resource. */
function alternatives(e: FieldExpression, row: Row, tc: TraceContext): Value[] {
  if (e.kind === 'Attribute' && e.scope === 'none') {
    const s = row.span.attributes.get(e.name);
    const r = row.span.resource.get(e.name);
    if (s !== undefined && r !== undefined) return [s, r];
    return [s ?? r ?? NIL];
  }
  return [field(e, row, tc)];
}

function isTrue(v: Value): boolean {
  return v.type === 'bool' && v.value === true;
}

function field(e: FieldExpression, row: Row, tc: TraceContext): Value {
  switch (e.kind) {
    case 'Static':
      return e;
    case 'Attribute':
    case 'Intrinsic':
      return readAttribute(e, row, tc);
    case 'UnaryOperation': {
      const v = field(e.operand, row, tc);
      if (e.op === '!') return v.type === 'bool' ? bool(!v.value) : NIL;
      return isNumeric(v) ? { type: v.type, value: -v.value } : NIL;
    }
    case 'BinaryOperation': {
      switch (e.op) {
        case '&&':
          return bool(isTrue(field(e.lhs, row, tc)) && isTrue(field(e.rhs, row, tc)));
        case '||':
          return bool(isTrue(field(e.lhs, row, tc)) || isTrue(field(e.rhs, row, tc)));
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '^':
          return arithmetic(e.op, field(e.lhs, row, tc), field(e.rhs, row, tc));
        default: {
          const op: CompareOp = e.op;
          const ids = isIdRef(e.lhs) || isIdRef(e.rhs);
          for (let l of alternatives(e.lhs, row, tc)) {
            for (let r of alternatives(e.rhs, row, tc)) {
              if (ids) {
                if (op !== '=' && op !== '!=') return bool(false);
                l = normalizeId(l);
                r = normalizeId(r);
              }
              if (compare(op, l, r)) return bool(true);
            }
          }
          return bool(false);
        }
      }
    }
    default:
      return assertNever(e);
  }
}

// ------------------------------------------------------------- filters

interface Scopes {
  readonly events: boolean;
  readonly links: boolean;
}

const scopeCache = new WeakMap<FieldExpression, Scopes>();

/** Whether an expression reads event or link fields: then it is tried once per event/link. */
function scopesOf(e: FieldExpression): Scopes {
  let cached = scopeCache.get(e);
  if (cached !== undefined) return cached;
  let events = false;
  let links = false;
  const walk = (x: FieldExpression): void => {
    switch (x.kind) {
      case 'Attribute':
        if (x.scope === 'event') events = true;
        if (x.scope === 'link') links = true;
        return;
      case 'Intrinsic':
        if (x.name.startsWith('event:')) events = true;
        if (x.name.startsWith('link:')) links = true;
        return;
      case 'BinaryOperation':
        walk(x.lhs);
        walk(x.rhs);
        return;
      case 'UnaryOperation':
        walk(x.operand);
        return;
      case 'Static':
        return;
      default:
        assertNever(x);
    }
  };
  walk(e);
  cached = { events, links };
  scopeCache.set(e, cached);
  return cached;
}

const NONE: readonly undefined[] = [undefined];

/** A span matches when the expression is true for it (for some event / link when those are read). */
function matches(e: FieldExpression | null, span: QuerySpan, tc: TraceContext): boolean {
  if (e === null) return true;
  const { events, links } = scopesOf(e);
  const evs: readonly (SpanEvent | undefined)[] = events && span.events.length > 0 ? span.events : NONE;
  const lks: readonly (SpanLink | undefined)[] = links && span.links.length > 0 ? span.links : NONE;
  for (const event of evs) {
    for (const link of lks) {
      if (isTrue(field(e, { span, event, link }, tc))) return true;
    }
  }
  return false;
}

// ----------------------------------------------------------- structure

type SpanSet = ReadonlySet<QuerySpan>;

function childrenOf(s: SpanSet, parents: Map<QuerySpan, QuerySpan>): Set<QuerySpan> {
  const out = new Set<QuerySpan>();
  for (const [child, parent] of parents) if (s.has(parent)) out.add(child);
  return out;
}

function parentsOf(s: SpanSet, parents: Map<QuerySpan, QuerySpan>): Set<QuerySpan> {
  const out = new Set<QuerySpan>();
  for (const span of s) {
    const p = parents.get(span);
    if (p !== undefined) out.add(p);
  }
  return out;
}

function ancestorsOf(s: SpanSet, parents: Map<QuerySpan, QuerySpan>): Set<QuerySpan> {
  const out = new Set<QuerySpan>();
  for (const span of s) {
    for (let p = parents.get(span); p !== undefined && !out.has(p); p = parents.get(p)) out.add(p);
  }
  return out;
}

function descendantsOf(s: SpanSet, parents: Map<QuerySpan, QuerySpan>): Set<QuerySpan> {
  const out = new Set<QuerySpan>();
  for (const span of parents.keys()) {
    for (let p = parents.get(span); p !== undefined; p = parents.get(p)) {
      if (s.has(p)) {
        out.add(span);
        break;
      }
    }
  }
  return out;
}

/** Spans that share a parent with some *other* member of `s`. */
function siblingsOf(s: SpanSet, parents: Map<QuerySpan, QuerySpan>): Set<QuerySpan> {
  const count = new Map<QuerySpan, number>();
  for (const span of s) {
    const p = parents.get(span);
    if (p !== undefined) count.set(p, (count.get(p) ?? 0) + 1);
  }
  const out = new Set<QuerySpan>();
  for (const [span, p] of parents) {
    const n = (count.get(p) ?? 0) - (s.has(span) ? 1 : 0);
    if (n > 0) out.add(span);
  }
  return out;
}

function intersect(a: SpanSet, b: SpanSet): Set<QuerySpan> {
  const out = new Set<QuerySpan>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

/** `A op B` for spanset operators; returns the spans of the result. */
function combine(op: SpansetOperation['op'], a: SpanSet, b: SpanSet, tc: TraceContext): SpanSet {
  switch (op) {
    case '&&':
      return a.size > 0 && b.size > 0 ? new Set([...a, ...b]) : new Set();
    case '||':
      return new Set([...a, ...b]);
    default:
      break;
  }
  const parents = tc.parentMap();
  const base = op.replace(/^[!&]/, '');
  // related(X) on the right-hand side, and the reverse relation for union forms.
  let related: Set<QuerySpan>;
  let reverse: () => Set<QuerySpan>;
  switch (base) {
    case '>':
      related = childrenOf(a, parents);
      reverse = () => parentsOf(b, parents);
      break;
    case '<':
      related = parentsOf(a, parents);
      reverse = () => childrenOf(b, parents);
      break;
    case '>>':
      related = descendantsOf(a, parents);
      reverse = () => ancestorsOf(b, parents);
      break;
    case '<<':
      related = ancestorsOf(a, parents);
      reverse = () => descendantsOf(b, parents);
      break;
    case '~':
      related = siblingsOf(a, parents);
      reverse = () => siblingsOf(b, parents);
      break;
    default:
      throw new EvaluationError(`unknown spanset operator ${op}`);
  }
  if (op.startsWith('!')) {
    const out = new Set<QuerySpan>();
    for (const x of b) if (!related.has(x)) out.add(x);
    return out;
  }
  const right = intersect(b, related);
  if (!op.startsWith('&')) return right;
  const left = intersect(a, reverse());
  return right.size === 0 ? right : new Set([...left, ...right]);
}

// ------------------------------------------------------------ pipelines

function ordered(trace: QueryTrace, set: SpanSet): QuerySpan[] {
  if (set.size === trace.spans.length) return trace.spans.slice();
  return trace.spans.filter((s) => set.has(s));
}

function derive(from: Spanset, spans: readonly QuerySpan[], extra?: SpansetAttribute): Spanset {
  return { spans, attributes: extra ? [...from.attributes, extra] : from.attributes };
}

function onlyOne(sets: Spanset[]): Spanset | undefined {
  if (sets.length > 1) {
    throw new EvaluationError('spanset operators are not supported for multiple spansets per trace. consider using coalesce()');
  }
  return sets[0];
}

/** Evaluates one operand of a spanset operator against the spans of `input`. */
function operandSpans(operand: SpansetOperand, input: Spanset, tc: TraceContext): SpanSet {
  switch (operand.kind) {
    case 'SpansetFilter': {
      const out = new Set<QuerySpan>();
      for (const s of input.spans) if (matches(operand.expression, s, tc)) out.add(s);
      return out;
    }
    case 'SpansetOperation':
      return combine(operand.op, operandSpans(operand.lhs, input, tc), operandSpans(operand.rhs, input, tc), tc);
    case 'Pipeline':
      return new Set(onlyOne(runPipeline(operand, [input], tc))?.spans ?? []);
    default:
      return assertNever(operand);
  }
}

function aggregate(agg: Aggregate, spans: readonly QuerySpan[], tc: TraceContext): Value {
  if (agg.op === 'count') return { type: 'int', value: spans.length };
  let type: 'int' | 'float' | 'duration' | undefined;
  let acc = 0;
  let n = 0;
  for (const span of spans) {
    const v = field(agg.expression, { span, event: undefined, link: undefined }, tc);
    if (!isNumeric(v)) continue;
    if (type === undefined) type = v.type;
    else if (type !== v.type && type !== 'duration') type = 'float';
    if (n === 0) acc = v.value;
    else if (agg.op === 'min') acc = Math.min(acc, v.value);
    else if (agg.op === 'max') acc = Math.max(acc, v.value);
    else acc += v.value;
    n++;
  }
  if (type === undefined) return NIL;
  // A duration average is a whole number of nanoseconds (Go's Duration / Duration truncates).
  if (agg.op === 'avg') return type === 'duration' ? { type, value: Math.trunc(acc / n) } : { type: 'float', value: acc / n };
  return { type, value: acc };
}

/** Evaluates a scalar for one spanset, collecting the aggregates it computed. */
function scalar(e: ScalarExpression, input: Spanset, tc: TraceContext, seen: SpansetAttribute[]): Value {
  switch (e.kind) {
    case 'Static':
      return e;
    case 'Aggregate': {
      const v = aggregate(e, input.spans, tc);
      seen.push({ name: label(e), value: v });
      return v;
    }
    case 'ScalarOperation':
      return arithmetic(e.op, scalar(e.lhs, input, tc, seen), scalar(e.rhs, input, tc, seen));
    case 'ScalarPipeline': {
      const sets = runPipeline(e.pipeline, [input], tc);
      const spans = sets.length === 1 ? sets[0].spans : sets.flatMap((s) => s.spans);
      const v = aggregate(e.aggregate, spans, tc);
      seen.push({ name: label(e.aggregate), value: v });
      return v;
    }
    default:
      return assertNever(e);
  }
}

function groupKey(v: Value): string {
  if (v.type === 'array') return 'array:' + v.values.map(groupKey).join(',');
  return v.type + ':' + ('value' in v ? String(v.value) : '');
}

function applyStage(stage: PipelineStage, sets: Spanset[], tc: TraceContext): Spanset[] {
  switch (stage.kind) {
    case 'SpansetFilter': {
      const out: Spanset[] = [];
      for (const set of sets) {
        const spans = stage.expression === null ? set.spans : set.spans.filter((s) => matches(stage.expression, s, tc));
        if (spans.length > 0) out.push(derive(set, spans));
      }
      return out;
    }
    case 'SpansetOperation': {
      const input = onlyOne(sets);
      if (input === undefined) return [];
      const spans = combine(stage.op, operandSpans(stage.lhs, input, tc), operandSpans(stage.rhs, input, tc), tc);
      return spans.size === 0 ? [] : [derive(input, ordered(tc.trace, spans))];
    }
    case 'ScalarFilter': {
      const out: Spanset[] = [];
      for (const set of sets) {
        const seen: SpansetAttribute[] = [];
        const l = scalar(stage.lhs, set, tc, seen);
        const r = scalar(stage.rhs, set, tc, seen);
        if (compare(stage.op, l, r)) out.push({ ...set, attributes: [...set.attributes, ...seen] });
      }
      return out;
    }
    case 'GroupBy': {
      const out: Spanset[] = [];
      const name = `by(${label(stage.expression)})`;
      for (const set of sets) {
        const groups = new Map<string, { value: Value; spans: QuerySpan[] }>();
        for (const span of set.spans) {
          const v = field(stage.expression, { span, event: undefined, link: undefined }, tc);
          const key = groupKey(v);
          let g = groups.get(key);
          if (g === undefined) groups.set(key, (g = { value: v, spans: [] }));
          g.spans.push(span);
        }
        for (const g of groups.values()) out.push(derive(set, g.spans, { name, value: g.value }));
      }
      return out;
    }
    case 'Coalesce': {
      if (sets.length <= 1) return sets;
      const all = new Set<QuerySpan>();
      for (const set of sets) for (const s of set.spans) all.add(s);
      return [{ spans: ordered(tc.trace, all), attributes: [] }];
    }
    case 'Select':
      // Only changes what search results show (query/shown-attributes.ts).
      return sets;
    default:
      return assertNever(stage);
  }
}

function runPipeline(pipeline: Pipeline, input: Spanset[], tc: TraceContext): Spanset[] {
  let sets = input;
  for (const stage of pipeline.stages) {
    if (sets.length === 0) return sets;
    sets = applyStage(stage, sets, tc);
  }
  return sets;
}

/** The non-empty spansets the query yields for `trace`; empty when the trace does not match. */
export function evaluate(root: Root, trace: QueryTrace): Spanset[] {
  const tc = new TraceContext(trace);
  const all: Spanset = { spans: trace.spans, attributes: [] };
  return runPipeline(root.pipeline, [all], tc).filter((s) => s.spans.length > 0);
}

/** Reads an attribute or intrinsic of a span the way select() and search results show it. */
export function readForDisplay(ref: AttributeRef, span: QuerySpan, trace: QueryTrace): Value {
  return readAttribute(ref, { span, event: span.events[0], link: span.links[0] }, new TraceContext(trace));
}

/** Like readForDisplay, but an event or link field once per event / link of the span (none without). */
export function readEachForDisplay(ref: AttributeRef, span: QuerySpan, trace: QueryTrace): Value[] {
  const tc = new TraceContext(trace);
  const scope = ref.kind === 'Intrinsic' ? ref.name.split(':')[0] : ref.scope;
  if (scope === 'event') return span.events.map((event) => readAttribute(ref, { span, event, link: undefined }, tc));
  if (scope === 'link') return span.links.map((link) => readAttribute(ref, { span, event: undefined, link }, tc));
  return [readAttribute(ref, { span, event: undefined, link: undefined }, tc)];
}
