/**
 * Parameters of `/api/metrics/query_range` and `/api/metrics/query` → a metrics request,
 * with Tempo's error texts (as in Tempo 2.7). Times may be unix seconds,
 * unix nanoseconds (more than 10 digits), fractional seconds or RFC 3339; the defaults are
 * end = now and start = end − `since` (1h).
 */
import { BadRequestError } from '../shared/errors.ts';
import { alignRange, defaultStep, goDuration, parseQuery, type MetricsRequest } from '../query/index.ts';
import { parsePromDurationMs } from '../promql/index.ts';
import type { Root } from '../traceql/index.ts';
import { goParseInt64, parseFractionalSeconds, parseRfc3339 } from './params.ts';

type Query = (name: string) => string | undefined;

const SECOND = 1_000_000_000n;
/** Tempo's default is 3h; tracebox is a local tool over a bounded store and allows a week, as search does. */
export const MAX_METRICS_RANGE_NS = 168n * 3600n * SECOND;
/** Tempo's max_intervals. */
const MAX_INTERVALS = 10_000n;
/** Tempo's default and largest number of exemplars. */
export const MAX_EXEMPLARS = 100;
const DEFAULT_SINCE_NS = 3600n * SECOND;

function param(q: Query, name: string): string | undefined {
  const v = q(name);
  return v === undefined || v === '' ? undefined : v;
}

/** Tempo's parseTimestamp: unix ns for the text, or an error message. */
export function parseMetricsTime(text: string): bigint | string {
  const fractional = parseFractionalSeconds(text);
  if (fractional !== undefined) return fractional;
  const n = goParseInt64(text);
  if (typeof n === 'string') return parseRfc3339(text) ?? n;
  return text.length <= 10 ? n * SECOND : n;
}

/** Go time.ParseDuration, signed; undefined when invalid. */
function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let sign = 1n;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1n;
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  if (!Number.isFinite(total) || total > 9.2e18) return undefined;
  return sign * BigInt(Math.round(total));
}

/** A `step`: float seconds or a Go duration (Tempo's parseSecondsOrDuration). */
function parseStep(text: string): bigint {
  const f = Number(text);
  if (text.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number.isFinite(f)) {
    const ns = f * 1e9;
    if (Math.abs(ns) > 9.2e18) throw new BadRequestError(`cannot parse ${JSON.stringify(text)} to a valid duration. It overflows int64`);
    const step = BigInt(Math.trunc(ns));
    if (step < 0n) throw new BadRequestError(`cannot parse ${JSON.stringify(text)}: step must be positive`);
    return step;
  }
  const d = parseGoDuration(text);
  if (d === undefined) throw new BadRequestError(`cannot parse ${JSON.stringify(text)} to a valid duration`);
  if (d < 0n) throw new BadRequestError(`cannot parse ${JSON.stringify(text)}: step must be positive`);
  return d;
}

interface Bounds {
  startNs: bigint;
  endNs: bigint;
}

/** start/end/since with Tempo's defaults; end is then clamped to now. */
function parseBounds(q: Query, nowNs: bigint): Bounds {
  let since = DEFAULT_SINCE_NS;
  const sinceText = param(q, 'since');
  if (sinceText !== undefined) {
    const ms = parsePromDurationMs(sinceText);
    if (ms === undefined) throw new BadRequestError(`could not parse 'since' parameter: not a valid duration string: ${JSON.stringify(sinceText)}`);
    since = BigInt(ms) * 1_000_000n;
  }
  const endText = param(q, 'end');
  let endNs = nowNs;
  if (endText !== undefined) {
    const e = parseMetricsTime(endText);
    if (typeof e === 'string') throw new BadRequestError(`could not parse 'end' parameter: ${e}`);
    endNs = e;
  }
  const startText = param(q, 'start');
  let startNs = (endNs > nowNs ? nowNs : endNs) - since;
  if (startText !== undefined) {
    const s = parseMetricsTime(startText);
    if (typeof s === 'string') throw new BadRequestError(`could not parse 'start' parameter: ${s}`);
    startNs = s;
  }
  if (startNs >= endNs) throw new BadRequestError('end must be greater than start');
  // The future holds no spans: stop at now (a range query then rounds up to the open interval's end).
  if (endNs > nowNs) {
    endNs = nowNs;
    if (startNs >= endNs) throw new BadRequestError('end must be greater than start');
  }
  if (endNs - startNs > MAX_METRICS_RANGE_NS) {
    throw new BadRequestError(
      `range specified by start and end (${goDuration(Number(endNs - startNs))}) exceeds ${goDuration(Number(MAX_METRICS_RANGE_NS))}. received start=${startNs} end=${endNs}`,
    );
  }
  return { startNs, endNs };
}

function metricsRoot(q: Query): Root {
  const text = param(q, 'q') ?? param(q, 'query') ?? '';
  const root = parseQuery(text, 'compiling query: ');
  if (root.metrics === null) throw new BadRequestError('not a metrics query');
  return root;
}

/** `exemplars=N`, overridden by the query hint `with(exemplars=N|false)`; default and cap 100. */
function exemplarLimit(q: Query, root: Root): number {
  let n = 0;
  const text = param(q, 'exemplars');
  if (text !== undefined && /^\d+$/.test(text)) n = Number(text);
  const hint = root.hints?.hints.filter((h) => h.name === 'exemplars').at(-1);
  if (hint !== undefined && hint.value.type === 'int') n = Math.max(hint.value.value, 0);
  else if (hint !== undefined && hint.value.type === 'bool' && !hint.value.value) return 0;
  else if (n === 0) n = MAX_EXEMPLARS;
  return Math.min(n, MAX_EXEMPLARS);
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** `/api/metrics/query_range` → an aligned range request (see query/metrics/time.ts). */
export function parseQueryRangeParams(q: Query, now: bigint = nowNs()): MetricsRequest {
  const root = metricsRoot(q);
  const { startNs, endNs } = parseBounds(q, now);
  const stepText = param(q, 'step');
  const stepNs = stepText === undefined ? defaultStep(startNs, endNs) : parseStep(stepText);
  if (stepNs === 0n || (endNs - startNs) / stepNs > MAX_INTERVALS) {
    throw new BadRequestError(
      `step of ${goDuration(Number(stepNs))} is too small, minimum step for given range is ${goDuration(Number((endNs - startNs) / MAX_INTERVALS))}`,
    );
  }
  // The end is clamped to now and then rounded up, so the newest interval is still open: it
  // holds the spans sent so far and is stamped at its end, in the future, as Tempo 2.9 and
  // 2.10 answer (3.0 stops at the last closed interval before a 30 s cutoff instead).
  const aligned = alignRange(startNs, endNs, stepNs);
  return { root, startNs: aligned.startNs, endNs: aligned.endNs, stepNs, instant: false, exemplars: exemplarLimit(q, root) };
}

/** `/api/metrics/query` → one interval (start, end]. */
export function parseQueryInstantParams(q: Query, now: bigint = nowNs()): MetricsRequest {
  const root = metricsRoot(q);
  const { startNs, endNs } = parseBounds(q, now);
  return { root, startNs, endNs, stepNs: endNs - startNs, instant: true, exemplars: 0 };
}
