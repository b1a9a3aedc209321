/**
 * `tracebox run [flags] [--] <command…>`: starts tracebox on free ports (or the given
 * ones), runs the command with the OpenTelemetry environment pointing at it, prints what
 * the command emitted, and exits with the command's own exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { buildTrace, humanDuration, operationStats } from '../analysis/index.ts';
import { ConfigError, parsePort } from '../config.ts';
import { startTracebox, toTraceJson, TraceboxClient, type LogRecord, type RunRecord, type Trace } from '../testing/index.ts';
import { RUN_ATTRIBUTE } from '../otlp/index.ts';
import { runName } from '../analysis/index.ts';
import { CONNECTION_FLAGS, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox run [flags] [--] <command> [args…]
Runs the command with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a fresh in-memory
tracebox, then prints a summary of the traces it sent: the slowest, where each spent
its time (self time: a span's duration minus its children's), the errors, and the log
records of severity ERROR or above with their trace.
Each run is recorded (id, label, git commit and branch, command, start, end, exit
code) and its spans carry the resource attribute tracebox.run = <id> (set through
OTEL_RESOURCE_ATTRIBUTES); with --data the runs stay for tracebox runs and tracebox diff.
  --data DIR              keep the run and its spans in DIR beside earlier runs
                          (default: in memory, gone when the command ends)
  --label TEXT            a name for the run, e.g. main or my-branch (tracebox diff takes it)
  --url URL               record the run in a running tracebox instead (its spans go to
                          that tracebox's OTLP/HTTP receiver); with --auth-token TOKEN
  --keep                  keep tracebox running after the command ends (Ctrl-C stops it)
  --port PORT             query API and viewer port (default: a free port)
  --otlp-http-port PORT   OTLP/HTTP receiver port (default: a free port)
  --otlp-grpc-port PORT   OTLP/gRPC receiver port (default: a free port)
  --zipkin-port PORT      also receive Zipkin v2 JSON on this port (default: off)
  -h, --help              show this help
Flags go before the command; "--" ends them (needed when the command's first word starts with "-").`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  data: { type: 'string' },
  label: { type: 'string' },
  keep: { type: 'boolean' },
  port: { type: 'string' },
  'otlp-http-port': { type: 'string' },
  'otlp-grpc-port': { type: 'string' },
  'zipkin-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How long the spans and error records must stay unchanged before the summary is printed. */
const SETTLE_MS = 300;
const SETTLE_MAX_MS = 3000;
/** Error kinds listed in the summary. */
const ERRORS_SHOWN = 10;
/** Error records listed in the summary, and read at most. */
const ERROR_LOGS_SHOWN = 5;
const ERROR_LOGS_READ = 1000;

/** What the command sent: its traces and its log records of severity ERROR or above. */
export interface RunRecords {
  readonly traces: Trace[];
  /** Oldest first, at most ERROR_LOGS_READ. */
  readonly errorLogs: LogRecord[];
}

/** Splits `run`'s own flags from the command: up to "--", or up to the first word that is not a flag. */
export function splitArgs(args: readonly string[]): { own: string[]; command: string[] } {
  const split = args.indexOf('--');
  if (split !== -1) return { own: args.slice(0, split), command: args.slice(split + 1) };
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) {
    const name = args[i].replace(/^--?/, '');
    const flag = (FLAGS as Record<string, { type: string }>)[name];
    i += flag?.type === 'string' && !args[i].includes('=') ? 2 : 1;
  }
  return { own: args.slice(0, i), command: args.slice(i) };
}

async function settled(read: () => Promise<RunRecords>): Promise<RunRecords> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  let last = await read();
  const count = (r: RunRecords): number => r.traces.reduce((n, t) => n + t.spans.length, 0) + r.errorLogs.length;
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const next = await read();
    if (count(next) === count(last) || Date.now() > deadline) return next;
    last = next;
  }
}

/** "  ERROR checkout: payment declined for order 42  (trace <id>, span <id>)", the oldest first. */
function errorLogLines(logs: readonly LogRecord[]): string[] {
  const lines = logs.slice(0, ERROR_LOGS_SHOWN).map((r) => {
    const body = r.body.replace(/\s+/g, ' ');
    const where = r.traceId === '' ? '' : `  (trace ${r.traceId}${r.spanId === '' ? '' : `, span ${r.spanId}`})`;
    return `  ${r.severityText || 'ERROR'} ${r.service}: ${body.length > 200 ? body.slice(0, 199) + '…' : body}${where}`;
  });
  if (logs.length > ERROR_LOGS_SHOWN) lines.push(`  … ${logs.length >= ERROR_LOGS_READ ? 'at least ' : ''}${logs.length - ERROR_LOGS_SHOWN} more`);
  return lines;
}

/** "most time in cart: SELECT carts (12.3 ms self)", or "(600×, 1.80 s self in all)" for an operation called many times. */
function mostTime(trace: Trace): string {
  const [op] = operationStats(buildTrace(toTraceJson(trace)));
  if (op === undefined) return '';
  const amount = op.count > 1 ? `${op.count}×, ${humanDuration(op.selfNs)} self in all` : `${humanDuration(op.selfNs)} self`;
  return `; most time in ${op.service}: ${op.name} (${amount})`;
}

/** Failed spans gathered by service, name and message, most frequent first. */
function errorLines(traces: Trace[]): string[] {
  const kinds = new Map<string, { text: string; count: number; traceId: string }>();
  for (const t of traces) {
    for (const s of t.spans) {
      if (s.status !== 'error') continue;
      const exception = s.events.find((e) => e.name === 'exception');
      const message = s.statusMessage || String(exception?.attributes['exception.message'] ?? '');
      const text = `${s.service}: ${s.name}${message === '' ? '' : `: ${message.replace(/\s+/g, ' ').slice(0, 200)}`}`;
      const k = kinds.get(text);
      if (k === undefined) kinds.set(text, { text, count: 1, traceId: t.traceId });
      else k.count++;
    }
  }
  const sorted = [...kinds.values()].sort((a, b) => b.count - a.count);
  const lines = sorted.slice(0, ERRORS_SHOWN).map((k) => `  ${k.count > 1 ? `${k.count}× ` : ''}${k.text}  (trace ${k.traceId})`);
  if (sorted.length > ERRORS_SHOWN) lines.push(`  … ${sorted.length - ERRORS_SHOWN} more kind(s) of error`);
  return lines;
}

export function summary({ traces, errorLogs }: RunRecords, viewerUrl: string): string {
  const spans = traces.reduce((n, t) => n + t.spans.length, 0);
  const errors = traces.reduce((n, t) => n + t.spans.filter((s) => s.status === 'error').length, 0);
  const lines = [`tracebox: ${traces.length} trace(s), ${spans} span(s), ${errors} error(s)`];
  const slowest = [...traces].sort((a, b) => (a.durationNs > b.durationNs ? -1 : a.durationNs < b.durationNs ? 1 : 0)).slice(0, 5);
  if (slowest.length > 0) lines.push('slowest traces:');
  for (const t of slowest) {
    const err = t.spans.some((s) => s.status === 'error') ? ' ✗' : '';
    lines.push(`  ${humanDuration(t.durationNs).padStart(10)}  ${t.rootServiceName ?? '?'}: ${t.rootName ?? '<no root>'}${err}  ${t.traceId}${mostTime(t)}`);
  }
  if (errors > 0) lines.push('errors:', ...errorLines(traces));
  if (errorLogs.length > 0) lines.push(`error logs (${errorLogs.length >= ERROR_LOGS_READ ? `${ERROR_LOGS_READ}+` : errorLogs.length}):`, ...errorLogLines(errorLogs));
  lines.push(`viewer: ${viewerUrl}`);
  return lines.join('\n') + '\n';
}

/** One line of `git` output in the working directory, or null outside a work tree (or without git). */
function git(args: string[]): string | null {
  const out = spawnSync('git', args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.status === 0 ? out.stdout.trim() : '';
  return line === '' ? null : line;
}

/** The command as a shell line, for the run's record. */
function commandLine(command: readonly string[]): string {
  return command.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** What was recorded, and how to compare it; `where` is the data directory or, `remote`, the running tracebox's URL. */
function runLine(run: RunRecord, where: string | undefined, remote: boolean): string {
  const flag = remote ? '--url' : '--data';
  const at = where === undefined ? 'in memory (--data DIR keeps runs for tracebox diff)' : `in ${where}; compare with: tracebox diff ${flag} ${where}`;
  return `tracebox: ${runName(run)}, ${run.spans ?? 0} span(s) tagged ${RUN_ATTRIBUTE}=${run.id}, recorded ${at}\n`;
}

function port(flag: string, text: string | undefined): number {
  return text === undefined ? 0 : parsePort(flag, text);
}

export async function run(args: readonly string[]): Promise<number> {
  const { own, command } = splitArgs(args);
  const { values } = parse(own, FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command.length === 0) throw new ConfigError(`no command to run\n${USAGE}`);
  const data = values.data;
  if (values.url !== undefined) {
    const clash = (['data', 'keep', 'port', 'otlp-http-port', 'otlp-grpc-port', 'zipkin-port'] as const).find((f) => values[f] !== undefined);
    if (clash !== undefined) throw new ConfigError(`--url records the run in a running tracebox: --${clash} does not apply`);
    const client = await runningTracebox(values.url, values['auth-token']);
    return runCommand(client, command, values.label, true);
  }
  const tb = await startTracebox({
    ...(data === undefined ? {} : { memory: false, data, allowReset: false }),
    port: port('port', values.port),
    otlpHttpPort: port('otlp-http-port', values['otlp-http-port']),
    otlpGrpcPort: port('otlp-grpc-port', values['otlp-grpc-port']),
    ...(values['zipkin-port'] === undefined ? {} : { zipkinPort: port('zipkin-port', values['zipkin-port']) }),
    log: () => {},
  });
  const client = new TraceboxClient(tb.apiUrl, tb.otlpHttpUrl);
  try {
    const code = await runCommand(client, command, values.label, data !== undefined, data);
    if (values.keep) {
      const zipkin = tb.zipkinUrl === undefined ? '' : `, Zipkin ${tb.zipkinUrl}/api/v2/spans`;
      process.stderr.write(`tracebox: still running (--keep); OTLP/HTTP ${tb.otlpHttpUrl}, OTLP/gRPC ${tb.otlpGrpcUrl}${zipkin}, API ${tb.apiUrl}. Ctrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return code;
  } finally {
    await tb.close();
  }
}

/** A client of the tracebox at `url`, with its OTLP/HTTP receiver (from its doctor report) for the command's exporters. */
async function runningTracebox(url: string, token: string | undefined): Promise<TraceboxClient> {
  const api = clientFor({ url, 'auth-token': token });
  const { receivers } = await api.doctor();
  if (receivers === undefined) throw new ConfigError(`the tracebox at ${api.apiUrl} does not say where its receivers listen; use a newer tracebox, or run without --url`);
  const otlp = new URL(api.apiUrl);
  otlp.port = String(receivers.otlpHttp);
  return new TraceboxClient(api.apiUrl, otlp.origin, undefined, token ?? (process.env.TRACEBOX_AUTH_TOKEN || undefined));
}

/**
 * Records a run, runs the command with the OpenTelemetry environment pointing at `client`'s
 * tracebox and its spans tagged with the run, waits for the spans to settle, ends the run
 * and prints the summary. `scoped`: the store holds other spans too (a data directory, a
 * running tracebox), so the summary reads only the run's.
 */
async function runCommand(client: TraceboxClient, command: readonly string[], label: string | undefined, scoped: boolean, data?: string): Promise<number> {
  const branch = git(['rev-parse', '--abbrev-ref', 'HEAD']);
  const record = await client.startRun({
    label: label ?? '',
    command: commandLine(command),
    gitCommit: git(['rev-parse', 'HEAD']),
    // A detached HEAD (as CI checks out) has no branch; CI may name it.
    gitBranch: branch === 'HEAD' ? process.env.GITHUB_HEAD_REF || process.env.GITHUB_REF_NAME || null : branch,
  });
  const tagged = client.env({ run: record.id });
  const env: NodeJS.ProcessEnv = { ...process.env, ...tagged };
  // Attributes the caller set stay; the run's come last.
  env.OTEL_RESOURCE_ATTRIBUTES = [process.env.OTEL_RESOURCE_ATTRIBUTES, tagged.OTEL_RESOURCE_ATTRIBUTES].filter((a) => a !== undefined && a !== '').join(',');
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
  const records = await settled(async () => ({
    traces: await client.traces(scoped ? `{ resource.${RUN_ATTRIBUTE} = ${JSON.stringify(record.id)} }` : '{ }', { limit: 10_000 }),
    // In a shared store, the run's own: its resources carry the run's id.
    errorLogs: (await client.logs({ severity: 'ERROR' }, { limit: ERROR_LOGS_READ })).filter((r) => !scoped || r.resource[RUN_ATTRIBUTE] === record.id).reverse(),
  }));
  const ended = await client.endRun(record.id, code);
  process.stderr.write(summary(records, `${client.apiUrl}/`));
  process.stderr.write(runLine(ended, scoped ? (data ?? client.apiUrl) : undefined, data === undefined && scoped));
  return code;
}
