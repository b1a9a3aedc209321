/** search_traces: TraceQL over the stored traces → one compact block per trace, newest first. */
import * as z from 'zod';
import { parseQuery } from '../api/search-params.ts';
import { type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { QuerySpan } from '../shared/span.ts';
import type { TraceWindow } from '../store/index.ts';
import { clip, dur, isoTime, nowNs, parseTime } from './common.ts';

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const ERROR = 2;
const MATCHES_SHOWN = 5;
export const MAX_LIMIT = 100;

export const timeArg = z
  .union([z.number(), z.string()])
  .describe('Unix seconds (milliseconds are recognised), an ISO 8601 time ("2025-05-01T10:00:00Z"), or a duration before now ("15m", "2h").');

export const searchTracesInput = {
  query: z
    .string()
    .describe(
      'A TraceQL query (Grafana Tempo dialect). Examples: `{ }` (every trace), `{ status = error }`, ' +
        '`{ resource.service.name = "checkout" && duration > 200ms }`, `{ span.http.route = "/cart" && kind = server }`, ' +
        '`{ name =~ "SELECT.*" } | count() > 3`.',
    ),
  limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`Most traces to return, newest first (default 20, at most ${MAX_LIMIT}).`),
  start: timeArg.optional().describe('Only traces overlapping this time or later. ' + timeArg.description),
  end: timeArg.optional().describe('Only traces overlapping this time or earlier (default: now). ' + timeArg.description),
};

export interface SearchTracesArgs {
  query: string;
  limit?: number;
  start?: number | string;
  end?: number | string;
}

function spanLabel(s: QuerySpan): string {
  return `${s.service}: ${s.name} [${KINDS[s.kind] ?? 'unspecified'}] ${dur(s.durationNs)} (span ${s.spanId})`;
}

export function searchTraces(search: Search, args: SearchTracesArgs): string {
  const root = parseQuery(args.query, 'invalid TraceQL query: ');
  if (root.metrics !== null) throw new BadRequestError('invalid TraceQL query: metrics queries are not searches; drop the `| rate()`-style stage');
  const now = nowNs();
  const startNs = args.start === undefined ? undefined : parseTime(args.start, 'start', now);
  const endNs = args.end === undefined ? undefined : parseTime(args.end, 'end', now);
  if (startNs !== undefined && endNs !== undefined && endNs <= startNs) throw new BadRequestError('"start" must be before "end"');
  const window: TraceWindow = { startNs, endNs };
  const limit = args.limit ?? 20;
  const result = search({ root, limit, window });

  const lines = [
    result.hits.length === 0
      ? `No traces match ${args.query}.`
      : `${result.hits.length} trace(s) match ${args.query} (newest first${result.hits.length >= limit ? `, limit ${limit} reached` : ''}):`,
  ];
  for (const hit of result.hits) {
    const t = hit.trace;
    const errors = t.spans.filter((s) => s.status === ERROR);
    const services = new Set(t.spans.map((s) => s.service));
    lines.push(
      `- ${t.traceId}  ${t.rootService ?? '?'}: ${t.rootName ?? '<root not received>'}  ${dur(t.endNs - t.startNs)}  ` +
        `${t.spans.length} span(s), ${services.size} service(s), ${errors.length} error(s)  started ${isoTime(t.startNs)}`,
    );
    const matched = new Map<string, QuerySpan>();
    for (const set of hit.spansets) for (const s of set.spans) matched.set(s.spanId, s);
    const shown = [...matched.values()].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0)).slice(0, MATCHES_SHOWN).map(spanLabel);
    const more = matched.size > MATCHES_SHOWN ? `; … ${matched.size - MATCHES_SHOWN} more` : '';
    if (matched.size > 0) lines.push(`  matched ${matched.size}: ${shown.join('; ')}${more}`);
    if (errors.length > 0) {
      const e = errors[0];
      lines.push(`  first error: ${e.service}: ${e.name}${e.statusMessage ? ` — ${clip(e.statusMessage)}` : ''}`);
    }
  }
  if (result.hits.length > 0) lines.push('Use get_trace or explain_slow_path with a trace id for details.');
  return lines.join('\n');
}
