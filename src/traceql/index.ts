/**
 * @module traceql
 * TraceQL front end: `parse(query)` → validated AST, `print(ast)` → canonical
 * TraceQL. No Node imports: the viewer bundles this for its query editor.
 *
 * @example
 *   const root = parse('{ span.http.status_code >= 500 } | count() > 2');
 *   print(root); // '{ span.http.status_code >= 500 } | count() > 2'
 */
import type { Root } from './ast.ts';
import { TraceQLSyntaxError } from './errors.ts';
import { parseSyntax } from './parser.ts';
import { validate } from './validate.ts';
import { utf8Length } from '../shared/utf8.ts';

export * from './ast.ts';
export { TraceQLSyntaxError, TraceQLValidationError } from './errors.ts';
export { print } from './print.ts';
export { explainQueryError, queryHint } from './explain.ts';
export type { PrintOptions } from './print.ts';
export { validate, fieldType, referencesSpan } from './validate.ts';
export { MAX_NESTING } from './parser.ts';
export { compileRegex, compileLinear, regexError, withRegexDeadline, RegexDeadlineError, type Matcher } from './regex.ts';
export { evaluate, readForDisplay, readEachForDisplay, EvaluationError, type Spanset, type SpansetAttribute } from './evaluate.ts';
export { compare, isNumeric, NIL, type Value, type CompareOp } from './values.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { scanGoString, quoteGoString, type StringScan } from './go-string.ts';
export { Lexer } from './lexer.ts';
export type { Token } from './tokens.ts';

/** Tempo's default query_frontend.max_query_expression_size_bytes (128 KiB). */
export const MAX_QUERY_BYTES = 128 * 1024;

/** Deepest AST accepted; passes over the tree recurse, so this bounds their stack use. */
export const MAX_AST_DEPTH = 1000;

/**
 * Parse and validate a query. Throws TraceQLSyntaxError (lexing, grammar, size
 * and depth limits) or TraceQLValidationError (types, unsupported features).
 */
export function parse(query: string): Root {
  const root = parseUnvalidated(query);
  validate(root);
  return root;
}

/** Parse only (editors want syntax errors before type errors; tests want both apart). */
export function parseUnvalidated(query: string): Root {
  const bytes = utf8Length(query);
  if (bytes > MAX_QUERY_BYTES) {
    throw new TraceQLSyntaxError(
      query,
      `TraceQL expression exceeds the maximum size of ${MAX_QUERY_BYTES} bytes (got ${bytes})`,
      0,
      query.length,
    );
  }
  const root = parseSyntax(query);
  checkDepth(query, root);
  return root;
}

/**
 * Long operator chains (`.a = 1 || .a = 2 || …`) nest to the left without any
 * parenthesis, so the parser's nesting guard does not see them. Measure the
 * tree without recursion and refuse trees that later recursive passes could
 * not walk safely.
 */
function checkDepth(query: string, root: Root): void {
  const stack: Array<[object, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [object, number];
    if (depth > MAX_AST_DEPTH) {
      const loc = node as { from: number; to: number };
      throw new TraceQLSyntaxError(
        query, `query nesting too deep (more than ${MAX_AST_DEPTH} levels)`, loc.from, loc.to);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const item of value) if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      } else if (typeof value === 'object' && value !== null) {
        stack.push([value, depth + 1]);
      }
    }
  }
}
