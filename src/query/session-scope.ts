/**
 * Limits a query to one test session: every span filter also requires the span's
 * resource to carry `tracebox.session = <id>`, so the same span satisfies both.
 */
import { SESSION_ATTRIBUTE } from '../otlp/index.ts';
import { assertNever, type FieldExpression, type Pipeline, type PipelineStage, type Root, type SpansetOperand } from '../traceql/index.ts';

const AT = { from: 0, to: 0 };

function sessionCondition(session: string): FieldExpression {
  return {
    kind: 'BinaryOperation',
    op: '=',
    ...AT,
    lhs: { kind: 'Attribute', scope: 'resource', parent: false, name: SESSION_ATTRIBUTE, ...AT },
    rhs: { kind: 'Static', type: 'string', value: session, ...AT },
  };
}

export function scopeToSession(root: Root, session: string): Root {
  const cond = sessionCondition(session);
  const operand = (o: SpansetOperand): SpansetOperand => {
    switch (o.kind) {
      case 'SpansetFilter':
        return { ...o, expression: o.expression === null ? cond : { kind: 'BinaryOperation', op: '&&', ...AT, lhs: cond, rhs: o.expression } };
      case 'SpansetOperation':
        return { ...o, lhs: operand(o.lhs), rhs: operand(o.rhs) };
      case 'Pipeline':
        return pipeline(o);
      default:
        return assertNever(o);
    }
  };
  const stage = (s: PipelineStage): PipelineStage => {
    switch (s.kind) {
      case 'SpansetFilter':
        return operand(s) as PipelineStage;
      case 'SpansetOperation':
        return operand(s) as PipelineStage;
      default:
        return s;
    }
  };
  const pipeline = (p: Pipeline): Pipeline => {
    const stages = p.stages.map(stage);
    // A pipeline that starts with a scalar filter or by() sees every span: restrict it first.
    const first = stages[0];
    if (first !== undefined && first.kind !== 'SpansetFilter' && first.kind !== 'SpansetOperation') {
      stages.unshift({ kind: 'SpansetFilter', ...AT, expression: cond });
    }
    return { ...p, stages };
  };
  return { ...root, pipeline: pipeline(root.pipeline) };
}
