/**
 * @module traceql/validate
 * Static checks Tempo 2.7 runs after parsing (pkg/traceql/ast_validate.go),
 * in the same order, so the first error reported is the one Tempo reports.
 * Types are inferred per node; `attribute` (a value only known per span) is
 * compatible with everything. Rejections:
 *  - type errors: `{ status = "error" }`, `{ 1 + "a" = 1 }`, `{ status > ok }`,
 *    `{ "foo" }` (a filter must be boolean), `sum(3) > 1` (must reference the span);
 *  - invalid RE2 on the right of `=~` / `!~`;
 *  - Tempo's "… not yet supported" family (TraceQLValidationError.unsupported):
 *    parent scope, childCount, `= nil`, scalar filters other than
 *    `aggregate CMP literal`, too many group-bys in metrics.
 */
import type {
  Aggregate,
  FieldExpression,
  MetricsFunction,
  Node,
  Pipeline,
  PipelineStage,
  Root,
  ScalarExpression,
  SpansetOperand,
  StaticType,
} from './ast.ts';
import { assertNever } from './ast.ts';
import { TraceQLValidationError } from './errors.ts';
import { INTRINSIC_TYPES, UNSUPPORTED_INTRINSICS } from './intrinsics.ts';
import { print } from './print.ts';
import { compileRegex } from './regex.ts';

/** Tempo's maxGroupBys; quantile/histogram/avg reserve one label for themselves. */
const MAX_GROUP_BYS = 5;

const BOOLEAN_OPS = new Set(['&&', '||', '=', '!=', '=~', '!~', '<', '<=', '>', '>=']);
const NUMERIC_TYPES: ReadonlySet<StaticType> = new Set(['int', 'float', 'duration']);

/** Operators each static type supports (Tempo's binaryTypeValid). */
const VALID_OPS: Readonly<Record<Exclude<StaticType, 'attribute'>, ReadonlySet<string>>> = {
  bool: new Set(['&&', '||', '=', '!=']),
  int: new Set(['+', '-', '*', '/', '%', '^', '=', '!=', '<', '<=', '>', '>=']),
  float: new Set(['+', '-', '*', '/', '%', '^', '=', '!=', '<', '<=', '>', '>=']),
  duration: new Set(['+', '-', '*', '/', '%', '^', '=', '!=', '<', '<=', '>', '>=']),
  string: new Set(['=', '!=', '=~', '!~', '<', '<=', '>', '>=']),
  nil: new Set(['=', '!=']),
  status: new Set(['=', '!=']),
  kind: new Set(['=', '!=']),
};

const isNumeric = (t: StaticType): boolean => NUMERIC_TYPES.has(t);

/** Tempo's isMatchingOperand, minus arrays (no array literals exist). */
function matchingOperands(lhs: StaticType, rhs: StaticType): boolean {
  return lhs === 'attribute' || rhs === 'attribute' || lhs === rhs
    || (isNumeric(lhs) && isNumeric(rhs)) || rhs === 'nil';
}

function opValidFor(op: string, t: StaticType): boolean {
  return t === 'attribute' || VALID_OPS[t].has(op);
}

/** Static type of a field expression (Tempo's impliedType). */
export function fieldType(e: FieldExpression): StaticType {
  switch (e.kind) {
    case 'Static':
      return e.type;
    case 'Attribute':
      return 'attribute';
    case 'Intrinsic':
      return INTRINSIC_TYPES[e.name];
    case 'UnaryOperation':
      return fieldType(e.operand);
    case 'BinaryOperation': {
      if (BOOLEAN_OPS.has(e.op)) return 'bool';
      const lhs = fieldType(e.lhs);
      return lhs !== 'attribute' ? lhs : fieldType(e.rhs);
    }
    default:
      return assertNever(e);
  }
}

/** Whether the expression reads anything from the span (else it is constant). */
export function referencesSpan(e: FieldExpression): boolean {
  switch (e.kind) {
    case 'Static':
      return false;
    case 'Attribute':
    case 'Intrinsic':
      return true;
    case 'UnaryOperation':
      return referencesSpan(e.operand);
    case 'BinaryOperation':
      return referencesSpan(e.lhs) || referencesSpan(e.rhs);
    default:
      return assertNever(e);
  }
}

function scalarType(e: ScalarExpression): StaticType {
  switch (e.kind) {
    case 'Static':
      return e.type;
    case 'Aggregate':
      return e.expression === null ? 'int' : fieldType(e.expression);
    case 'ScalarPipeline':
      return scalarType(e.aggregate);
    case 'ScalarOperation': {
      const lhs = scalarType(e.lhs);
      return lhs !== 'attribute' ? lhs : scalarType(e.rhs);
    }
    default:
      return assertNever(e);
  }
}

function invalid(message: string, node: Node): never {
  throw new TraceQLValidationError(message, node.from, node.to);
}

function unsupported(feature: string, node: Node): never {
  throw new TraceQLValidationError(`${feature} not yet supported`, node.from, node.to, true);
}

/** Throws TraceQLValidationError for the first problem, in Tempo's order. */
export function validate(root: Root): void {
  validatePipeline(root.pipeline);
  if (root.metrics) validateMetrics(root.metrics);
  if (root.secondStage && root.secondStage.limit <= 0) invalid('limit must be greater than 0', root.secondStage);
}

function validatePipeline(p: Pipeline): void {
  for (const stage of p.stages) validateStage(stage);
}

function validateStage(s: PipelineStage): void {
  switch (s.kind) {
    case 'SpansetFilter':
    case 'SpansetOperation':
      return validateSpanset(s);
    case 'ScalarFilter': {
      validateScalar(s.lhs);
      validateScalar(s.rhs);
      checkBinaryTypes(s.op, scalarType(s.lhs), scalarType(s.rhs), s);
      // Tempo 2.7 only evaluates `aggregate CMP literal`. The odd "(%v)" is
      // Tempo's literal text (an unformatted format string).
      if (s.lhs.kind !== 'Aggregate') unsupported('scalar filter lhs of type (%v)', s.lhs);
      if (s.rhs.kind !== 'Static') unsupported('scalar filter rhs of type (%v)', s.rhs);
      return;
    }
    case 'GroupBy':
      if (!referencesSpan(s.expression)) invalid(`grouping field expressions must reference the span: ${print(s)}`, s);
      return validateField(s.expression);
    case 'Coalesce':
      return;
    case 'Select':
      for (const a of s.attributes) validateField(a);
      return;
    default:
      return assertNever(s);
  }
}

function validateSpanset(s: SpansetOperand): void {
  switch (s.kind) {
    case 'SpansetFilter': {
      if (s.expression === null) return;
      validateField(s.expression);
      const t = fieldType(s.expression);
      if (t !== 'attribute' && t !== 'bool') {
        invalid(`span filter field expressions must resolve to a boolean: ${print(s)}`, s);
      }
      return;
    }
    case 'SpansetOperation':
      validateSpanset(s.lhs);
      return validateSpanset(s.rhs);
    case 'Pipeline':
      return validatePipeline(s);
    default:
      return assertNever(s);
  }
}

function validateScalar(e: ScalarExpression): void {
  switch (e.kind) {
    case 'Static':
      return;
    case 'Aggregate':
      return validateAggregate(e);
    case 'ScalarPipeline':
      validatePipeline(e.pipeline);
      return validateAggregate(e.aggregate);
    case 'ScalarOperation':
      validateScalar(e.lhs);
      validateScalar(e.rhs);
      return checkBinaryTypes(e.op, scalarType(e.lhs), scalarType(e.rhs), e);
    default:
      return assertNever(e);
  }
}

function validateAggregate(a: Aggregate): void {
  if (a.expression === null) return;
  validateField(a.expression);
  const t = fieldType(a.expression);
  if (t !== 'attribute' && !isNumeric(t)) invalid(`aggregate field expressions must resolve to a number type: ${print(a)}`, a);
  if (!referencesSpan(a.expression)) invalid(`aggregate field expressions must reference the span: ${print(a)}`, a);
}

function checkBinaryTypes(op: string, lhs: StaticType, rhs: StaticType, node: Node): void {
  if (!matchingOperands(lhs, rhs)) invalid(`binary operations must operate on the same type: ${print(node)}`, node);
  if (!opValidFor(op, lhs) || !opValidFor(op, rhs)) invalid(`illegal operation for the given types: ${print(node)}`, node);
}

function validateField(e: FieldExpression): void {
  switch (e.kind) {
    case 'Static':
      return;
    case 'Attribute':
      if (e.parent) unsupported('parent', e);
      return;
    case 'Intrinsic':
      if (UNSUPPORTED_INTRINSICS.has(e.name)) unsupported(`intrinsic (${e.name})`, e);
      return;
    case 'UnaryOperation': {
      validateField(e.operand);
      const t = fieldType(e.operand);
      const ok = t === 'attribute' || (e.op === '-' ? isNumeric(t) : t === 'bool');
      if (!ok) invalid(`illegal operation for the given type: ${print(e)}`, e);
      return;
    }
    case 'BinaryOperation': {
      validateField(e.lhs);
      validateField(e.rhs);
      const lhs = fieldType(e.lhs);
      const rhs = fieldType(e.rhs);
      if (!matchingOperands(lhs, rhs)) invalid(`binary operations must operate on the same type: ${print(e)}`, e);
      // 2.7 has no "attribute is absent" test; `!= nil` is the supported existence test.
      if (rhs === 'nil' && e.op === '=') unsupported('{.a = nil}', e);
      if (!opValidFor(e.op, lhs) || !opValidFor(e.op, rhs)) invalid(`illegal operation for the given types: ${print(e)}`, e);
      if ((e.op === '=~' || e.op === '!~') && e.rhs.kind === 'Static' && e.rhs.type === 'string'
        && compileRegex(e.rhs.value) === null) {
        invalid(`invalid regex: ${print(e.rhs)}`, e.rhs);
      }
      return;
    }
    default:
      return assertNever(e);
  }
}

function validateMetrics(m: MetricsFunction): void {
  if (m.kind === 'MetricsCompare') {
    validateSpanset(m.filter);
    if (m.topN <= 0) invalid('compare() top number of values must be integer greater than 0', m);
    if (m.start === 0 && m.end === 0) return;
    if (m.start <= 0 || m.end <= 0) invalid('compare() timestamps must be positive integer unix nanoseconds', m);
    if (m.end <= m.start) invalid('compare() end timestamp must be greater than start timestamp', m);
    return;
  }
  // Functions that add a label of their own (bucket, quantile, avg's count) get one group-by less.
  const reserved = m.fn === 'quantile_over_time' || m.fn === 'histogram_over_time' || m.fn === 'avg_over_time';
  if (m.by.length > (reserved ? MAX_GROUP_BYS - 1 : MAX_GROUP_BYS)) {
    unsupported(`metrics group by ${m.by.length} values`, m);
  }
  if (m.fn === 'quantile_over_time') {
    for (const q of m.quantiles) {
      if (q < 0 || q > 1) invalid(`quantile must be between 0 and 1: ${q}`, m);
    }
  }
}
