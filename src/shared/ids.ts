/**
 * Byte ⇄ text conversions for trace and span ids and protobuf `bytes` fields.
 * Buffer does the work (native and allocation-light); these wrappers pin down the
 * validation rules, which Buffer itself is silently lenient about.
 */

import { BadRequestError } from './errors.ts';

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Decodes an even-length string of hex digits (either case); anything else gives
 * `undefined`, because Buffer would quietly stop at the first bad character.
 */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if ((hex.length & 1) !== 0 || !HEX.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

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

/** Lowercase hex, two digits per byte. */
export function bytesToHex(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('hex');
}

/**
 * Decodes standard or URL-safe base64, padded or not. Characters outside the
 * alphabet are skipped rather than rejected, so the result of malformed input is
 * whatever bytes the valid characters spell.
 */
export function base64ToBytes(b64: string): Uint8Array {
  return Buffer.from(b64, 'base64');
}

/** Standard base64 with padding (RFC 4648 §4), as protobuf JSON prints bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('base64');
}

/** A Buffer view over the same memory (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
