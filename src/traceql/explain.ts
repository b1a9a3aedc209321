/**
 * @module traceql/explain
 * A failed query explained for people, beside Tempo's terse message (which the API keeps
 * word for word): the query with the failing place marked, and what would have been
 * valid there when the tokens before it tell (`status = eror` → the status values).
 */
import { TraceQLSyntaxError, type TraceQLValidationError } from './errors.ts';
import { Lexer } from './lexer.ts';
import type { Token } from './tokens.ts';

const COMPARISONS = new Set(['=', '!=', '>', '>=', '<', '<=', '=~', '!~']);
const STATUS_VALUES = 'error, ok, unset';
const KIND_VALUES = 'unspecified, internal, server, client, producer, consumer';

/** The tokens that start before `offset` (as far as the query lexes). */
function tokensBefore(query: string, offset: number): Token[] {
  const lexer = new Lexer(query);
  const out: Token[] = [];
  try {
    for (let t = lexer.next(); t.kind !== '$end' && t.from < offset; t = lexer.next()) out.push(t);
  } catch {
    // A lexing error before the offset: the tokens read so far are all there is.
  }
  return out;
}

function tokenAt(query: string, offset: number): Token | undefined {
  const lexer = new Lexer(query);
  try {
    for (let t = lexer.next(); t.kind !== '$end'; t = lexer.next()) if (t.from >= offset) return t;
  } catch {
    return undefined;
  }
  return undefined;
}

/** What would have been valid at `offset`, when the tokens around it tell; undefined otherwise. */
export function queryHint(query: string, offset: number): string | undefined {
  const before = tokensBefore(query, offset);
  const at = tokenAt(query, offset);
  const [field, op] = before.slice(-2);
  if (op !== undefined && COMPARISONS.has(op.kind) && field !== undefined) {
    if (field.kind === 'status') return `status is one of ${STATUS_VALUES}, without quotes: { status = error }`;
    if (field.kind === 'kind') return `kind is one of ${KIND_VALUES}, without quotes: { kind = server }`;
    if ((field.kind === 'duration' || field.kind === 'traceDuration') && at?.kind !== 'DURATION') {
      return `${field.kind} takes a number with a unit: 100ms, 1.5s, 2m, 1h`;
    }
    if (at?.kind === 'IDENTIFIER') return `a string value goes in double quotes: "${at.text}"`;
  }
  const last = before[before.length - 1];
  if (at?.kind === 'IDENTIFIER' && (last === undefined || last.kind === '{' || last.kind === '&&' || last.kind === '||' || last.kind === '(')) {
    const word = /^[^\s{}()=!<>~&|,]+/.exec(query.slice(at.from))?.[0] ?? at.text;
    return `an attribute starts with its scope or a dot: span.${word} or resource.${word}, or .${word} for either`;
  }
  return undefined;
}

/** For a type error: `status = "error"` and `kind = "server"` compare with a word, not a string. */
function validationHint(query: string, from: number, to: number): string | undefined {
  const tokens = tokensBefore(query, to).filter((t) => t.from >= from);
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [field, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (!COMPARISONS.has(op.kind) || value.kind !== 'STRING') continue;
    if (field.kind === 'status') return `status is one of ${STATUS_VALUES}, without quotes: { status = error }`;
    if (field.kind === 'kind') return `kind is one of ${KIND_VALUES}, without quotes: { kind = server }`;
  }
  return undefined;
}

/** The message, the query's line with the failing part underlined, and the hint if any. */
export function explainQueryError(query: string, err: TraceQLSyntaxError | TraceQLValidationError): string {
  const lines = [err.message];
  const from = Math.min(err.from, query.length);
  const lineStart = query.lastIndexOf('\n', from - 1) + 1;
  const lineEnd = query.indexOf('\n', from) === -1 ? query.length : query.indexOf('\n', from);
  const text = query.slice(lineStart, lineEnd);
  if (text.trim() !== '') {
    const width = Math.max(1, Math.min(err.to, lineEnd) - from);
    lines.push(`  ${text}`, `  ${' '.repeat(from - lineStart)}${'^'.repeat(width)}`);
  }
  const hint = err instanceof TraceQLSyntaxError ? queryHint(query, err.from) : validationHint(query, err.from, err.to);
  if (hint !== undefined) lines.push(`  hint: ${hint}`);
  return lines.join('\n');
}
