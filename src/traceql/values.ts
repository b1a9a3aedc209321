/**
 * @module traceql/values
 * Run-time values and the comparison rules TraceQL applies to them
 * (as in Tempo 2.7): a missing attribute is nil; an incompatible comparison is
 * false, never an error; int, float and duration compare as numbers; a comparison
 * with an array holds when it holds for any element; regexes are fully anchored.
 */
import type { AttrValue } from '../shared/span.ts';
import type { KindValue, StatusValue } from './ast.ts';
import { compileRegex } from './regex.ts';

export type Value =
  | AttrValue
  | { readonly type: 'nil' }
  | { readonly type: 'duration'; readonly value: number }
  | { readonly type: 'status'; readonly value: StatusValue }
  | { readonly type: 'kind'; readonly value: KindValue };

export const NIL: Value = { type: 'nil' };
export const TRUE: Value = { type: 'bool', value: true };
export const FALSE: Value = { type: 'bool', value: false };

export function isNumeric(v: Value): v is { type: 'int' | 'float' | 'duration'; value: number } {
  return v.type === 'int' || v.type === 'float' || v.type === 'duration';
}

export function bool(b: boolean): Value {
  return b ? TRUE : FALSE;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~';

function ordered(op: CompareOp, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    default:
      return false;
  }
}

function cmpNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
}

function cmpStrings(a: string, b: string): number {
  // Tempo orders strings byte-wise (UTF-8); code-point order is the same order.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two non-array, non-nil scalars; undefined when their types are incompatible. */
function compareScalars(op: CompareOp, a: Value, b: Value): boolean | undefined {
  if (op === '=~' || op === '!~') {
    if (a.type !== 'string' || b.type !== 'string') return undefined;
    const re = compileRegex(b.value);
    if (re === null) return false;
    return re.test(a.value) === (op === '=~');
  }
  if (isNumeric(a) && isNumeric(b)) {
    const c = cmpNumbers(a.value, b.value);
    return Number.isNaN(c) ? op === '!=' : ordered(op, c);
  }
  if (a.type !== b.type) return undefined;
  switch (a.type) {
    case 'string':
      return ordered(op, cmpStrings(a.value, (b as { value: string }).value));
    case 'bool':
    case 'status':
    case 'kind':
      if (op !== '=' && op !== '!=') return undefined;
      return (a.value === (b as { value: unknown }).value) === (op === '=');
    default:
      return undefined;
  }
}

/** `a op b` as TraceQL defines it. */
export function compare(op: CompareOp, a: Value, b: Value): boolean {
  if (b.type === 'nil') {
    // nil on the right is compatible with anything: `!= nil` tests existence.
    if (op === '=') return a.type === 'nil';
    if (op === '!=') return a.type !== 'nil';
    return false;
  }
  if (a.type === 'nil' || a.type === 'opaque' || b.type === 'opaque') return false;
  if (a.type === 'array') {
    for (const el of a.values) if (b.type !== 'array' && compareScalars(op, el, b) === true) return true;
    return false;
  }
  if (b.type === 'array') {
    for (const el of b.values) if (compareScalars(op, a, el) === true) return true;
    return false;
  }
  return compareScalars(op, a, b) === true;
}

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '^';

/** Arithmetic: int with int stays int (division truncates); anything else is float. */
export function arithmetic(op: ArithOp, a: Value, b: Value): Value {
  if (!isNumeric(a) || !isNumeric(b)) return NIL;
  const x = a.value;
  const y = b.value;
  const ints = a.type === 'int' && b.type === 'int';
  let r: number;
  switch (op) {
    case '+':
      r = x + y;
      break;
    case '-':
      r = x - y;
      break;
    case '*':
      r = x * y;
      break;
    case '/':
      if (ints) {
        if (y === 0) return NIL;
        r = Math.trunc(x / y);
      } else r = x / y;
      break;
    case '%':
      if (ints && y === 0) return NIL;
      r = x % y;
      break;
    case '^':
      r = x ** y;
      if (ints) r = Math.trunc(r);
      break;
  }
  if (ints) return { type: 'int', value: r };
  // Durations stay durations (`2 * 1s`, `duration - 1s`), except a ratio of two durations.
  const durations = (a.type === 'duration' ? 1 : 0) + (b.type === 'duration' ? 1 : 0);
  if (durations === 2 ? op !== '/' : durations === 1) return { type: 'duration', value: r };
  return { type: 'float', value: r };
}
