/**
 * `tracebox assert '<TraceQL>' [--min N] [--max N] [--within 10s] [--settle 200ms]`: exits
 * 0 when a running tracebox has between min and max matching spans (waiting up to
 * --within), otherwise 1 with what was found instead, or why it could not tell. With
 * `--logs` it counts log records instead, chosen by --body, --severity, --service, --attr,
 * --trace and --span.
 */
import { ConfigError } from '../config.ts';
import { TraceboxApiError, type LogFilter, type Severity } from '../testing/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { CLIENT_FLAGS, CLIENT_HELP, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox assert '<TraceQL>' [--min N] [--max N] [--within DURATION] [--settle DURATION]
       tracebox assert --logs [--body TEXT] [--severity LEVEL] [--service NAME] [--attr KEY=VALUE]… [--min N] [--max N] …
Checks how many spans in a running tracebox match a TraceQL query, or how many log records
match the --logs filters.

  tracebox assert '{ name = "GET /cart" }'        at least one matching span
  tracebox assert '{ status = error }' --max 0    no matching span (--min is then 0)
  tracebox assert '{ span.db.system = "redis" }' --min 2 --max 5 --within 10s
                                                  2 to 5 matching spans, waiting up to 10s
  tracebox assert --logs --severity ERROR --max 0 no log record of severity ERROR or above
  tracebox assert --logs --body 'order placed' --service shop --within 5s

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
                     count is final (default 200ms)
  --logs             count log records: --body TEXT (the body contains it), --severity
                     LEVEL (least: 1-24 or TRACE, DEBUG, INFO, WARN, ERROR, FATAL),
                     --service NAME, --attr KEY=VALUE (repeatable), --trace ID, --span ID`;

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
  const flags = {
    ...CLIENT_FLAGS,
    min: { type: 'string' },
    max: { type: 'string' },
    within: { type: 'string' },
    settle: { type: 'string' },
    logs: { type: 'boolean' },
    body: { type: 'string' },
    severity: { type: 'string' },
    service: { type: 'string' },
    attr: { type: 'string', multiple: true },
    trace: { type: 'string' },
    span: { type: 'string' },
  } as const;
  const { values, positionals } = parse(args, flags, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.logs ? positionals.length !== 0 : positionals.length !== 1) throw new ConfigError(`${values.logs ? 'with --logs, no TraceQL query' : 'expected one TraceQL query'}\n${USAGE}`);
  const max = count('max', values.max, Number.MAX_SAFE_INTEGER);
  // `--max 0` alone means "none": the default minimum is 1 only where a match may exist.
  const min = count('min', values.min, Math.min(1, max));
  if (max < min) throw new ConfigError(`--max ${max} is less than --min ${min}`);
  const withinMs = durationMs('within', values.within);
  const settleMs = values.settle === undefined ? undefined : durationMs('settle', values.settle);
  try {
    if (values.logs) {
      const records = await clientFor(values).waitForLogs(logFilter(values), { count: min, max, timeoutMs: withinMs, settleMs });
      process.stdout.write(`ok: ${records.length === 200 ? 'at least ' : ''}${records.length} log record(s) match\n`);
      return 0;
    }
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

/** The --logs filters as the test client takes them. */
function logFilter(v: { body?: string; severity?: string; service?: string; attr?: string[]; trace?: string; span?: string }): LogFilter {
  const attributes: Record<string, string> = {};
  for (const a of v.attr ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--attr: expected KEY=VALUE, got "${a}"`);
    attributes[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return {
    ...(v.body === undefined ? {} : { body: v.body }),
    ...(v.severity === undefined ? {} : { severity: /^\d+$/.test(v.severity) ? Number(v.severity) : (v.severity.toUpperCase() as Severity) }),
    ...(v.service === undefined ? {} : { service: v.service }),
    ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
    ...(v.trace === undefined ? {} : { traceId: v.trace }),
    ...(v.span === undefined ? {} : { spanId: v.span }),
  };
}
