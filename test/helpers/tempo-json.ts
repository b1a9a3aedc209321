/**
 * Tempo's trace JSON (as in Tempo 2.7): what tracebox must answer, derived
 * independently of tracebox from protobufjs' plain objects.
 */

export type Json = Record<string, unknown>;

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

const ANY_VALUE_KEYS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue']);
const ZERO_ENUMS = new Set(['SPAN_KIND_UNSPECIFIED', 'STATUS_CODE_UNSET', 'COMPLETE']);
const FIXED64_KEYS = new Set(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano']);

function isDefault(key: string, v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v) && v.length === 0) return true;
  if (typeof v === 'string' && ZERO_ENUMS.has(v)) return true;
  if (v === '0' && FIXED64_KEYS.has(key)) return true;
  return false;
}

function cleanAnyValue(v: Json): Json {
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (!ANY_VALUE_KEYS.has(k)) continue;
    if (k === 'arrayValue') {
      const values = ((x as Json).values as Json[] | undefined) ?? [];
      out[k] = values.length ? { values: values.map(cleanAnyValue) } : {};
    } else if (k === 'kvlistValue') {
      const values = ((x as Json).values as Json[] | undefined) ?? [];
      out[k] = values.length ? { values: values.map((kv) => cleanMessage(kv)) } : {};
    } else out[k] = x;
  }
  return out;
}

/** A protobufjs plain message without the fields that hold their proto3 default (AnyValue members stay). */
export function cleanMessage(m: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(m)) {
    if (isDefault(k, v)) continue;
    if (k === 'value' && typeof v === 'object') out[k] = cleanAnyValue(v as Json);
    else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'object' && x !== null ? cleanMessage(x as Json) : x));
    else if (typeof v === 'object' && v !== null) out[k] = cleanMessage(v as Json);
    else out[k] = v;
  }
  return out;
}

/**
 * A protobufjs plain TracesData (or tempopb.Trace) → Tempo's JSON: proto3 defaults
 * dropped (AnyValue's oneof member kept even when it holds a default), `status: {}`
 * on every span.
 */
export function tempoForm(traces: Json): { resourceSpans?: Json[] } {
  const out = cleanMessage(traces) as { resourceSpans?: Json[] };
  for (const rs of out.resourceSpans ?? []) {
    for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
      for (const span of (ss.spans as Json[] | undefined) ?? []) span.status ??= {};
    }
  }
  return out;
}

/** All spans of a Tempo-JSON trace, in order. */
export function spansOf(trace: { resourceSpans?: Json[] } | { batches?: Json[] }): Json[] {
  const rss = ('batches' in trace ? trace.batches : (trace as { resourceSpans?: Json[] }).resourceSpans) ?? [];
  return rss.flatMap((rs) => ((rs.scopeSpans as Json[] | undefined) ?? []).flatMap((ss) => (ss.spans as Json[] | undefined) ?? []));
}
