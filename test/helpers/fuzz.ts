/**
 * Property-based fuzzing of every input tracebox takes from the network, shared by
 * test/fuzz.test.ts (a few thousand cases per input kind, seconds) and scripts/fuzz.ts
 * (long runs). Each target states what must hold for any input: an answer from the
 * documented set (never a 5xx, never an exception other than the "bad request" kind).
 * Stored data is checked separately by the callers, after the targets ran.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import Database from 'better-sqlite3';
import type { IngestAnswer, IngestRequest } from '../../src/otlp/index.ts';
import { createIngest, encodeTracesData, tracesDataToJson } from '../../src/otlp/index.ts';
import { createSearch } from '../../src/query/index.ts';
import { decodeSpan, type SpanContext } from '../../src/otlp/span-model.ts';
import { parse, TraceQLSyntaxError, TraceQLValidationError } from '../../src/traceql/index.ts';
import { compileRegex, regexError } from '../../src/traceql/regex.ts';
import { grpc, grpcExport } from './grpc.ts';
import { Store } from '../../src/store/index.ts';
import { DEFAULTS } from '../../src/defaults.ts';
import { randomSpanId, randomTraceId, startTestTracebox, tempDir } from './tracebox.ts';
import { encodeRequest, richRequest } from './requests.ts';
import { root } from './proto.ts';
import type { Json } from './tempo-json.ts';

export interface FuzzContext {
  /** The ingest function over a store of its own (most cases go here: no network in between). */
  readonly ingest: (request: IngestRequest) => IngestAnswer;
  readonly otlpHttpUrl: string;
  readonly otlpGrpcUrl: string;
  readonly apiUrl: string;
  /** The receivers' --max-body. */
  readonly maxBody: number;
}

export interface FuzzTarget {
  readonly name: string;
  /** Cases in one CI run. */
  readonly runs: number;
  /** Set while a known bug in code outside this suite's reach makes the target fail: reported, not failing CI. */
  readonly todo?: string;
  run(ctx: FuzzContext, params: RunParameters): Promise<void> | void;
}

export type RunParameters = Pick<fc.Parameters<unknown>, 'numRuns' | 'seed' | 'interruptAfterTimeLimit' | 'markInterruptAsFailure' | 'endOnFailure'>;

// ---- OTLP requests ----------------------------------------------------------------

// The reference encoder stops at 100 nested messages; deep kvlists need more (3 per level).
protobuf.util.recursionLimit = 1000;
protobuf.Reader.recursionLimit = 1000;
const SPAN = root.lookupType('opentelemetry.proto.trace.v1.Span');

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
/** Mostly well-formed ids, sometimes the wrong length or all zeros. */
const id = (n: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: bytesOf(n) }, fc.uint8Array({ maxLength: n + 3 }), fc.constant(new Uint8Array(n))).map(b64);

const SPECIAL = ['', 'service.name', 'http.route', 'tracebox.session', "'; DROP TABLE spans; --", '" OR 1=1 --', '%00', '\u0000', '🚀', 'a'.repeat(300)];
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
);

/** Values around the fuzzed --max-attr-length (ATTRIBUTE_LIMITS), in 2-byte characters. */
const hugeString = fc.integer({ min: 60_000, max: 70_000 }).map((n) => ({ stringValue: 'é'.repeat(n) }));

/** A chain of kvlists `depth` levels deep, around the default nesting limit of 64. */
const deepValue = fc.integer({ min: 1, max: 90 }).map((depth) => {
  let v: Json = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { kvlistValue: { values: [{ key: `l${i}`, value: v }] } } : { arrayValue: { values: [v] } };
  return v;
});

const { value: anyValue, kv: keyValue } = fc.letrec<{ value: Json; kv: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: text }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String) }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 24 }).map(b64) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 4 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('kv'), { maxLength: 4 }) }) }),
    fc.constant({}),
  ),
  kv: fc.record({ key: text, value: tie('value') }, { requiredKeys: ['key'] }),
}));

const attributes: fc.Arbitrary<Json[]> = fc.oneof(
  { weight: 300, arbitrary: fc.array(keyValue, { maxLength: 5 }) },
  { weight: 6, arbitrary: fc.array(fc.record({ key: text, value: deepValue }), { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.tuple(text, hugeString).map(([key, value]) => [{ key, value }]) },
  // Past the default --max-attrs-per-span.
  { weight: 3, arbitrary: fc.integer({ min: 120, max: 200 }).map((n) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }))) },
);

const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const counts = fc.integer({ min: 0, max: 0xffffffff });

const span: fc.Arbitrary<Json> = fc.record(
  {
    traceId: id(16),
    spanId: id(8),
    parentSpanId: id(8),
    traceState: text,
    name: text,
    kind: fc.integer({ min: -2, max: 7 }),
    startTimeUnixNano: nanos,
    endTimeUnixNano: nanos,
    attributes,
    droppedAttributesCount: counts,
    events: fc.array(fc.record({ timeUnixNano: nanos, name: text, attributes, droppedAttributesCount: counts }, { requiredKeys: [] }), { maxLength: 2 }),
    links: fc.array(fc.record({ traceId: id(16), spanId: id(8), traceState: text, attributes, flags: counts }, { requiredKeys: [] }), { maxLength: 1 }),
    status: fc.record({ code: fc.integer({ min: -1, max: 3 }), message: text }, { requiredKeys: [] }),
    flags: counts,
  },
  { requiredKeys: ['traceId', 'spanId'] },
);

/** An ExportTraceServiceRequest as a protobufjs plain object (also valid OTLP/JSON). */
export const otlpRequest: fc.Arbitrary<Json> = fc.record({
  resourceSpans: fc.array(
    fc.record(
      {
        resource: fc.record({ attributes, droppedAttributesCount: counts }, { requiredKeys: [] }),
        scopeSpans: fc.array(
          fc.record(
            { scope: fc.record({ name: text, version: text, attributes }, { requiredKeys: [] }), spans: fc.array(span, { maxLength: 3 }), schemaUrl: text },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
        schemaUrl: text,
      },
      { requiredKeys: [] },
    ),
    { maxLength: 2 },
  ),
});

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'cut'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'dup'; from: number; len: number; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x08) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('dup' as const), from: fc.nat(), len: fc.nat(64), at: fc.nat() }),
);

/** Applies byte-level mutations; positions wrap around the current length. */
function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (at < b.length) b[at] ^= 1 << m.bit;
        break;
      case 'set':
        if (at < b.length) b[at] = m.byte;
        break;
      case 'cut':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'dup': {
        const from = b.length === 0 ? 0 : m.from % b.length;
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + m.len), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

/** Protobuf request bodies: random bytes, valid requests, and valid requests with damage. */
export const protobufBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 3, arbitrary: otlpRequest.map((r) => encodeRequest(r)) },
  { weight: 4, arbitrary: fc.tuple(otlpRequest, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([r, m]) => mutate(encodeRequest(r), m)) },
);

/** Replaces the `pick`-th value in the tree of `doc` (pre-order) by `by`. */
function replaceNth(doc: unknown, pick: number, by: unknown): unknown {
  let n = 0;
  const walk = (v: unknown): unknown => {
    if (n++ === pick) return by;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(doc);
}

const jsonText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** OTLP/JSON request bodies: any JSON, valid requests, requests with a value swapped for junk, damaged text. */
export const jsonBody: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    { weight: 1, arbitrary: fc.jsonValue().map(jsonText) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
    { weight: 3, arbitrary: otlpRequest.map(jsonText) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(otlpRequest, fc.nat(400), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('SPAN_KIND_NOPE', '-1', '1e400', '0x10', 1.5, -1, 2 ** 64, 'NaN', 'Infinity')))
        .map(([r, pick, by]) => jsonText(replaceNth(r, pick, by))),
    },
  )
  .chain((t) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(Buffer.from(t, 'utf8') as Uint8Array) },
      { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((m) => mutate(Buffer.from(t, 'utf8'), m)) },
    ),
  );

/** Calls ingest; it stores (maybe partly) or refuses with a 400, and never throws. */
function ingestOrBadRequest(ingest: FuzzContext['ingest'], body: Uint8Array, format: 'protobuf' | 'json', session?: string): void {
  const answer = ingest({ body, format, session });
  if (answer.ok ? !(answer.result.stored >= 0 && answer.result.rejected >= 0) : answer.status !== 400) throw new Error(`odd answer ${JSON.stringify(answer)}`);
}

// ---- HTTP helpers -----------------------------------------------------------------

async function status(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

function expectStatus(where: string, got: number, allowed: readonly number[]): void {
  if (!allowed.includes(got)) throw new Error(`${where}: HTTP ${got}, expected one of ${allowed.join(', ')}`);
}

let bomb: Buffer | undefined;

// ---- TraceQL ------------------------------------------------------------------------

/** Valid queries to mutate, including the regexes that make backtracking engines hang. */
export const QUERIES = [
  '{ }',
  '{ .http.status_code = 200 }',
  '{ span.http.method = "GET" && duration > 10ms }',
  '{ resource.service.name =~ "api-.*" }',
  '{ name != "x" } | count() > 2',
  '{ .a } >> { .b }',
  '{ .a } ~ { .b } | select(.c)',
  '{ status = error } | select(span.x)',
  '{ kind = server } && { kind = client }',
  '{ .n > 3.5 } | avg(duration) > 1s',
  '{ event:name = "e" }',
  '{ trace:rootService = "s" && trace:duration > 1ms }',
  '{ .a != nil }',
  '({ .a } || { .b }) | by(.c)',
  '{ .x !~ ".*y" }',
  '{ .v = -1 && .w = true }',
  '{ .s = "\\"quoted\\" \\u00e9" }',
  '{ .bait =~ "(a+)+b" }',
  '{ .bait =~ "(a|a)*b" }',
  '{ .bait =~ ".*a.*a.*a.*a.*a.*b" }',
  '{ .bait =~ "(.*a){20}b" }',
  '{ .bait =~ "((a*)*)*b" }',
  '{ .bait !~ "(\\\\w|\\\\d)+!" }',
  `{ .db.statement = "'; DROP TABLE spans; --" }`,
  '{ span.db.statement =~ ".*DROP TABLE.*" }',
  '{ } | rate() by (resource.service.name)',
];

type StrMutation = { at: number; del: number; ins: string };
const QUERY_CHARS = '{}()[]|&=!~<>.,:"\'`\\ -+*/%^abcdeinrstuxyz0123456789\n\t\u00e9';
const queryInsert = fc.string({ unit: fc.constantFrom(...QUERY_CHARS), maxLength: 4 });

function mutateText(s: string, ms: readonly StrMutation[]): string {
  let t = s;
  for (const m of ms) {
    const at = m.at % (t.length + 1);
    t = t.slice(0, at) + m.ins + t.slice(at + m.del);
  }
  return t;
}

export const traceqlQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...QUERIES) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...QUERY_CHARS), maxLength: 40 }) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom(...QUERIES), fc.array(fc.record({ at: fc.nat(), del: fc.nat(3), ins: queryInsert }), { minLength: 1, maxLength: 4 }))
      .map(([q, ms]) => mutateText(q, ms)),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

const REGEX_CHARS = 'ab.()|*+?{}[]^$\\dwsbAzQEpPLx1,-:?<>i';
export const regexPattern: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...REGEX_CHARS), maxLength: 16 }),
  fc.constantFrom('(a+)+b', '(a|a)*b', '(.*a){20}b', '((a*)*)*b', '(a{1000}){1000}', '[[:alpha:]]+', '\\p{Greek}', '(?i)A|b', '\\Qa.b\\E*'),
);

// ---- GET endpoints ------------------------------------------------------------------

const ENDPOINTS = [
  '/api/traces/{id}',
  '/api/v2/traces/{id}',
  '/api/search',
  '/api/search/tags',
  '/api/v2/search/tags',
  '/api/search/tag/{tag}/values',
  '/api/v2/search/tag/{tag}/values',
  '/api/echo',
  '/api/status/buildinfo',
  '/api/spans',
  '/api/spans/trace/{id}',
  '/api/doctor',
  '/api/metrics/query_range',
  '/api/metrics/query',
  '/mcp',
  '/ready',
  '/',
  '/{tag}',
  '/{tag}/{tag}',
];

/** The derived-metrics and Prometheus endpoints (src/metrics, src/promql). */
const METRICS_ENDPOINTS = [
  '/metrics',
  '/api/service-graph',
  '/api/v1/query',
  '/api/v1/query_range',
  '/api/v1/labels',
  '/api/v1/series',
  '/api/v1/label/{tag}/values',
  '/api/v1/query_exemplars',
  '/api/v1/metadata',
];

const PARAM_NAMES = ['q', 'tags', 'limit', 'spss', 'start', 'end', 'scope', 'minDuration', 'maxDuration', 'query', 'step', 'since', 'time', 'match[]', 'session', 'exemplars', 'token'];
const paramValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('0', '-1', '1e309', 'NaN', '9223372036854775808', '2147483648', '1h', '-5m', '', '{}', '%zz', "'; DROP TABLE spans; --", 'up{job=~"(a+)+b"}', 'rate(x[5m])'),
  traceqlQuery,
);
const idSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 40 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('0', '..', '%2e%2e', '..%2f..%2fetc%2fpasswd', "'; DROP TABLE traces; --", 'ffffffffffffffffffffffffffffffffff'),
);

function fillPath(template: string, segments: readonly string[]): string {
  let i = 0;
  return template.replace(/\{(id|tag)\}/g, () => encodeURIComponent(segments[i++ % segments.length] ?? ''));
}

/** Any GET of `endpoints` with any parameters answers below 500. */
function getProperty(ctx: FuzzContext, endpoints: readonly string[]): fc.IAsyncProperty<[string, string[], Array<[string, string]>, string | undefined]> {
  return fc.asyncProperty(
    fc.constantFrom(...endpoints),
    fc.array(idSegment, { minLength: 1, maxLength: 2 }),
    fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAM_NAMES) }, fc.string({ maxLength: 6 })), paramValue), { maxLength: 4 }),
    fc.constantFrom(undefined, 'application/protobuf', 'application/json', '*/*'),
    async (template, segments, query, accept) => {
      const qs = new URLSearchParams(query).toString();
      const url = `${ctx.apiUrl}${fillPath(template, segments)}${qs === '' ? '' : `?${qs}`}`;
      const got = await status(await fetch(url, { headers: accept === undefined ? {} : { Accept: accept } }));
      if (got >= 500) throw new Error(`GET ${url}: HTTP ${got}`);
    },
  );
}

// ---- targets ------------------------------------------------------------------------

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'OTLP protobuf → ingest()',
    runs: 2500,
    run: (ctx, params) => fc.assert(fc.property(protobufBody, fc.option(text), (body, session) => ingestOrBadRequest(ctx.ingest, body, 'protobuf', session ?? undefined)), params),
  },
  {
    name: 'OTLP/JSON → ingest()',
    runs: 2000,
    run: (ctx, params) => fc.assert(fc.property(jsonBody, (body) => ingestOrBadRequest(ctx.ingest, body, 'json')), params),
  },
  {
    name: 'OTLP/HTTP receiver',
    runs: 250,
    run: (ctx, params) =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 3, arbitrary: protobufBody.map((b) => [b, 'application/x-protobuf'] as const) }, { weight: 2, arbitrary: jsonBody.map((b) => [b, 'application/json'] as const) }),
          fc.constantFrom(undefined, undefined, 'gzip', 'deflate', 'identity', 'br', 'bomb'),
          fc.constantFrom('as is', 'as is', 'as is', 'text/plain', 'the other one'),
          async ([body, type], encoding, typeChoice) => {
            const other = type === 'application/json' ? 'application/x-protobuf' : 'application/json';
            const headers: Record<string, string> = { 'Content-Type': typeChoice === 'as is' ? type : typeChoice === 'text/plain' ? typeChoice : other };
            let payload: Uint8Array = body;
            if (encoding === 'gzip') payload = zlib.gzipSync(body);
            else if (encoding === 'deflate') payload = zlib.deflateSync(body);
            else if (encoding === 'bomb') payload = bomb ??= zlib.gzipSync(Buffer.alloc(ctx.maxBody * 4));
            if (encoding !== undefined) headers['Content-Encoding'] = encoding === 'bomb' ? 'gzip' : encoding;
            const res = await fetch(`${ctx.otlpHttpUrl}/v1/traces`, { method: 'POST', body: new Uint8Array(payload), headers });
            expectStatus('POST /v1/traces', await status(res), [200, 400, 413, 415]);
          },
        ),
        params,
      ),
  },
  {
    name: 'OTLP/gRPC receiver',
    runs: 80,
    run: (ctx, params) =>
      fc.assert(
        fc.asyncProperty(protobufBody, fc.boolean(), async (body, gzip) => {
          const { error } = await grpcExport(ctx.otlpGrpcUrl, body, { gzip });
          const allowed = [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED];
          if (error !== undefined && !allowed.includes(error.code)) throw new Error(`Export: ${error.code} ${error.details}`);
        }),
        params,
      ),
  },
  {
    name: 'TraceQL parser',
    runs: 3000,
    run: (_ctx, params) =>
      fc.assert(
        fc.property(traceqlQuery, (q) => {
          try {
            parse(q);
          } catch (err) {
            if (!(err instanceof TraceQLSyntaxError || err instanceof TraceQLValidationError)) throw err;
          }
        }),
        params,
      ),
  },
  {
    name: 'regular expressions',
    runs: 2000,
    run: (_ctx, params) =>
      fc.assert(
        fc.property(regexPattern, fc.string({ unit: fc.constantFrom('a', 'b', '\n', 'é', '1'), maxLength: 30 }), (pattern, input) => {
          const matcher = compileRegex(pattern);
          matcher?.test(input);
          matcher?.test('a'.repeat(3000));
          // A pattern is refused exactly when there is an error to tell (what the validator reports).
          const problem = regexError(pattern);
          if ((matcher === null) !== (problem !== null)) throw new Error(`${JSON.stringify(pattern)}: compiled ${matcher !== null}, error ${problem}`);
        }),
        params,
      ),
  },
  {
    name: 'GET /api/search',
    runs: 200,
    run: (ctx, params) =>
      fc.assert(
        fc.asyncProperty(traceqlQuery, fc.option(paramValue), fc.option(paramValue), async (q, limit, start) => {
          const qs = new URLSearchParams({ q });
          if (limit !== null) qs.set('limit', limit);
          if (start !== null) qs.set('start', start);
          expectStatus(`GET /api/search?${qs}`, await status(await fetch(`${ctx.apiUrl}/api/search?${qs}`)), [200, 400]);
        }),
        params,
      ),
  },
  {
    name: 'GET endpoints with random parameters',
    runs: 400,
    run: (ctx, params) => fc.assert(getProperty(ctx, ENDPOINTS), params),
  },
  {
    name: 'GET metrics endpoints with random parameters',
    runs: 150,
    run: (ctx, params) => fc.assert(getProperty(ctx, METRICS_ENDPOINTS), params),
  },
];

// ---- the environment: a tracebox, a store of its own, reference data ------------------

export interface FuzzEnvironment {
  readonly ctx: FuzzContext;
  /**
   * Waits until exports are admitted again: the synchronous targets hold the event loop
   * (client and server share this process), which the ingest gate reads as overload
   * (503, UNAVAILABLE), and idle keep-alive sockets time out meanwhile.
   */
  settle(): Promise<void>;
  /** Throws unless both stores are intact and the process still serves and stores. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** A reference trace, plus a span whose long values feed the catastrophic regexes. */
function seedRequests(traceId: string): Uint8Array[] {
  const bait = { traceId: b64(Buffer.from(randomTraceId(), 'hex')), spanId: b64(Buffer.from(randomSpanId(), 'hex')), name: 'a'.repeat(5000), attributes: [{ key: 'bait', value: { stringValue: 'a'.repeat(60_000) } }] };
  return [encodeRequest(richRequest(traceId).request), encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [bait] }] }] })];
}

async function post(url: string, body: Uint8Array): Promise<number> {
  return status(await fetch(`${url}/v1/traces`, { method: 'POST', body: new Uint8Array(body), headers: { 'Content-Type': 'application/x-protobuf' } }));
}

async function traceBytes(apiUrl: string, traceId: string): Promise<Buffer> {
  const res = await fetch(`${apiUrl}/api/traces/${traceId}`, { headers: { Accept: 'application/protobuf' } });
  if (res.status !== 200) throw new Error(`GET /api/traces/${traceId}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Limits on, so that the rewriting of spans over them is fuzzed too. */
const ATTRIBUTE_LIMITS = { maxAttrLength: 64 * 1024, maxAttrsPerSpan: DEFAULTS.maxAttrsPerSpan };

/**
 * Starts a file-backed tracebox (so its database can be checked from outside) and an
 * in-memory store for direct ingest, both holding the same reference trace.
 */
export async function startFuzzEnvironment(maxBody: number): Promise<FuzzEnvironment> {
  const dir = tempDir('tracebox-fuzz-');
  const tb = await startTestTracebox({ data: dir.dir, maxBody, ...ATTRIBUTE_LIMITS });
  const store = Store.open();
  const traceId = randomTraceId();
  const ingest = createIngest(store, { limits: ATTRIBUTE_LIMITS });
  for (const body of seedRequests(traceId)) {
    if ((await post(tb.otlpHttpUrl, body)) !== 200) throw new Error('seeding the tracebox failed');
    const answer = ingest({ body, format: 'protobuf' });
    if (!answer.ok || answer.result.stored === 0) throw new Error('seeding the store failed');
  }
  const served = await traceBytes(tb.apiUrl, traceId);
  async function settle(): Promise<void> {
    const until = Date.now() + 10_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if ((await post(tb.otlpHttpUrl, new Uint8Array(0))) === 200 || Date.now() > until) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const direct = encodeTracesData(store.trace(Buffer.from(traceId, 'hex'))!);
  return {
    ctx: { ingest, otlpHttpUrl: tb.otlpHttpUrl, otlpGrpcUrl: tb.otlpGrpcUrl, apiUrl: tb.apiUrl, maxBody },
    settle,
    async check() {
      await settle();
      const ready = await fetch(`${tb.apiUrl}/ready`);
      if ((await status(ready)) !== 200) throw new Error('/ready does not answer 200');
      if (!served.equals(await traceBytes(tb.apiUrl, traceId))) throw new Error('the reference trace changed (served)');
      const integrity = integrityCheck(tb.dbPath!);
      if (integrity !== 'ok') throw new Error(`integrity_check (served): ${integrity}`);
      const probe = randomTraceId();
      const span = { traceId: b64(Buffer.from(probe, 'hex')), spanId: b64(Buffer.from(randomSpanId(), 'hex')), name: 'probe' };
      // 503 is the retryable answer while the gate still sees the event loop as behind.
      let answer = 0;
      for (let attempt = 0; attempt < 20 && answer !== 200; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
        answer = await post(tb.otlpHttpUrl, encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
        if (answer !== 200 && answer !== 503) break;
      }
      if (answer !== 200) throw new Error(`a probe span was refused: HTTP ${answer}`);
      await traceBytes(tb.apiUrl, probe);

      if (!Buffer.from(encodeTracesData(store.trace(Buffer.from(traceId, 'hex'))!)).equals(direct)) throw new Error('the reference trace changed (direct)');
      const directIntegrity = (store.db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0].integrity_check;
      if (directIntegrity !== 'ok') throw new Error(`integrity_check (direct): ${directIntegrity}`);
      readEverything(store);
    },
    async close() {
      await tb.close();
      store.close();
      dir.remove();
    },
  };
}

// ---- after the run: nothing stored was disturbed -------------------------------------

/** `PRAGMA integrity_check` of a database file, read through a connection of its own. */
function integrityCheck(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * Every trace in `store` reads back, encodes to protobuf and JSON, and a search over
 * everything evaluates; returns how many traces there are.
 */
function readEverything(store: Store): number {
  const ids = store.db.prepare('SELECT trace_id FROM traces').pluck().all() as Uint8Array[];
  for (const traceId of ids) {
    const trace = store.trace(traceId);
    if (trace === undefined) throw new Error(`trace ${Buffer.from(traceId).toString('hex')} listed but not readable`);
    tracesDataToJson(encodeTracesData(trace), { ids: 'base64', enums: 'names' });
  }
  const spans = store.db.prepare('SELECT trace_rowid, raw FROM spans').raw(true).all() as Array<[number, Uint8Array]>;
  for (const [traceRowid, raw] of spans) {
    try {
      decodeSpan(raw, { resource: new Map(), service: '', scope: { name: '', version: '', attributes: new Map() } } as unknown as SpanContext);
      // What Grafana does with trace-by-id protobuf: a strict decoder.
      SPAN.decode(raw);
    } catch (err) {
      throw new Error(`a stored span of trace row ${traceRowid} does not decode (${(err as Error).message}): ${Buffer.from(raw).toString('hex')}`);
    }
  }
  createSearch(store)({ root: parse('{ }'), limit: Number.MAX_SAFE_INTEGER, window: {} });
  return ids.length;
}
