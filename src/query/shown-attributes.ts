/**
 * Which attributes a search result shows on a matched span, as Tempo 2.7 decides it: its
 * storage layer hands each span to the engine with the values the query's conditions
 * fetched, and the result lists those.
 *
 * - Every attribute and intrinsic the query reads is a candidate: in filters, `select()`,
 *   `by()` and aggregates, once each (Tempo keys them by scope and name).
 * - One compared with a literal (`span.a = 1`, `status = error`, `name =~ "GET.*"`) is
 *   fetched with that comparison, so it shows only where its value satisfies one of the
 *   comparisons on it: `{ resource.service.name = "a" } >> { status = error }` shows
 *   `service.name` on an error span of service "a" only, and with `||` a span matched by the
 *   other side does not list a non-matching value.
 * - One read any other way (`select()`, `by()`, an aggregate, arithmetic, a comparison of
 *   two attributes, `!= nil`, a bare boolean) shows whatever it holds.
 * - An array shows the elements that satisfy: one as a plain value, several as an array
 *   (Tempo's storage keeps array elements as separate values).
 * - Intrinsics with fields of their own (name, duration, ids, trace-level values) are not
 *   listed.
 */
import type { QuerySpan, QueryTrace } from '../shared/span.ts';
import { assertNever, readEachForDisplay, compare, NIL, type AttributeRef, type FieldExpression, type Pipeline, type PipelineStage, type Root, type ScalarExpression, type SpansetOperand, type Static, type CompareOp, type Value } from '../traceql/index.ts';

/** A comparison with a literal, as the storage layer applies it to a value. */
interface Condition {
  readonly op: CompareOp;
  readonly literal: Static;
}

export interface ShownAttribute {
  readonly ref: AttributeRef;
  /** undefined: every value is shown; otherwise a value satisfying one of these. */
  readonly conditions: readonly Condition[] | undefined;
}

/** Intrinsics that search results never list as attributes (they have fields of their own). */
const NOT_LISTED = new Set(['name', 'duration', 'traceDuration', 'rootServiceName', 'rootName', 'trace:id', 'span:id']);

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=', '=~', '!~']);
const MIRRORED: Partial<Record<CompareOp, CompareOp>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function isRef(e: FieldExpression): e is AttributeRef {
  return e.kind === 'Attribute' || e.kind === 'Intrinsic';
}

function refKey(ref: AttributeRef): string {
  return ref.kind === 'Intrinsic' ? `:${ref.name}` : `${ref.scope}.${ref.parent ? 'parent.' : ''}${ref.name}`;
}

/** The attributes a query's answer shows on its spans, in the order the query first reads them. */
export function shownAttributes(root: Root): ShownAttribute[] {
  const found = new Map<string, { ref: AttributeRef; conditions: Condition[] | undefined }>();
  const add = (ref: AttributeRef, condition: Condition | undefined): void => {
    const key = refKey(ref);
    const seen = found.get(key);
    if (seen === undefined) found.set(key, { ref, conditions: condition === undefined ? undefined : [condition] });
    else if (condition === undefined) seen.conditions = undefined;
    else seen.conditions?.push(condition);
  };
  const field = (e: FieldExpression | null): void => {
    if (e === null) return;
    switch (e.kind) {
      case 'Attribute':
      case 'Intrinsic':
        add(e, undefined);
        return;
      case 'UnaryOperation':
        field(e.operand);
        return;
      case 'Static':
        return;
      case 'BinaryOperation': {
        const op = COMPARISONS.has(e.op) ? (e.op as CompareOp) : undefined;
        const { lhs, rhs } = e;
        if (isRef(lhs) && rhs.kind === 'Static') {
          add(lhs, op !== undefined && !(rhs.type === 'nil' && op === '!=') ? { op, literal: rhs } : undefined);
        } else if (lhs.kind === 'Static' && isRef(rhs)) {
          add(rhs, op !== undefined && !(lhs.type === 'nil' && op === '!=') ? { op: MIRRORED[op] ?? op, literal: lhs } : undefined);
        } else {
          field(lhs);
          field(rhs);
        }
        return;
      }
      default:
        assertNever(e);
    }
  };
  const scalar = (e: ScalarExpression): void => {
    switch (e.kind) {
      case 'Aggregate':
        field(e.expression);
        return;
      case 'ScalarOperation':
        scalar(e.lhs);
        scalar(e.rhs);
        return;
      case 'ScalarPipeline':
        pipeline(e.pipeline);
        scalar(e.aggregate);
        return;
      case 'Static':
        return;
      default:
        assertNever(e);
    }
  };
  const operand = (o: SpansetOperand): void => {
    if (o.kind === 'SpansetFilter') field(o.expression);
    else if (o.kind === 'Pipeline') pipeline(o);
    else {
      operand(o.lhs);
      operand(o.rhs);
    }
  };
  const stage = (s: PipelineStage): void => {
    switch (s.kind) {
      case 'SpansetFilter':
      case 'SpansetOperation':
        operand(s);
        return;
      case 'ScalarFilter':
        scalar(s.lhs);
        scalar(s.rhs);
        return;
      case 'GroupBy':
        field(s.expression);
        return;
      case 'Select':
        for (const ref of s.attributes) add(ref, undefined);
        return;
      case 'Coalesce':
        return;
      default:
        assertNever(s);
    }
  };
  const pipeline = (p: Pipeline): void => p.stages.forEach(stage);
  pipeline(root.pipeline);
  return [...found.values()].filter((a) => a.ref.kind !== 'Intrinsic' || !NOT_LISTED.has(a.ref.name));
}

/** What `attr` shows on `span`: NIL when nothing (no value, or none that satisfies). */
export function shownValue(attr: ShownAttribute, span: QuerySpan, trace: QueryTrace): Value {
  const { conditions } = attr;
  const satisfies = (v: Value): boolean => conditions === undefined || conditions.some((c) => compare(c.op, v, c.literal));
  for (const value of readEachForDisplay(attr.ref, span, trace)) {
    if (value.type === 'nil') continue;
    if (value.type === 'array') {
      const kept = value.values.filter(satisfies);
      if (kept.length === 1) return kept[0];
      if (kept.length > 1) return { type: 'array', values: kept };
    } else if (satisfies(value)) {
      return value;
    }
  }
  return NIL;
}
