/**
 * A test client for a running tracebox: waits for spans, lists traces, resets. It is a
 * thin layer over the HTTP API (`POST /api/expect`, `GET /api/spans`), so tests in any
 * language can do the same with one request.
 */
import type { FlatValue, SpanJson, TraceJson } from '../query/index.ts';
import { SESSION_ATTRIBUTE, SESSION_HEADER, type Finding, type IngestRecord } from '../otlp/index.ts';
import { formatTree } from './tree.ts';

/** A span as a test sees it: hex ids, times as bigint nanoseconds and float milliseconds. */
export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  kind: SpanJson['kind'];
  status: SpanJson['status'];
  statusMessage: string;
  startTimeNs: bigint;
  endTimeNs: bigint;
  durationNs: bigint;
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  attributes: Record<string, FlatValue>;
  resource: Record<string, FlatValue>;
  scope: { name: string; version: string };
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, FlatValue> }>;
  links: SpanJson['links'];
}

export interface SpanNode extends Span {
  children: SpanNode[];
}

export interface Trace {
  traceId: string;
  rootServiceName: string | null;
  rootName: string | null;
  startTimeNs: bigint;
  durationNs: bigint;
  durationMs: number;
  spans: Span[];
  /** Spans without a parent in the trace (normally one root), each with its subtree. */
  roots: SpanNode[];
  /** Ids of the spans the query matched (empty when the trace was fetched by id). */
  matched: string[];
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
  /** Spans needed (default 1). */
  count?: number;
  /** Most spans allowed (default unlimited). */
  max?: number;
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

const NS_PER_MS = 1_000_000n;

function nsToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

export function toSpan(s: SpanJson): Span {
  const start = BigInt(s.startTimeUnixNano);
  const end = BigInt(s.endTimeUnixNano);
  const duration = BigInt(s.durationNanos);
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    service: s.service,
    kind: s.kind,
    status: s.status,
    statusMessage: s.statusMessage,
    startTimeNs: start,
    endTimeNs: end,
    durationNs: duration,
    startTimeMs: nsToMs(start),
    endTimeMs: nsToMs(end),
    durationMs: nsToMs(duration),
    attributes: s.attributes,
    resource: s.resource,
    scope: s.scope,
    events: s.events.map((e) => ({ name: e.name, timeNs: BigInt(e.timeUnixNano), attributes: e.attributes })),
    links: s.links,
  };
}

export function toTrace(t: TraceJson & { matched?: string[] }): Trace {
  const spans = t.spans.map(toSpan);
  const nodes = new Map<string, SpanNode>(spans.map((s) => [s.spanId, { ...s, children: [] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId === '' ? undefined : nodes.get(node.parentSpanId);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  const duration = BigInt(t.durationNanos);
  return {
    traceId: t.traceId,
    rootServiceName: t.rootServiceName,
    rootName: t.rootName,
    startTimeNs: BigInt(t.startTimeUnixNano),
    durationNs: duration,
    durationMs: nsToMs(duration),
    spans,
    roots,
    matched: t.matched ?? [],
  };
}

interface ExpectAnswer {
  ok: boolean;
  count: number;
  matches: SpanJson[];
  candidates: Array<{ span: SpanJson; failed: Array<{ condition: string; actual: string }> }>;
  message: string;
}

export class TraceboxClient {
  /**
   * @param apiUrl the query API, e.g. http://127.0.0.1:3200
   * @param otlpHttpUrl where services send spans, for env()
   * @param sessionId limits everything this client does to one test session
   */
  constructor(
    readonly apiUrl: string,
    readonly otlpHttpUrl: string,
    readonly sessionId?: string,
  ) {}

  /** A client for a new (or the named) test session on the same tracebox. */
  session(id: string = `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`): TraceboxClient {
    return new TraceboxClient(this.apiUrl, this.otlpHttpUrl, id);
  }

  /** OTEL_* variables that point a child process's OpenTelemetry SDK here (and at this session). */
  env(): Record<string, string> {
    const env: Record<string, string> = {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.otlpHttpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_EXPORTER: 'otlp',
      // Short batch delay: a test should not wait five seconds for its spans.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    if (this.sessionId !== undefined) {
      env.OTEL_EXPORTER_OTLP_HEADERS = `${SESSION_HEADER}=${encodeURIComponent(this.sessionId)}`;
      env.OTEL_RESOURCE_ATTRIBUTES = `${SESSION_ATTRIBUTE}=${encodeURIComponent(this.sessionId)}`;
    }
    return env;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.apiUrl + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach tracebox at ${this.apiUrl}: ${cause}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`tracebox: ${method} ${path} answered ${res.status}: ${text}`);
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
    const answer = await this.request<ExpectAnswer>('POST', '/api/expect', {
      query: traceql,
      min: options.count ?? 1,
      max: options.max,
      timeoutMs: options.timeoutMs ?? 3000,
      session: this.sessionId,
    });
    if (answer.ok) return answer.matches.map(toSpan);
    const recent = await this.traces('{ }', { limit: 3 });
    const lines = [`${traceql}: ${answer.message}.`];
    if (answer.candidates.length > 0) {
      lines.push('Closest spans:');
      for (const c of answer.candidates.slice(0, 5)) {
        lines.push(`  ${c.span.service}: ${c.span.name} (span ${c.span.spanId})`);
        for (const f of c.failed) lines.push(`    ✗ ${f.condition}  — has ${f.actual}`);
      }
    }
    lines.push(recent.length === 0 ? 'No spans were received.' : 'Most recent traces received:');
    for (const t of recent) lines.push(formatTree(t, '  '));
    throw new Error(lines.join('\n'));
  }

  /** Traces with a span matching the query, newest first. */
  async traces(query: SpanQuery = '{ }', options: { limit?: number } = {}): Promise<Trace[]> {
    const path = this.query('/api/spans', { q: toTraceQL(query), limit: String(options.limit ?? 20), session: this.sessionId });
    const { traces } = await this.request<{ traces: Array<TraceJson & { matched: string[] }> }>('GET', path);
    return traces.map(toTrace);
  }

  /** One trace by id, as a tree. */
  async trace(traceId: string): Promise<Trace> {
    return toTrace(await this.request<TraceJson>('GET', `/api/spans/trace/${encodeURIComponent(traceId)}`));
  }

  /** What the receivers saw lately and the set-up mistakes tracebox recognized. */
  async doctor(): Promise<{ findings: Finding[]; requests: Record<string, IngestRecord[]> }> {
    return this.request('GET', '/api/doctor');
  }

  /** Deletes the stored traces (only this session's when the client has one). */
  async reset(): Promise<void> {
    await this.request('DELETE', this.query('/api/traces', { session: this.sessionId }));
  }
}
