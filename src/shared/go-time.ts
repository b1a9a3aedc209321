/**
 * Times and integers in URL parameters as Go's standard library reads them (Tempo and
 * Loki both parse their parameters with it): strconv.ParseInt and time.RFC3339Nano.
 */

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
