/**
 * TraceQL text from a request (a Tempo endpoint, an MCP tool, the test API) → a validated
 * AST, or a BadRequestError prefixed as that endpoint words it.
 */
import { BadRequestError } from '../shared/errors.ts';
import { parse, TraceQLSyntaxError, TraceQLValidationError, type Root } from '../traceql/index.ts';

/** Parses TraceQL for an endpoint, prefixing errors as that endpoint does. */
export function parseQuery(text: string, prefix: string): Root {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TraceQLSyntaxError || err instanceof TraceQLValidationError) {
      throw new BadRequestError(`${prefix}${err.message}`);
    }
    throw err;
  }
}
