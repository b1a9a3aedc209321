/**
 * Tempo's URL parameters → typed values, or a BadRequestError whose text is what Tempo
 * answers (as Tempo 2.7 answers), so clients that match on it keep working.
 */
import { BadRequestError } from '../shared/errors.ts';

/**
 * A trace id from a URL: hex in any case, odd lengths and short ids left-padded with
 * zeros, at most 128 bits.
 */
export function parseTraceId(text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!hex) {
      throw new BadRequestError(
        `trace IDs can only contain hex characters: invalid character '${text[i]}' at position ${i + 1}`,
      );
    }
  }
  const even = text.length % 2 === 1 ? '0' + text : text;
  if (even.length > 32) throw new BadRequestError("trace IDs can't be larger than 128 bits");
  if (even.length === 0) throw new BadRequestError('trace ID is empty');
  const id = new Uint8Array(16);
  id.set(Buffer.from(even, 'hex'), 16 - even.length / 2);
  return id;
}

/** Optional unix-seconds `start`/`end` of the trace-by-id endpoints (64-bit, as Tempo). */
export function parseTraceRange(start: string | undefined, end: string | undefined): { startNs: bigint; endNs: bigint } | undefined {
  const s = parseSeconds('start', start);
  const e = parseSeconds('end', end);
  if (s === undefined && e === undefined) return undefined;
  const startS = s ?? 0n;
  const endS = e ?? 0n;
  if ((startS !== 0n || endS !== 0n) && endS <= startS) {
    throw new BadRequestError(`http parameter start must be before end. received start=${startS} end=${endS}`);
  }
  if (startS === 0n || endS === 0n) return undefined; // Tempo filters by time only when both are non-zero
  return { startNs: startS * 1_000_000_000n, endNs: endS * 1_000_000_000n };
}

function parseSeconds(name: string, text: string | undefined): bigint | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^[+-]?\d+$/.test(text)) throw new BadRequestError(`invalid ${name}: strconv.ParseInt: parsing "${text}": invalid syntax`);
  const v = BigInt(text);
  if (v > (1n << 63n) - 1n || v < -(1n << 63n)) {
    throw new BadRequestError(`invalid ${name}: strconv.ParseInt: parsing "${text}": value out of range`);
  }
  return v;
}
