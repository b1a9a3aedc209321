/**
 * OTLP/JSON as Tempo and Grafana write it → OTLP/JSON that otlpJsonToProtobuf reads.
 *
 *   - Tempo v1 (`/api/traces/<id>`): `{"batches":[ResourceSpans…]}`, base64 ids, enum names;
 *     Tempo 1.x and old Grafana spell scopes `instrumentationLibrarySpans`/`instrumentationLibrary`.
 *   - Grafana's "Download trace" of a Tempo trace (the inspector's and the trace view's
 *     download, `transformToOTLP` over the trace data frame): also `batches` with
 *     `instrumentationLibrarySpans`, but hex ids, numeric kinds, times as
 *     milliseconds × 10^6 (sub-microsecond digits are lost), root spans with an all-zero
 *     parent id, link trace ids with leading zeros trimmed, and each event's name moved
 *     into a `message` attribute (Grafana shows events as Jaeger logs).
 *     These are put back; attribute values Grafana cannot type (maps, arrays of plain
 *     values) are kept as strings.
 */
import { isObject } from './jaeger.ts';

type Obj = Record<string, unknown>;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const ZERO_ID = /^(0+|A+=*)$/;

/** Whether a ResourceSpans list uses the pre-1.0 `instrumentationLibrarySpans` spelling. */
export function hasLegacyScopes(resourceSpans: unknown): boolean {
  return Array.isArray(resourceSpans) && resourceSpans.some((rs) => isObject(rs) && rs.scopeSpans == null && rs.scope_spans == null && rs.instrumentationLibrarySpans != null);
}

/** Whether the spans of a `batches` list have hex trace ids: Grafana's download, not Tempo's own JSON. */
export function isGrafanaDownload(batches: unknown): boolean {
  const span = firstSpan(batches);
  return span !== undefined && typeof span.traceId === 'string' && HEX32.test(span.traceId);
}

function firstSpan(resourceSpans: unknown): Obj | undefined {
  if (!Array.isArray(resourceSpans)) return undefined;
  for (const rs of resourceSpans) {
    if (!isObject(rs)) continue;
    const scopes = rs.scopeSpans ?? rs.instrumentationLibrarySpans;
    if (!Array.isArray(scopes)) continue;
    for (const ss of scopes) if (isObject(ss) && Array.isArray(ss.spans) && isObject(ss.spans[0])) return ss.spans[0];
  }
  return undefined;
}

/**
 * Renames legacy scope keys (shallow copies, the input is not changed) and, for a
 * Grafana download, repairs its spans. Anything not an object is passed on unchanged
 * for otlpJsonToProtobuf to report with its path.
 */
export function normalizeResourceSpans(resourceSpans: unknown, grafana: boolean): unknown {
  if (!Array.isArray(resourceSpans)) return resourceSpans;
  return resourceSpans.map((rs) => {
    if (!isObject(rs)) return rs;
    const { instrumentationLibrarySpans, ...rest } = rs;
    const scopeSpans = rs.scopeSpans ?? rs.scope_spans ?? instrumentationLibrarySpans;
    if (!Array.isArray(scopeSpans)) return scopeSpans === undefined ? rest : { ...rest, scopeSpans };
    return {
      ...rest,
      scopeSpans: scopeSpans.map((ss) => {
        if (!isObject(ss)) return ss;
        const { instrumentationLibrary, ...s } = ss;
        if (s.scope == null && instrumentationLibrary != null) s.scope = instrumentationLibrary;
        if (Array.isArray(s.spans)) s.spans = s.spans.map((span) => (isObject(span) ? repairSpan(span, grafana) : span));
        return s;
      }),
    };
  });
}

function repairSpan(span: Obj, grafana: boolean): Obj {
  const parent = span.parentSpanId;
  const zeroParent = typeof parent === 'string' && ZERO_ID.test(parent);
  if (!grafana && !zeroParent) return span;
  const out: Obj = { ...span };
  if (zeroParent) delete out.parentSpanId;
  if (!grafana) return out;
  out.startTimeUnixNano = wholeNumber(span.startTimeUnixNano);
  out.endTimeUnixNano = wholeNumber(span.endTimeUnixNano);
  if (Array.isArray(span.attributes)) out.attributes = span.attributes.map(repairKeyValue);
  if (Array.isArray(span.events)) {
    out.events = span.events.map((e) => {
      if (!isObject(e)) return e;
      const event: Obj = { ...e, timeUnixNano: wholeNumber(e.timeUnixNano) };
      let attributes = Array.isArray(e.attributes) ? e.attributes.map(repairKeyValue) : e.attributes;
      const first: unknown = Array.isArray(attributes) ? attributes[0] : undefined;
      if ((event.name == null || event.name === '') && isObject(first) && first.key === 'message' && isObject(first.value) && typeof first.value.stringValue === 'string') {
        event.name = first.value.stringValue;
        attributes = (attributes as unknown[]).slice(1);
      }
      event.attributes = attributes;
      return event;
    });
  }
  if (Array.isArray(span.links)) {
    out.links = span.links.map((l) => {
      if (!isObject(l)) return l;
      const link: Obj = { ...l };
      if (typeof l.traceId === 'string' && /^[0-9a-fA-F]{1,31}$/.test(l.traceId)) link.traceId = l.traceId.padStart(32, '0');
      if (Array.isArray(l.attributes)) link.attributes = l.attributes.map(repairKeyValue);
      return link;
    });
  }
  return out;
}

/** Grafana multiplies float milliseconds, so nanoseconds can arrive with a fraction. */
function wholeNumber(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Math.round(v) : v;
}

function repairKeyValue(kv: unknown): unknown {
  if (!isObject(kv) || !isObject(kv.value)) return kv;
  return { ...kv, value: repairValue(kv.value) };
}

/** Grafana writes values it cannot type as `{stringValue: <anything>}`. */
function repairValue(v: Obj): Obj {
  if ('stringValue' in v && typeof v.stringValue !== 'string') {
    return v.stringValue == null ? {} : { stringValue: JSON.stringify(v.stringValue) };
  }
  if (typeof v.intValue === 'number' && !Number.isInteger(v.intValue)) return { doubleValue: v.intValue };
  if (isObject(v.arrayValue) && Array.isArray(v.arrayValue.values)) {
    return { arrayValue: { values: v.arrayValue.values.map((x) => (isObject(x) ? repairValue(x) : x)) } };
  }
  return v;
}
