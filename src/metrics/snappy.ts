/**
 * Snappy block-format compression (what Prometheus remote write requires): greedy
 * matching over a hash of 4-byte sequences, emitting literals and 2-byte-offset copies.
 * See https://github.com/google/snappy/blob/main/format_description.txt.
 */
const HASH_BITS = 14;
const MAX_OFFSET = 65_535;

export function snappyCompress(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = input.length;
  const out = new Uint8Array(32 + n + Math.ceil(n / 6));
  let o = 0;
  // Preamble: the uncompressed length as a varint.
  for (let v = n; ; ) {
    if (v < 0x80) {
      out[o++] = v;
      break;
    }
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  const literal = (from: number, to: number): void => {
    const len = to - from;
    if (len === 0) return;
    const m = len - 1;
    if (m < 60) out[o++] = m << 2;
    else if (m < 0x100) (out[o++] = 60 << 2), (out[o++] = m);
    else if (m < 0x10000) (out[o++] = 61 << 2), (out[o++] = m & 0xff), (out[o++] = m >>> 8);
    else if (m < 0x1000000) (out[o++] = 62 << 2), (out[o++] = m & 0xff), (out[o++] = (m >>> 8) & 0xff), (out[o++] = m >>> 16);
    else (out[o++] = 63 << 2), (out[o++] = m & 0xff), (out[o++] = (m >>> 8) & 0xff), (out[o++] = (m >>> 16) & 0xff), (out[o++] = m >>> 24);
    out.set(input.subarray(from, to), o);
    o += len;
  };
  const u32 = (i: number): number => input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24);
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let pending = 0;
  let i = 0;
  while (i + 4 <= n) {
    const word = u32(i);
    const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const candidate = table[h];
    table[h] = i;
    if (candidate < 0 || i - candidate > MAX_OFFSET || u32(candidate) !== word) {
      i++;
      continue;
    }
    literal(pending, i);
    let len = 4;
    while (i + len < n && input[candidate + len] === input[i + len]) len++;
    const offset = i - candidate;
    // Copy with a 2-byte offset: 1..64 bytes per element.
    for (let left = len; left > 0; ) {
      const chunk = left > 64 ? 64 : left;
      out[o++] = ((chunk - 1) << 2) | 2;
      out[o++] = offset & 0xff;
      out[o++] = offset >>> 8;
      left -= chunk;
    }
    i += len;
    pending = i;
  }
  literal(pending, n);
  return out.slice(0, o);
}
