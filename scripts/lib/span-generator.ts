/**
 * @module
 * A deterministic generator of realistic OTLP trace traffic, as pre-encoded
 * ExportTraceServiceRequest protobuf bytes, for the ingest and query benchmarks.
 *
 * The corpus follows the measured workload behind the performance floors: 10 services, one resource each
 * (service.name + 5 attributes); traces of 10–20 spans (15 on average) with a real
 * call tree (server → client → downstream server, database clients, internal spans,
 * producer → consumer); 9–11 span attributes of mixed types (string, int, bool,
 * double) whose cardinality goes from 2 values to one per span; about 20% of spans
 * with an event, 3% with status ERROR, 4% longer than 1 s; start times spread over
 * the requested window (2 hours by default), in arrival order.
 *
 * Requests hold exactly `spansPerRequest` spans (the last one may hold fewer), grouped
 * resource → scope → spans as an SDK or a collector sends them; a trace may straddle
 * two requests, as it does when spans are batched on arrival.
 *
 * The same options and seed always give the same bytes. Everything is encoded with
 * ProtoWriter, lengths computed up front where cheap, at roughly 0.5–1 M spans/s.
 *
 * @example
 *   const corpus = generateCorpus({ spans: 200_000, seed: 1 });
 *   for (const req of corpus.requests) await post(req.bytes);
 */
import { ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../src/shared/protowire.ts';
import { Rng } from './rng.ts';

export interface GeneratorOptions {
  /** Total spans to generate (default 200,000). */
  readonly spans?: number;
  /** Spans per ExportTraceServiceRequest (default 512). */
  readonly spansPerRequest?: number;
  /** Window the trace start times cover, in milliseconds (default 2 hours). */
  readonly timeSpanMs?: number;
  /** End of that window, Unix milliseconds (default: now, rounded down to the second). Fix it for byte-identical output. */
  readonly endTimeMs?: number;
  /** PRNG seed (default 1). */
  readonly seed?: number;
}

export interface GeneratedRequest {
  /** ExportTraceServiceRequest protobuf bytes. */
  readonly bytes: Uint8Array;
  /** Spans in it. */
  readonly spans: number;
}

/** Ground truth about what was generated, for checks and for query benchmarks. */
export interface CorpusStats {
  spans: number;
  requests: number;
  traces: number;
  /** Spans with status ERROR. */
  errors: number;
  /** Spans longer than 1 s. */
  slow: number;
  /** Spans with an event. */
  withEvents: number;
  /** Total protobuf bytes. */
  bytes: number;
  /** Earliest span start and latest span end, Unix nanoseconds. */
  minStartNs: bigint;
  maxEndNs: bigint;
}

export interface Corpus {
  readonly requests: GeneratedRequest[];
  readonly stats: CorpusStats;
}

// ---------------------------------------------------------------- the modelled system

const KIND_INTERNAL = 1;
const KIND_SERVER = 2;
const KIND_CLIENT = 3;
const KIND_PRODUCER = 4;
const KIND_CONSUMER = 5;

const SCOPE_HTTP = 0;
const SCOPE_DB = 1;
const SCOPE_KAFKA = 2;
const SCOPE_APP = 3;
const SCOPES: ReadonlyArray<readonly [string, string]> = [
  ['@opentelemetry/instrumentation-http', '0.57.2'],
  ['@opentelemetry/instrumentation-pg', '0.51.1'],
  ['@opentelemetry/instrumentation-kafkajs', '0.7.1'],
  ['app', '1.0.0'],
];

interface Service {
  readonly name: string;
  readonly routes: readonly string[];
  /** Indexes of the services it calls over HTTP. */
  readonly calls: readonly number[];
  readonly db: string | undefined;
  readonly publishes: boolean;
  readonly functions: readonly string[];
}

const SERVICES: readonly Service[] = [
  {
    name: 'frontend',
    routes: ['/', '/product/{id}', '/cart', '/checkout', '/account'],
    calls: [1],
    db: undefined,
    publishes: false,
    functions: ['renderPage', 'loadTemplate', 'resolveLocale'],
  },
  {
    name: 'api-gateway',
    routes: ['/api/v1/products/{id}', '/api/v1/cart', '/api/v1/orders', '/api/v1/users/{id}'],
    calls: [2, 3, 4, 5],
    db: undefined,
    publishes: false,
    functions: ['authorize', 'rateLimit', 'routeRequest'],
  },
  {
    name: 'auth',
    routes: ['/token', '/token/verify', '/session/{id}'],
    calls: [],
    db: 'redis',
    publishes: false,
    functions: ['verifySignature', 'loadKeys'],
  },
  {
    name: 'user',
    routes: ['/users/{id}', '/users/{id}/preferences', '/users/{id}/addresses'],
    calls: [2],
    db: 'postgresql',
    publishes: false,
    functions: ['mapUser', 'mergePreferences'],
  },
  {
    name: 'cart',
    routes: ['/carts/{id}', '/carts/{id}/items', '/carts/{id}/items/{item}'],
    calls: [7],
    db: 'redis',
    publishes: false,
    functions: ['computeTotals', 'applyCoupons'],
  },
  {
    name: 'checkout',
    routes: ['/orders', '/orders/{id}', '/orders/{id}/confirm'],
    calls: [4, 6, 7, 8],
    db: 'postgresql',
    publishes: true,
    functions: ['validateOrder', 'reserveStock', 'buildInvoice'],
  },
  {
    name: 'payment',
    routes: ['/charges', '/charges/{id}', '/refunds'],
    calls: [],
    db: 'postgresql',
    publishes: true,
    functions: ['tokenizeCard', 'fraudScore'],
  },
  {
    name: 'inventory',
    routes: ['/stock/{sku}', '/stock/reserve', '/stock/release'],
    calls: [],
    db: 'postgresql',
    publishes: false,
    functions: ['lockRows', 'recomputeAvailability'],
  },
  {
    name: 'shipping',
    routes: ['/quotes', '/shipments', '/shipments/{id}'],
    calls: [],
    db: 'mongodb',
    publishes: true,
    functions: ['rateCarriers', 'printLabel'],
  },
  {
    name: 'notification',
    routes: ['/notify', '/templates/{id}'],
    calls: [],
    db: 'redis',
    publishes: false,
    functions: ['renderEmail', 'sendEmail', 'sendSms'],
  },
];

const NOTIFICATION = 9;
const ENTRY_SERVICES = [0, 0, 0, 1];
const TOPICS = ['orders', 'payments', 'shipments', 'notifications', 'audit', 'inventory-events'];
const HTTP_METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const OK_CODES = [200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 404];
const ERROR_CODES = [500, 500, 502, 503, 504];
const USER_AGENTS = Array.from({ length: 15 }, (_, i) => `Mozilla/5.0 (bench ${i}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${110 + i}.0 Safari/537.36`);
const TENANTS = Array.from({ length: 50 }, (_, i) => `tenant-${i.toString().padStart(3, '0')}`);
const SAMPLING = [0.1, 0.25, 0.5, 1];
const COMPONENTS = ['web', 'worker', 'scheduler', 'grpc', 'rest'];
const NAMESPACES = ['com.shop.core', 'com.shop.web', 'com.shop.data', 'com.shop.billing', 'com.shop.logistics'];
const DB_TABLES = ['users', 'orders', 'order_items', 'products', 'stock', 'payments', 'shipments', 'sessions'];
const DB_NAMES = ['shop', 'shop_ro', 'billing', 'logistics'];
const ERROR_TYPES = ['TimeoutError', 'ConnectionResetError', 'ValidationError', 'NullPointerException', 'UpstreamUnavailable'];
const EVENT_NAMES = ['cache.miss', 'retry', 'message.received', 'checkpoint', 'gc.pause'];

// ---------------------------------------------------------------- encoding helpers

const TAG_ATTR_SPAN = (9 << 3) | WIRE_LEN;
const TAG_ATTR_EVENT = (3 << 3) | WIRE_LEN;
const TAG_ATTR_RESOURCE = (1 << 3) | WIRE_LEN;

function varintLen(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Pre-encoded KeyValue.key field (tag, length, bytes). */
function keyField(key: string): Uint8Array {
  const w = new ProtoWriter(key.length + 8);
  w.stringField(1, key);
  return w.finish();
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function strLen(s: string): number {
  return isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

function kvString(w: ProtoWriter, tag: number, key: Uint8Array, value: string): void {
  const n = strLen(value);
  const any = 1 + varintLen(n) + n;
  w.uint32(tag)
    .uint32(key.length + 1 + varintLen(any) + any)
    .raw(key)
    .uint32((2 << 3) | WIRE_LEN)
    .uint32(any)
    .stringField(1, value);
}

/** Non-negative integers below 2^32. */
function kvInt(w: ProtoWriter, tag: number, key: Uint8Array, value: number): void {
  const any = 1 + varintLen(value);
  w.uint32(tag)
    .uint32(key.length + 2 + any)
    .raw(key)
    .uint32((2 << 3) | WIRE_LEN)
    .uint32(any)
    .uint32((3 << 3) | WIRE_VARINT)
    .uint32(value);
}

function kvBool(w: ProtoWriter, tag: number, key: Uint8Array, value: boolean): void {
  w.uint32(tag)
    .uint32(key.length + 4)
    .raw(key)
    .uint32((2 << 3) | WIRE_LEN)
    .uint32(2)
    .uint32((2 << 3) | WIRE_VARINT)
    .uint32(value ? 1 : 0);
}

function kvDouble(w: ProtoWriter, tag: number, key: Uint8Array, value: number): void {
  w.uint32(tag)
    .uint32(key.length + 11)
    .raw(key)
    .uint32((2 << 3) | WIRE_LEN)
    .uint32(9)
    .uint32((4 << 3) | WIRE_I64)
    .double(value);
}

/** fixed64 Unix nanoseconds from integral microseconds, without BigInt. */
function fixed64Micros(w: ProtoWriter, field: number, us: number): void {
  const hiUs = Math.floor(us / 4294967296);
  const loUs = us - hiUs * 4294967296;
  const loNs = loUs * 1000; // < 2^42: exact
  const carry = Math.floor(loNs / 4294967296);
  w.uint32((field << 3) | WIRE_I64)
    .fixed32(loNs - carry * 4294967296)
    .fixed32(hiUs * 1000 + carry);
}

const K = (s: string): Uint8Array => keyField(s);
const KEYS = {
  userId: K('user.id'),
  threadId: K('thread.id'),
  httpMethod: K('http.method'),
  httpRoute: K('http.route'),
  httpTarget: K('http.target'),
  httpStatus: K('http.status_code'),
  httpUrl: K('http.url'),
  userAgent: K('http.user_agent'),
  peerIp: K('net.peer.ip'),
  peerPort: K('net.peer.port'),
  peerService: K('peer.service'),
  dbSystem: K('db.system'),
  dbName: K('db.name'),
  dbStatement: K('db.statement'),
  dbOperation: K('db.operation'),
  dbRows: K('db.rows_affected'),
  codeFunction: K('code.function'),
  codeNamespace: K('code.namespace'),
  codeLine: K('code.lineno'),
  msgSystem: K('messaging.system'),
  msgDest: K('messaging.destination.name'),
  msgId: K('messaging.message.id'),
  msgPartition: K('messaging.kafka.partition'),
  msgSize: K('messaging.message.body.size'),
  msgOperation: K('messaging.operation'),
  cacheHit: K('cache.hit'),
  retryCount: K('retry.count'),
  samplingRatio: K('sampling.ratio'),
  cpuUtil: K('process.cpu.utilization'),
  featureFlag: K('feature_flag.new_checkout'),
  payloadSize: K('payload.size'),
  tenantId: K('tenant.id'),
  requestId: K('request.id'),
  component: K('component'),
  queueTime: K('queue.time_ms'),
  excType: K('exception.type'),
  excMessage: K('exception.message'),
  eventDetail: K('event.detail'),
  eventCount: K('event.count'),
};

/** The 10 generic attributes that top every span up to its 9–11; written from a random offset. */
const FILLERS = 10;
function writeFiller(w: ProtoWriter, rng: Rng, which: number, tenant: string): void {
  switch (which) {
    case 0:
      return kvBool(w, TAG_ATTR_SPAN, KEYS.cacheHit, rng.chance(0.7));
    case 1:
      return kvInt(w, TAG_ATTR_SPAN, KEYS.retryCount, rng.chance(0.9) ? 0 : rng.range(1, 3));
    case 2:
      return kvDouble(w, TAG_ATTR_SPAN, KEYS.samplingRatio, rng.pick(SAMPLING));
    case 3:
      return kvDouble(w, TAG_ATTR_SPAN, KEYS.cpuUtil, rng.next());
    case 4:
      return kvBool(w, TAG_ATTR_SPAN, KEYS.featureFlag, rng.chance(0.2));
    case 5:
      return kvInt(w, TAG_ATTR_SPAN, KEYS.payloadSize, rng.int(1_000_000));
    case 6:
      return kvString(w, TAG_ATTR_SPAN, KEYS.tenantId, tenant);
    case 7:
      return kvString(w, TAG_ATTR_SPAN, KEYS.requestId, rng.hex(8));
    case 8:
      return kvString(w, TAG_ATTR_SPAN, KEYS.component, rng.pick(COMPONENTS));
    default:
      return kvDouble(w, TAG_ATTR_SPAN, KEYS.queueTime, Math.round(rng.next() * 250_000) / 1000);
  }
}

function resourceField(service: Service, index: number): Uint8Array {
  const w = new ProtoWriter(512);
  w.fork(1); // ResourceSpans.resource
  kvString(w, TAG_ATTR_RESOURCE, K('service.name'), service.name);
  kvString(w, TAG_ATTR_RESOURCE, K('service.namespace'), 'shop');
  kvString(w, TAG_ATTR_RESOURCE, K('service.version'), `1.${index}.${(index * 7) % 10}`);
  kvString(w, TAG_ATTR_RESOURCE, K('deployment.environment'), 'production');
  kvString(w, TAG_ATTR_RESOURCE, K('host.name'), `${service.name}-7d9f${index}c-x${index}k2p`);
  kvString(w, TAG_ATTR_RESOURCE, K('telemetry.sdk.language'), index % 3 === 0 ? 'nodejs' : index % 3 === 1 ? 'java' : 'go');
  w.join();
  return w.finish();
}

function scopeField(name: string, version: string): Uint8Array {
  const w = new ProtoWriter(128);
  w.fork(1); // ScopeSpans.scope
  w.stringField(1, name).stringField(2, version);
  w.join();
  return w.finish();
}

// ---------------------------------------------------------------- generation

/** A span already emitted in the current trace, kept to hang children on. */
interface Node {
  readonly id: Uint8Array;
  readonly service: number;
  readonly kind: number;
  readonly startUs: number;
  readonly durUs: number;
  /** HTTP server target, reused by the client span that called it. */
  readonly target: string;
}

interface Ctx {
  readonly rng: Rng;
  readonly traceId: Uint8Array;
  readonly userId: string;
  readonly tenant: string;
  readonly nodes: Node[];
}

const PROBABILITY_EVENT = 0.175; // plus every error span: ~20% overall
const PROBABILITY_ERROR = 0.03;
const PROBABILITY_SLOW_TRACE = 0.15;

/** Spans are encoded into one buffer per (service, scope) and assembled into a request when it is full. */
class RequestBuilder {
  readonly groups: ProtoWriter[];
  readonly groupSpans: Int32Array;
  private readonly resources: Uint8Array[];
  private readonly scopes: Uint8Array[];
  spans = 0;

  constructor() {
    this.groups = Array.from({ length: SERVICES.length * SCOPES.length }, () => new ProtoWriter(64 * 1024));
    this.groupSpans = new Int32Array(this.groups.length);
    this.resources = SERVICES.map(resourceField);
    this.scopes = SCOPES.map(([n, v]) => scopeField(n, v));
  }

  writer(service: number, scope: number): ProtoWriter {
    const g = service * SCOPES.length + scope;
    this.groupSpans[g]++;
    this.spans++;
    return this.groups[g];
  }

  /** ExportTraceServiceRequest bytes of everything written since the last build. */
  build(): GeneratedRequest {
    let total = 0;
    const rsLen = new Array<number>(SERVICES.length).fill(0);
    for (let s = 0; s < SERVICES.length; s++) {
      let len = 0;
      for (let c = 0; c < SCOPES.length; c++) {
        const g = this.groups[s * SCOPES.length + c];
        if (g.len === 0) continue;
        const ss = this.scopes[c].length + g.len;
        len += 1 + varintLen(ss) + ss;
      }
      if (len === 0) continue;
      rsLen[s] = this.resources[s].length + len;
      total += 1 + varintLen(rsLen[s]) + rsLen[s];
    }
    const w = new ProtoWriter(total + 16);
    for (let s = 0; s < SERVICES.length; s++) {
      if (rsLen[s] === 0) continue;
      w.uint32((1 << 3) | WIRE_LEN).uint32(rsLen[s]).raw(this.resources[s]);
      for (let c = 0; c < SCOPES.length; c++) {
        const gi = s * SCOPES.length + c;
        const g = this.groups[gi];
        if (g.len === 0) continue;
        const body = g.finish();
        w.uint32((2 << 3) | WIRE_LEN)
          .uint32(this.scopes[c].length + body.length)
          .raw(this.scopes[c])
          .raw(body);
        g.len = 0;
        this.groupSpans[gi] = 0;
      }
    }
    const out = { bytes: w.finish(), spans: this.spans };
    this.spans = 0;
    return out;
  }
}

/**
 * Yields requests one at a time, so a large corpus can be streamed into a store
 * without holding it all; `stats` is complete once the iterator is exhausted.
 */
export function* generateRequests(options: GeneratorOptions = {}, stats?: CorpusStats): Generator<GeneratedRequest> {
  const total = options.spans ?? 200_000;
  const perRequest = options.spansPerRequest ?? 512;
  const windowUs = (options.timeSpanMs ?? 2 * 3600 * 1000) * 1000;
  const endUs = (options.endTimeMs ?? Math.floor(Date.now() / 1000) * 1000) * 1000;
  const rng = new Rng(options.seed ?? 1);
  const st: CorpusStats = stats ?? emptyStats();
  Object.assign(st, emptyStats());
  let minStartUs = Infinity;
  let maxEndUs = 0;

  const builder = new RequestBuilder();
  let emitted = 0;
  const nodes: Node[] = [];

  /** Encodes one span; returns its node. */
  function emit(
    ctx: Ctx,
    parent: Node | undefined,
    service: number,
    kind: number,
    scope: number,
    name: string,
    startUs: number,
    durUs: number,
    target: string,
    attrs: (w: ProtoWriter, error: boolean) => number,
  ): Node {
    const r = ctx.rng;
    const id = r.fill(new Uint8Array(8));
    const error = r.chance(PROBABILITY_ERROR);
    const w = builder.writer(service, scope);
    w.fork(2); // ScopeSpans.spans
    w.bytesField(1, ctx.traceId).bytesField(2, id);
    if (parent !== undefined) w.bytesField(4, parent.id);
    w.stringField(5, name).tag(6, WIRE_VARINT).uint32(kind);
    fixed64Micros(w, 7, startUs);
    fixed64Micros(w, 8, startUs + durUs);
    // Attributes: 2 common + kind-specific, topped up from the fillers to 9–11.
    kvString(w, TAG_ATTR_SPAN, KEYS.userId, ctx.userId);
    kvInt(w, TAG_ATTR_SPAN, KEYS.threadId, r.range(1, 32));
    let n = 2 + attrs(w, error);
    const want = r.range(9, 11);
    let f = r.int(FILLERS);
    while (n < want) {
      writeFiller(w, r, f, ctx.tenant);
      f = f + 1 === FILLERS ? 0 : f + 1;
      n++;
    }
    if (error || r.chance(PROBABILITY_EVENT)) {
      w.fork(11); // Event
      fixed64Micros(w, 1, startUs + Math.floor(durUs * r.next()));
      if (error) {
        const type = r.pick(ERROR_TYPES);
        w.stringField(2, 'exception');
        kvString(w, TAG_ATTR_EVENT, KEYS.excType, type);
        kvString(w, TAG_ATTR_EVENT, KEYS.excMessage, `${type}: ${name} failed after ${Math.round(durUs / 1000)} ms (request ${r.hex(4)})`);
      } else {
        w.stringField(2, r.pick(EVENT_NAMES));
        kvString(w, TAG_ATTR_EVENT, KEYS.eventDetail, r.pick(COMPONENTS));
        kvInt(w, TAG_ATTR_EVENT, KEYS.eventCount, r.range(1, 100));
      }
      w.join();
      st.withEvents++;
    }
    w.fork(15); // Status
    if (error) {
      w.stringField(2, 'request failed');
      w.tag(3, WIRE_VARINT).uint32(2);
      st.errors++;
    } else if (kind === KIND_SERVER && r.chance(0.3)) {
      w.tag(3, WIRE_VARINT).uint32(1);
    }
    w.join();
    w.tag(16, 5).fixed32(0x101); // flags: sampled, parent-is-remote known
    w.join();

    if (durUs > 1_000_000) st.slow++;
    if (startUs < minStartUs) minStartUs = startUs;
    if (startUs + durUs > maxEndUs) maxEndUs = startUs + durUs;
    st.spans++;
    emitted++;
    const node: Node = { id, service, kind, startUs, durUs, target };
    ctx.nodes.push(node);
    if (builder.spans === perRequest) flushInto(pending);
    return node;
  }

  const pending: GeneratedRequest[] = [];
  function flushInto(out: GeneratedRequest[]): void {
    const req = builder.build();
    st.requests++;
    st.bytes += req.bytes.length;
    out.push(req);
  }

  function fillTarget(r: Rng, route: string): string {
    return route.replace(/\{(\w+)\}/g, () => String(r.int(100_000)));
  }

  function httpServer(ctx: Ctx, parent: Node | undefined, service: number, startUs: number, durUs: number): Node {
    const r = ctx.rng;
    const svc = SERVICES[service];
    const route = r.pick(svc.routes);
    const method = parent === undefined ? r.pick(HTTP_METHODS) : 'GET';
    const target = fillTarget(r, route);
    return emit(ctx, parent, service, KIND_SERVER, SCOPE_HTTP, `${method} ${route}`, startUs, durUs, target, (w, error) => {
      kvString(w, TAG_ATTR_SPAN, KEYS.httpMethod, method);
      kvString(w, TAG_ATTR_SPAN, KEYS.httpRoute, route);
      kvString(w, TAG_ATTR_SPAN, KEYS.httpTarget, target);
      kvInt(w, TAG_ATTR_SPAN, KEYS.httpStatus, error ? r.pick(ERROR_CODES) : r.pick(OK_CODES));
      kvString(w, TAG_ATTR_SPAN, KEYS.userAgent, r.pick(USER_AGENTS));
      kvString(w, TAG_ATTR_SPAN, KEYS.peerIp, `10.${r.int(4)}.${r.int(256)}.${r.int(256)}`);
      return 6;
    });
  }

  function childWindow(r: Rng, parent: Node): [number, number] {
    const start = parent.startUs + Math.floor(parent.durUs * 0.3 * r.next());
    const dur = Math.max(50, Math.floor(parent.durUs * (0.15 + 0.55 * r.next())));
    return [start, dur];
  }

  /** Adds one operation under `parent`; returns how many spans it emitted. */
  function operation(ctx: Ctx, parent: Node, budget: number): number {
    const r = ctx.rng;
    const svc = SERVICES[parent.service];
    const roll = r.next();
    if (budget >= 2 && svc.calls.length > 0 && roll < 0.45) {
      // HTTP call: client span here, server span downstream.
      const downstream = r.pick(svc.calls);
      const [start, dur] = childWindow(r, parent);
      const dsvc = SERVICES[downstream];
      const route = r.pick(dsvc.routes);
      const url = `http://${dsvc.name}:8080${fillTarget(r, route)}`;
      const client = emit(ctx, parent, parent.service, KIND_CLIENT, SCOPE_HTTP, 'GET', start, dur, '', (w, error) => {
        kvString(w, TAG_ATTR_SPAN, KEYS.httpMethod, 'GET');
        kvString(w, TAG_ATTR_SPAN, KEYS.httpUrl, url);
        kvInt(w, TAG_ATTR_SPAN, KEYS.httpStatus, error ? r.pick(ERROR_CODES) : 200);
        kvString(w, TAG_ATTR_SPAN, KEYS.peerService, dsvc.name);
        kvInt(w, TAG_ATTR_SPAN, KEYS.peerPort, 8080);
        return 5;
      });
      const lag = Math.min(2000, Math.floor(dur * 0.05));
      httpServer(ctx, client, downstream, start + lag, Math.max(20, dur - 2 * lag));
      return 2;
    }
    if (budget >= 2 && svc.publishes && roll < 0.6) {
      // Kafka: producer here, consumer in notification (or audit in the same service).
      const [start, dur] = childWindow(r, parent);
      const topic = r.pick(TOPICS);
      const msgId = r.hex(16);
      const size = r.range(200, 64_000);
      const partition = r.int(12);
      const messaging = (w: ProtoWriter, consumer: boolean): number => {
        kvString(w, TAG_ATTR_SPAN, KEYS.msgSystem, 'kafka');
        kvString(w, TAG_ATTR_SPAN, KEYS.msgDest, topic);
        kvString(w, TAG_ATTR_SPAN, KEYS.msgId, msgId);
        kvInt(w, TAG_ATTR_SPAN, KEYS.msgPartition, partition);
        kvInt(w, TAG_ATTR_SPAN, KEYS.msgSize, size);
        if (!consumer) return 5;
        kvString(w, TAG_ATTR_SPAN, KEYS.msgOperation, 'process');
        return 6;
      };
      const producer = emit(ctx, parent, parent.service, KIND_PRODUCER, SCOPE_KAFKA, `${topic} publish`, start, Math.min(dur, 5000 + r.int(20_000)), '', (w) =>
        messaging(w, false),
      );
      const consumerStart = producer.startUs + producer.durUs + r.range(500, 200_000);
      emit(ctx, producer, NOTIFICATION, KIND_CONSUMER, SCOPE_KAFKA, `${topic} process`, consumerStart, r.range(1_000, 80_000), '', (w) =>
        messaging(w, true),
      );
      return 2;
    }
    if (svc.db !== undefined && roll < 0.8) {
      const [start, dur0] = childWindow(r, parent);
      const dur = Math.min(dur0, r.range(300, 30_000));
      const table = r.pick(DB_TABLES);
      const system = svc.db;
      const op = system === 'redis' ? r.pick(['GET', 'SET', 'HGETALL', 'EXPIRE']) : r.pick(['SELECT', 'SELECT', 'SELECT', 'INSERT', 'UPDATE']);
      const statement =
        system === 'redis'
          ? `${op} ${table}:${r.int(100_000)}`
          : system === 'mongodb'
            ? `{"find":"${table}","filter":{"_id":${r.int(1_000_000)}}}`
            : op === 'SELECT'
              ? `SELECT * FROM ${table} WHERE id = ${r.int(1_000_000)} LIMIT ${r.pick([1, 10, 50])}`
              : op === 'INSERT'
                ? `INSERT INTO ${table} (id, data, created_at) VALUES (${r.int(1_000_000)}, $1, now())`
                : `UPDATE ${table} SET data = $1, updated_at = now() WHERE id = ${r.int(1_000_000)}`;
      emit(ctx, parent, parent.service, KIND_CLIENT, SCOPE_DB, `${op} ${table}`, start, dur, '', (w) => {
        kvString(w, TAG_ATTR_SPAN, KEYS.dbSystem, system);
        kvString(w, TAG_ATTR_SPAN, KEYS.dbName, r.pick(DB_NAMES));
        kvString(w, TAG_ATTR_SPAN, KEYS.dbStatement, statement);
        kvString(w, TAG_ATTR_SPAN, KEYS.dbOperation, op);
        kvInt(w, TAG_ATTR_SPAN, KEYS.dbRows, r.int(100));
        return 5;
      });
      return 1;
    }
    const [start, dur] = childWindow(r, parent);
    const fn = r.pick(svc.functions);
    emit(ctx, parent, parent.service, KIND_INTERNAL, SCOPE_APP, fn, start, dur, '', (w) => {
      kvString(w, TAG_ATTR_SPAN, KEYS.codeFunction, fn);
      kvString(w, TAG_ATTR_SPAN, KEYS.codeNamespace, r.pick(NAMESPACES));
      kvInt(w, TAG_ATTR_SPAN, KEYS.codeLine, r.range(10, 900));
      return 3;
    });
    return 1;
  }

  while (emitted < total) {
    const size = Math.min(rng.range(10, 20), total - emitted);
    // Traces start in arrival order across the window, with up to 2 s of jitter.
    const startUs = Math.min(endUs - 10_000_000, endUs - windowUs + Math.floor((emitted / total) * windowUs) + rng.int(2_000_000));
    const slow = rng.chance(PROBABILITY_SLOW_TRACE);
    const rootDur = slow ? rng.range(1_100_000, 6_000_000) : Math.floor(5_000 * Math.exp(rng.next() * 4.2));
    nodes.length = 0;
    const ctx: Ctx = {
      rng,
      traceId: rng.fill(new Uint8Array(16)),
      userId: `user-${rng.int(10_000)}`,
      tenant: rng.pick(TENANTS),
      nodes,
    };
    st.traces++;
    httpServer(ctx, undefined, rng.pick(ENTRY_SERVICES), startUs, rootDur);
    let made = 1;
    while (made < size) {
      // Children hang off spans that do work: servers, internal spans and consumers.
      let parent = nodes[nodes.length - 1 - rng.int(Math.min(nodes.length, 4))];
      for (let tries = 0; parent.kind === KIND_CLIENT || parent.kind === KIND_PRODUCER; tries++) {
        parent = tries < 4 ? nodes[rng.int(nodes.length)] : nodes[0];
      }
      made += operation(ctx, parent, size - made);
      while (pending.length > 0) yield pending.shift()!;
    }
    while (pending.length > 0) yield pending.shift()!;
  }
  if (builder.spans > 0) {
    flushInto(pending);
    yield pending.shift()!;
  }
  st.minStartNs = BigInt(minStartUs === Infinity ? 0 : minStartUs) * 1000n;
  st.maxEndNs = BigInt(maxEndUs) * 1000n;
}

function emptyStats(): CorpusStats {
  return { spans: 0, requests: 0, traces: 0, errors: 0, slow: 0, withEvents: 0, bytes: 0, minStartNs: 0n, maxEndNs: 0n };
}

/** All requests at once, so a benchmark can time sending them without timing their encoding. */
export function generateCorpus(options: GeneratorOptions = {}): Corpus {
  const stats = emptyStats();
  const requests = [...generateRequests(options, stats)];
  return { requests, stats };
}
