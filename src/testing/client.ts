/**
 * A test client for a running tracebox: waits for spans and log records, lists traces
 * and records, resets. It is a thin layer over the HTTP API (`POST /api/expect`,
 * `POST /api/expect/logs`, `GET /api/spans`, `GET /api/logs`), so tests in any language
 * can do the same with one request.
 */
import type { LogJson } from '../api/index.ts';
import { wholeWords, type SpanJson, type TraceJson } from '../query/index.ts';
import { RUN_ATTRIBUTE, SESSION_ATTRIBUTE, SESSION_HEADER, type Finding, type IngestRecord } from '../otlp/index.ts';
import { explainQueryError, parse, TraceQLSyntaxError, TraceQLValidationError } from '../traceql/index.ts';
import { formatTree } from './tree.ts';
import type { RunDiff } from '../analysis/index.ts';
import type { RunRecord } from '../store/index.ts';
import { toSpan, toTrace, type Span, type Trace } from './trace.ts';

export { toSpan, toTrace, type Span, type SpanNode, type Trace } from './trace.ts';
export type { RunRecord };

/** What a run is recorded with (see `TraceboxClient.startRun`). */
export interface RunStart {
  label?: string;
  command?: string;
  gitCommit?: string | null;
  gitBranch?: string | null;
}

/** Which two sets of traces `TraceboxClient.diff` compares, and the noise bound. */
export interface DiffRequest {
  /** Run ids or labels; by default the newest run (b) and the one before it (a). */
  a?: string;
  b?: string;
  /** Or two TraceQL selections. */
  queryA?: string;
  queryB?: string;
  /** Noise bound (see src/analysis/run-compare.ts): percent, a duration such as "1ms", samples. */
  minChangePct?: number;
  minDelta?: string;
  minSamples?: number;
  /** Traces compared per side, newest first (default 5,000); a side with more says so in `partial`. */
  limit?: number;
}

/** A simple filter, turned into TraceQL: every given field must match on the same span. */
export interface SpanFilter {
  service?: string;
  name?: string;
  status?: 'ok' | 'error' | 'unset';
  kind?: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  attributes?: Record<string, string | number | boolean>;
}

export type SpanQuery = string | SpanFilter;

export interface WaitOptions {
  /** Spans needed (default 1, or 0 when `max` is 0). */
  count?: number;
  /** Most spans allowed (default unlimited). */
  max?: number;
  /** With a `max`: how long no new matching span must arrive before the count is final (default 200 ms). */
  settleMs?: number;
  /** How long to wait (default 3000 ms, below the usual 5 s test timeout so this message is what you see). */
  timeoutMs?: number;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function attributeName(key: string): string {
  return /^[\w.\-/:]+$/u.test(key) ? key : `"${key.replace(/[\\"]/g, '\\$&')}"`;
}

/** TraceQL for a query given as a string or a simple filter. */
export function toTraceQL(query: SpanQuery): string {
  if (typeof query === 'string') return query;
  const parts: string[] = [];
  if (query.service !== undefined) parts.push(`resource.service.name = ${quote(query.service)}`);
  if (query.name !== undefined) parts.push(`name = ${quote(query.name)}`);
  if (query.status !== undefined) parts.push(`status = ${query.status}`);
  if (query.kind !== undefined) parts.push(`kind = ${query.kind}`);
  for (const [k, v] of Object.entries(query.attributes ?? {})) {
    parts.push(`.${attributeName(k)} = ${typeof v === 'string' ? quote(v) : String(v)}`);
  }
  return parts.length === 0 ? '{ }' : `{ ${parts.join(' && ')} }`;
}

/** A log record as the API serves it: ids in hex, the body and attribute values as text. */
export type LogRecord = LogJson;

/** SeverityNumber 1–24, or the least number of a level. */
export type Severity = number | 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** Log records to wait for or list: every given field must hold. */
export interface LogFilter {
  /** The body (a map or array as JSON) contains this text, case-sensitively. */
  body?: string;
  /** At least this severity. */
  severity?: Severity;
  /** At most this severity. */
  maxSeverity?: Severity;
  service?: string;
  /** Record attributes with these values (compared as text). */
  attributes?: Record<string, string | number | boolean>;
  /** Records of this trace (hex), or of this span. */
  traceId?: string;
  spanId?: string;
}

interface ExpectAnswer {
  ok: boolean;
  /** False when the store could not be searched completely (then `ok` is false and `message` says why). */
  complete: boolean;
  count: number;
  matches: SpanJson[];
  candidates: Array<{ span: SpanJson; failed: Array<{ condition: string; actual: string }> }>;
  message: string;
}

/** An answer of the tracebox API other than 2xx. */
export class TraceboxApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TraceboxApiError';
  }
}

/** A query this client can tell is invalid before sending it: the message says where and, when known, what was valid. */
export function checkQuery(traceql: string): void {
  try {
    parse(traceql);
  } catch (err) {
    if (err instanceof TraceQLSyntaxError || err instanceof TraceQLValidationError) {
      throw new Error(`invalid TraceQL query: ${explainQueryError(traceql, err)}`);
    }
    throw err;
  }
}

export class TraceboxClient {
  /**
   * @param apiUrl the query API, e.g. http://127.0.0.1:3200
   * @param otlpHttpUrl where services send spans, for env()
   * @param sessionId limits everything this client does to one test session
   * @param authToken the tracebox's --auth-token: sent to the API, and put in env() for exporters
   */
  constructor(
    readonly apiUrl: string,
    readonly otlpHttpUrl: string,
    readonly sessionId?: string,
    private readonly authToken?: string,
  ) {}

  /** A client for a new (or the named) test session on the same tracebox. */
  session(id: string = `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`): TraceboxClient {
    return new TraceboxClient(this.apiUrl, this.otlpHttpUrl, id, this.authToken);
  }

  /**
   * OTEL_* variables that point a child process's OpenTelemetry SDK here (and at this
   * session); with `run`, its spans are also tagged with that run (`tracebox.run`).
   */
  env(options: { run?: string } = {}): Record<string, string> {
    const env: Record<string, string> = {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.otlpHttpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_EXPORTER: 'otlp',
      // Short batch delay: a test should not wait five seconds for its spans.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // Log records come here too, as soon as they are emitted in a test.
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      // Metrics are not received: without this the SDK exports them to the same endpoint
      // every few seconds and logs each refusal.
      OTEL_METRICS_EXPORTER: 'none',
    };
    const headers: string[] = [];
    const resource: string[] = [];
    if (this.sessionId !== undefined) {
      headers.push(`${SESSION_HEADER}=${encodeURIComponent(this.sessionId)}`);
      resource.push(`${SESSION_ATTRIBUTE}=${encodeURIComponent(this.sessionId)}`);
    }
    if (options.run !== undefined) resource.push(`${RUN_ATTRIBUTE}=${encodeURIComponent(options.run)}`);
    if (resource.length > 0) env.OTEL_RESOURCE_ATTRIBUTES = resource.join(',');
    if (this.authToken !== undefined) headers.push(`Authorization=${encodeURIComponent(`Bearer ${this.authToken}`)}`);
    if (headers.length > 0) env.OTEL_EXPORTER_OTLP_HEADERS = headers.join(',');
    return env;
  }

  /**
   * A request to the API with this client's token; a network failure becomes one line
   * naming the URL. The caller reads (or cancels) the body.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.authToken !== undefined) headers.set('authorization', `Bearer ${this.authToken}`);
    try {
      return await fetch(this.apiUrl + path, { ...init, headers });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach tracebox at ${this.apiUrl}: ${cause}`);
    }
  }

  /** A JSON request; `what` names it in an error ("the query { }"). */
  private async request<T>(method: string, path: string, what: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new TraceboxApiError(res.status, `${what} failed: ${res.status} ${text.trim()}`);
    return JSON.parse(text) as T;
  }

  private query(path: string, params: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    return `${path}?${q.toString()}`;
  }

  /**
   * Resolves with the matching spans once at least `count` have arrived; rejects after
   * `timeoutMs` with what was received instead, as a tree of the most recent traces.
   */
  async waitForSpans(query: SpanQuery, options: WaitOptions = {}): Promise<Span[]> {
    const traceql = toTraceQL(query);
    checkQuery(traceql);
    const answer = await this.request<ExpectAnswer>('POST', '/api/expect', `waiting for ${traceql}`, {
      query: traceql,
      min: options.count,
      max: options.max,
      settleMs: options.settleMs,
      timeoutMs: options.timeoutMs ?? 3000,
      session: this.sessionId,
    });
    if (answer.ok) return answer.matches.map(toSpan);
    // The store could not be searched whole: the count proves nothing either way.
    if (!answer.complete) throw new Error(`${traceql}: ${answer.message}. The search was incomplete, so nothing was decided.`);
    const recent = await this.traces('{ }', { limit: 3 });
    const lines = [`${traceql}: ${answer.message}.`];
    if (answer.candidates.length > 0) {
      lines.push('Closest spans:');
      for (const c of answer.candidates.slice(0, 5)) {
        lines.push(`  ${c.span.service}: ${c.span.name} (span ${c.span.spanId})`);
        for (const f of c.failed) lines.push(`    ✗ ${f.condition}  — has ${f.actual}`);
      }
    }
    if (recent.length > 0) {
      lines.push(this.sessionId === undefined ? 'Most recent traces received:' : `Most recent traces of session ${this.sessionId}:`);
      for (const t of recent) lines.push(formatTree(t, '  '));
    } else if (this.sessionId === undefined) {
      lines.push('No spans were received.');
    } else {
      lines.push(...(await this.untaggedHint()));
    }
    throw new Error(lines.join('\n'));
  }

  /**
   * For a session that received nothing: whether spans arrived without any session tag,
   * which is what a process started without `session.env()` sends.
   */
  private async untaggedHint(): Promise<string[]> {
    const everyone = new TraceboxClient(this.apiUrl, this.otlpHttpUrl, undefined, this.authToken);
    const untagged = (await everyone.traces('{ }', { limit: 50 })).filter((t) => t.spans.some((s) => s.resource[SESSION_ATTRIBUTE] === undefined));
    if (untagged.length === 0) return [`No spans were received in session ${this.sessionId}, nor without a session tag.`];
    const spans = untagged.reduce((n, t) => n + t.spans.filter((s) => s.resource[SESSION_ATTRIBUTE] === undefined).length, 0);
    return [
      `No spans were received in session ${this.sessionId}, but ${spans} span(s) in ${untagged.length} trace(s) arrived without a session tag ` +
        `(among the newest 50 traces). Start the process with the session's env() (it sets OTEL_EXPORTER_OTLP_HEADERS and ` +
        `OTEL_RESOURCE_ATTRIBUTES), or wait on the tracebox itself rather than a session. The newest of them:`,
      ...untagged.slice(0, 3).map((t) => formatTree(t, '  ')),
    ];
  }

  /**
   * Resolves with the matching log records (oldest first, at most 200) once at least
   * `count` have arrived (and, with a `max`, no more arrived for a moment); rejects after
   * `timeoutMs` saying what was found, with the newest records received.
   */
  async waitForLogs(filter: LogFilter, options: WaitOptions = {}): Promise<LogRecord[]> {
    const what = describeLogs(filter);
    const answer = await this.request<{ ok: boolean; count: number; matches: LogRecord[]; message: string; complete: boolean }>('POST', '/api/expect/logs', `waiting for ${what}`, {
      ...filter,
      min: options.count ?? 1,
      max: options.max,
      timeoutMs: options.timeoutMs ?? 3000,
      settleMs: options.settleMs,
      session: this.sessionId,
    });
    if (answer.ok) return answer.matches;
    const lines = [`${what}: ${answer.message}.`];
    if (answer.matches.length > 0) {
      lines.push('Matching records:');
      for (const r of answer.matches.slice(0, 5)) lines.push(`  ${logLine(r)}`);
    }
    const recent = await this.logs({}, { limit: 5 });
    if (recent.length > 0) {
      lines.push(this.sessionId === undefined ? 'Newest records received:' : `Newest records of session ${this.sessionId}:`);
      for (const r of recent) lines.push(`  ${logLine(r)}`);
    } else lines.push(this.sessionId === undefined ? 'No log records were received.' : `No log records were received in session ${this.sessionId}.`);
    throw new Error(lines.join('\n'));
  }

  /**
   * Log records meeting the filter, newest first: the newest `limit` (default 100) records
   * of the other fields are read, then those whose body does not contain `body` are left out.
   */
  async logs(filter: LogFilter = {}, options: { limit?: number } = {}): Promise<LogRecord[]> {
    const q = new URLSearchParams({ limit: String(options.limit ?? 100) });
    if (filter.body !== undefined) {
      // Whole words of the text narrow the search; the text itself is checked below.
      const words = wholeWords(filter.body);
      if (words.length > 0) q.set('q', words.join(' '));
    }
    if (filter.severity !== undefined) q.set('minSeverity', String(filter.severity));
    if (filter.maxSeverity !== undefined) q.set('maxSeverity', String(filter.maxSeverity));
    if (filter.service !== undefined) q.set('service', filter.service);
    for (const [k, v] of Object.entries(filter.attributes ?? {})) if (typeof v === 'string') q.append('attr', `${k}=${v}`);
    if (filter.traceId !== undefined) q.set('traceId', filter.traceId);
    if (filter.spanId !== undefined) q.set('spanId', filter.spanId);
    if (this.sessionId !== undefined) q.set('session', this.sessionId);
    const { logs } = await this.request<{ logs: LogRecord[] }>('GET', `/api/logs?${q.toString()}`, `listing ${describeLogs(filter)}`);
    return logs.filter(
      (r) => (filter.body === undefined || r.body.includes(filter.body)) && Object.entries(filter.attributes ?? {}).every(([k, v]) => r.attributes[k] === String(v)),
    );
  }

  /** Traces with a span matching the query, newest first. */
  async traces(query: SpanQuery = '{ }', options: { limit?: number } = {}): Promise<Trace[]> {
    const traceql = toTraceQL(query);
    checkQuery(traceql);
    const path = this.query('/api/spans', { q: traceql, limit: String(options.limit ?? 20), session: this.sessionId });
    const { traces } = await this.request<{ traces: Array<TraceJson & { matched: string[] }> }>('GET', path, `the query ${traceql}`);
    return traces.map(toTrace);
  }

  /** One trace by id, as a tree. */
  async trace(traceId: string): Promise<Trace> {
    return toTrace(await this.request<TraceJson>('GET', `/api/spans/trace/${encodeURIComponent(traceId)}`, `reading trace ${traceId}`));
  }

  /** What the receivers saw lately and the set-up mistakes tracebox recognized. */
  async doctor(): Promise<{ findings: Finding[]; requests: Record<string, IngestRecord[]>; receivers?: { otlpHttp: number; otlpGrpc: number; zipkin?: number } }> {
    return this.request('GET', '/api/doctor', 'the doctor report');
  }

  /**
   * Records the start of a run. Spans whose resource carries `tracebox.run` = the run's id
   * belong to it: start the process under test with `env({ run: run.id })`.
   */
  async startRun(run: RunStart = {}): Promise<RunRecord> {
    return (await this.request<{ run: RunRecord }>('POST', '/api/runs', 'starting a run', run)).run;
  }

  /** Records a run's end (and counts its spans). */
  async endRun(id: string, exitCode: number | null = null): Promise<RunRecord> {
    return (await this.request<{ run: RunRecord }>('POST', `/api/runs/${encodeURIComponent(id)}/end`, `ending run ${id}`, { exitCode })).run;
  }

  /** Recorded runs, newest first. */
  async runs(): Promise<RunRecord[]> {
    return (await this.request<{ runs: RunRecord[] }>('GET', '/api/runs', 'listing runs')).runs;
  }

  /** Compares two runs (or two TraceQL selections) per operation; see src/analysis/run-compare.ts. */
  async diff(request: DiffRequest = {}): Promise<RunDiff & { runs: { a: RunRecord | null; b: RunRecord | null } }> {
    const path = this.query('/api/runs/diff', {
      a: request.a,
      b: request.b,
      qa: request.queryA,
      qb: request.queryB,
      minChange: request.minChangePct?.toString(),
      minDelta: request.minDelta,
      minSamples: request.minSamples?.toString(),
      limit: request.limit?.toString(),
    });
    return this.request('GET', path, 'the diff');
  }

  /** Deletes the stored traces (only this session's when the client has one). */
  async reset(): Promise<void> {
    await this.request('DELETE', this.query('/api/traces', { session: this.sessionId }), this.sessionId === undefined ? 'deleting the traces' : `deleting session ${this.sessionId}'s traces`);
  }
}

/** "log records with body containing "x", severity ≥ ERROR, service checkout". */
function describeLogs(f: LogFilter): string {
  const parts: string[] = [];
  if (f.body !== undefined) parts.push(`body containing ${quote(f.body)}`);
  if (f.severity !== undefined) parts.push(`severity ≥ ${f.severity}`);
  if (f.maxSeverity !== undefined) parts.push(`severity ≤ ${f.maxSeverity}`);
  if (f.service !== undefined) parts.push(`service ${quote(f.service)}`);
  for (const [k, v] of Object.entries(f.attributes ?? {})) parts.push(`${k} = ${typeof v === 'string' ? quote(v) : String(v)}`);
  if (f.traceId !== undefined) parts.push(`trace ${f.traceId}`);
  if (f.spanId !== undefined) parts.push(`span ${f.spanId}`);
  return parts.length === 0 ? 'log records' : `log records with ${parts.join(', ')}`;
}

function logLine(r: LogRecord): string {
  const ids = r.traceId === '' ? '' : ` (trace ${r.traceId}${r.spanId === '' ? '' : ` span ${r.spanId}`})`;
  return `${r.service}: ${r.severityText || r.severityNumber} ${r.body.length > 160 ? r.body.slice(0, 157) + '…' : r.body}${ids}`;
}
