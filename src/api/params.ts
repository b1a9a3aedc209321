/**
 * Tempo's URL parameters → typed values, or a BadRequestError whose text is what Tempo
 * answers (as Tempo 2.7 answers), so clients that match on it keep working.
 */
import { BadRequestError } from '../shared/errors.ts';

const SECOND = 1_000_000_000n;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** Go's strconv.ParseInt(text, 10, 64): the value, or Go's error text. */
export function goParseInt64(text: string): bigint | string {
  if (!/^[+-]?\d+$/.test(text)) return `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`;
  const v = BigInt(text);
  if (v > INT64_MAX || v < INT64_MIN) return `strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`;
  return v;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 with an optional fraction (Go's time.RFC3339Nano) → unix ns; undefined when the text is not one. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n;
    const offset = BigInt(+m[8].slice(1, 3) * 3600 + +m[8].slice(4, 6) * 60) * SECOND;
    ns -= sign * offset;
  }
  return ns;
}

/** Fractional unix seconds ("1700000000.25") → unix ns, kept to milliseconds as Tempo keeps them; undefined when not one. */
export function parseFractionalSeconds(text: string): bigint | undefined {
  if (!text.includes('.') || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const f = Number(text);
  if (!Number.isFinite(f) || Math.abs(f) > Number(INT64_MAX / SECOND)) return undefined;
  const s = Math.trunc(f);
  const frac = Math.round((f - s) * 1000) / 1000;
  return BigInt(s) * SECOND + BigInt(Math.round(frac * 1e9));
}

/** A time as unix ns, and in whole seconds for messages that quote it as Tempo does. */
export interface UnixTime {
  readonly ns: bigint;
  readonly seconds: bigint;
}

/**
 * `start`/`end` of the search, tag and trace-by-id endpoints. Whole numbers are unix
 * seconds, 64-bit (Tempo reads 32 bits on some of these, which ends in 2038); fractional
 * seconds and RFC 3339 are read as Tempo's metrics endpoints read them. A time the store
 * cannot hold (int64 nanoseconds: 1677 to 2262) is refused, which also catches a value
 * given in milliseconds.
 */
export function parseUnixSeconds(name: string, text: string): UnixTime {
  let ns: bigint;
  const int = goParseInt64(text);
  if (typeof int === 'bigint') ns = int * SECOND;
  else {
    const other = parseFractionalSeconds(text) ?? parseRfc3339(text);
    if (other === undefined) throw new BadRequestError(`invalid ${name}: ${int}`);
    ns = other;
  }
  if (ns > INT64_MAX || ns < INT64_MIN) {
    throw new BadRequestError(`invalid ${name}: ${text} is outside the times tracebox can hold (unix seconds from ${INT64_MIN / SECOND} to ${INT64_MAX / SECOND}, years 1677 to 2262); ${name} is in seconds, not milliseconds`);
  }
  return { ns, seconds: ns / SECOND };
}

/** Optional `start`/`end` of the trace-by-id endpoints (see parseUnixSeconds). */
export function parseTraceRange(start: string | undefined, end: string | undefined): { startNs: bigint; endNs: bigint } | undefined {
  const s = start === undefined || start === '' ? undefined : parseUnixSeconds('start', start);
  const e = end === undefined || end === '' ? undefined : parseUnixSeconds('end', end);
  if (s === undefined && e === undefined) return undefined;
  const startNs = s?.ns ?? 0n;
  const endNs = e?.ns ?? 0n;
  if ((startNs !== 0n || endNs !== 0n) && endNs <= startNs) {
    throw new BadRequestError(`http parameter start must be before end. received start=${s?.seconds ?? 0n} end=${e?.seconds ?? 0n}`);
  }
  if (startNs === 0n || endNs === 0n) return undefined; // Tempo filters by time only when both are non-zero
  return { startNs, endNs };
}
