/**
 * Reading a few attributes out of raw OTLP bytes without decoding the rest, stringified
 * the way Tempo's metrics-generator does (pkg/util StringifyAnyValue), and Prometheus
 * label-name sanitising.
 */
import { ANY_VALUE, KEY_VALUE, LIST, RESOURCE, SPAN } from '../otlp/index.ts';
import { ProtoReader, encodeUtf8 } from '../shared/protowire.ts';

/** Tags of the `attributes` lists of a Span and a Resource. */
export const SPAN_ATTRIBUTES = SPAN.attributes;
export const RESOURCE_ATTRIBUTES = RESOURCE.attributes;

/**
 * A fixed list of attribute keys looked up together. `find` returns, per key, the
 * stringified value of its first occurrence, or undefined when absent.
 */
export class AttributeLookup {
  readonly keys: readonly string[];
  private readonly encoded: readonly Uint8Array[];
  private readonly lengths: Set<number>;

  constructor(keys: readonly string[]) {
    this.keys = keys;
    this.encoded = keys.map((k) => encodeUtf8(k));
    this.lengths = new Set(this.encoded.map((k) => k.length));
  }

  /** Values of the keys among the attributes (tag `attrTag`) of the message in `raw`. */
  find(raw: Uint8Array | null | undefined, attrTag: number): (string | undefined)[] {
    const out: (string | undefined)[] = new Array(this.keys.length).fill(undefined);
    if (raw == null || raw.length === 0 || this.keys.length === 0) return out;
    const r = new ProtoReader(raw);
    let missing = this.keys.length;
    while (r.more() && missing > 0) {
      const tag = r.uint32();
      if (tag !== attrTag) {
        r.skip(tag & 7);
        continue;
      }
      const kvEnd = r.lenEnd();
      const outer = r.end;
      r.end = kvEnd;
      let index = -1;
      let value = '';
      let valueStart = -1;
      let valueEnd = -1;
      while (r.more()) {
        const t = r.uint32();
        if (t === KEY_VALUE.key) {
          const k = r.bytes();
          index = this.lengths.has(k.length) ? this.indexOf(k) : -1;
        } else if (t === KEY_VALUE.value) {
          valueEnd = r.lenEnd();
          valueStart = r.pos;
          r.pos = valueEnd;
        } else r.skip(t & 7);
      }
      if (index >= 0 && out[index] === undefined) {
        if (valueStart >= 0) {
          const vr = new ProtoReader(raw, valueStart, valueEnd);
          value = stringifyAnyValue(vr, valueEnd);
        }
        out[index] = value;
        missing--;
      }
      r.end = outer;
      r.pos = kvEnd;
    }
    return out;
  }

  private indexOf(k: Uint8Array): number {
    for (let i = 0; i < this.encoded.length; i++) {
      const e = this.encoded[i];
      if (e.length !== k.length) continue;
      let j = 0;
      while (j < e.length && e[j] === k[j]) j++;
      if (j === e.length) return i;
    }
    return -1;
  }
}

/** An AnyValue payload in [r.pos, end) as Tempo's StringifyAnyValue renders it. */
function stringifyAnyValue(r: ProtoReader, end: number): string {
  let out = '';
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case ANY_VALUE.stringValue:
        out = r.string();
        break;
      case ANY_VALUE.boolValue:
        out = r.uint32() !== 0 ? 'true' : 'false';
        break;
      case ANY_VALUE.intValue:
        out = r.int64().toString();
        break;
      case ANY_VALUE.doubleValue:
        out = formatFloatF(r.double());
        break;
      case ANY_VALUE.arrayValue: {
        // ArrayValue: "[" + each value + "]", no separators (as Tempo does).
        const e = r.lenEnd();
        let s = '[';
        while (r.pos < e) {
          const t = r.uint32();
          if (t === LIST.values) {
            const ve = r.lenEnd();
            s += stringifyAnyValue(r, ve);
            r.pos = ve;
          } else r.skip(t & 7);
        }
        out = s + ']';
        break;
      }
      case ANY_VALUE.kvlistValue: {
        // KeyValueList: "{" + key ":" value … + "}".
        const e = r.lenEnd();
        let s = '{';
        while (r.pos < e) {
          const t = r.uint32();
          if (t === LIST.values) {
            const kvEnd = r.lenEnd();
            let key = '';
            let value = '';
            while (r.pos < kvEnd) {
              const kt = r.uint32();
              if (kt === KEY_VALUE.key) key = r.string();
              else if (kt === KEY_VALUE.value) {
                const ve = r.lenEnd();
                value = stringifyAnyValue(r, ve);
                r.pos = ve;
              } else r.skip(kt & 7);
            }
            s += key + ':' + value;
          } else r.skip(t & 7);
        }
        out = s + '}';
        break;
      }
      default:
        // bytes_value and unknown fields: Tempo renders "".
        r.skip(tag & 7);
        out = '';
    }
  }
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const intLen = (dot < 0 ? mantissa.length : dot) + exponent;
  let body: string;
  if (intLen <= 0) body = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) body = digits + '0'.repeat(intLen - digits.length);
  else body = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return (negative ? '-' : '') + body;
}

/** Prometheus label names: anything outside [a-zA-Z0-9_] becomes `_`; a leading digit gets a `_` prefix. */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? '_' + s : s;
}
