/**
 * @module
 * A deterministic generator of realistic OTLP log traffic, as pre-encoded
 * ExportLogsServiceRequest protobuf bytes, for the log benchmarks and tests.
 *
 * The corpus: 10 services, one resource each (service.name + 4 attributes), one logger
 * scope; records in arrival order over the requested window, 70% inside a trace (about 5
 * records per trace, each with its span id); severities 20% DEBUG, 68% INFO, 9% WARN, 3%
 * ERROR with their texts; 3–5 attributes (order.id unique, tenant.id of 50, an int
 * status code, code.function of a few); bodies from a dozen templates with numbers and
 * ids in them, 5% a kvlist (an event), so the body words go from a handful of very common
 * ones to one per record.
 *
 * Requests hold `recordsPerRequest` records (the last may hold fewer), grouped resource →
 * scope → records, a resource per run of records of one service as a collector batches
 * them. Generation is lazy (generateLogRequests), so a million records are never all in
 * memory as bytes at once unless the caller keeps them. The same options and seed always
 * give the same bytes.
 *
 * Facts worth querying are recorded as generation goes (LogCorpusFacts): a trace id in
 * the middle with its record count, the count of each severity, of one word, per service.
 *
 * @example
 *   const facts = newLogFacts();
 *   for (const req of generateLogRequests({ records: 100_000 }, facts)) await post(req.bytes);
 */
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from '../../src/shared/protowire.ts';
import { Rng } from './rng.ts';

export interface LogGeneratorOptions {
  /** Total records (default 200,000). */
  readonly records?: number;
  /** Records per ExportLogsServiceRequest (default 512). */
  readonly recordsPerRequest?: number;
  /** Window the record times cover, ms (default 2 hours). */
  readonly timeSpanMs?: number;
  /** End of that window, unix ms (default: now, rounded down to the second). */
  readonly endTimeMs?: number;
  readonly seed?: number;
}

export interface GeneratedLogRequest {
  readonly bytes: Uint8Array;
  readonly records: number;
}

/** What was generated, for checks and queries. */
export interface LogCorpusFacts {
  records: number;
  requests: number;
  bytes: number;
  /** Records per SeverityNumber level name (DEBUG, INFO, WARN, ERROR). */
  bySeverity: Record<string, number>;
  /** Records per service. */
  byService: Record<string, number>;
  /** Records inside a trace. */
  withTrace: number;
  /** A trace from the middle of the corpus (hex) and how many records it has. */
  traceId: string;
  traceRecords: number;
  /** How many bodies have the word "declined" (about 1%). */
  declined: number;
  /** Unix ns of the first and last record. */
  minNs: bigint;
  maxNs: bigint;
}

export function newLogFacts(): LogCorpusFacts {
  return { records: 0, requests: 0, bytes: 0, bySeverity: {}, byService: {}, withTrace: 0, traceId: '', traceRecords: 0, declined: 0, minNs: 0n, maxNs: 0n };
}

export const LOG_SERVICES = ['frontend', 'api-gateway', 'auth', 'user', 'cart', 'checkout', 'payment', 'inventory', 'shipping', 'notification'];
const TENANTS = Array.from({ length: 50 }, (_, i) => `tenant-${i.toString().padStart(3, '0')}`);
const FUNCTIONS = ['handleRequest', 'loadUser', 'reserveStock', 'chargeCard', 'renderPage', 'sendEmail', 'computeTotals'];
const ROUTES = ['/api/v1/products/{id}', '/api/v1/cart', '/api/v1/orders', '/checkout', '/account'];

type Level = readonly [name: string, number: number];
const LEVELS: readonly Level[] = [
  ['DEBUG', 5],
  ['INFO', 9],
  ['WARN', 13],
  ['ERROR', 17],
];

/** A body from the level's templates; `n` makes it unique-ish. */
function body(rng: Rng, level: string, service: string, n: number): string {
  switch (level) {
    case 'DEBUG':
      return rng.chance(0.5) ? `cache miss for key user:${n % 10_000} in ${service}` : `query took ${rng.range(1, 40)}ms rows=${rng.range(0, 200)}`;
    case 'WARN':
      return rng.chance(0.5) ? `retrying request to ${rng.pick(LOG_SERVICES)} (attempt ${rng.range(1, 3)})` : `slow response from ${rng.pick(ROUTES)}: ${rng.range(500, 3000)}ms`;
    case 'ERROR':
      return rng.chance(0.35) ? `payment declined for order ${n}: insufficient funds` : `upstream ${rng.pick(LOG_SERVICES)} unavailable: connection reset after ${rng.range(1, 30)}s`;
    default:
      switch (rng.int(4)) {
        case 0:
          return `GET ${rng.pick(ROUTES)} ${rng.pick([200, 200, 201, 204, 304, 404])} in ${rng.range(1, 250)}ms`;
        case 1:
          return `order ${n} confirmed for ${rng.pick(TENANTS)}`;
        case 2:
          return `user ${n % 50_000} signed in from ${rng.range(1, 254)}.${rng.range(0, 255)}.${rng.range(0, 255)}.${rng.range(1, 254)}`;
        default:
          return `processed batch of ${rng.range(1, 500)} items in ${service}`;
      }
  }
}

function attrString(w: ProtoWriter, field: number, key: string, value: string): void {
  w.fork(field).stringField(1, key).fork(2).stringField(1, value).join().join();
}

function attrInt(w: ProtoWriter, field: number, key: string, value: number): void {
  w.fork(field).stringField(1, key).fork(2).tag(3, WIRE_VARINT).uint32(value).join().join();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The corpus a request at a time; `facts` (when given) is filled in as it goes. */
export function* generateLogRequests(options: LogGeneratorOptions = {}, facts: LogCorpusFacts = newLogFacts()): Generator<GeneratedLogRequest, void, void> {
  const total = options.records ?? 200_000;
  const perRequest = options.recordsPerRequest ?? 512;
  const spanMs = options.timeSpanMs ?? 2 * 3600_000;
  const endMs = options.endTimeMs ?? Math.floor(Date.now() / 1000) * 1000;
  const rng = new Rng(options.seed ?? 1);
  const startNs = BigInt(endMs - spanMs) * 1_000_000n;
  const stepNs = total > 1 ? (BigInt(spanMs) * 1_000_000n) / BigInt(total) : 0n;
  const middle = Math.floor(total / 2);
  let trace = new Uint8Array(16);
  let traceLeft = 0;
  let n = 0;
  while (n < total) {
    const count = Math.min(perRequest, total - n);
    const w = new ProtoWriter(count * 300 + 1024);
    let i = 0;
    while (i < count) {
      // A run of one service's records under its resource.
      const service = rng.int(LOG_SERVICES.length);
      const name = LOG_SERVICES[service];
      const run = Math.min(count - i, rng.range(1, 64));
      w.fork(1);
      w.fork(1);
      attrString(w, 1, 'service.name', name);
      attrString(w, 1, 'service.version', `1.${service}.0`);
      attrString(w, 1, 'deployment.environment', 'bench');
      attrString(w, 1, 'host.name', `host-${service % 3}`);
      attrString(w, 1, 'service.instance.id', `${name}-0`);
      w.join();
      w.fork(2);
      w.fork(1).stringField(1, 'app-logger').stringField(2, '1.0.0').join();
      for (let k = 0; k < run; k++, i++, n++) {
        const r = rng.next();
        const level = r < 0.2 ? LEVELS[0] : r < 0.88 ? LEVELS[1] : r < 0.97 ? LEVELS[2] : LEVELS[3];
        const timeNs = startNs + stepNs * BigInt(n) + BigInt(rng.int(1000));
        const inTrace = rng.chance(0.7);
        if (inTrace && traceLeft <= 0) {
          trace = new Uint8Array(16);
          for (let b = 0; b < 16; b += 4) new DataView(trace.buffer).setUint32(b, rng.u32());
          trace[15] |= 1;
          traceLeft = rng.range(1, 9);
          if (facts.traceId === '' && n >= middle) facts.traceId = hex(trace);
        }
        w.fork(2);
        w.tag(1, WIRE_I64).fixed64(timeNs);
        w.tag(2, WIRE_VARINT).uint32(level[1]);
        w.stringField(3, level[0]);
        const text = body(rng, level[0], name, n);
        const event = rng.chance(0.05);
        if (event) {
          w.fork(5).fork(6);
          attrString(w, 1, 'event', 'cart.updated');
          attrInt(w, 1, 'items', rng.range(1, 9));
          w.join().join();
        } else w.fork(5).stringField(1, text).join();
        attrString(w, 6, 'order.id', `o-${n}`);
        attrString(w, 6, 'tenant.id', rng.pick(TENANTS));
        attrInt(w, 6, 'http.status_code', level[0] === 'ERROR' ? 500 : 200);
        if (rng.chance(0.5)) attrString(w, 6, 'code.function', rng.pick(FUNCTIONS));
        if (inTrace) {
          w.tag(8, 5).fixed32(1);
          w.bytesField(9, trace);
          const span = new Uint8Array(8);
          new DataView(span.buffer).setUint32(0, rng.u32());
          span[7] |= 1;
          w.bytesField(10, span);
          traceLeft--;
          facts.withTrace++;
        }
        w.tag(11, WIRE_I64).fixed64(timeNs + 1000n);
        w.join();
        if (inTrace && n >= middle && facts.traceId === hex(trace)) facts.traceRecords++;
        facts.bySeverity[level[0]] = (facts.bySeverity[level[0]] ?? 0) + 1;
        facts.byService[name] = (facts.byService[name] ?? 0) + 1;
        if (!event && text.startsWith('payment declined')) facts.declined++;
        if (facts.minNs === 0n || timeNs < facts.minNs) facts.minNs = timeNs;
        if (timeNs > facts.maxNs) facts.maxNs = timeNs;
      }
      w.join();
      w.join();
    }
    const bytes = w.finish();
    facts.records += count;
    facts.requests++;
    facts.bytes += bytes.length;
    yield { bytes, records: count };
  }
}
