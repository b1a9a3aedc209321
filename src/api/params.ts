/**
 * Tempo's URL parameters → typed values, or a BadRequestError whose text is what Tempo
 * answers (as Tempo 2.7 answers), so clients that match on it keep working.
 */
import { BadRequestError } from '../shared/errors.ts';
import { INT64_MAX, INT64_MIN, goParseInt64, parseRfc3339 } from '../shared/go-time.ts';

const SECOND = 1_000_000_000n;
// Go's integer and RFC 3339 readings are shared with Loki's parameters (src/loki).
export { INT64_MIN, INT64_MAX, goParseInt64, parseRfc3339 } from '../shared/go-time.ts';

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
