/**
 * `tracebox export <traceql|id…>`: writes the named traces, and those a TraceQL query
 * finds, as one OTLP/JSON ExportTraceServiceRequest (hex ids, numeric enums, as the OTLP
 * specification prints it) on standard output, which `tracebox import` and any OTLP/HTTP
 * receiver read back.
 *
 * Arguments of 1–32 hex digits are trace ids; anything else is TraceQL, run through
 * `/api/search`. Each trace is fetched from `/api/traces/<id>` as protobuf, so nothing is
 * lost on the way, and the TracesData messages are concatenated (one message on the wire).
 * With `--logs`, a second line holds the traces' log records as one OTLP/JSON logs request
 * (from `/api/logs/export`): JSON lines, which `tracebox import` reads back whole.
 */
import { ConfigError } from '../config.ts';
import { tracesDataToJson } from '../otlp/index.ts';
import { checkQuery, type TraceboxClient } from '../testing/index.ts';
import { CONNECTION_FLAGS, CONNECTION_HELP, clientFor, parse } from './options.ts';

const DEFAULT_LIMIT = 1000;
const PARALLEL = 8;

const USAGE = `Usage: tracebox export <traceql|trace-id…> [--url URL] [--limit N] [--logs] > traces.json
Writes traces as OTLP/JSON; "tracebox import" loads the file again. Arguments of 1-32 hex
digits are trace ids, anything else a TraceQL query, e.g. '{ status = error }'.
${CONNECTION_HELP}
  --limit N          at most N traces per query (default ${DEFAULT_LIMIT})
  --logs             also write the traces' log records, as a second line (OTLP/JSON logs)`;

const TRACE_ID = /^[0-9a-fA-F]{1,32}$/;

class Api {
  constructor(readonly client: TraceboxClient) {}

  get(path: string, accept: string): Promise<Response> {
    return this.client.fetch(path, { headers: { accept } });
  }

  async search(q: string, limit: number): Promise<string[]> {
    checkQuery(q);
    const res = await this.get(`/api/search?${new URLSearchParams({ q, limit: String(limit) })}`, 'application/json');
    const text = await res.text();
    if (!res.ok) throw new Error(`the query ${q} failed: ${res.status} ${text.trim()}`);
    const body = JSON.parse(text) as { traces?: Array<{ traceID: string }> };
    return (body.traces ?? []).map((t) => t.traceID);
  }

  /** The trace's log records as OTLP/JSON ResourceLogs. */
  async logs(id: string): Promise<object[]> {
    const res = await this.get(`/api/logs/export?${new URLSearchParams({ traceId: id })}`, 'application/json');
    const text = await res.text();
    if (!res.ok) throw new Error(`log records of trace ${id}: ${res.status} ${text.trim()}`);
    return (JSON.parse(text) as { resourceLogs: object[] }).resourceLogs;
  }

  /** The trace as TracesData bytes, or undefined when tracebox has no such trace. */
  async trace(id: string): Promise<Uint8Array | undefined> {
    const res = await this.get(`/api/traces/${id}`, 'application/protobuf');
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`trace ${id}: ${res.status} ${(await res.text()).trim()}`);
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** Ids as /api/traces takes them: 32 lowercase hex digits. */
function fullId(id: string): string {
  return id.toLowerCase().padStart(32, '0');
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

export async function exportTraces(args: readonly string[]): Promise<number> {
  const flags = { ...CONNECTION_FLAGS, limit: { type: 'string' }, logs: { type: 'boolean' } } as const;
  const { values, positionals } = parse(args, flags, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new ConfigError(`expected trace ids or a TraceQL query\n${USAGE}`);
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit: expected a positive whole number, got "${values.limit}"`);
  const api = new Api(clientFor(values));

  // Trace ids in the order given and found, each once; explicit ids must exist.
  const ids = new Map<string, boolean>();
  for (const arg of positionals) {
    if (TRACE_ID.test(arg)) {
      ids.set(fullId(arg), true);
      continue;
    }
    const found = await api.search(arg, limit);
    if (found.length >= limit) process.stderr.write(`tracebox: ${arg}: stopped at --limit ${limit} traces; there may be more\n`);
    if (found.length === 0) process.stderr.write(`tracebox: ${arg}: no matching traces\n`);
    for (const id of found) if (!ids.has(fullId(id))) ids.set(fullId(id), false);
  }

  const list = [...ids];
  const parts: Array<Uint8Array | undefined> = new Array(list.length);
  for (let i = 0; i < list.length; i += PARALLEL) {
    const batch = list.slice(i, i + PARALLEL);
    const got = await Promise.all(batch.map(([id]) => api.trace(id)));
    got.forEach((bytes, j) => (parts[i + j] = bytes));
  }
  let missing = 0;
  list.forEach(([id, explicit], i) => {
    if (parts[i] === undefined && explicit) {
      process.stderr.write(`tracebox: trace ${id} not found\n`);
      missing++;
    }
  });

  const found = parts.filter((p): p is Uint8Array => p !== undefined);
  const json = tracesDataToJson(Buffer.concat(found), { ids: 'hex', enums: 'numbers' });
  await write(JSON.stringify(json) + '\n');
  let spans = 0;
  for (const rs of json.resourceSpans as Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>) {
    for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
  }
  let records = '';
  if (values.logs) {
    const resourceLogs: object[] = [];
    const present = list.filter((_, i) => parts[i] !== undefined).map(([id]) => id);
    for (let i = 0; i < present.length; i += PARALLEL) for (const rl of await Promise.all(present.slice(i, i + PARALLEL).map((id) => api.logs(id)))) resourceLogs.push(...rl);
    if (resourceLogs.length > 0) await write(JSON.stringify({ resourceLogs }) + '\n');
    let count = 0;
    for (const rl of resourceLogs as Array<{ scopeLogs?: Array<{ logRecords?: unknown[] }> }>) for (const sl of rl.scopeLogs ?? []) count += sl.logRecords?.length ?? 0;
    records = `, ${count} log record(s)`;
  }
  process.stderr.write(`tracebox: exported ${found.length} trace(s), ${spans} span(s)${records}\n`);
  return missing === 0 ? 0 : 1;
}
