/**
 * Byte ⇄ text conversions for trace and span ids and protobuf `bytes` fields.
 * Buffer does the work (native and allocation-light); these wrappers pin down the
 * validation rules, which Buffer itself is silently lenient about.
 */

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Decodes an even-length string of hex digits (either case); anything else gives
 * `undefined`, because Buffer would quietly stop at the first bad character.
 */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if ((hex.length & 1) !== 0 || !HEX.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
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
