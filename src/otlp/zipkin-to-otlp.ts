/**
 * Zipkin v2 JSON (the body of `POST /api/v2/spans`) → one OTLP ExportTraceServiceRequest,
 * written straight into a ProtoWriter. The mapping is the OpenTelemetry Collector's Zipkin
 * receiver's (pkg/translator/zipkin/zipkinv2/to_translator.go, parse_string_tags off):
 *
 *   - spans are grouped into resources by `localEndpoint.serviceName` (→ `service.name`, or
 *     the key named by the tag `otlp.service.name.source`) and into scopes by the tags
 *     `otel.library.name`/`otel.library.version`
 *     (`otel.scope.*` too); the first span of a resource moves its resource-convention tags
 *     (`host.name`, `k8s.pod.name`, …) onto the resource, the others' are dropped;
 *   - ids are hex, 64- or 128-bit, left-padded; a parent id equal to the span's own id is none;
 *   - `kind` CLIENT/SERVER/PRODUCER/CONSUMER → the same kind; otherwise the tag `span.kind`
 *     ("internal" → INTERNAL) is removed and the kind is unspecified;
 *   - status: `otel.status_code` (+ `otel.status_description`) sets it; an `error` tag with
 *     any value makes it ERROR, and is removed only when its value is "true";
 *   - `w3c.tracestate` → trace state; `otlp.link.<n>` tags → links;
 *   - tags → string attributes (typed only with `parseStringTags`, as the Collector's
 *     `parse_string_tags`); then `localEndpoint` ipv4/ipv6/port → `net.host.ip`/`net.host.port`,
 *     `remoteEndpoint` serviceName/ipv4/ipv6/port → `peer.service`/`net.peer.ip`/`net.peer.port`;
 *   - microseconds → nanoseconds; a span without a timestamp starts at 0 and gets
 *     `otel.zipkin.absentField.startTime=true`;
 *   - annotations → events named by their value (the Collector's `name|{json attributes}|dropped`
 *     encoding is unpacked);
 *   - `debug` and `shared` have no OTLP counterpart and are dropped, as the Collector does: a
 *     shared SERVER span keeps the id of its CLIENT span and is stored beside it (the store
 *     tells spans apart by id and kind); reads give it an id of its own, as Tempo's do
 *     (shared/joined-spans.ts).
 *
 * Two departures, so that Zipkin spans read as well as OTLP ones: the value of an `error`
 * tag other than "true" (Brave and zipkin-js put the error's message there) also becomes
 * the status message, unless `otel.status_description` gave one; and a span without a
 * local service name gets `service.name` "unknown_service", as OpenTelemetry SDKs name a
 * service that has none (the Collector leaves its resource without attributes).
 *
 * Where the Collector would fail the whole request over an annotation or link tag it cannot
 * unpack, the value is kept as it is (event name, attribute) instead. Tag values that are
 * JSON numbers or booleans are taken as their text; the Collector refuses them.
 */
import { isIP } from 'node:net';
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from '../shared/protowire.ts';
import { AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, TracesData } from './schema/index.ts';
import { describe, hexId, isObject, microsToNanos, type Fail } from './import/jaeger.ts';

// Field numbers of the messages written here.
const SPAN = Span.field;
const EVENT = SpanEvent.field;
const LINK = SpanLink.field;
const ANY = AnyValue.field;

/** The body is not Zipkin v2 JSON; the message starts with the JSON path of the offending value. */
export class ZipkinJsonError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'ZipkinJsonError';
  }
}

export interface ZipkinMapOptions {
  /** Type tag values that look like numbers or booleans, as the Collector's `parse_string_tags` (default false). */
  readonly parseStringTags?: boolean;
}

export interface ZipkinConversion {
  /** ExportTraceServiceRequest bytes. */
  readonly request: Uint8Array;
  readonly spans: number;
}

type Obj = Record<string, unknown>;
/** An AnyValue: string, bool, int64 (bigint) or double (number). */
type Value = string | boolean | bigint | number;

interface Endpoint {
  readonly serviceName: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly port: number;
}

interface ZipkinSpan {
  readonly traceId: Buffer;
  readonly id: Buffer;
  readonly parentId: Buffer | undefined;
  readonly name: string;
  readonly kind: string;
  readonly startNs: bigint;
  readonly durationNs: bigint;
  readonly local: Endpoint | undefined;
  readonly remote: Endpoint | undefined;
  readonly annotations: ReadonlyArray<{ readonly timeNs: bigint; readonly value: string }>;
  /** Copied per span: the mapping takes tags out as it goes. */
  readonly tags: Map<string, string>;
  /** Grouping keys. */
  readonly service: string;
  readonly library: string;
}

/** What OpenTelemetry SDKs call a service that was not given a name. */
const NO_SERVICE_NAME = 'unknown_service';
const SERVICE_NAME_SOURCE = 'otlp.service.name.source';
const START_TIME_ABSENT = 'otel.zipkin.absentField.startTime';
/** [name, version] tag pairs naming the scope, newest spelling first. */
const SCOPE_TAGS = [
  ['otel.scope.name', 'otel.scope.version'],
  ['otel.library.name', 'otel.library.version'],
] as const;
const SCOPE_KEYS = new Set<string>(SCOPE_TAGS.flat());

/** Resource attributes of semantic conventions 1.6.1 plus the Collector's extras: never span attributes. */
const NON_SPAN_ATTRIBUTES = new Set<string>([
  'cloud.account.id', 'cloud.provider', 'cloud.region', 'cloud.availability_zone', 'cloud.platform',
  'container.id', 'container.image.name', 'container.name', 'container.image.tag', 'deployment.environment',
  'faas.id', 'faas.instance', 'faas.name', 'faas.version',
  'host.id', 'host.image.id', 'host.image.name', 'host.image.version', 'host.name', 'host.type',
  'k8s.cluster.name', 'k8s.container.name', 'k8s.cronjob.name', 'k8s.cronjob.uid', 'k8s.daemonset.name',
  'k8s.daemonset.uid', 'k8s.deployment.name', 'k8s.deployment.uid', 'k8s.job.name', 'k8s.job.uid',
  'k8s.namespace.name', 'k8s.node.name', 'k8s.node.uid', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.replicaset.name',
  'k8s.replicaset.uid', 'k8s.statefulset.name', 'k8s.statefulset.uid',
  'os.type', 'os.description', 'process.command', 'process.command_line', 'process.executable.name',
  'process.executable.path', 'process.pid', 'process.owner',
  'service.instance.id', 'service.name', 'service.namespace', 'service.version',
  'telemetry.auto.version', 'telemetry.sdk.language', 'telemetry.sdk.name', 'telemetry.sdk.version',
  SERVICE_NAME_SOURCE, 'opencensus.starttime', 'opencensus.exporterversion', 'opencensus.resourcetype',
  ...SCOPE_KEYS,
]);

const KINDS: Readonly<Record<string, number>> = { CLIENT: 3, SERVER: 2, PRODUCER: 4, CONSUMER: 5 };
const STATUS_CODES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2,
  // What the Collector's Zipkin exporter used to write.
  Unset: 0, Ok: 1, Error: 2,
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const fail: Fail = (path, detail) => {
  throw new ZipkinJsonError(path, detail);
};

/**
 * Maps a parsed Zipkin v2 JSON body (an array of spans; null is no spans) to OTLP.
 *
 * @throws ZipkinJsonError when the body is not Zipkin v2 JSON
 * @example zipkinToOtlp(JSON.parse(body)).request // → ExportTraceServiceRequest bytes
 */
export function zipkinToOtlp(body: unknown, options: ZipkinMapOptions = {}): ZipkinConversion {
  if (body == null) return { request: new Uint8Array(0), spans: 0 };
  if (!Array.isArray(body)) {
    fail('(top level)', `expected an array of Zipkin v2 spans, got ${describe(body)}${isObject(body) && Array.isArray(body.resourceSpans) ? ' (this is OTLP/JSON: send it to the OTLP/HTTP port)' : ''}`);
  }
  const spans = body.map((s: unknown, i: number) => readSpan(s, `[${i}]`));
  // The Collector sorts by service, then scope, so each gets one ResourceSpans/ScopeSpans.
  spans.sort((a, b) => compare(a.service, b.service) || compare(a.library, b.library));

  const w = new ProtoWriter(256 + spans.length * 256);
  let service: string | undefined;
  let library: string | undefined;
  for (const span of spans) {
    if (span.service !== service) {
      if (service !== undefined) w.join().join();
      service = span.service;
      library = undefined;
      w.fork(TracesData.field.resourceSpans);
      writeResource(w, span);
    }
    if (span.library !== library) {
      if (library !== undefined) w.join();
      library = span.library;
      w.fork(ResourceSpans.field.scopeSpans);
      writeScope(w, span);
    }
    writeSpan(w, span, options.parseStringTags ?? false);
  }
  if (service !== undefined) w.join().join();
  return { request: w.finish(), spans: spans.length };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- reading ---------------------------------------------------------------------------

function readSpan(s: unknown, path: string): ZipkinSpan {
  if (!isObject(s)) fail(path, `expected a span object, got ${describe(s)}`);
  const traceId = id(s.traceId, 32, `${path}.traceId`);
  const spanId = id(s.id, 16, `${path}.id`);
  const parentId = s.parentId == null || s.parentId === '' ? undefined : id(s.parentId, 16, `${path}.parentId`, true);
  if (s.name != null && typeof s.name !== 'string') fail(`${path}.name`, `expected a string, got ${describe(s.name)}`);
  if (s.kind != null && typeof s.kind !== 'string') fail(`${path}.kind`, `expected CLIENT, SERVER, PRODUCER or CONSUMER, got ${describe(s.kind)}`);
  const startNs = s.timestamp == null ? 0n : micros(s.timestamp, `${path}.timestamp`);
  const durationNs = s.duration == null ? 0n : micros(s.duration, `${path}.duration`);
  const local = endpoint(s.localEndpoint, `${path}.localEndpoint`);
  const remote = endpoint(s.remoteEndpoint, `${path}.remoteEndpoint`);
  const tags = readTags(s.tags, `${path}.tags`);
  let library = '';
  for (const [nameKey] of SCOPE_TAGS) {
    const name = tags.get(nameKey);
    if (name !== undefined && name !== '') {
      library = name;
      break;
    }
  }
  return {
    traceId,
    id: spanId,
    parentId,
    name: (s.name as string | undefined) ?? '',
    kind: ((s.kind as string | undefined) ?? '').toUpperCase(),
    startNs,
    durationNs,
    local,
    remote,
    annotations: readAnnotations(s.annotations, `${path}.annotations`),
    tags,
    service: local?.serviceName || NO_SERVICE_NAME,
    library,
  };
}

function id(v: unknown, digits: number, path: string, zeroAllowed = false): Buffer {
  const bytes = Buffer.from(hexId(v, digits, path, fail), 'hex');
  if (!zeroAllowed && bytes.every((b) => b === 0)) fail(path, 'must not be all zeros');
  return bytes;
}

function micros(v: unknown, path: string): bigint {
  if (typeof v === 'number' && v < 0) fail(path, `expected a non-negative number of microseconds, got ${v}`);
  return microsToNanos(v, path, fail);
}

function endpoint(v: unknown, path: string): Endpoint | undefined {
  if (v == null) return undefined;
  if (!isObject(v)) fail(path, `expected an object, got ${describe(v)}`);
  const serviceName = v.serviceName ?? '';
  if (typeof serviceName !== 'string') fail(`${path}.serviceName`, `expected a string, got ${describe(serviceName)}`);
  const ipv4 = address(v.ipv4, `${path}.ipv4`);
  const ipv6 = address(v.ipv6, `${path}.ipv6`);
  const port = v.port ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`${path}.port`, `expected a port number from 0 to 65535, got ${describe(port)}`);
  }
  if (serviceName === '' && ipv4 === '' && ipv6 === '' && port === 0) return undefined;
  return { serviceName, ipv4, ipv6, port };
}

/** An IP address as Go's net.IP prints it: IPv6 compressed and lowercase, IPv4-mapped as IPv4. */
function address(v: unknown, path: string): string {
  if (v == null || v === '') return '';
  if (typeof v !== 'string' || isIP(v) === 0) fail(path, `expected an IP address, got ${describe(v)}`);
  if (isIP(v) === 4) return v;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v);
  if (mapped) return mapped[1];
  return new URL(`http://[${v}]/`).hostname.slice(1, -1);
}

function readTags(v: unknown, path: string): Map<string, string> {
  const tags = new Map<string, string>();
  if (v == null) return tags;
  if (!isObject(v)) fail(path, `expected an object of string values, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (typeof value === 'string') tags.set(key, value);
    else if (typeof value === 'number' || typeof value === 'boolean') tags.set(key, String(value));
    else if (value === null) tags.set(key, '');
    else fail(`${path}.${key}`, `expected a string, got ${describe(value)}`);
  }
  return tags;
}

function readAnnotations(v: unknown, path: string): Array<{ timeNs: bigint; value: string }> {
  if (v == null) return [];
  if (!Array.isArray(v)) fail(path, `expected an array, got ${describe(v)}`);
  return v.map((a: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (!isObject(a)) fail(at, `expected an object, got ${describe(a)}`);
    const timeNs = a.timestamp == null ? 0n : micros(a.timestamp, `${at}.timestamp`);
    if (timeNs === 0n) fail(`${at}.timestamp`, 'an annotation needs a timestamp (microseconds since the epoch)');
    const value = a.value ?? '';
    if (typeof value !== 'string') fail(`${at}.value`, `expected a string, got ${describe(value)}`);
    return { timeNs, value };
  });
}

// ---- writing ---------------------------------------------------------------------------

/** The Resource of ResourceSpans from the first span of a service, which loses the tags moved there. */
function writeResource(w: ProtoWriter, span: ZipkinSpan): void {
  w.fork(ResourceSpans.field.resource);
  const { tags } = span;
  const attrs = new Map<string, Value>();
  attrs.set(tags.get(SERVICE_NAME_SOURCE) || 'service.name', span.service);
  tags.delete(SERVICE_NAME_SOURCE);
  for (const [key, value] of tags) {
    if (!NON_SPAN_ATTRIBUTES.has(key) || SCOPE_KEYS.has(key)) continue;
    attrs.set(key, value);
    tags.delete(key);
  }
  for (const [key, value] of attrs) writeKeyValue(w, Resource.field.attributes, key, value);
  w.join();
}

/** The InstrumentationScope of ScopeSpans from the first span of a scope. */
function writeScope(w: ProtoWriter, span: ZipkinSpan): void {
  w.fork(ScopeSpans.field.scope);
  if (span.library !== '') {
    for (const [nameKey, versionKey] of SCOPE_TAGS) {
      const name = span.tags.get(nameKey);
      if (name === undefined || name === '') continue;
      w.stringField(InstrumentationScope.field.name, name);
      const version = span.tags.get(versionKey);
      if (version !== undefined && version !== '') w.stringField(InstrumentationScope.field.version, version);
      break;
    }
    for (const key of SCOPE_KEYS) span.tags.delete(key);
  }
  w.join();
}

/** One Span of ScopeSpans, in the Collector's order of taking tags out. */
function writeSpan(w: ProtoWriter, s: ZipkinSpan, parseStringTags: boolean): void {
  const { tags } = s;
  const traceState = take(tags, 'w3c.tracestate');
  const kind = kindOf(s.kind, tags);
  const status = statusOf(tags);
  const links = linksOf(tags);

  const attrs = new Map<string, Value>();
  for (const [key, value] of tags) {
    if (NON_SPAN_ATTRIBUTES.has(key)) continue;
    attrs.set(key, parseStringTags ? typed(value) : value);
  }
  if (s.local !== undefined) {
    if (s.local.ipv4 !== '') attrs.set('net.host.ip', s.local.ipv4);
    if (s.local.ipv6 !== '') attrs.set('net.host.ip', s.local.ipv6);
    if (s.local.port > 0) attrs.set('net.host.port', BigInt(s.local.port));
  }
  if (s.remote !== undefined) {
    if (s.remote.serviceName !== '') attrs.set('peer.service', s.remote.serviceName);
    if (s.remote.ipv4 !== '') attrs.set('net.peer.ip', s.remote.ipv4);
    if (s.remote.ipv6 !== '') attrs.set('net.peer.ip', s.remote.ipv6);
    if (s.remote.port > 0) attrs.set('net.peer.port', BigInt(s.remote.port));
  }
  if (s.startNs === 0n) attrs.set(START_TIME_ABSENT, true);

  w.fork(ScopeSpans.field.spans);
  w.bytesField(SPAN.traceId, s.traceId);
  w.bytesField(SPAN.spanId, s.id);
  if (traceState) w.stringField(SPAN.traceState, traceState);
  if (s.parentId !== undefined && !s.parentId.every((b) => b === 0) && !s.parentId.equals(s.id)) w.bytesField(SPAN.parentSpanId, s.parentId);
  if (s.name !== '') w.stringField(SPAN.name, s.name);
  if (kind !== 0) w.tag(SPAN.kind, WIRE_VARINT).uint32(kind);
  if (s.startNs !== 0n) w.tag(SPAN.startTimeUnixNano, WIRE_I64).fixed64(s.startNs);
  if (s.startNs + s.durationNs !== 0n) w.tag(SPAN.endTimeUnixNano, WIRE_I64).fixed64(s.startNs + s.durationNs);
  for (const [key, value] of attrs) writeKeyValue(w, SPAN.attributes, key, value);
  for (const a of s.annotations) writeEvent(w, a.timeNs, a.value);
  for (const link of links) writeLink(w, link);
  if (status.code !== 0 || status.message !== '') {
    w.fork(SPAN.status);
    if (status.message !== '') w.stringField(Status.field.message, status.message);
    if (status.code !== 0) w.tag(Status.field.code, WIRE_VARINT).uint32(status.code);
    w.join();
  }
  w.join();
}

function take(tags: Map<string, string>, key: string): string | undefined {
  const v = tags.get(key);
  if (v !== undefined) tags.delete(key);
  return v;
}

function kindOf(kind: string, tags: Map<string, string>): number {
  const k = KINDS[kind];
  if (k !== undefined) return k;
  return take(tags, 'span.kind') === 'internal' ? 1 : 0;
}

function statusOf(tags: Map<string, string>): { code: number; message: string } {
  let code = 0;
  let message = '';
  const otelCode = take(tags, 'otel.status_code');
  if (otelCode !== undefined) {
    code = STATUS_CODES[otelCode] ?? 0;
    message = take(tags, 'otel.status_description') ?? '';
  }
  const error = tags.get('error');
  if (error !== undefined) {
    code = 2;
    if (error === 'true') tags.delete('error');
    else if (message === '') message = error;
  }
  return { code, message };
}

interface Link {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly attrs: Map<string, Value>;
  readonly dropped: number;
}

/** `otlp.link.0`, `otlp.link.1`, … as the Collector's Zipkin exporter writes them: `trace|span|state|{attrs}|dropped`. */
function linksOf(tags: Map<string, string>): Link[] {
  const links: Link[] = [];
  for (let i = 0; i < 128; i++) {
    const key = `otlp.link.${i}`;
    const value = take(tags, key);
    if (value === undefined) break;
    const parts = value.split('|');
    if (parts.length < 5) continue;
    const traceId = linkId(parts[0], 16);
    const spanId = linkId(parts[1], 8);
    const attrs = jsonAttributes(parts.slice(3, -1).join('|'));
    const dropped = uint32(parts[parts.length - 1]);
    if (traceId === undefined || spanId === undefined || attrs === undefined || dropped === undefined) {
      tags.set(key, value); // cannot be unpacked: kept as an attribute
      continue;
    }
    links.push({ traceId, spanId, traceState: parts[2], attrs, dropped });
  }
  return links;
}

function linkId(text: string, size: number): Uint8Array | undefined {
  const hex = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  if (hex === '') return new Uint8Array(size);
  return hex.length === size * 2 && /^[0-9a-fA-F]+$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

function uint32(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : undefined;
}

/** A JSON object of attributes as the Collector's jsonMapToAttributeMap reads it; undefined when it is not one. */
function jsonAttributes(text: string): Map<string, Value> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return parsed === null ? new Map() : undefined;
  const attrs = new Map<string, Value>();
  for (const [key, v] of Object.entries(parsed)) {
    if (typeof v === 'string' || typeof v === 'boolean') attrs.set(key, v);
    else if (typeof v === 'number') attrs.set(key, Number.isInteger(v) ? clampInt64(BigInt(v)) : v);
  }
  return attrs;
}

function writeEvent(w: ProtoWriter, timeNs: bigint, value: string): void {
  let name = value;
  let attrs: Map<string, Value> | undefined;
  let dropped = 0;
  const parts = value.split('|');
  if (parts.length >= 3) {
    const a = jsonAttributes(parts.slice(1, -1).join('|'));
    const d = uint32(parts[parts.length - 1]);
    if (a !== undefined && d !== undefined) {
      name = parts[0];
      attrs = a;
      dropped = d;
    }
  }
  w.fork(SPAN.events);
  w.tag(EVENT.timeUnixNano, WIRE_I64).fixed64(timeNs);
  if (name !== '') w.stringField(EVENT.name, name);
  if (attrs !== undefined) for (const [key, v] of attrs) writeKeyValue(w, EVENT.attributes, key, v);
  if (dropped !== 0) w.tag(EVENT.droppedAttributesCount, WIRE_VARINT).uint32(dropped);
  w.join();
}

function writeLink(w: ProtoWriter, link: Link): void {
  w.fork(SPAN.links);
  w.bytesField(LINK.traceId, link.traceId);
  w.bytesField(LINK.spanId, link.spanId);
  if (link.traceState !== '') w.stringField(LINK.traceState, link.traceState);
  for (const [key, v] of link.attrs) writeKeyValue(w, LINK.attributes, key, v);
  if (link.dropped !== 0) w.tag(LINK.droppedAttributesCount, WIRE_VARINT).uint32(link.dropped);
  w.join();
}

function writeKeyValue(w: ProtoWriter, field: number, key: string, value: Value): void {
  w.fork(field).stringField(KeyValue.field.key, key).fork(KeyValue.field.value);
  if (typeof value === 'string') w.stringField(ANY.stringValue, value);
  else if (typeof value === 'boolean') w.tag(ANY.boolValue, WIRE_VARINT).uint32(value ? 1 : 0);
  else if (typeof value === 'bigint') w.tag(ANY.intValue, WIRE_VARINT).uint64(value);
  else w.tag(ANY.doubleValue, WIRE_I64).double(value);
  w.join().join();
}

/** The Collector's DetermineValueType + strconv parsing, for `parseStringTags`. */
function typed(value: string): Value {
  if (/^-?\d+$/.test(value)) return clampInt64(BigInt(value));
  if (/^-?\d+\.\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

/** strconv.ParseInt's answer on overflow: the nearest int64. */
function clampInt64(n: bigint): bigint {
  return n < INT64_MIN ? INT64_MIN : n > INT64_MAX ? INT64_MAX : n;
}
