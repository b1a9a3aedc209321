/**
 * @module traceql/labels
 * Names under which pipeline values appear in results, as Tempo prints them:
 * `count()`, `avg(duration)`, `by(resource.service.name)`.
 */
import type { Aggregate, FieldExpression } from './ast.ts';
import { print } from './print.ts';

export function label(node: Aggregate | FieldExpression): string {
  return print(node);
}
