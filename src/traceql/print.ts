/**
 * @module traceql/print
 * AST → canonical TraceQL. For every tree the parser produces,
 * `parse(print(ast))` equals `ast` except for source offsets. Parentheses are
 * added only where precedence needs them, plus around the operand of a prefix
 * operator (`-(.a * 2)`) for readability; `{ explicit: true }` parenthesises
 * every compound operand instead, which makes the parsed grouping visible.
 *
 * Canonical spellings: legacy intrinsic names (`duration`, not `span:duration`),
 * double-quoted strings, durations as `1h30m` / `1s500ms`, floats always with a
 * `.` or exponent (`2.0`), attribute names quoted only when they must be.
 */
import type {
  AttributeRef,
  FieldExpression,
  Node,
  Pipeline,
  ScalarExpression,
  SpansetOperand,
  Static,
} from './ast.ts';
import { assertNever } from './ast.ts';
import { formatDuration } from './duration.ts';
import { quoteGoString } from './go-string.ts';

export interface PrintOptions {
  /** Parenthesise every compound operand, e.g. `{ (.a = 1) || ((.b = 2) && (.c = 3)) }`. */
  readonly explicit?: boolean;
}

// Precedences mirror parser.ts (higher binds tighter).
const FIELD_PREC: Readonly<Record<string, number>> = {
  '&&': 1, '||': 1,
  '=': 2, '!=': 2, '<': 2, '<=': 2, '>': 2, '>=': 2, '=~': 2, '!~': 2,
  '+': 3, '-': 3,
  '*': 5, '/': 5, '%': 5,
  '^': 6,
};
const UNARY_PREC: Readonly<Record<string, number>> = { '-': 3, '!': 4 };
const ARITH_PREC: Readonly<Record<string, number>> = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '^': 3 };
const ATOM = 100;

/** Characters that would end an attribute name, or start a quoted segment in it. */
const NEEDS_QUOTES = /[\s{}()=~!<>&|^,"\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

export function print(node: Node, options: PrintOptions = {}): string {
  return new Printer(options.explicit === true).node(node);
}

class Printer {
  private readonly explicit: boolean;

  constructor(explicit: boolean) {
    this.explicit = explicit;
  }

  node(n: Node): string {
    switch (n.kind) {
      case 'Root': {
        let out = this.pipeline(n.pipeline);
        if (n.metrics) out += ' | ' + this.node(n.metrics);
        if (n.secondStage) out += ' | ' + this.node(n.secondStage);
        if (n.hints) out += ' ' + this.node(n.hints);
        return out;
      }
      case 'Pipeline':
        return this.pipeline(n);
      case 'SpansetFilter':
      case 'SpansetOperation':
        return this.spanset(n, 0);
      case 'ScalarFilter':
        return `${this.scalar(n.lhs, 0)} ${n.op} ${this.scalar(n.rhs, 0)}`;
      case 'GroupBy':
        return `by(${this.field(n.expression, 0)})`;
      case 'Coalesce':
        return 'coalesce()';
      case 'Select':
        return `select(${this.attributes(n.attributes)})`;
      case 'BinaryOperation':
      case 'UnaryOperation':
      case 'Static':
      case 'Attribute':
      case 'Intrinsic':
        return this.field(n, 0);
      case 'Aggregate':
      case 'ScalarOperation':
      case 'ScalarPipeline':
        return this.scalar(n, 0);
      case 'MetricsAggregate': {
        let args = '';
        if (n.fn === 'quantile_over_time') {
          args = [this.attribute(n.attribute), ...n.quantiles.map((q) => formatNumber(q))].join(', ');
        } else if ('attribute' in n) {
          args = this.attribute(n.attribute);
        }
        const by = n.by.length > 0 ? ` by (${this.attributes(n.by)})` : '';
        return `${n.fn}(${args})${by}`;
      }
      case 'MetricsCompare': {
        const args = [this.spanset(n.filter, 0), formatInt(n.topN)];
        if (n.start !== 0 || n.end !== 0) args.push(formatInt(n.start), formatInt(n.end));
        return `compare(${args.join(', ')})`;
      }
      case 'TopK':
        return `${n.op}(${formatInt(n.limit)})`;
      case 'Hints':
        return `with(${n.hints.map((h) => this.node(h)).join(', ')})`;
      case 'Hint':
        return `${n.name}=${this.static(n.value)}`;
      default:
        return assertNever(n);
    }
  }

  private pipeline(p: Pipeline): string {
    return p.stages.map((s) => this.node(s)).join(' | ');
  }

  private attributes(list: readonly AttributeRef[]): string {
    return list.map((a) => this.attribute(a)).join(', ');
  }

  /** Spanset operands; a Pipeline operand is always parenthesised. */
  private spanset(n: SpansetOperand, minPrec: number): string {
    switch (n.kind) {
      case 'SpansetFilter':
        return n.expression === null ? '{ }' : `{ ${this.field(n.expression, 0)} }`;
      case 'Pipeline':
        return `(${this.pipeline(n)})`;
      case 'SpansetOperation': {
        const prec = n.op === '&&' || n.op === '||' ? 1 : 2;
        const text = `${this.spanset(n.lhs, prec)} ${n.op} ${this.spanset(n.rhs, prec + 1)}`;
        return prec < minPrec || (this.explicit && minPrec > 0) ? `(${text})` : text;
      }
      default:
        return assertNever(n);
    }
  }

  /**
   * Field expressions. `minPrec` is the precedence the position demands; an
   * operand binding more loosely is parenthesised.
   */
  private field(n: FieldExpression, minPrec: number): string {
    switch (n.kind) {
      case 'Static': {
        const text = this.static(n);
        // `-1` reads back as prefix minus applied to 1, so it binds like one.
        const negative = text.startsWith('-');
        return negative && (UNARY_PREC['-'] < minPrec || (this.explicit && minPrec > 0)) ? `(${text})` : text;
      }
      case 'Attribute':
      case 'Intrinsic':
        return this.attribute(n);
      case 'UnaryOperation': {
        const prec = UNARY_PREC[n.op];
        const operand = n.operand;
        const simple = operand.kind === 'Attribute' || operand.kind === 'Intrinsic' || operand.kind === 'UnaryOperation'
          || (operand.kind === 'Static' && !this.static(operand).startsWith('-'));
        const text = n.op + (simple ? this.field(operand, ATOM) : `(${this.field(operand, 0)})`);
        return prec < minPrec || (this.explicit && minPrec > 0) ? `(${text})` : text;
      }
      case 'BinaryOperation': {
        const prec = FIELD_PREC[n.op];
        const right = n.op === '^';
        const text = `${this.field(n.lhs, right ? prec + 1 : prec)} ${n.op} ${this.field(n.rhs, right ? prec : prec + 1)}`;
        return prec < minPrec || (this.explicit && minPrec > 0) ? `(${text})` : text;
      }
      default:
        return assertNever(n);
    }
  }

  /** Scalar expressions; here a negative number is an atom (`count() > -1`). */
  private scalar(n: ScalarExpression, minPrec: number): string {
    switch (n.kind) {
      case 'Static':
        return this.static(n);
      case 'Aggregate':
        return n.expression === null ? `${n.op}()` : `${n.op}(${this.field(n.expression, 0)})`;
      case 'ScalarPipeline':
        return `(${this.pipeline(n.pipeline)} | ${this.scalar(n.aggregate, 0)})`;
      case 'ScalarOperation': {
        const prec = ARITH_PREC[n.op];
        const right = n.op === '^';
        const text = `${this.scalar(n.lhs, right ? prec + 1 : prec)} ${n.op} ${this.scalar(n.rhs, right ? prec : prec + 1)}`;
        return prec < minPrec || (this.explicit && minPrec > 0) ? `(${text})` : text;
      }
      default:
        return assertNever(n);
    }
  }

  private static(n: Static): string {
    switch (n.type) {
      case 'nil':
        return 'nil';
      case 'int':
        return formatInt(n.value);
      case 'float':
        return formatNumber(n.value, true);
      case 'string':
        return quoteGoString(n.value);
      case 'bool':
        return n.value ? 'true' : 'false';
      case 'duration':
        return formatDuration(n.value);
      case 'status':
      case 'kind':
        return n.value;
      default:
        return assertNever(n);
    }
  }

  private attribute(a: AttributeRef): string {
    if (a.kind === 'Intrinsic') return a.name;
    let prefix = a.parent ? 'parent.' : '';
    if (a.scope !== 'none') prefix += `${a.scope}.`;
    else if (!a.parent) prefix = '.';
    return prefix + attributeName(a.name, a.scope === 'none' && !a.parent, a.parent && a.scope === 'none');
  }
}

/**
 * The name as written after its scope: bare when the lexer would read it back
 * unchanged, else as one quoted segment (only `\"` and `\\` escapes exist there).
 */
function attributeName(name: string, unscoped: boolean, afterParent: boolean): string {
  const bare = name !== ''
    && !NEEDS_QUOTES.test(name)
    // `.5x` would lex as the number .5
    && !(unscoped && name[0] >= '0' && name[0] <= '9')
    // `parent.span.x` would lex as the span scope
    && !(afterParent && (name.startsWith('span.') || name.startsWith('resource.')));
  return bare ? name : `"${name.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/** Integers print exactly, also beyond 2^53 where the value is a rounded int64. */
function formatInt(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Shortest round-trip text; with `asFloat`, never mistakable for an integer. */
function formatNumber(value: number, asFloat = false): string {
  const text = String(value);
  return asFloat && !/[.e]/.test(text) ? `${text}.0` : text;
}
