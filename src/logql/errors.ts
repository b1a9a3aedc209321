/**
 * @module logql/errors
 * The two ways a query is refused. Both become HTTP 400 with the message as plain text,
 * as Loki answers (`parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING`).
 */

/** Not LogQL (or LogQL Loki itself refuses). Messages follow Loki's wording. */
export class LogQLSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogQLSyntaxError';
  }

  /** `parse error at line L, col C: <reason>` for the position `pos` (0-based) in `src`. */
  static at(src: string, pos: number, reason: string): LogQLSyntaxError {
    let line = 1;
    let col = 1;
    for (let i = 0; i < pos && i < src.length; i++) {
      if (src[i] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    return new LogQLSyntaxError(`parse error at line ${line}, col ${col}: ${reason}`);
  }
}

/** What LogQL tracebox answers, named in every refusal so the user knows what to write instead. */
export const SUPPORTED_SUBSET =
  'stream selectors (= != =~ !~); line filters (|= != |~ !~, with or); | json and | logfmt without arguments; | pattern; | decolorize; ' +
  'label filters (= != =~ !~ on text; == != > >= < <= on numbers, durations and bytes; and, or, parentheses); ' +
  '| line_format and | label_format with {{.label}}; | drop and | keep; count_over_time, rate, bytes_over_time, bytes_rate; ' +
  'sum, count, avg, min, max, topk, bottomk with by/without; vector(); + - * / % ^';

/** Valid LogQL that tracebox does not evaluate: refused rather than answered approximately. */
export class LogQLUnsupportedError extends Error {
  constructor(what: string) {
    super(`${what} is not supported by tracebox's LogQL subset; supported: ${SUPPORTED_SUBSET}`);
    this.name = 'LogQLUnsupportedError';
  }
}
