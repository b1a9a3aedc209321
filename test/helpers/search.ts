/** Requests to Tempo's search and tag endpoints, and the JSON shapes they answer with. */
import { get, type Answer } from './http.ts';

export interface SearchKeyValue {
  key: string;
  value: Record<string, unknown>;
}

export interface SearchSpan {
  spanID: string;
  name?: string;
  startTimeUnixNano: string;
  durationNanos: string;
  attributes?: SearchKeyValue[];
}

export interface SearchSpanset {
  spans: SearchSpan[];
  matched: number;
  attributes?: SearchKeyValue[];
}

export interface SearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName?: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSet?: SearchSpanset;
  spanSets?: SearchSpanset[];
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

export interface SearchBody {
  traces?: SearchTrace[];
  metrics?: Record<string, unknown>;
}

/** Query string from ordered pairs, encoded with encodeURIComponent (as browsers and Grafana do). */
export function queryString(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

export async function getPath(apiUrl: string, pathAndQuery: string, headers?: Record<string, string>): Promise<Answer> {
  return get(`${apiUrl}${pathAndQuery}`, headers);
}

export function text(a: Answer): string {
  return a.body.toString('utf8');
}

/** GET /api/search with the given parameters; throws with the body unless the answer is 200 JSON. */
export async function searchOk(apiUrl: string, params: Readonly<Record<string, string | number | undefined>>): Promise<SearchBody> {
  const a = await getPath(apiUrl, `/api/search${queryString(params)}`);
  if (a.status !== 200) throw new Error(`GET /api/search${queryString(params)} → ${a.status}: ${text(a)}`);
  return JSON.parse(text(a)) as SearchBody;
}

/** The traces of a search answer ([] when the key is absent, as Tempo omits it). */
export function tracesOf(body: SearchBody): SearchTrace[] {
  return body.traces ?? [];
}

/** Spansets of a search trace: `spanSets`, falling back to `spanSet` as Grafana does. */
export function spanSetsOf(t: SearchTrace): SearchSpanset[] {
  return t.spanSets ?? (t.spanSet ? [t.spanSet] : []);
}
