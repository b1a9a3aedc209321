/**
 * `tracebox assert '<TraceQL>' [--min N] [--max N] [--within 10s]`: exits 0 when a
 * running tracebox has between min and max matching spans (waiting up to --within),
 * otherwise 1 with what was found instead.
 */
import { ConfigError } from '../config.ts';
import { TraceboxApiError } from '../testing/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { CLIENT_FLAGS, CLIENT_HELP, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox assert '<TraceQL>' [--min N] [--max N] [--within DURATION]
Exits 0 when the number of matching spans is within bounds, 1 otherwise.
${CLIENT_HELP}
  --min N            fewest matching spans (default 1)
  --max N            most matching spans (default unlimited)
  --within DURATION  how long to wait for them, e.g. 10s (default 0s: check once)`;

function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new ConfigError(`--${flag}: expected a whole number, got "${text}"`);
  return n;
}

export async function assert(args: readonly string[]): Promise<number> {
  const flags = { ...CLIENT_FLAGS, min: { type: 'string' }, max: { type: 'string' }, within: { type: 'string' } } as const;
  const { values, positionals } = parse(args, flags, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError(`expected one TraceQL query\n${USAGE}`);
  const min = count('min', values.min, 1);
  const max = count('max', values.max, Number.MAX_SAFE_INTEGER);
  const withinNs = values.within === undefined ? 0 : parseDuration(values.within);
  if (withinNs === null || withinNs < 0) throw new ConfigError(`--within: expected a duration such as 10s, got "${values.within}"`);
  try {
    const spans = await clientFor(values).waitForSpans(positionals[0], { count: min, max, timeoutMs: Math.ceil(withinNs / 1e6) });
    process.stdout.write(`ok: ${spans.length} span(s) match ${positionals[0]}\n`);
    return 0;
  } catch (err) {
    // The API refusing the request (a token, say) is not an answer about the spans.
    if (err instanceof TraceboxApiError) throw err;
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
