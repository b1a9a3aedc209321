/**
 * list_services: every service seen in a window with its RED figures, as a small table.
 * The figures come from the stored spans that started in the window (a plain search,
 * then the analysis module's serviceRed).
 */
import * as z from 'zod';
import { humanDuration, serviceRed, type RedSpan } from '../analysis/index.ts';
import { incompleteReason, type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { formatDuration, parse } from '../traceql/index.ts';
import { BoundedText, isoTime, ms, nowNs, parseTime, TEXT_BUDGET, type Answer } from './common.ts';
import { timeArg } from './search-traces.ts';

const HOUR_NS = 3_600_000_000_000n;
const SERVER = 2;
const CONSUMER = 5;
const ERROR = 2;

/** Traces read at most per call: enough for a laptop's hour, bounded for memory. */
export const MAX_TRACES = 20_000;
/** Services in the structured answer, which stays bounded like the text. */
const MAX_SERVICES = 50;

export const listServicesInput = {
  start: timeArg.optional().describe('Window start (default: one hour before `end`). ' + timeArg.description),
  end: timeArg.optional().describe('Window end (default: now). ' + timeArg.description),
};

export interface ListServicesArgs {
  start?: number | string;
  end?: number | string;
}

export const listServicesOutput = {
  start: z.string(),
  end: z.string(),
  traces: z.number(),
  truncated: z.boolean().describe(`True when not every trace of the window was read: it held more than ${MAX_TRACES}, or the search ran out of time; the figures are then partial.`),
  services: z.array(
    z.object({
      service: z.string(),
      requests: z.number(),
      errors: z.number(),
      ratePerSecond: z.number(),
      errorRate: z.number(),
      p50Ms: z.number(),
      p95Ms: z.number(),
      p99Ms: z.number(),
      spans: z.number(),
    }),
  ),
  serviceCount: z.number().describe(`Services seen; \`services\` lists the first ${MAX_SERVICES} (most requests first).`),
};

type ListServicesOutput = z.infer<z.ZodObject<typeof listServicesOutput>>;

function rate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  return perSecond >= 1 ? `${Number(perSecond.toFixed(2))}/s` : `${Number((perSecond * 60).toPrecision(3))}/min`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

export function listServices(search: Search, args: ListServicesArgs): Answer<ListServicesOutput> {
  const now = nowNs();
  const endNs = args.end === undefined ? now : parseTime(args.end, 'end', now);
  const startNs = args.start === undefined ? endNs - HOUR_NS : parseTime(args.start, 'start', now);
  if (endNs <= startNs) throw new BadRequestError('"start" must be before "end"');

  const result = search({ root: parse('{ }'), limit: MAX_TRACES + 1, window: { startNs, endNs } });
  const hits = result.hits.slice(0, MAX_TRACES);
  const incomplete = incompleteReason(result);
  const truncated = result.hits.length > MAX_TRACES || incomplete !== undefined;
  const spans: RedSpan[] = [];
  for (const hit of hits) {
    for (const s of hit.trace.spans) {
      if (s.startNs < startNs || s.startNs >= endNs) continue;
      spans.push({ service: s.service, request: s.kind === SERVER || s.kind === CONSUMER, error: s.status === ERROR, durationNs: Number(s.durationNs) });
    }
  }
  const services = serviceRed(spans, Number(endNs - startNs) / 1e9);

  const head =
    `Services from ${isoTime(startNs)} to ${isoTime(endNs)} (${formatDuration(Number(endNs - startNs))}), ${hits.length} trace(s)` +
    `${result.hits.length > MAX_TRACES ? ` (only the newest ${MAX_TRACES}; narrow the window for exact figures)` : ''}` +
    `${incomplete !== undefined ? ` (partial: ${incomplete}; narrow the window for exact figures)` : ''}; requests are server and consumer spans that started in the window.`;
  const out = new BoundedText();
  out.add(head);
  if (services.length === 0) out.add('No spans in this window. Try a wider window with start (e.g. "24h").');
  const withRequests = services.filter((s) => s.requests > 0);
  const without = services.filter((s) => s.requests === 0);
  if (withRequests.length > 0) {
    const rows = [['service', 'requests', 'rate', 'errors', 'error rate', 'p50', 'p95', 'p99']];
    for (const s of withRequests) {
      rows.push([s.service, String(s.requests), rate(s.rate), String(s.errors), `${Number((s.errorRate * 100).toFixed(1))}%`, humanDuration(s.p50Ns), humanDuration(s.p95Ns), humanDuration(s.p99Ns)]);
    }
    let shown = -1; // the heading row
    for (const line of table(rows)) {
      if (!out.add(line)) break;
      shown++;
    }
    if (Math.max(0, shown) < withRequests.length) out.force(`… ${withRequests.length - Math.max(0, shown)} more service(s) with requests not shown: answers stop at about ${TEXT_BUDGET} characters.`);
  }
  if (without.length > 0) {
    const names = without.slice(0, 30).map((s) => `${s.service} (${s.spans} span(s))`);
    out.force(`Without server/consumer spans: ${names.join(', ')}${without.length > names.length ? `, … ${without.length - names.length} more` : ''}`);
  }
  return {
    text: out.toString(),
    structured: {
      start: isoTime(startNs),
      end: isoTime(endNs),
      traces: hits.length,
      truncated,
      services: services.slice(0, MAX_SERVICES).map((s) => ({
        service: s.service,
        requests: s.requests,
        errors: s.errors,
        ratePerSecond: s.rate,
        errorRate: s.errorRate,
        p50Ms: ms(s.p50Ns),
        p95Ms: ms(s.p95Ns),
        p99Ms: ms(s.p99Ns),
        spans: s.spans,
      })),
      serviceCount: services.length,
    },
  };
}
