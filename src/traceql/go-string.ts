/**
 * @module traceql/go-string
 * String literals as Go's text/scanner + strconv.Unquote read them (Tempo uses
 * both): `"…"` with Go escapes, and raw `` `…` `` strings without escapes.
 * Go strings are bytes, so `\xff`-style escapes build bytes that are decoded as
 * UTF-8 at the end (invalid sequences become U+FFFD).
 */

export type StringScan =
  | { readonly ok: true; readonly end: number; readonly value: string }
  | { readonly ok: false; readonly message: string; readonly from: number; readonly to: number };

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34,
};

// ignoreBOM: keep a leading U+FEFF in the value instead of treating it as a byte-order mark
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function pushUtf8(bytes: number[], cp: number): void {
  if (cp < 0x80) bytes.push(cp);
  else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

function digitsAt(src: string, at: number, count: number, re: RegExp): string | null {
  const s = src.slice(at, at + count);
  return s.length === count && re.test(s) ? s : null;
}

const OCTAL = /^[0-7]+$/;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Scan a string literal whose opening quote is at `start`. Errors use Go's texts:
 * "literal not terminated", "invalid char escape" (scanner) and "invalid syntax"
 * (strconv.Unquote, for escapes naming an impossible byte or code point).
 */
export function scanGoString(src: string, start: number): StringScan {
  const quote = src[start];
  if (quote === '`') {
    const end = src.indexOf('`', start + 1);
    if (end < 0) return { ok: false, message: 'literal not terminated', from: start, to: src.length };
    // Go drops carriage returns from raw strings.
    return { ok: true, end: end + 1, value: src.slice(start + 1, end).replaceAll('\r', '') };
  }

  const bytes: number[] = [];
  let invalidValue = false; // reported only once the whole literal has been scanned, as Go does
  let i = start + 1;
  for (;;) {
    if (i >= src.length || src[i] === '\n') {
      return { ok: false, message: 'literal not terminated', from: start, to: i };
    }
    const c = src[i];
    if (c === '"') break;
    if (c !== '\\') {
      const cp = src.codePointAt(i) ?? 0;
      pushUtf8(bytes, cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const esc = src[i + 1];
    const bad: StringScan = { ok: false, message: 'invalid char escape', from: i, to: i + 2 };
    if (esc !== undefined && esc in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[esc]);
      i += 2;
    } else if (esc !== undefined && esc >= '0' && esc <= '7') {
      const d = digitsAt(src, i + 1, 3, OCTAL);
      if (d === null) return bad;
      const v = parseInt(d, 8);
      if (v > 255) invalidValue = true;
      bytes.push(v & 255);
      i += 4;
    } else if (esc === 'x' || esc === 'u' || esc === 'U') {
      const n = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
      const d = digitsAt(src, i + 2, n, HEX);
      if (d === null) return bad;
      const v = parseInt(d, 16);
      if (esc === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) invalidValue = true;
      else pushUtf8(bytes, v);
      i += 2 + n;
    } else {
      return bad;
    }
  }
  if (invalidValue) return { ok: false, message: 'invalid syntax', from: start, to: i + 1 };
  return { ok: true, end: i + 1, value: decoder.decode(new Uint8Array(bytes)) };
}

/** A double-quoted literal that scanGoString reads back as `value`. */
export function quoteGoString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}
