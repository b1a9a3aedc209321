/**
 * @module traceql/errors
 * The two error classes a TraceQL query can fail with. Both carry the source
 * range so an editor can underline it; their messages use Tempo's wording so the
 * HTTP layer can pass them through unchanged (Grafana shows them verbatim).
 */

/** 1-based line and column of an offset; columns count code points, like Go's scanner. */
export function lineCol(source: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let col = 1;
  for (let i = lineStart; i < end; i++) {
    const c = source.charCodeAt(i);
    // the second half of a surrogate pair is not a column of its own
    if (c < 0xdc00 || c > 0xdfff) col++;
  }
  return { line, col };
}

/**
 * A query that does not lex or parse. `message` is Tempo's full text,
 * e.g. `parse error at line 1, col 6: syntax error: unexpected |`;
 * `reason` is the part after the position.
 */
export class TraceQLSyntaxError extends Error {
  override readonly name = 'TraceQLSyntaxError';
  readonly reason: string;
  readonly from: number;
  readonly to: number;
  readonly line: number;
  readonly col: number;

  constructor(source: string, reason: string, from: number, to: number = from) {
    const { line, col } = lineCol(source, from);
    // Tempo prints no position for an empty query (its scanner has none to give).
    const where = source.length === 0 ? 'parse error : ' : `parse error at line ${line}, col ${col}: `;
    super(where + reason);
    this.reason = reason;
    this.from = from;
    this.to = to;
    this.line = line;
    this.col = col;
  }

  override toString(): string {
    return this.message;
  }
}

/**
 * A query that parses but is rejected by the static checks. `unsupported` marks
 * Tempo's "… not yet supported" family (valid syntax, feature not implemented).
 */
export class TraceQLValidationError extends Error {
  override readonly name = 'TraceQLValidationError';
  readonly from: number;
  readonly to: number;
  readonly unsupported: boolean;

  constructor(message: string, from: number, to: number, unsupported = false) {
    super(message);
    this.from = from;
    this.to = to;
    this.unsupported = unsupported;
  }

  override toString(): string {
    return this.message;
  }
}
