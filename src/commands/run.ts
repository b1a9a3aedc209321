/**
 * `tracebox run [--keep] -- <command…>`: starts tracebox on free ports, runs the command
 * with the OpenTelemetry environment pointing at it, prints what the command emitted,
 * and exits with the command's own exit code.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import { startTracebox } from '../testing/index.ts';
import type { Span, Trace } from '../testing/client.ts';
import { parse } from './options.ts';

const USAGE = `Usage: tracebox run [--keep] [--port PORT] -- <command> [args…]
Runs the command with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a fresh in-memory
tracebox, then prints a summary of the traces it sent.
  --keep         keep tracebox running after the command ends (Ctrl-C stops it)
  --port PORT    query API and viewer port (default: a free port)`;

/** How long the spans must stay unchanged before the summary is printed. */
const SETTLE_MS = 300;
const SETTLE_MAX_MS = 3000;

function ms(ns: bigint): string {
  const v = Number(ns) / 1e6;
  return v >= 100 ? `${Math.round(v)} ms` : `${Number(v.toFixed(2))} ms`;
}

/** The span whose own time (minus its children's) is largest: where the trace spent its time. */
export function criticalSpan(trace: Trace): Span | undefined {
  const children = new Map<string, Span[]>();
  for (const s of trace.spans) {
    const list = children.get(s.parentSpanId) ?? [];
    list.push(s);
    children.set(s.parentSpanId, list);
  }
  let best: Span | undefined;
  let bestSelf = -1n;
  for (const s of trace.spans) {
    // Union of the children's intervals, clipped to the span, so overlapping children count once.
    const kids = (children.get(s.spanId) ?? []).map((k) => [k.startTimeNs, k.endTimeNs] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let covered = 0n;
    let reach = s.startTimeNs;
    for (const [start, end] of kids) {
      const from = start > reach ? start : reach;
      const to = end < s.endTimeNs ? end : s.endTimeNs;
      if (to > from) covered += to - from;
      if (to > reach) reach = to;
    }
    const self = s.durationNs - covered;
    if (self > bestSelf) {
      bestSelf = self;
      best = s;
    }
  }
  return best;
}

async function settled(list: () => Promise<Trace[]>): Promise<Trace[]> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  let last = await list();
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const next = await list();
    const count = (ts: Trace[]): number => ts.reduce((n, t) => n + t.spans.length, 0);
    if (count(next) === count(last) || Date.now() > deadline) return next;
    last = next;
  }
}

export function summary(traces: Trace[], viewerUrl: string): string {
  const spans = traces.reduce((n, t) => n + t.spans.length, 0);
  const errors = traces.reduce((n, t) => n + t.spans.filter((s) => s.status === 'error').length, 0);
  const lines = [`tracebox: ${traces.length} trace(s), ${spans} span(s), ${errors} error(s)`];
  const slowest = [...traces].sort((a, b) => (a.durationNs > b.durationNs ? -1 : a.durationNs < b.durationNs ? 1 : 0)).slice(0, 5);
  if (slowest.length > 0) lines.push('slowest traces:');
  for (const t of slowest) {
    const c = criticalSpan(t);
    const where = c === undefined ? '' : `; most time in ${c.service}: ${c.name} (${ms(c.durationNs)})`;
    const err = t.spans.some((s) => s.status === 'error') ? ' ✗' : '';
    lines.push(`  ${ms(t.durationNs).padStart(10)}  ${t.rootServiceName ?? '?'}: ${t.rootName ?? '<no root>'}${err}  ${t.traceId}${where}`);
  }
  lines.push(`viewer: ${viewerUrl}`);
  return lines.join('\n') + '\n';
}

export async function run(args: readonly string[]): Promise<number> {
  const split = args.indexOf('--');
  const own = split === -1 ? [] : args.slice(0, split);
  const command = split === -1 ? args : args.slice(split + 1);
  const { values } = parse(own, { keep: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command.length === 0) throw new ConfigError(`no command to run\n${USAGE}`);
  const port = values.port === undefined ? 0 : Number(values.port);
  const tb = await startTracebox({ port, log: () => {} });
  const env: NodeJS.ProcessEnv = { ...process.env, ...tb.env() };
  env.OTEL_SERVICE_NAME ??= path.basename(command[0]);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`tracebox: cannot run ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
    // Killed by a signal: report it as a shell does, 128 + its number.
    child.on('exit', (c, signal) => resolve(c ?? 128 + (signal === null ? 0 : os.constants.signals[signal])));
  });
  const traces = await settled(() => tb.traces('{ }', { limit: 10_000 }));
  process.stderr.write(summary(traces, `${tb.apiUrl}/`));
  if (values.keep) {
    process.stderr.write(`tracebox: still running (--keep); OTLP/HTTP ${tb.otlpHttpUrl}, API ${tb.apiUrl}. Ctrl-C stops it.\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
  await tb.close();
  return code;
}
