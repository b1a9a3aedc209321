/**
 * @module model/otlp
 * Trace files in and out. In: OTLP/JSON (hex or base64 ids, enum names or numbers; also
 * JSON lines), Tempo's `{trace: …}` and `{batches: …}`, Jaeger's JSON and tracebox's own
 * span JSON → TraceJson per trace id. Out: Tempo's protobuf-JSON → OTLP/JSON (hex ids,
 * numeric enums), which `tracebox import` and every OTLP/JSON reader take back.
 */
import type { FlatValue, Kind, SpanJson, Status, TraceJson } from './trace.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const KINDS: Kind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: Status[] = ['unset', 'ok', 'error'];

/** An id as lowercase hex: hex stays, base64 is decoded. */
export function idToHex(id: unknown, bytes: number): string {
  const s = str(id);
  if (s === '') return '';
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) return s.toLowerCase();
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    let out = '';
    for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return out;
  } catch {
    return s.toLowerCase();
  }
}

function kindOf(v: unknown): Kind {
  if (typeof v === 'number') return KINDS[v] ?? 'unspecified';
  const s = str(v).toLowerCase().replace(/^span_kind_/, '');
  return (KINDS as string[]).includes(s) ? (s as Kind) : 'unspecified';
}

function statusOf(v: unknown): Status {
  if (typeof v === 'number') return STATUSES[v] ?? 'unset';
  const s = str(v).toLowerCase().replace(/^status_code_/, '');
  return (STATUSES as string[]).includes(s) ? (s as Status) : 'unset';
}

export function anyValue(v: unknown): FlatValue {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return str(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : str(v.intValue);
  }
  if ('doubleValue' in v) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if ('arrayValue' in v) return arr((v.arrayValue as Json | undefined)?.values).map(anyValue);
  if ('kvlistValue' in v) return JSON.stringify(attrs((v.kvlistValue as Json | undefined)?.values));
  if ('bytesValue' in v) return str(v.bytesValue);
  return null;
}

function attrs(list: unknown): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const kv of arr(list)) if (isObj(kv)) out[str(kv.key)] = anyValue(kv.value);
  return out;
}

function fromOtlp(resourceSpans: unknown[], into: SpanJson[]): void {
  for (const rs of resourceSpans) {
    if (!isObj(rs)) continue;
    const resource = attrs((rs.resource as Json | undefined)?.attributes);
    const service = str(resource['service.name']) || 'unknown';
    for (const ss of [...arr(rs.scopeSpans), ...arr(rs.instrumentationLibrarySpans)]) {
      if (!isObj(ss)) continue;
      const sc = (ss.scope ?? ss.instrumentationLibrary) as Json | undefined;
      const scope = { name: str(sc?.name), version: str(sc?.version) };
      for (const s of arr(ss.spans)) {
        if (!isObj(s)) continue;
        const start = str(s.startTimeUnixNano);
        const end = str(s.endTimeUnixNano) || start;
        const status = (s.status ?? {}) as Json;
        into.push({
          traceId: idToHex(s.traceId, 16),
          spanId: idToHex(s.spanId, 8),
          parentSpanId: idToHex(s.parentSpanId, 8),
          name: str(s.name),
          service,
          kind: kindOf(s.kind),
          status: statusOf(status.code),
          statusMessage: str(status.message),
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationNanos: String(BigInt(end || '0') - BigInt(start || '0')),
          attributes: attrs(s.attributes),
          resource,
          scope,
          events: arr(s.events)
            .filter(isObj)
            .map((e) => ({ name: str(e.name), timeUnixNano: str(e.timeUnixNano), attributes: attrs(e.attributes) })),
          links: arr(s.links)
            .filter(isObj)
            .map((l) => ({ traceId: idToHex(l.traceId, 16), spanId: idToHex(l.spanId, 8), attributes: attrs(l.attributes) })),
        });
      }
    }
  }
}

function jaegerTags(list: unknown): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const t of arr(list)) if (isObj(t)) out[str(t.key)] = (t.value as FlatValue) ?? null;
  return out;
}

function fromJaeger(data: unknown[], into: SpanJson[]): void {
  for (const tr of data) {
    if (!isObj(tr)) continue;
    const processes = isObj(tr.processes) ? tr.processes : {};
    for (const s of arr(tr.spans)) {
      if (!isObj(s)) continue;
      const proc = (processes[str(s.processID)] ?? s.process ?? {}) as Json;
      const tags = jaegerTags(s.tags);
      const parent = arr(s.references).find((r) => isObj(r) && r.refType === 'CHILD_OF') as Json | undefined;
      const startUs = BigInt(Math.round(Number(s.startTime ?? 0)));
      const durUs = BigInt(Math.round(Number(s.duration ?? 0)));
      const kind = kindOf(tags['span.kind']);
      const error = tags.error === true || tags.error === 'true' || tags['otel.status_code'] === 'ERROR';
      into.push({
        traceId: str(s.traceID).padStart(32, '0').toLowerCase(),
        spanId: str(s.spanID).padStart(16, '0').toLowerCase(),
        parentSpanId: parent ? str(parent.spanID).padStart(16, '0').toLowerCase() : '',
        name: str(s.operationName),
        service: str(proc.serviceName) || 'unknown',
        kind,
        status: error ? 'error' : 'unset',
        statusMessage: str(tags['otel.status_description']),
        startTimeUnixNano: String(startUs * 1000n),
        endTimeUnixNano: String((startUs + durUs) * 1000n),
        durationNanos: String(durUs * 1000n),
        attributes: tags,
        resource: { 'service.name': str(proc.serviceName), ...jaegerTags(proc.tags) },
        scope: { name: '', version: '' },
        events: arr(s.logs)
          .filter(isObj)
          .map((l) => {
            const a = jaegerTags(l.fields);
            return { name: str(a.event) || 'log', timeUnixNano: String(BigInt(Math.round(Number(l.timestamp ?? 0))) * 1000n), attributes: a };
          }),
        links: [],
      });
    }
  }
}

function collect(doc: unknown, into: SpanJson[]): void {
  if (Array.isArray(doc)) {
    for (const d of doc) collect(d, into);
    return;
  }
  if (!isObj(doc)) return;
  if (Array.isArray(doc.resourceSpans)) fromOtlp(doc.resourceSpans, into);
  else if (Array.isArray(doc.batches)) fromOtlp(doc.batches, into);
  else if (isObj(doc.trace)) collect(doc.trace, into);
  else if (Array.isArray(doc.traces)) for (const t of doc.traces) collect(t, into);
  else if (Array.isArray(doc.data)) fromJaeger(doc.data, into);
  else if (Array.isArray(doc.spans) && doc.spans.some((s) => isObj(s) && 'service' in s)) {
    for (const s of doc.spans) if (isObj(s)) into.push(s as unknown as SpanJson);
  }
}

/** Every trace in a file's text, biggest first. Throws with a readable message when none. */
export function parseTraceFile(text: string): TraceJson[] {
  const spans: SpanJson[] = [];
  let parsed = false;
  try {
    collect(JSON.parse(text), spans);
    parsed = true;
  } catch {
    // JSON lines: one document per line.
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        collect(JSON.parse(line), spans);
        parsed = true;
      } catch {
        /* not a JSON line */
      }
    }
  }
  if (!parsed) throw new Error('the file is not JSON (OTLP/JSON, Tempo, Jaeger or tracebox span JSON expected)');
  const byTrace = new Map<string, SpanJson[]>();
  for (const s of spans) {
    let list = byTrace.get(s.traceId);
    if (list === undefined) byTrace.set(s.traceId, (list = []));
    list.push(s);
  }
  if (byTrace.size === 0) throw new Error('no spans found in the file');
  return [...byTrace.entries()]
    .map(([traceId, list]) => {
      let start: bigint | undefined;
      let end = 0n;
      for (const s of list) {
        const a = BigInt(s.startTimeUnixNano || '0');
        const b = BigInt(s.endTimeUnixNano || '0');
        if (start === undefined || a < start) start = a;
        if (b > end) end = b;
      }
      const root = list.find((s) => s.parentSpanId === '');
      return {
        traceId,
        rootServiceName: root?.service ?? null,
        rootName: root?.name ?? null,
        startTimeUnixNano: String(start ?? 0n),
        durationNanos: String(end - (start ?? 0n)),
        spans: list,
      };
    })
    .sort((a, b) => b.spans.length - a.spans.length);
}

const ID_FIELDS: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };
const KIND_NUMBERS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NUMBERS: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** Tempo's protobuf-JSON trace (base64 ids, enum names) → OTLP/JSON (hex ids, enum numbers). */
export function tempoToOtlpJson(trace: unknown): unknown {
  const walk = (v: unknown, key: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (!isObj(v)) {
      if (key in ID_FIELDS && typeof v === 'string') return idToHex(v, ID_FIELDS[key]);
      if (key === 'kind' && typeof v === 'string') return KIND_NUMBERS[v] ?? v;
      if (key === 'code' && typeof v === 'string') return STATUS_NUMBERS[v] ?? v;
      return v;
    }
    const out: Json = {};
    // Attribute values keep their keys (an attribute named "traceId" is not an id).
    for (const [k, x] of Object.entries(v)) out[k] = k === 'value' || k === 'attributes' ? x : walk(x, k);
    return out;
  };
  return walk(trace, '');
}

function toAnyValue(v: FlatValue): Json {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
  return {};
}
const kvs = (r: Record<string, FlatValue>) => Object.entries(r).map(([key, value]) => ({ key, value: toAnyValue(value) }));

/** tracebox span JSON → OTLP/JSON (for uploaded traces, which have no Tempo form). */
export function traceJsonToOtlp(trace: TraceJson): unknown {
  const groups = new Map<string, { resource: Record<string, FlatValue>; scopes: Map<string, { scope: SpanJson['scope']; spans: unknown[] }> }>();
  for (const s of trace.spans) {
    const rk = JSON.stringify(s.resource);
    let g = groups.get(rk);
    if (g === undefined) groups.set(rk, (g = { resource: s.resource, scopes: new Map() }));
    const sk = `${s.scope.name}\u0000${s.scope.version}`;
    let sc = g.scopes.get(sk);
    if (sc === undefined) g.scopes.set(sk, (sc = { scope: s.scope, spans: [] }));
    sc.spans.push({
      traceId: s.traceId,
      spanId: s.spanId,
      ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
      name: s.name,
      kind: KINDS.indexOf(s.kind),
      startTimeUnixNano: s.startTimeUnixNano,
      endTimeUnixNano: s.endTimeUnixNano,
      attributes: kvs(s.attributes),
      events: s.events.map((e) => ({ timeUnixNano: e.timeUnixNano, name: e.name, attributes: kvs(e.attributes) })),
      links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: kvs(l.attributes) })),
      status: { code: STATUSES.indexOf(s.status), ...(s.statusMessage ? { message: s.statusMessage } : {}) },
    });
  }
  return {
    resourceSpans: [...groups.values()].map((g) => ({
      resource: { attributes: kvs(g.resource) },
      scopeSpans: [...g.scopes.values()].map((sc) => ({ scope: sc.scope, spans: sc.spans })),
    })),
  };
}
