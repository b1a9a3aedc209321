/** `tracebox query '<TraceQL>'`: the matching spans of a running tracebox, as a table or JSON. */
import { humanDuration, textTable } from '../analysis/index.ts';
import { ConfigError } from '../config.ts';
import type { Span } from '../testing/index.ts';
import { CLIENT_FLAGS, CLIENT_HELP, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox query '<TraceQL>' [--json] [--limit N]
Prints the spans that match, newest trace first.
${CLIENT_HELP}
  --json             print JSON instead of a table
  --limit N          at most N traces (default 20)`;

/** Columns padded to their widest cell. */
export const table = textTable;

export async function query(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...CLIENT_FLAGS, json: { type: 'boolean' }, limit: { type: 'string' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError(`expected one TraceQL query\n${USAGE}`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit: expected a positive whole number, got "${values.limit}"`);
  const client = clientFor(values);
  const traces = await client.traces(positionals[0], { limit });
  const matched = traces.flatMap((t) => t.matched.map((id) => t.spans.find((s) => s.spanId === id)).filter((s): s is Span => s !== undefined));
  if (values.json) {
    process.stdout.write(JSON.stringify(matched, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    return 0;
  }
  if (matched.length === 0) {
    process.stdout.write('no matching spans\n');
    return 0;
  }
  const rows = [['TRACE', 'SPAN', 'SERVICE', 'NAME', 'KIND', 'STATUS', 'DURATION', 'START']];
  for (const s of matched) {
    rows.push([s.traceId, s.spanId, s.service, s.name, s.kind, s.status, humanDuration(s.durationNs), new Date(s.startTimeMs).toISOString()]);
  }
  process.stdout.write(table(rows));
  process.stdout.write(`${matched.length} span(s) in ${traces.length} trace(s)\n`);
  return 0;
}
