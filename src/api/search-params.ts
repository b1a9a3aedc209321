/**
 * Parameters of Tempo's search and tag endpoints → typed requests, with Tempo's error
 * texts (as in Tempo 2.7).
 */
import { BadRequestError } from '../shared/errors.ts';
import { parseQuery } from '../query/index.ts';
import { parseDuration, type Root } from '../traceql/index.ts';
import { parseUnixSeconds, type UnixTime } from './params.ts';

export const DEFAULT_LIMIT = 20;
export const DEFAULT_SPSS = 3;
export const MAX_SPSS = 100;
const MAX_RANGE_S = 168 * 3600;
const ZERO: UnixTime = { ns: 0n, seconds: 0n };

type Query = (name: string) => string | undefined;

/** An empty parameter counts as absent, as in Tempo. */
function param(q: Query, name: string): string | undefined {
  const v = q(name);
  return v === undefined || v === '' ? undefined : v;
}

function atoi(name: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new BadRequestError(`invalid ${name}: strconv.Atoi: parsing "${text}": invalid syntax`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new BadRequestError(`invalid ${name}: strconv.Atoi: parsing "${text}": value out of range`);
  return n;
}

function positive(q: Query, name: string, fallback: number): number {
  const text = param(q, name);
  if (text === undefined) return fallback;
  const n = atoi(name, text);
  if (n <= 0) throw new BadRequestError(`invalid ${name}: must be a positive number`);
  return n;
}

export interface Window {
  /** Unix ns bounds when the request named a range; undefined searches everything. */
  readonly startNs?: bigint;
  readonly endNs?: bigint;
}

/** `start`/`end` (see parseUnixSeconds), both or neither, at most 168 h apart. */
export function parseWindow(q: Query, maxRangeS = MAX_RANGE_S): Window {
  const startText = param(q, 'start');
  const endText = param(q, 'end');
  const start = startText === undefined ? ZERO : parseUnixSeconds('start', startText);
  const end = endText === undefined ? ZERO : parseUnixSeconds('end', endText);
  if (start.ns === 0n && end.ns === 0n) return {};
  const received = `received start=${start.seconds} end=${end.seconds}`;
  if (end.ns <= start.ns) throw new BadRequestError(`http parameter start must be before end. ${received}`);
  if (end.ns - start.ns > BigInt(maxRangeS) * 1_000_000_000n) {
    throw new BadRequestError(`range specified by start and end exceeds ${maxRangeS / 3600}h0m0s. ${received}`);
  }
  return { startNs: start.ns, endNs: end.ns };
}

export interface SearchParams {
  readonly query: string;
  readonly root: Root;
  readonly limit: number;
  readonly spss: number;
  readonly window: Window;
  /** True for legacy tag searches, whose results carry no spansets. */
  readonly legacy: boolean;
}

export function parseSearchParams(q: Query): SearchParams {
  const query = param(q, 'q');
  const tags = param(q, 'tags');
  if (query !== undefined && tags !== undefined) throw new BadRequestError("invalid request: can't specify tags and q in the same query");
  const limit = positive(q, 'limit', DEFAULT_LIMIT);
  const spss = positive(q, 'spss', DEFAULT_SPSS);
  if (spss > MAX_SPSS) throw new BadRequestError(`spans per span set exceeds ${MAX_SPSS}. received ${spss}`);
  const window = parseWindow(q);
  if (query !== undefined) {
    const root = parseQuery(query, 'invalid TraceQL query: ');
    if (root.metrics !== null) {
      throw new BadRequestError('invalid TraceQL query: metrics queries are answered by /api/metrics/query_range, not by search');
    }
    return { query, root, limit, spss, window, legacy: false };
  }
  const minDuration = durationParam(q, 'minDuration');
  const maxDuration = durationParam(q, 'maxDuration');
  if (minDuration !== undefined && maxDuration !== undefined && maxDuration < minDuration) {
    throw new BadRequestError('invalid maxDuration: must be greater than minDuration');
  }
  const legacy = legacyTagsQuery(tags === undefined ? [] : parseLogfmt(tags), minDuration, maxDuration);
  return { query: legacy, root: parseQuery(legacy, 'invalid tags: '), limit, spss, window, legacy: true };
}

function durationParam(q: Query, name: string): number | undefined {
  const text = param(q, name);
  if (text === undefined) return undefined;
  const ns = parseDuration(text);
  if (ns === null) throw new BadRequestError(`invalid ${name}: time: invalid duration "${text}"`);
  return ns;
}

/** `k=v k2="v 2"` as Tempo's tag search reads it. */
export function parseLogfmt(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  let i = 0;
  const fail = (msg: string): never => {
    throw new BadRequestError(`invalid tags: ${msg} at pos ${i + 1}`);
  };
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    let key = '';
    while (i < text.length && text[i] !== '=' && text[i] !== ' ' && text[i] !== '"') key += text[i++];
    if (key === '') fail('unexpected character');
    let value = '';
    if (text[i] === '=') {
      i++;
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i++];
        }
        if (text[i] !== '"') fail('unterminated quoted value');
        i++;
      } else {
        while (i < text.length && text[i] !== ' ') value += text[i++];
      }
    }
    if (seen.has(key)) throw new BadRequestError(`invalid tags: tag ${key} has been set twice`);
    seen.add(key);
    out.push([key, value]);
  }
  return out;
}

/** A TraceQL string literal. */
function lit(s: string): string {
  return JSON.stringify(s);
}

function regexEscape(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const SUBSTRING_RESOURCE = new Set([
  'service.name', 'cluster', 'namespace', 'pod', 'container',
  'k8s.cluster.name', 'k8s.namespace.name', 'k8s.pod.name', 'k8s.container.name',
]);
const SUBSTRING_SPAN = new Set(['http.method', 'http.url']);

/**
 * The legacy tag search as TraceQL (each pair must hold somewhere in the trace):
 * well-known keys match as case-sensitive substrings, others exactly, as Tempo does.
 */
export function legacyTagsQuery(tags: Array<[string, string]>, minNs: number | undefined, maxNs: number | undefined): string {
  const contains = (v: string): string => lit(`.*${regexEscape(v)}.*`);
  const filters: string[] = [];
  for (const [k, v] of tags) {
    const attr = `."${k.replace(/[\\"]/g, '\\$&')}"`;
    if (k === 'root.name') filters.push(`{ rootName =~ ${contains(v)} }`);
    else if (k === 'root.service.name') filters.push(`{ rootServiceName =~ ${contains(v)} }`);
    else if (k === 'name') filters.push(`{ name =~ ${contains(v)} }`);
    else if (SUBSTRING_RESOURCE.has(k)) filters.push(`{ resource${attr} =~ ${contains(v)} }`);
    else if (SUBSTRING_SPAN.has(k)) filters.push(`{ span${attr} =~ ${contains(v)} }`);
    else if (k === 'http.status_code' && /^-?\d+$/.test(v)) filters.push(`{ span${attr} = ${v} }`);
    else if (k === 'status.code' && /^(unset|ok|error)$/.test(v)) filters.push(`{ status = ${v} }`);
    else filters.push(`{ ${attr} = ${lit(v)} }`);
  }
  if (minNs !== undefined) filters.push(`{ traceDuration >= ${Math.trunc(minNs / 1e6)}ms }`);
  // Tempo compares durations truncated to milliseconds.
  if (maxNs !== undefined) filters.push(`{ traceDuration < ${Math.trunc(maxNs / 1e6) + 1}ms }`);
  return filters.length === 0 ? '{ }' : filters.join(' && ');
}
