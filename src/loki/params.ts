/**
 * @module loki/params
 * Loki's query parameters → typed values, or a BadRequestError with a message saying what
 * was wrong: times as Loki reads them (integer nanoseconds, or seconds when 10 digits or
 * fewer; fractional seconds; RFC 3339), steps (durations or seconds), limit and direction.
 */
import { BadRequestError } from '../shared/errors.ts';
import { goParseInt64, parseRfc3339 } from '../shared/go-time.ts';
import { parseDuration } from '../traceql/index.ts';

const SECOND = 1_000_000_000n;
/** Loki's default window when a request gives no start. */
export const DEFAULT_SINCE_NS = 3600n * SECOND;
/** Loki's max_entries_limit_per_query default. */
export const MAX_LIMIT = 5000;
export const DEFAULT_LIMIT = 100;

export type Direction = 'backward' | 'forward';

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** One time parameter; `fallback` when it is absent or empty. */
export function parseTime(name: string, text: string | undefined, fallback: bigint): bigint {
  if (text === undefined || text === '') return fallback;
  if (text.includes('.')) {
    // Fractional seconds, kept to the millisecond as Loki keeps them.
    const seconds = Number(text);
    if (Number.isFinite(seconds)) return BigInt(Math.round(seconds * 1e3)) * 1_000_000n;
  }
  const n = goParseInt64(text);
  if (typeof n === 'bigint') return text.replace(/^[+-]/, '').length <= 10 ? n * SECOND : n;
  const rfc = parseRfc3339(text);
  if (rfc !== undefined) return rfc;
  throw new BadRequestError(`invalid ${name} parameter: cannot parse ${JSON.stringify(text)} as a timestamp (nanoseconds, seconds or RFC 3339)`);
}

export interface Window {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

/** start/end of a range request: end defaults to now, start to an hour before end. */
export function parseWindow(start: string | undefined, end: string | undefined): Window {
  const endNs = parseTime('end', end, nowNs());
  const startNs = parseTime('start', start, endNs - DEFAULT_SINCE_NS);
  if (endNs < startNs) throw new BadRequestError('end timestamp must not be before or equal to start time');
  return { startNs, endNs };
}

export function parseLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(text)) throw new BadRequestError(`invalid limit parameter: ${JSON.stringify(text)} is not a whole number`);
  const limit = Number(text);
  if (limit <= 0) throw new BadRequestError('limit must be a positive value');
  if (limit > MAX_LIMIT) throw new BadRequestError(`max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${MAX_LIMIT})`);
  return limit;
}

/** A positive whole number that is not an entry limit (series of a volume, fields of detected_fields). */
export function parseCount(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^[1-9]\d*$/.test(text)) throw new BadRequestError(`invalid ${name} parameter: ${JSON.stringify(text)} is not a positive whole number`);
  return Number(text);
}

export function parseDirection(text: string | undefined): Direction {
  if (text === undefined || text === '') return 'backward';
  const d = text.toLowerCase();
  if (d === 'backward' || d === 'forward') return d;
  throw new BadRequestError(`invalid direction parameter: ${JSON.stringify(text)} (backward or forward)`);
}

/** A step as a duration (`15s`, `250ms`) or seconds (`15`, `0.5`); Loki's default is the window / 250, at least 1 s. */
export function parseStep(text: string | undefined, window: Window): bigint {
  if (text === undefined || text === '') {
    const seconds = (window.endNs - window.startNs) / SECOND / 250n;
    return (seconds > 1n ? seconds : 1n) * SECOND;
  }
  let ns: number | null = parseDuration(text);
  if (ns === null && /^\d+(\.\d+)?$/.test(text)) ns = Math.round(Number(text) * 1e9);
  if (ns === null) throw new BadRequestError(`invalid step parameter: cannot parse ${JSON.stringify(text)} as a duration`);
  if (ns <= 0) throw new BadRequestError('zero or negative query resolution step widths are not accepted. Try a positive integer');
  return BigInt(ns);
}

/** Unix seconds as Loki writes a sample's time: a number with up to millisecond decimals. */
export function sampleTime(ns: bigint): number {
  return Number(ns / 1_000_000n) / 1000;
}
