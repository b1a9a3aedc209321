/**
 * Generated trace data for the planner's differential test: OTLP/JSON export requests
 * from a seed. The data is built to be awkward for an index, not realistic: one key
 * holds strings, ints, doubles, bools and arrays across spans; strings look like numbers
 * ("007", "1.50"); ints pass 2^53; doubles are NaN, ±Infinity and -0; keys repeat across
 * span, resource, event, link and scope attributes; span trees have orphans, several
 * roots, missing roots and repeated span ids; durations are zero, negative or huge; many
 * spans share one start time; a trace may arrive in two requests. Queries are drawn from
 * the same vocabulary (gen-traceql.ts), so they hit.
 */
import { Rng } from '../../scripts/lib/rng.ts';
import type { Json } from './tempo-json.ts';

/** A base time (unix ns) the generated traces start after, within DATA_SPAN_S seconds. */
export const T0_NS = 1_750_000_000n * 1_000_000_000n;
export const DATA_SPAN_S = 3600;

export const SERVICES = ['frontend', 'checkout', 'cart', 'payments', 'db', 'auth', 'ünï svc'] as const;
export const SPAN_NAMES = ['GET /cart', 'POST /checkout', 'SELECT cart', 'INSERT order', 'publish', 'consume', 'tick', 'auth', ''] as const;
export const EVENT_NAMES = ['exception', 'retry', 'log', ''] as const;
export const SCOPE_NAMES = ['fe-http', 'co-lib', 'kafka-js', ''] as const;
export const SCOPE_VERSIONS = ['1.2.0', '0.9.1', ''] as const;
export const STATUS_MESSAGES = ['', 'card declined', 'deadlock', 'timeout'] as const;

export const STRINGS = [
  'GET', 'POST', 'get', 'PUT', 'prod', 'staging', 'gold', 'silver', '', 'abc', 'foo', 'foobar', 'barfoo', 'FOO',
  'a.b', 'αβγ', 'x\ny', 'quote"d', 'back\\slash', 'foo bar', '😀',
] as const;
/** Strings a numeric column affinity would rewrite. */
export const NUMERIC_STRINGS = ['007', '7', '1.50', '1.5', ' 12', '1e3', '200', '-1', '+5', '9007199254740993', '0.0'] as const;
/** int64 values as OTLP/JSON decimal strings. */
export const INTS = [
  '0', '1', '-1', '2', '3', '7', '12', '200', '404', '500', '1000', '-42', '2147483648',
  '9007199254740992', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808',
  '9200000000000000123',
] as const;
/** Doubles as OTLP/JSON spells them. */
export const FLOATS: readonly (number | string)[] = [
  0, '-0', 0.1, 0.5, 1.5, 3, 200, -2.5, 12.75, 1e20, 1e-300, 9007199254740992, 'NaN', 'Infinity', '-Infinity',
];

export type Scope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation';

/** Attribute keys per scope; some repeat across scopes so unscoped lookups have two sources. */
export const KEYS: Readonly<Record<Scope, readonly string[]>> = {
  span: ['http.method', 'http.status_code', 'user.id', 'retries', 'ratio', 'flag', 'tags', 'blob', 'tier', 'n', 'user agent', 'mixed'],
  resource: ['service.name', 'deployment.environment', 'tier', 'host.cpus', 'flag', 'mixed'],
  event: ['exception.type', 'attempt', 'tier', 'ratio', 'mixed'],
  link: ['link.kind', 'attempt', 'tier', 'mixed'],
  instrumentation: ['scope.attr', 'tier', 'mixed'],
};

/** The strings some keys usually hold (queries draw from them too). */
export const KEY_STRINGS: Readonly<Record<string, readonly string[]>> = {
  'http.method': ['GET', 'POST', 'get', 'PUT', 'DELETE'],
  'deployment.environment': ['prod', 'staging', 'dev'],
  tier: ['gold', 'silver', 'bronze', ''],
  'exception.type': ['CardError', 'Timeout', 'IOError'],
  'link.kind': ['follows', 'child', 'batch'],
  'scope.attr': ['lib-x', 'lib-y'],
  'user agent': ['curl/8.0', 'Mozilla/5.0', ''],
};

const str = (v: string): Json => ({ stringValue: v });
const int = (v: string | number): Json => ({ intValue: String(v) });
const dbl = (v: number | string): Json => ({ doubleValue: v });
const bool = (v: boolean): Json => ({ boolValue: v });
const arr = (values: Json[]): Json => ({ arrayValue: { values } });

/** Any value of any type, with the awkward ones over-represented. */
function wildValue(rng: Rng, depth = 0): Json | undefined {
  switch (rng.int(depth > 0 ? 5 : 9)) {
    case 0:
      return str(rng.pick(STRINGS));
    case 1:
      return str(rng.pick(NUMERIC_STRINGS));
    case 2:
      return int(rng.pick(INTS));
    case 3:
      return dbl(rng.pick(FLOATS));
    case 4:
      return bool(rng.chance(0.5));
    case 5:
      return arr(Array.from({ length: rng.int(4) }, () => wildValue(rng, depth + 1) ?? {}));
    case 6:
      return { kvlistValue: { values: [{ key: 'in', value: str(rng.pick(STRINGS)) }] } };
    case 7:
      return rng.chance(0.5) ? { bytesValue: 'AAE=' } : {};
    default:
      return undefined; // a KeyValue without a value
  }
}

/** A value typical for `key`, or (sometimes) anything at all. */
function valueFor(rng: Rng, key: string): Json | undefined {
  if (rng.chance(0.08)) return wildValue(rng);
  switch (key) {
    case 'http.status_code': {
      const code = rng.pick([200, 200, 201, 404, 500, 503]);
      return rng.chance(0.7) ? int(code) : rng.chance(0.5) ? str(String(code)) : dbl(code);
    }
    case 'user.id':
      return str(rng.chance(0.6) ? rng.pick(NUMERIC_STRINGS) : `user-${rng.int(20)}`);
    case 'retries':
    case 'attempt':
    case 'host.cpus':
      return int(rng.chance(0.7) ? rng.int(5) : rng.pick(INTS));
    case 'ratio':
      return dbl(rng.chance(0.5) ? Math.round(rng.next() * 100) / 100 : rng.pick(FLOATS));
    case 'flag':
      return bool(rng.chance(0.5));
    case 'tags':
      return arr(Array.from({ length: rng.int(4) }, () => (rng.chance(0.7) ? str(rng.pick(STRINGS)) : int(rng.pick(INTS)))));
    case 'n':
      return int(rng.int(1500));
    case 'service.name':
      return str(rng.pick(SERVICES));
    default: {
      const values = KEY_STRINGS[key];
      return values === undefined ? wildValue(rng) : str(rng.pick(values));
    }
  }
}

function attributes(rng: Rng, scope: Scope, max: number): Json[] {
  const out: Json[] = [];
  const keys = KEYS[scope];
  const n = rng.int(max + 1);
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys);
    const value = valueFor(rng, key);
    out.push(value === undefined ? { key } : { key, value });
  }
  return out;
}

const ns = (v: bigint): string => BigInt.asUintN(64, v).toString();

interface GenSpan {
  readonly json: Record<string, unknown>;
  readonly service: number;
  readonly scope: number;
}

export interface GeneratedData {
  /** OTLP/JSON ExportTraceServiceRequest bodies, in the order they are to be sent. */
  readonly requests: Json[];
  readonly spans: number;
}

/** Resources and scopes are drawn from small fixed sets, so spans share them as SDKs do. */
function resources(rng: Rng): Array<Json | undefined> {
  return SERVICES.map((service, i) => {
    if (i === SERVICES.length - 1) return undefined; // a resource that was never set
    const attrs: Json[] = [];
    if (i !== SERVICES.length - 2) attrs.push({ key: 'service.name', value: str(service) });
    attrs.push(...attributes(rng, 'resource', 4));
    return { attributes: attrs };
  });
}

function scopes(rng: Rng): Array<Json | undefined> {
  const out: Array<Json | undefined> = [undefined];
  for (const name of SCOPE_NAMES) {
    out.push({ name, version: rng.pick(SCOPE_VERSIONS), attributes: attributes(rng, 'instrumentation', 2) });
  }
  return out;
}

/** Generates `traces` traces from `seed` as OTLP/JSON export requests. */
export function generateTraces(seed: number, traces: number): GeneratedData {
  const rng = new Rng(seed);
  const res = resources(rng);
  const scp = scopes(rng);
  let unique = 0;
  // Values of their own for most spans: a key past the tag dictionary's per-key cap.
  const requestIds = (): Json[] => {
    if (rng.chance(0.15)) return [];
    const ids = Array.from({ length: rng.chance(0.3) ? 2 : 1 }, () => str(`req-${unique++}`));
    return [{ key: 'req.id', value: ids.length === 1 ? ids[0] : arr(ids) }];
  };
  // A few instants shared by many spans (more than a candidate page holds at the first),
  // so candidate pages break ties on start time.
  const collisions = Array.from({ length: 3 }, () => T0_NS + BigInt(rng.int(DATA_SPAN_S)) * 1_000_000_000n);
  const pending: GenSpan[][] = [];
  const later: GenSpan[][] = [];
  let spanCount = 0;

  for (let t = 0; t < traces; t++) {
    const traceId = rng.hex(16);
    const odd = rng.chance(0.01);
    let start: bigint;
    // The first trace is wide, all at the first instant.
    const collide = t === 0 || (!odd && rng.chance(0.2));
    if (odd && t > 0) start = rng.pick([0n, 1n, (1n << 63n) - 10n, (1n << 64n) - 1000n]);
    else if (collide) start = t === 0 || rng.chance(0.7) ? collisions[0] : rng.pick(collisions);
    else start = T0_NS + BigInt(rng.int(DATA_SPAN_S)) * 1_000_000_000n + BigInt(rng.int(1_000_000_000));
    const n = t === 0 ? 270 : rng.chance(0.03) ? rng.range(30, 60) : rng.range(1, 12);
    const ids: string[] = [];
    const spans: GenSpan[] = [];
    const sameStart = collide || rng.chance(0.1);
    for (let s = 0; s < n; s++) {
      let spanId = rng.hex(8);
      if (s > 0 && rng.chance(0.02)) spanId = rng.pick(ids); // the same id again (stored apart when the kind differs)
      let parent = '';
      if (s === 0) {
        if (rng.chance(0.05)) parent = rng.hex(8); // the root never arrives
      } else if (rng.chance(0.05)) parent = rng.hex(8); // an orphan
      else if (!rng.chance(0.04)) parent = ids[ids.length - 1 - rng.int(Math.min(ids.length, 3))]; // else another root
      ids.push(spanId);
      const spanStart = sameStart ? start : start + BigInt(rng.int(2_000_000_000));
      let duration: bigint;
      const shape = rng.int(100);
      if (shape < 5) duration = 0n;
      else if (shape < 8) duration = -BigInt(rng.int(1_000_000)) - 1n;
      else if (shape < 10) duration = BigInt(rng.int(100)) * 3_600_000_000_000n;
      else duration = BigInt(Math.floor(1000 * Math.exp(rng.next() * 16)));
      const status = rng.chance(0.02) ? rng.pick([3, 7]) : rng.pick([0, 0, 0, 1, 2]);
      const json: Record<string, unknown> = {
        traceId,
        spanId,
        name: rng.pick(SPAN_NAMES),
        kind: rng.chance(0.02) ? rng.pick([6, 9]) : rng.int(6),
        startTimeUnixNano: ns(spanStart),
        endTimeUnixNano: ns(spanStart + duration),
        attributes: [...attributes(rng, 'span', 6), ...requestIds()],
        status: { code: status, message: status === 2 || rng.chance(0.1) ? rng.pick(STATUS_MESSAGES) : '' },
      };
      if (parent !== '') json.parentSpanId = parent;
      if (rng.chance(0.3)) {
        json.events = Array.from({ length: rng.range(1, 3) }, () => ({
          name: rng.pick(EVENT_NAMES),
          timeUnixNano: ns(spanStart + BigInt(rng.int(1_000_000))),
          attributes: attributes(rng, 'event', 3),
        }));
      }
      if (rng.chance(0.15)) {
        json.links = Array.from({ length: rng.range(1, 2) }, () => ({
          traceId: rng.chance(0.5) ? traceId : rng.hex(16),
          spanId: rng.chance(0.5) && ids.length > 0 ? rng.pick(ids) : rng.hex(8),
          attributes: attributes(rng, 'link', 3),
        }));
      }
      spans.push({ json, service: rng.int(res.length), scope: rng.int(scp.length) });
    }
    spanCount += spans.length;
    if (spans.length > 1 && rng.chance(0.1)) {
      // Part of the trace arrives in a later request.
      const cut = rng.range(1, spans.length - 1);
      pending.push(spans.slice(0, cut));
      later.push(spans.slice(cut));
    } else pending.push(spans);
  }

  const requests: Json[] = [];
  const batches = [...pending, ...later];
  for (let i = 0; i < batches.length; i += 8) requests.push(exportRequest(batches.slice(i, i + 8).flat(), res, scp));
  return { requests, spans: spanCount };
}

/** Spans grouped resource → scope → spans, as an SDK or a collector sends them. */
function exportRequest(spans: readonly GenSpan[], res: ReadonlyArray<Json | undefined>, scp: ReadonlyArray<Json | undefined>): Json {
  const byResource = new Map<number, Map<number, Json[]>>();
  for (const s of spans) {
    let byScope = byResource.get(s.service);
    if (byScope === undefined) byResource.set(s.service, (byScope = new Map()));
    let list = byScope.get(s.scope);
    if (list === undefined) byScope.set(s.scope, (list = []));
    list.push(s.json as Json);
  }
  const resourceSpans: Json[] = [];
  for (const [r, byScope] of byResource) {
    const scopeSpans: Json[] = [];
    for (const [sc, list] of byScope) scopeSpans.push(scp[sc] === undefined ? { spans: list } : { scope: scp[sc], spans: list });
    resourceSpans.push(res[r] === undefined ? { scopeSpans } : { resource: res[r], scopeSpans });
  }
  return { resourceSpans };
}
