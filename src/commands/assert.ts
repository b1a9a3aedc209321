/**
 * `tracebox assert '<TraceQL>' [--min N] [--max N] [--within 10s] [--settle 200ms]`: exits
 * 0 when a running tracebox has between min and max matching spans (waiting up to
 * --within), otherwise 1 with what was found instead, or why it could not tell.
 */
import { ConfigError } from '../config.ts';
import { TraceboxApiError } from '../testing/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { CLIENT_FLAGS, CLIENT_HELP, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox assert '<TraceQL>' [--min N] [--max N] [--within DURATION] [--settle DURATION]
Checks how many spans in a running tracebox match a TraceQL query.

  tracebox assert '{ name = "GET /cart" }'        at least one matching span
  tracebox assert '{ status = error }' --max 0    no matching span (--min is then 0)
  tracebox assert '{ span.db.system = "redis" }' --min 2 --max 5 --within 10s
                                                  2 to 5 matching spans, waiting up to 10s

Exit codes:
  0  the count is within bounds; with --max, it also held still for --settle after
     the last matching span arrived
  1  it is not (by the end of --within), or the store could not be searched whole in
     time (the message says why), or tracebox could not be reached or refused the request
  2  the command line is wrong
${CLIENT_HELP}
  --min N            fewest matching spans (default 1, or 0 when --max is 0)
  --max N            most matching spans (default unlimited)
  --within DURATION  how long to wait for them, e.g. 10s (default 0s: check once)
  --settle DURATION  with --max: how long no new matching span must arrive before the
                     count is final (default 200ms)`;

function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new ConfigError(`--${flag}: expected a whole number, got "${text}"`);
  return n;
}

function durationMs(flag: string, text: string | undefined): number {
  if (text === undefined) return 0;
  const ns = parseDuration(text);
  if (ns === null || ns < 0) throw new ConfigError(`--${flag}: expected a duration such as 10s, got "${text}"`);
  return Math.ceil(ns / 1e6);
}

export async function assert(args: readonly string[]): Promise<number> {
  const flags = { ...CLIENT_FLAGS, min: { type: 'string' }, max: { type: 'string' }, within: { type: 'string' }, settle: { type: 'string' } } as const;
  const { values, positionals } = parse(args, flags, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError(`expected one TraceQL query\n${USAGE}`);
  const max = count('max', values.max, Number.MAX_SAFE_INTEGER);
  // `--max 0` alone means "none": the default minimum is 1 only where a match may exist.
  const min = count('min', values.min, Math.min(1, max));
  if (max < min) throw new ConfigError(`--max ${max} is less than --min ${min}`);
  const withinMs = durationMs('within', values.within);
  const settleMs = values.settle === undefined ? undefined : durationMs('settle', values.settle);
  try {
    const spans = await clientFor(values).waitForSpans(positionals[0], { count: min, max, timeoutMs: withinMs, settleMs });
    process.stdout.write(`ok: ${spans.length} span(s) match ${positionals[0]}\n`);
    return 0;
  } catch (err) {
    // The API refusing the request (a token, say) is not an answer about the spans.
    if (err instanceof TraceboxApiError) throw err;
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
