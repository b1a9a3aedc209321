/** list_services: every service seen in a window with its RED figures, as a small table. */
import * as z from 'zod';
import type { Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { formatDuration } from '../traceql/duration.ts';
import { dur, isoTime, nowNs, parseTime } from './common.ts';
import { MAX_TRACES, serviceRed } from './red.ts';
import { timeArg } from './search-traces.ts';

const HOUR_NS = 3_600_000_000_000n;

export const listServicesInput = {
  start: timeArg.optional().describe('Window start (default: one hour before `end`). ' + timeArg.description),
  end: timeArg.optional().describe('Window end (default: now). ' + timeArg.description),
};

export interface ListServicesArgs {
  start?: number | string;
  end?: number | string;
}

function rate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  return perSecond >= 1 ? `${Number(perSecond.toFixed(2))}/s` : `${Number((perSecond * 60).toPrecision(3))}/min`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

export function listServices(search: Search, args: ListServicesArgs): string {
  const now = nowNs();
  const endNs = args.end === undefined ? now : parseTime(args.end, 'end', now);
  const startNs = args.start === undefined ? endNs - HOUR_NS : parseTime(args.start, 'start', now);
  if (endNs <= startNs) throw new BadRequestError('"start" must be before "end"');
  const { services, traces, truncated } = serviceRed(search, { startNs, endNs });
  const head =
    `Services from ${isoTime(startNs)} to ${isoTime(endNs)} (${formatDuration(Number(endNs - startNs))}), ${traces} trace(s)` +
    `${truncated ? ` (only the newest ${MAX_TRACES}; narrow the window for exact figures)` : ''}; requests are server and consumer spans that started in the window.`;
  if (services.length === 0) return `${head}\nNo spans in this window. Try a wider window with start (e.g. "24h").`;
  const withRequests = services.filter((s) => s.requests > 0);
  const without = services.filter((s) => s.requests === 0);
  const lines = [head];
  if (withRequests.length > 0) {
    const rows = [['service', 'requests', 'rate', 'errors', 'error rate', 'p50', 'p95', 'p99']];
    for (const s of withRequests) {
      rows.push([s.service, String(s.requests), rate(s.rate), String(s.errors), `${Number((s.errorRate * 100).toFixed(1))}%`, dur(s.p50Ns), dur(s.p95Ns), dur(s.p99Ns)]);
    }
    lines.push(...table(rows));
  }
  if (without.length > 0) {
    lines.push(`Without server/consumer spans: ${without.map((s) => `${s.service} (${s.spans} span(s))`).join(', ')}`);
  }
  return lines.join('\n');
}
