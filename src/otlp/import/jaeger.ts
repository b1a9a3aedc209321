/**
 * Jaeger's JSON (what the Jaeger UI and `/api/traces/<id>` of jaeger-query return, and
 * what Grafana downloads for a Jaeger data source) → OTLP/JSON, mapped the way the
 * OpenTelemetry Collector's Jaeger translator (pkg/translator/jaeger) maps Jaeger spans:
 *
 *   - each distinct process becomes a resource: `service.name` plus its tags, `hostname`
 *     renamed to `host.name`, `jaeger.version` to `opencensus.exporterversion`
 *     ("Jaeger-<v>"); the service `OTLPResourceNoServiceName` means no resource at all;
 *   - spans are grouped into scopes by their `otel.scope.name`/`otel.scope.version` tags
 *     (older `otel.library.*` too), which are removed;
 *   - `span.kind` → kind; `error=true`, `otel.status_code`, `otel.status_description`
 *     and, failing those, `http.status_code` → status; `w3c.tracestate` → trace state;
 *     all removed from the attributes except `http.*`;
 *   - the first CHILD_OF reference in the same trace is the parent; the other references
 *     become links with an `opentracing.ref_type` attribute;
 *   - logs → events, the `event` field naming the event;
 *   - typed tags → typed attributes; ids are hex without leading zeros → padded;
 *     microseconds → nanoseconds.
 *
 * Jaeger `warnings` and `flags` have no OTLP counterpart and are dropped, as the Collector does.
 */

type Obj = Record<string, unknown>;
type AnyValue = Obj;

/** Throws the import's error for the value at `path`. */
export type Fail = (path: string, detail: string) => never;

const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Jaeger trace (`traceID`, `spans`, `processes`) or a response holding them in `data`. */
export function looksLikeJaeger(o: Obj): boolean {
  if (Array.isArray(o.data)) return o.data.length === 0 || o.data.some((t) => isObject(t) && Array.isArray(t.spans));
  return Array.isArray(o.spans) && (isObject(o.processes) || typeof o.traceID === 'string');
}

interface ResourceGroup {
  readonly attributes: Obj[];
  readonly scopes: Map<string, { scope: Obj; spans: Obj[] }>;
}

/** Converts `o` (see looksLikeJaeger) to one OTLP/JSON ExportTraceServiceRequest object. */
export function jaegerToOtlpJson(o: Obj, prefix: string, fail: Fail): { resourceSpans: Obj[] } {
  const traces: Array<[unknown, string]> = Array.isArray(o.data)
    ? o.data.map((t, i) => [t, `${prefix}data[${i}]`])
    : [[o, prefix === '' ? '' : prefix.replace(/\.$/, '')]];
  const groups = new Map<string, ResourceGroup>();
  for (const [trace, path] of traces) {
    if (!isObject(trace)) fail(path || '(top level)', `expected a Jaeger trace object, got ${describe(trace)}`);
    const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
    if (!Array.isArray(trace.spans)) fail(at('spans'), `expected an array of spans, got ${describe(trace.spans)}`);
    if (trace.processes != null && !isObject(trace.processes)) fail(at('processes'), `expected an object, got ${describe(trace.processes)}`);
    const processes = (trace.processes ?? {}) as Obj;
    trace.spans.forEach((span: unknown, i: number) => {
      const spanPath = at(`spans[${i}]`);
      if (!isObject(span)) fail(spanPath, `expected a span object, got ${describe(span)}`);
      let process: unknown = span.process;
      if (process == null && span.processID != null) {
        if (typeof span.processID !== 'string' || !Object.hasOwn(processes, span.processID)) {
          fail(`${spanPath}.processID`, `${describe(span.processID)} is not a key of ${at('processes')}`);
        }
        process = processes[span.processID];
      }
      if (process != null && !isObject(process)) fail(`${spanPath}.process`, `expected an object, got ${describe(process)}`);
      const group = resourceGroup(groups, process ?? undefined, spanPath, fail);
      convertSpan(span, trace.traceID, group, spanPath, fail);
    });
  }
  const resourceSpans: Obj[] = [];
  for (const g of groups.values()) {
    resourceSpans.push({
      resource: { attributes: g.attributes },
      scopeSpans: [...g.scopes.values()].map((s) => ({ scope: s.scope, spans: s.spans })),
    });
  }
  return { resourceSpans };
}

function resourceGroup(groups: Map<string, ResourceGroup>, process: Obj | undefined, path: string, fail: Fail): ResourceGroup {
  const key = JSON.stringify([process?.serviceName ?? null, process?.tags ?? null]);
  let g = groups.get(key);
  if (g === undefined) {
    g = { attributes: resourceAttributes(process, path, fail), scopes: new Map() };
    groups.set(key, g);
  }
  return g;
}

function resourceAttributes(process: Obj | undefined, path: string, fail: Fail): Obj[] {
  if (process === undefined) return [];
  const serviceName = process.serviceName ?? '';
  if (typeof serviceName !== 'string') fail(`${path}.process.serviceName`, `expected a string, got ${describe(serviceName)}`);
  if (serviceName === NO_SERVICE_NAME) return [];
  const attrs = new Map<string, AnyValue>();
  if (serviceName !== '') attrs.set('service.name', { stringValue: serviceName });
  tagsInto(attrs, process.tags, `${path}.process.tags`, fail);
  const hostname = attrs.get('hostname');
  if (hostname !== undefined && !attrs.has('host.name')) {
    attrs.delete('hostname');
    attrs.set('host.name', hostname);
  }
  const version = attrs.get('jaeger.version');
  if (version !== undefined && !attrs.has('opencensus.exporterversion')) {
    attrs.delete('jaeger.version');
    attrs.set('opencensus.exporterversion', { stringValue: `Jaeger-${str(version)}` });
  }
  return keyValues(attrs);
}

function convertSpan(span: Obj, traceTraceId: unknown, group: ResourceGroup, path: string, fail: Fail): void {
  const traceId = hexId(span.traceID ?? traceTraceId, 32, `${path}.traceID`, fail);
  const spanId = hexId(span.spanID, 16, `${path}.spanID`, fail);
  const tags = span.tags == null ? [] : span.tags;
  if (!Array.isArray(tags)) fail(`${path}.tags`, `expected an array, got ${describe(tags)}`);

  // The scope tags are taken out before the others become attributes.
  const remaining = [...tags];
  const take = (key: string): string | undefined => {
    const i = remaining.findIndex((t) => isObject(t) && t.key === key);
    if (i === -1) return undefined;
    const [tag] = remaining.splice(i, 1) as [Obj];
    return typeof tag.value === 'string' ? tag.value : '';
  };
  let scopeName = take('otel.scope.name');
  let scopeVersion = scopeName === undefined ? undefined : take('otel.scope.version');
  if (scopeName === undefined) {
    scopeName = take('otel.library.name');
    scopeVersion = scopeName === undefined ? undefined : take('otel.library.version');
  }
  const scopeKey = `${scopeName ?? ''}\u0000${scopeVersion ?? ''}`;
  let scope = group.scopes.get(scopeKey);
  if (scope === undefined) {
    const s: Obj = {};
    if (scopeName) s.name = scopeName;
    if (scopeVersion) s.version = scopeVersion;
    scope = { scope: s, spans: [] };
    group.scopes.set(scopeKey, scope);
  }

  const attrs = new Map<string, AnyValue>();
  tagsInto(attrs, remaining, `${path}.tags`, fail);

  const out: Obj = { traceId, spanId };
  const tracestate = attrs.get('w3c.tracestate');
  const references = referencesOf(span, traceId, path, fail);
  const parent = references.find((r) => r.childOf && r.traceId === traceId)?.spanId;
  if (parent !== undefined && !/^0+$/.test(parent)) out.parentSpanId = parent;
  out.name = span.operationName == null ? '' : String(span.operationName);

  let kind = 0;
  const kindTag = attrs.get('span.kind');
  if (kindTag !== undefined) {
    kind = SPAN_KINDS[str(kindTag)] ?? 0;
    attrs.delete('span.kind');
  }
  if (kind !== 0) out.kind = kind;

  const start = microsToNanos(span.startTime, `${path}.startTime`, fail);
  const duration = span.duration == null ? 0n : microsToNanos(span.duration, `${path}.duration`, fail);
  out.startTimeUnixNano = start.toString();
  out.endTimeUnixNano = (start + duration).toString();

  const status = statusOf(attrs, kind);
  if (tracestate !== undefined) {
    attrs.delete('w3c.tracestate');
    if (str(tracestate) !== '') out.traceState = str(tracestate);
  }
  out.attributes = keyValues(attrs);
  out.events = eventsOf(span.logs, `${path}.logs`, fail);
  out.links = linksOf(references, parent);
  if (status !== undefined) out.status = status;
  scope.spans.push(out);
}

const SPAN_KINDS: Readonly<Record<string, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/** The Collector's setInternalSpanStatus: `error` wins, then `otel.status_code`, then `http.status_code`. */
function statusOf(attrs: Map<string, AnyValue>, kind: number): Obj | undefined {
  let code = 0;
  let message = '';
  let exists = false;
  const description = (): string | undefined => {
    const d = attrs.get('otel.status_description');
    if (d === undefined) return undefined;
    attrs.delete('otel.status_description');
    return str(d);
  };
  const error = attrs.get('error');
  if (error !== undefined && error.boolValue === true) {
    code = 2;
    exists = true;
    attrs.delete('error');
    const d = description();
    if (d !== undefined) message = d;
    else if (attrs.has('http.status_message')) message = str(attrs.get('http.status_message')!);
  }
  const otelCode = attrs.get('otel.status_code');
  if (otelCode !== undefined) {
    if (!exists) {
      exists = true;
      const c = str(otelCode).toUpperCase();
      if (c === 'OK') code = 1;
      else if (c === 'ERROR') code = 2;
      const d = description();
      if (d !== undefined) message = d;
    }
    attrs.delete('otel.status_code');
  } else if (!exists && attrs.has('http.status_code')) {
    const httpCode = intOf(attrs.get('http.status_code')!);
    if (httpCode !== undefined) {
      let c: number;
      if (httpCode >= 400 && httpCode < 500 && (kind === 3 || kind === 2)) c = kind === 3 ? 2 : 0;
      else c = httpCode >= 100 && httpCode < 399 ? 0 : 2;
      if (c !== 0) {
        exists = true;
        code = c;
      }
      if (attrs.has('http.status_message')) message = str(attrs.get('http.status_message')!);
    }
  }
  if (!exists) return undefined;
  const status: Obj = {};
  if (message !== '') status.message = message;
  if (code !== 0) status.code = code;
  return status;
}

interface Reference {
  readonly traceId: string;
  readonly spanId: string;
  readonly childOf: boolean;
}

function referencesOf(span: Obj, traceId: string, path: string, fail: Fail): Reference[] {
  const refs: Reference[] = [];
  if (span.references != null) {
    if (!Array.isArray(span.references)) fail(`${path}.references`, `expected an array, got ${describe(span.references)}`);
    span.references.forEach((ref: unknown, i: number) => {
      const at = `${path}.references[${i}]`;
      if (!isObject(ref)) fail(at, `expected an object, got ${describe(ref)}`);
      const type = typeof ref.refType === 'string' ? ref.refType.toUpperCase() : 'CHILD_OF';
      if (type !== 'CHILD_OF' && type !== 'FOLLOWS_FROM') fail(`${at}.refType`, `expected "CHILD_OF" or "FOLLOWS_FROM", got ${describe(ref.refType)}`);
      refs.push({
        traceId: ref.traceID == null ? traceId : hexId(ref.traceID, 32, `${at}.traceID`, fail),
        spanId: hexId(ref.spanID, 16, `${at}.spanID`, fail),
        childOf: type === 'CHILD_OF',
      });
    });
  }
  // Jaeger's deprecated top-level parentSpanID means a CHILD_OF reference.
  if (typeof span.parentSpanID === 'string' && span.parentSpanID !== '' && !refs.some((r) => r.childOf)) {
    refs.unshift({ traceId, spanId: hexId(span.parentSpanID, 16, `${path}.parentSpanID`, fail), childOf: true });
  }
  return refs;
}

function linksOf(refs: Reference[], parent: string | undefined): Obj[] {
  const links: Obj[] = [];
  for (const r of refs) {
    if (r.childOf && r.spanId === parent) continue;
    links.push({
      traceId: r.traceId,
      spanId: r.spanId,
      attributes: [{ key: 'opentracing.ref_type', value: { stringValue: r.childOf ? 'child_of' : 'follows_from' } }],
    });
  }
  return links;
}

function eventsOf(logs: unknown, path: string, fail: Fail): Obj[] {
  if (logs == null) return [];
  if (!Array.isArray(logs)) fail(path, `expected an array, got ${describe(logs)}`);
  return logs.map((log: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (!isObject(log)) fail(at, `expected an object, got ${describe(log)}`);
    const event: Obj = { timeUnixNano: microsToNanos(log.timestamp, `${at}.timestamp`, fail).toString() };
    const attrs = new Map<string, AnyValue>();
    tagsInto(attrs, log.fields, `${at}.fields`, fail);
    const name = attrs.get('event');
    if (name !== undefined) {
      attrs.delete('event');
      const n = str(name);
      if (n !== '') event.name = n;
    }
    event.attributes = keyValues(attrs);
    return event;
  });
}

// ---- tags ------------------------------------------------------------------------------

/** Adds Jaeger tags to `attrs`; a repeated key replaces the earlier value in place, as pcommon.Map does. */
function tagsInto(attrs: Map<string, AnyValue>, tags: unknown, path: string, fail: Fail): void {
  if (tags == null) return;
  if (!Array.isArray(tags)) fail(path, `expected an array of {key, type, value}, got ${describe(tags)}`);
  tags.forEach((tag: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (!isObject(tag)) fail(at, `expected an object, got ${describe(tag)}`);
    if (typeof tag.key !== 'string') fail(`${at}.key`, `expected a string, got ${describe(tag.key)}`);
    attrs.set(tag.key, tagValue(tag.type, tag.value));
  });
}

/**
 * A Jaeger tag value as an OTLP AnyValue. The declared type wins when the value fits it;
 * an untyped value (Grafana's tag lists) or one that does not fit keeps its JSON type.
 */
function tagValue(type: unknown, value: unknown): AnyValue {
  const t = typeof type === 'string' ? type.toLowerCase() : '';
  switch (t) {
    case 'string':
      if (typeof value === 'string') return { stringValue: value };
      break;
    case 'bool':
    case 'boolean':
      if (typeof value === 'boolean') return { boolValue: value };
      if (value === 'true' || value === 'false') return { boolValue: value === 'true' };
      break;
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) return integer(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value) && BigInt(value) >= INT64_MIN && BigInt(value) <= INT64_MAX) return { intValue: value };
      break;
    case 'float64':
      if (typeof value === 'number') return { doubleValue: value };
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return { doubleValue: Number(value) };
      break;
    case 'binary':
      if (typeof value === 'string') return { bytesValue: value };
      break;
  }
  return inferred(value);
}

function inferred(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? integer(value) : { doubleValue: value };
  if (value == null) return { stringValue: '' };
  return { stringValue: JSON.stringify(value) };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An integral JSON number: an int64 when it fits, else the double it already is. */
function integer(value: number): AnyValue {
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX ? { intValue: n.toString() } : { doubleValue: value };
}

function keyValues(attrs: Map<string, AnyValue>): Obj[] {
  return [...attrs].map(([key, value]) => ({ key, value }));
}

/** pcommon.Value.Str(): the string, or '' for any other type. */
function str(v: AnyValue): string {
  return typeof v.stringValue === 'string' ? v.stringValue : '';
}

/** An int or decimal-string attribute as a number (the Collector's codeFromAttr). */
function intOf(v: AnyValue): number | undefined {
  if (typeof v.intValue === 'string') return Number(v.intValue);
  if (typeof v.stringValue === 'string' && /^[+-]?\d+$/.test(v.stringValue)) return Number(v.stringValue);
  return undefined;
}

// ---- scalars ---------------------------------------------------------------------------

/** Jaeger (and Zipkin) print ids as hex without leading zeros; OTLP wants them full width. */
export function hexId(v: unknown, digits: number, path: string, fail: Fail): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]+$/.test(v) || v.length > digits) {
    fail(path, `expected a hex id of at most ${digits} digits, got ${describe(v)}`);
  }
  return v.toLowerCase().padStart(digits, '0');
}

/** Microseconds (a number, possibly fractional, or a decimal string) → nanoseconds. */
export function microsToNanos(v: unknown, path: string, fail: Fail): bigint {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v) * 1000n;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    fail(path, `expected microseconds since the epoch (a non-negative number), got ${describe(v)}`);
  }
  const whole = Math.floor(v);
  return BigInt(whole) * 1000n + BigInt(Math.round((v - whole) * 1000));
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
