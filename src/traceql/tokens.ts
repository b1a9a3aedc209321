/**
 * @module traceql/tokens
 * Token kinds of the TraceQL lexer. Every kind's string value is the text Tempo
 * prints for it in a syntax error ("unexpected {", "expecting IDENTIFIER",
 * "unexpected $end"), so error messages need no lookup table.
 */

/** Lowercase words the lexer turns into their own token kinds (Tempo's `tokens` map). */
export const KEYWORDS = [
  'true', 'false', 'nil',
  'ok', 'error', 'unset',
  'unspecified', 'internal', 'server', 'client', 'producer', 'consumer',
  // intrinsic words; `id`, `traceID`, … only appear after a `span:`-style prefix
  'duration', 'childCount', 'name', 'status', 'statusMessage', 'kind', 'parent',
  'rootName', 'rootServiceName', 'rootService', 'traceDuration',
  'nestedSetLeft', 'nestedSetRight', 'nestedSetParent',
  'id', 'traceID', 'spanID', 'timeSinceStart', 'version',
  // pipeline stages
  'count', 'avg', 'max', 'min', 'sum', 'by', 'coalesce', 'select',
  // metrics (sum_over_time, topk, bottomk are Tempo 2.8 additions we accept)
  'rate', 'count_over_time', 'min_over_time', 'max_over_time', 'avg_over_time',
  'sum_over_time', 'quantile_over_time', 'histogram_over_time', 'compare',
  'topk', 'bottomk',
  'with',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** `trace:` and friends: the prefix of a scoped intrinsic such as `span:status`. */
export const INTRINSIC_SCOPES = ['trace:', 'span:', 'event:', 'link:', 'instrumentation:'] as const;
export type IntrinsicScopeToken = (typeof INTRINSIC_SCOPES)[number];

/**
 * Operators and punctuation. The lexer always takes the longest match, so `!>>`
 * wins over `!>` and `!`.
 */
export const PUNCTUATORS = [
  '{', '}', '(', ')', ',',
  '=', '!=', '=~', '!~', '>', '>=', '<', '<=',
  '+', '-', '*', '/', '%', '^',
  '&&', '||', '!', '|',
  '>>', '<<', '~', '!>', '!<', '!>>', '!<<',
  '&>', '&<', '&>>', '&<<', '&~',
] as const;
export type Punctuator = (typeof PUNCTUATORS)[number];

/** Token kinds that carry a value. Names are Tempo's, as it prints them. */
export type ValueKind = 'STRING' | 'INTEGER' | 'FLOAT' | 'DURATION';

export type TokenKind =
  | '$end'
  | 'IDENTIFIER'
  | 'ATTRIBUTE'
  | ValueKind
  | Keyword
  | IntrinsicScopeToken
  | Punctuator;

/** Scope of an attribute reference; `none` is the unscoped `.name` form. */
export type AttributeScope = 'none' | 'span' | 'resource' | 'event' | 'link' | 'instrumentation';

interface TokenBase {
  /** Offset of the first UTF-16 code unit of the token in the query. */
  readonly from: number;
  /** Offset just past the token. */
  readonly to: number;
}

export interface PlainToken extends TokenBase {
  readonly kind: '$end' | Keyword | IntrinsicScopeToken | Punctuator;
}

/** A bare word that is not a keyword, or any character the language doesn't use. */
export interface IdentifierToken extends TokenBase {
  readonly kind: 'IDENTIFIER';
  readonly text: string;
}

export interface StringToken extends TokenBase {
  readonly kind: 'STRING';
  readonly value: string;
}

export interface NumberToken extends TokenBase {
  readonly kind: 'INTEGER' | 'FLOAT';
  readonly value: number;
}

export interface DurationToken extends TokenBase {
  readonly kind: 'DURATION';
  /** Nanoseconds. */
  readonly value: number;
}

/**
 * A whole attribute reference (`.a`, `span.http.url`, `parent.resource."x y"`).
 * Tempo lexes these as scope token + IDENTIFIER + END_ATTRIBUTE; we keep one
 * token and let the parser report an empty `name` as Tempo's END_ATTRIBUTE error.
 */
export interface AttributeToken extends TokenBase {
  readonly kind: 'ATTRIBUTE';
  readonly scope: AttributeScope;
  readonly parent: boolean;
  /** Name with quoted segments unquoted; '' when nothing followed the scope. */
  readonly name: string;
  /** The scope prefix as written (`.`, `span.`, `parent.` …), for error messages. */
  readonly prefix: string;
}

export type Token =
  | PlainToken
  | IdentifierToken
  | StringToken
  | NumberToken
  | DurationToken
  | AttributeToken;

const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

export function isKeyword(word: string): word is Keyword {
  return KEYWORD_SET.has(word);
}

const INTRINSIC_SCOPE_SET: ReadonlySet<string> = new Set(INTRINSIC_SCOPES);

export function isIntrinsicScope(kind: string): kind is IntrinsicScopeToken {
  return INTRINSIC_SCOPE_SET.has(kind);
}

/** The text Tempo prints for a token in "unexpected X". */
export function describeToken(token: Token): string {
  // Tempo reports the first sub-token of an attribute: its scope prefix.
  return token.kind === 'ATTRIBUTE' ? token.prefix : token.kind;
}
