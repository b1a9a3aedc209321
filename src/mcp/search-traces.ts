/** search_traces: TraceQL over the stored traces → one compact block per trace, newest first. */
import * as z from 'zod';
import { incompleteReason, parseQuery, type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { QuerySpan } from '../shared/span.ts';
import type { TraceWindow } from '../store/index.ts';
import { humanDuration } from '../analysis/index.ts';
import { BoundedText, clip, isoTime, ms, nowNs, parseTime, TEXT_BUDGET, type Answer } from './common.ts';

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const ERROR = 2;
/** Operations listed per trace among its matched spans. */
const MATCH_GROUPS_SHOWN = 3;
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

/** The spans a query matched in one trace, gathered by operation, biggest group first. */
interface MatchedGroup {
  service: string;
  name: string;
  kind: string;
  count: number;
  totalNs: bigint;
  /** The first of them (by start time). */
  spanId: string;
}

function matchedGroups(spans: Iterable<QuerySpan>): MatchedGroup[] {
  const byOp = new Map<string, MatchedGroup & { startNs: bigint }>();
  for (const s of spans) {
    const kind = KINDS[s.kind] ?? 'unspecified';
    const key = `${s.service}\u0000${s.name}\u0000${kind}`;
    const g = byOp.get(key);
    if (g === undefined) byOp.set(key, { service: s.service, name: s.name, kind, count: 1, totalNs: s.durationNs, spanId: s.spanId, startNs: s.startNs });
    else {
      g.count++;
      g.totalNs += s.durationNs;
      if (s.startNs < g.startNs) {
        g.startNs = s.startNs;
        g.spanId = s.spanId;
      }
    }
  }
  return [...byOp.values()].sort((a, b) => b.count - a.count || (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

function groupLabel(g: MatchedGroup): string {
  const name = `${g.service}: ${clip(g.name, 80)} [${g.kind}]`;
  return g.count === 1 ? `${name} ${humanDuration(g.totalNs)} (span ${g.spanId})` : `${g.count}× ${name}, ${humanDuration(g.totalNs)} in all (first span ${g.spanId})`;
}

export const searchTracesOutput = {
  query: z.string(),
  limit: z.number(),
  limitReached: z.boolean().describe('As many traces as `limit` matched: there may be more.'),
  found: z.number().describe('Traces found (at most `limit`).'),
  complete: z.boolean().describe('False when the search stopped before it had looked at every stored trace (its time budget): there may be more matches, also newer ones.'),
  shown: z.number().describe('Traces described here; fewer than `found` when the answer reached its size bound.'),
  traces: z.array(
    z.object({
      traceId: z.string(),
      rootService: z.string().nullable(),
      rootName: z.string().nullable(),
      durationMs: z.number(),
      spans: z.number(),
      services: z.number(),
      errors: z.number(),
      start: z.string(),
      matchedSpans: z.number(),
      matched: z.array(z.object({ service: z.string(), name: z.string(), kind: z.string(), count: z.number(), totalMs: z.number(), spanId: z.string() })),
      firstError: z.object({ service: z.string(), name: z.string(), message: z.string() }).optional(),
    }),
  ),
};

type SearchTracesOutput = z.infer<z.ZodObject<typeof searchTracesOutput>>;

export function searchTraces(search: Search, args: SearchTracesArgs): Answer<SearchTracesOutput> {
  const root = parseQuery(args.query, 'invalid TraceQL query: ');
  if (root.metrics !== null) throw new BadRequestError('invalid TraceQL query: metrics queries are not searches; drop the `| rate()`-style stage');
  const now = nowNs();
  const startNs = args.start === undefined ? undefined : parseTime(args.start, 'start', now);
  const endNs = args.end === undefined ? undefined : parseTime(args.end, 'end', now);
  if (startNs !== undefined && endNs !== undefined && endNs <= startNs) throw new BadRequestError('"start" must be before "end"');
  const window: TraceWindow = { startNs, endNs };
  const limit = args.limit ?? 20;
  const result = search({ root, limit, window });
  const limitReached = result.hits.length >= limit;
  const incomplete = incompleteReason(result);

  const out = new BoundedText();
  out.add(
    result.hits.length === 0
      ? `No traces match ${args.query}.`
      : `${result.hits.length} trace(s) match ${args.query} (newest first${limitReached ? `, limit ${limit} reached` : ''}):`,
  );
  const traces: SearchTracesOutput['traces'] = [];
  for (const hit of result.hits) {
    const t = hit.trace;
    const errors = t.spans.filter((s) => s.status === ERROR);
    const services = new Set(t.spans.map((s) => s.service));
    const matched = new Map<string, QuerySpan>();
    for (const set of hit.spansets) for (const s of set.spans) matched.set(`${s.spanId}:${s.kind}`, s);
    const groups = matchedGroups(matched.values());
    const shown = groups.slice(0, MATCH_GROUPS_SHOWN);
    const more = groups.length > shown.length ? `; … ${groups.length - shown.length} more kind(s)` : '';
    const firstError = errors.length > 0 ? errors[0] : undefined;
    const block = [
      `- ${t.traceId}  ${t.rootService ?? '?'}: ${t.rootName ?? '<root not received>'}  ${humanDuration(t.endNs - t.startNs)}  ` +
        `${t.spans.length} span(s), ${services.size} service(s), ${errors.length} error(s)  started ${isoTime(t.startNs)}`,
      ...(matched.size > 0 ? [`  matched ${matched.size}: ${shown.map(groupLabel).join('; ')}${more}`] : []),
      ...(firstError === undefined ? [] : [`  first error: ${firstError.service}: ${firstError.name}${firstError.statusMessage ? ` — ${clip(firstError.statusMessage)}` : ''}`]),
    ].join('\n');
    if (!out.add(block)) break;
    traces.push({
      traceId: t.traceId,
      rootService: t.rootService ?? null,
      rootName: t.rootName ?? null,
      durationMs: ms(t.endNs - t.startNs),
      spans: t.spans.length,
      services: services.size,
      errors: errors.length,
      start: isoTime(t.startNs),
      matchedSpans: matched.size,
      matched: shown.map((g) => ({ service: g.service, name: clip(g.name), kind: g.kind, count: g.count, totalMs: ms(g.totalNs), spanId: g.spanId })),
      ...(firstError === undefined ? {} : { firstError: { service: firstError.service, name: firstError.name, message: clip(firstError.statusMessage) } }),
    });
  }
  if (traces.length < result.hits.length) {
    out.force(
      `… ${result.hits.length - traces.length} more matching trace(s) not shown: answers stop at about ${TEXT_BUDGET} characters. ` +
        'Narrow the query or the time range, or lower `limit`.',
    );
  }
  if (incomplete !== undefined) out.force(`The answer is partial: ${incomplete}. There may be more matching traces; narrow the query or the time range.`);
  if (traces.length > 0) out.force('Use get_trace or explain_slow_path with a trace id for details.');
  return {
    text: out.toString(),
    structured: { query: args.query, limit, limitReached, found: result.hits.length, complete: incomplete === undefined, shown: traces.length, traces },
  };
}
