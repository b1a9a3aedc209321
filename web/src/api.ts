/**
 * @module api
 * The viewer's only fetch() caller: typed requests to tracebox's Tempo API, the plain
 * span JSON endpoints, log records, the doctor, the derived metrics and recorded runs. Endpoints another tracebox
 * version may lack (`/api/service-graph`, `/api/metrics/*`) answer `undefined` on 404
 * so the pages can fall back.
 */
import type { ReceiverPorts } from './model/endpoints.ts';
import type { LogPage, LogVolume } from './model/logs.ts';
import type { ServiceGraph } from './model/service-graph.ts';
import type { TraceJson } from './model/trace.ts';
import type { RunDiff } from '../../src/analysis/index.ts';

export type { RunDiff };

/** A recorded run, as GET /api/runs answers (src/store/runs.ts). */
export interface RunRecord {
  id: string;
  label: string;
  command: string;
  gitCommit: string | null;
  gitBranch: string | null;
  startedMs: number;
  endedMs: number | null;
  exitCode: number | null;
  spans: number | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get(path: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'tracebox is not reachable: is it still running?');
  }
  if (!res.ok && res.status !== 404) {
    const text = (await res.text()).trim();
    throw new ApiError(res.status, text || `${res.status} ${res.statusText}`);
  }
  return res;
}

async function json<T>(path: string, init?: RequestInit): Promise<T | undefined> {
  const res = await get(path, init);
  if (res.status === 404) return undefined;
  return (await res.json()) as T;
}

const qs = (params: Record<string, string | number | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  return p.toString();
};

export interface SearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName?: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSets?: Array<{ spans: Array<{ spanID: string; name?: string; startTimeUnixNano: string; durationNanos: string }>; matched: number }>;
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

/** Tempo's search; start/end in unix seconds (at most 7 days apart). */
export async function searchTraces(q: string, startSec: number, endSec: number, limit: number, signal?: AbortSignal): Promise<SearchTrace[]> {
  const body = await json<{ traces: SearchTrace[] }>(`/api/search?${qs({ q, start: Math.floor(startSec), end: Math.ceil(endSec), limit, spss: 3 })}`, { signal });
  return body?.traces ?? [];
}

/** Whether any trace is stored at all. */
export async function anyTraces(signal?: AbortSignal): Promise<boolean> {
  const body = await json<{ traces: SearchTrace[] }>(`/api/search?${qs({ q: '{ }', limit: 1 })}`, { signal });
  return (body?.traces.length ?? 0) > 0;
}

export interface TagScope {
  name: string;
  tags: string[];
}

export async function tagScopes(startSec?: number, endSec?: number): Promise<TagScope[]> {
  const range = startSec !== undefined && endSec !== undefined ? { start: Math.floor(startSec), end: Math.ceil(endSec) } : {};
  return (await json<{ scopes: TagScope[] }>(`/api/v2/search/tags?${qs(range)}`))?.scopes ?? [];
}

export interface TagValue {
  type: string;
  value: string;
}

/** Values of a scoped tag (`resource.service.name`, `span.http.route`, `name`, `status`…). */
export async function tagValues(tag: string, q?: string, signal?: AbortSignal): Promise<TagValue[]> {
  const body = await json<{ tagValues: TagValue[] }>(`/api/v2/search/tag/${encodeURIComponent(tag)}/values?${qs({ q })}`, { signal });
  return body?.tagValues ?? [];
}

/** One trace as plain span JSON (hex ids, flat attributes); undefined when unknown. */
export async function fetchTrace(id: string, signal?: AbortSignal): Promise<TraceJson | undefined> {
  const text = await fetchTraceText(id, signal);
  return text === undefined ? undefined : (JSON.parse(text) as TraceJson);
}

/**
 * The same, unparsed: a poller compares it with the last answer and parses only what
 * changed (parsing 10,000 spans holds the page for ~100 ms).
 */
export async function fetchTraceText(id: string, signal?: AbortSignal): Promise<string | undefined> {
  const res = await get(`/api/spans/trace/${encodeURIComponent(id)}`, { signal });
  return res.status === 404 ? undefined : res.text();
}

/** The trace in Tempo's protobuf-JSON (for downloading as OTLP/JSON). */
export async function fetchTempoTrace(id: string): Promise<unknown> {
  return (await json<{ trace: unknown }>(`/api/v2/traces/${encodeURIComponent(id)}`))?.trace;
}

/** Whole traces matching a query, newest first (`/api/spans`). */
export async function sampleTraces(q: string, limit: number, signal?: AbortSignal): Promise<TraceJson[]> {
  return (await json<{ traces: TraceJson[] }>(`/api/spans?${qs({ q, limit })}`, { signal }))?.traces ?? [];
}

/** Log records (`/api/logs`): filters as its parameters; undefined when this tracebox keeps no logs. */
export async function fetchLogs(params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<LogPage | undefined> {
  return json<LogPage>(`/api/logs?${qs(params)}`, { signal });
}

/** Records per time bucket and level over [startSec, endSec), with the same filters. */
export async function logVolume(params: Record<string, string | number | undefined>, startSec: number, endSec: number, buckets: number, signal?: AbortSignal): Promise<LogVolume | undefined> {
  return json<LogVolume>(`/api/logs/volume?${qs({ ...params, start: Math.floor(startSec), end: Math.ceil(endSec), buckets })}`, { signal });
}

export interface DoctorFinding {
  code: string;
  message: string;
  count?: number;
}

export interface Doctor {
  findings: DoctorFinding[];
  /** The receivers' ports (absent from older versions). */
  receivers?: ReceiverPorts;
  requests: Record<string, Array<{ at: number; spans: number; rejected: number; status: number | string; error: string; path: string; contentType: string }>>;
}

export async function doctor(): Promise<Doctor | undefined> {
  return json<Doctor>('/api/doctor');
}

/** The derived service graph, or undefined when this tracebox has no such endpoint. */
export async function serviceGraph(startSec: number, endSec: number, signal?: AbortSignal): Promise<ServiceGraph | undefined> {
  return json<ServiceGraph>(`/api/service-graph?${qs({ start: Math.floor(startSec), end: Math.ceil(endSec) })}`, { signal });
}

export interface MetricLabel {
  key: string;
  value: { stringValue?: string; doubleValue?: number; intValue?: string };
}

export interface RangeSeries {
  labels: MetricLabel[];
  samples: Array<{ timestampMs: string; value: number }>;
  exemplars?: Array<{ labels: MetricLabel[]; value: number; timestampMs: string }>;
}

export interface InstantSeries {
  labels: MetricLabel[];
  value: number;
}

export const labelValue = (labels: MetricLabel[], key: string): string | number | undefined => {
  const v = labels.find((l) => l.key === key)?.value;
  return v?.stringValue ?? v?.doubleValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined);
};

/** TraceQL metrics over a range, or undefined when the endpoint is missing. */
export async function queryRange(q: string, startSec: number, endSec: number, stepSec: number, signal?: AbortSignal): Promise<RangeSeries[] | undefined> {
  const body = await json<{ series: RangeSeries[] }>(
    `/api/metrics/query_range?${qs({ q, start: Math.floor(startSec), end: Math.ceil(endSec), step: `${Math.max(1, Math.round(stepSec))}s` })}`,
    { signal },
  );
  return body === undefined ? undefined : (body.series ?? []);
}

export async function queryInstant(q: string, startSec: number, endSec: number, signal?: AbortSignal): Promise<InstantSeries[] | undefined> {
  const body = await json<{ series: InstantSeries[] }>(`/api/metrics/query?${qs({ q, start: Math.floor(startSec), end: Math.ceil(endSec) })}`, { signal });
  return body === undefined ? undefined : (body.series ?? []);
}

/** Recorded runs, newest first (`tracebox run`); undefined when this tracebox has no runs endpoint. */
export async function listRuns(signal?: AbortSignal): Promise<RunRecord[] | undefined> {
  return (await json<{ runs: RunRecord[] }>('/api/runs', { signal }))?.runs;
}

/** The diff of two runs by id (src/analysis/run-compare); the API's 400 (an unknown run) is thrown as ApiError. */
export async function runDiff(a: string, b: string, signal?: AbortSignal): Promise<(RunDiff & { runs: { a: RunRecord | null; b: RunRecord | null } }) | undefined> {
  return json(`/api/runs/diff?${qs({ a, b })}`, { signal });
}
