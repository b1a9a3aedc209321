/**
 * Acceptance: Tempo's tag-name and tag-value endpoints (v1 and v2) over real HTTP, on
 * the dataset of dataset.ts plus trace G, three hours later (so that time windows
 * can exclude something). Expected lists are worked out by hand from dataset.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { sendScriptedSpans } from '../helpers/scripted-sdk.ts';
import { getPath, queryString, text } from '../helpers/search.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { at, loadDataset, SPAN_IDS, T, TRACE_IDS } from './dataset.ts';

const G_START = T + 3 * 3600;
const G_TRACE = '7a'.repeat(16);
const G_SPAN = '9900000000000001';

let tb: TestTracebox;

before(async () => {
  tb = await startTestTracebox();
  await loadDataset(tb);
  await sendScriptedSpans(tb, { far: { 'service.name': 'far', region: 'ap-south' } }, [
    {
      key: 'G1', traceId: G_TRACE, spanId: G_SPAN, service: 'far', scope: { name: 'far-lib' }, name: 'far away', kind: SpanKind.SERVER,
      startNs: BigInt(G_START) * 1_000_000_000n, endNs: BigInt(G_START) * 1_000_000_000n + 5_000_000n, attributes: { 'far.attr': 'x' },
    },
  ]);
});
after(() => tb?.close());

async function getJson(path: string): Promise<Record<string, unknown>> {
  const a = await getPath(tb.apiUrl, path);
  assert.equal(a.status, 200, `GET ${path} → ${a.status} ${text(a)}`);
  assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
  return JSON.parse(text(a)) as Record<string, unknown>;
}

async function expect400(path: string, want: string): Promise<void> {
  const a = await getPath(tb.apiUrl, path);
  assert.equal(a.status, 400, `GET ${path} → ${a.status} ${text(a)}`);
  assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(text(a), want);
}

const SPAN_TAGS = [
  'app/tier', 'db.rows', 'db.system', 'far.attr', 'flags', 'http.method', 'http.route', 'http.status_code', 'http.url', 'item.ids',
  'items', 'job.enabled', 'messaging.system', 'payment.amount', 'payment.approved', 'peer.service', 'queue.depth', 'ratio', 'tier',
  'user agent', 'weights',
];
const RESOURCE_TAGS = ['deployment.environment', 'host.cpus', 'region', 'service.name', 'tier'];
const EVENT_TAGS = ['attempt', 'exception.message', 'exception.type'];
const LINK_TAGS = ['link.kind'];
const INSTRUMENTATION_TAGS = ['scope.attr'];
/** Tempo 2.7.2's list under scope `intrinsic`. */
const INTRINSICS = [
  'duration', 'event:name', 'event:timeSinceStart', 'instrumentation:name', 'instrumentation:version', 'kind', 'name', 'rootName',
  'rootServiceName', 'span:duration', 'span:kind', 'span:name', 'span:status', 'span:statusMessage', 'status', 'statusMessage',
  'trace:duration', 'trace:rootName', 'trace:rootService', 'traceDuration',
];
const ALL_ATTRIBUTE_TAGS = [...new Set([...SPAN_TAGS, ...RESOURCE_TAGS, ...EVENT_TAGS, ...LINK_TAGS, ...INSTRUMENTATION_TAGS])].sort();

type Scopes = Array<{ name: string; tags: string[] }>;

function scopesOf(body: Record<string, unknown>): Scopes {
  return ((body.scopes as Scopes | undefined) ?? []).slice().sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Windows (unix s) holding only trace E (T+500 s) and only trace G (T+3 h). */
const E_ONLY = { start: T + 450, end: T + 550 };
const G_ONLY = { start: G_START - 60, end: G_START + 60 };
/** Holds only trace C (T+300 s, checkout spans, C2 with http.status_code). */
const C_ONLY = { start: T + 250, end: T + 350 };

// --------------------------------------------------------------------------- tag names

describe('GET /api/search/tags (v1)', () => {
  test('without scope: attribute keys of every scope, sorted, unscoped, de-duplicated, no intrinsics', async () => {
    assert.deepStrictEqual(await getJson('/api/search/tags'), { tagNames: ALL_ATTRIBUTE_TAGS, metrics: {} });
    assert.deepStrictEqual((await getJson('/api/search/tags?scope=none')).tagNames, ALL_ATTRIBUTE_TAGS);
  });

  test('each scope on its own', async () => {
    const names = async (scope: string): Promise<unknown> => (await getJson(`/api/search/tags?scope=${scope}`)).tagNames;
    assert.deepStrictEqual(await names('span'), SPAN_TAGS);
    assert.deepStrictEqual(await names('resource'), RESOURCE_TAGS);
    assert.deepStrictEqual(await names('event'), EVENT_TAGS);
    assert.deepStrictEqual(await names('link'), LINK_TAGS);
    assert.deepStrictEqual(await names('instrumentation'), INSTRUMENTATION_TAGS);
    assert.deepStrictEqual(await names('intrinsic'), INTRINSICS);
  });

  test('limit keeps the first names', async () => {
    assert.deepStrictEqual((await getJson('/api/search/tags?limit=3')).tagNames, ALL_ATTRIBUTE_TAGS.slice(0, 3));
    // 0 means no limit.
    assert.deepStrictEqual((await getJson('/api/search/tags?limit=0')).tagNames, ALL_ATTRIBUTE_TAGS);
  });

  test('start/end: only keys seen around the window', async () => {
    assert.deepStrictEqual((await getJson(`/api/search/tags${queryString(G_ONLY)}`)).tagNames, ['far.attr', 'region', 'service.name']);
    const e = (await getJson(`/api/search/tags${queryString(E_ONLY)}`)).tagNames as string[];
    for (const k of ['flags', 'job.enabled', 'weights', 'service.name', 'tier']) assert.ok(e.includes(k), `${k} is seen in trace E`);
    for (const k of ['far.attr', 'region']) assert.ok(!e.includes(k), `${k} is only seen three hours later`);
  });

  test('start/end: keys of every span inside the window are listed (trace C: checkout spans)', async () => {
    const c = (await getJson(`/api/search/tags${queryString(C_ONLY)}`)).tagNames as string[];
    const missing = ['http.status_code', 'service.name', 'deployment.environment', 'host.cpus'].filter((k) => !c.includes(k));
    assert.deepStrictEqual(
      missing,
      [],
      'keys of trace C (span C2 http.status_code; resource checkout) are missing from the window that holds C: the tag ' +
        'dictionary stamps resource attributes with the time of the first span of an export batch, and skips rewriting a ' +
        'value seen less than 5 minutes earlier, so its time range can miss spans inside the window',
    );
  });

  test('bad scope → 400', () => expect400('/api/search/tags?scope=spans', 'invalid scope: spans'));
  test('bad window → 400', () => expect400(`/api/search/tags?start=${T}`, `http parameter start must be before end. received start=${T} end=0`));
});

describe('GET /api/v2/search/tags', () => {
  test('without scope: every attribute scope that has keys, plus intrinsic', async () => {
    const body = await getJson('/api/v2/search/tags');
    assert.deepStrictEqual(scopesOf(body), [
      { name: 'event', tags: EVENT_TAGS },
      { name: 'instrumentation', tags: INSTRUMENTATION_TAGS },
      { name: 'intrinsic', tags: INTRINSICS },
      { name: 'link', tags: LINK_TAGS },
      { name: 'resource', tags: RESOURCE_TAGS },
      { name: 'span', tags: SPAN_TAGS },
    ]);
    assert.deepStrictEqual(scopesOf(await getJson('/api/v2/search/tags?scope=none')), scopesOf(body));
  });

  test('one scope', async () => {
    assert.deepStrictEqual(scopesOf(await getJson('/api/v2/search/tags?scope=span')), [{ name: 'span', tags: SPAN_TAGS }]);
    assert.deepStrictEqual(scopesOf(await getJson('/api/v2/search/tags?scope=resource')), [{ name: 'resource', tags: RESOURCE_TAGS }]);
    assert.deepStrictEqual(scopesOf(await getJson('/api/v2/search/tags?scope=intrinsic')), [{ name: 'intrinsic', tags: INTRINSICS }]);
  });

  test('limit applies per scope', async () => {
    const scopes = scopesOf(await getJson('/api/v2/search/tags?limit=2'));
    assert.deepStrictEqual(scopes, [
      { name: 'event', tags: EVENT_TAGS.slice(0, 2) },
      { name: 'instrumentation', tags: INSTRUMENTATION_TAGS },
      { name: 'intrinsic', tags: INTRINSICS.slice(0, 2) },
      { name: 'link', tags: LINK_TAGS },
      { name: 'resource', tags: RESOURCE_TAGS.slice(0, 2) },
      { name: 'span', tags: SPAN_TAGS.slice(0, 2) },
    ]);
  });

  test('start/end', async () => {
    assert.deepStrictEqual(scopesOf(await getJson(`/api/v2/search/tags${queryString(G_ONLY)}`)), [
      { name: 'intrinsic', tags: INTRINSICS },
      { name: 'resource', tags: ['region', 'service.name'] },
      { name: 'span', tags: ['far.attr'] },
    ]);
  });

  test('bad scope → 400', () => expect400('/api/v2/search/tags?scope=trace', 'invalid scope: trace'));
});

// --------------------------------------------------------------------------- tag values v1

describe('GET /api/search/tag/<tag>/values (v1)', () => {
  const values = async (path: string): Promise<unknown> => {
    const body = await getJson(path);
    return body.tagValues;
  };

  const cases: ReadonlyArray<readonly [string, string[]]> = [
    // Unscoped keys read span and resource attributes; values of any type as text, sorted.
    ['service.name', ['batch', 'checkout', 'far', 'frontend', 'legacy', 'postgres']],
    ['http.status_code', ['200', '404', '500']],
    ['host.cpus', ['4', '8']],
    ['tier', ['bronze', 'gold', 'silver']],
    ['items', ['apple', 'pear']],
    ['flags', ['false', 'true']],
    ['payment.amount', ['99.5']],
    ['weights', ['0.25', '0.75']],
    // Special names.
    ['status.code', ['error', 'ok', 'unset']],
    ['rootServiceName', ['batch', 'checkout', 'far', 'frontend', 'legacy']],
    ['root.service.name', ['batch', 'checkout', 'far', 'frontend', 'legacy']],
    ['rootName', ['GET /cart', 'GET /health', 'consume order', 'far away', 'legacy op', 'tick']],
    ['root.name', ['GET /cart', 'GET /health', 'consume order', 'far away', 'legacy op', 'tick']],
    [
      'name',
      [
        'GET /cart', 'GET /health', 'INSERT order', 'POST /checkout', 'SELECT cart', 'SELECT price', 'call checkout', 'check db',
        'consume order', 'far away', 'late child', 'late grandchild', 'legacy child', 'legacy op', 'orphan work', 'publish receipt', 'tick',
      ],
    ],
    // trace:id values print as search prints trace ids (no leading zeros).
    ['trace:id', [G_TRACE, TRACE_IDS.A, TRACE_IDS.B, TRACE_IDS.C, TRACE_IDS.D, 'e5e5e5e5e5e5e5', TRACE_IDS.F]],
    ['span:id', [...Object.values(SPAN_IDS), G_SPAN].sort()],
    ['no.such.key', []],
  ];
  for (const [tag, want] of cases) test(tag, async () => assert.deepStrictEqual(await values(`/api/search/tag/${tag}/values`), want));

  test('the path segment is decoded twice; + is a space', async () => {
    assert.deepStrictEqual(await values('/api/search/tag/user+agent/values'), ['curl/8.0']);
    assert.deepStrictEqual(await values('/api/search/tag/user%2520agent/values'), ['curl/8.0']);
    assert.deepStrictEqual(await values('/api/search/tag/app%252Ftier/values'), ['backend']);
    assert.deepStrictEqual(await values('/api/search/tag/app%2Ftier/values'), ['backend']);
    assert.deepStrictEqual(await values(`/api/search/tag/${encodeURIComponent(encodeURIComponent('app/tier'))}/values`), ['backend']);
  });

  test('limit, start/end and q', async () => {
    assert.deepStrictEqual(await values('/api/search/tag/service.name/values?limit=2'), ['batch', 'checkout']);
    assert.deepStrictEqual(await values(`/api/search/tag/service.name/values${queryString(G_ONLY)}`), ['far']);
    const q = queryString({ q: '{ resource.service.name = "checkout" }' });
    assert.deepStrictEqual(await values(`/api/search/tag/http.method/values${q}`), ['POST']);
  });

  test('bad escapes and windows → 400', async () => {
    await expect400('/api/search/tag/%25zz/values', 'error in unescaping tagName');
    await expect400(`/api/search/tag/service.name/values?start=${T}&end=${T}`, `http parameter start must be before end. received start=${T} end=${T}`);
  });
});

// --------------------------------------------------------------------------- tag values v2

describe('GET /api/v2/search/tag/<tag>/values', () => {
  type Typed = Array<{ type: string; value: string }>;
  const values = async (path: string): Promise<Typed> => (await getJson(path)).tagValues as Typed;
  const strings = (...v: string[]): Typed => v.map((value) => ({ type: 'string', value }));
  const ints = (...v: string[]): Typed => v.map((value) => ({ type: 'int', value }));
  const keywords = (...v: string[]): Typed => v.map((value) => ({ type: 'keyword', value }));

  const cases: ReadonlyArray<readonly [string, Typed]> = [
    ['resource.service.name', strings('batch', 'checkout', 'far', 'frontend', 'legacy', 'postgres')],
    ['.service.name', strings('batch', 'checkout', 'far', 'frontend', 'legacy', 'postgres')],
    ['span.service.name', []],
    ['span.http.method', strings('GET', 'POST')],
    ['resource.host.cpus', ints('4', '8')],
    ['span.item.ids', ints('3', '7')],
    ['span.payment.amount', [{ type: 'float', value: '99.5' }]],
    ['span.weights', [{ type: 'float', value: '0.25' }, { type: 'float', value: '0.75' }]],
    ['span.ratio', [{ type: 'float', value: '0.5' }]],
    ['span.payment.approved', [{ type: 'bool', value: 'false' }]],
    ['span.flags', [{ type: 'bool', value: 'false' }, { type: 'bool', value: 'true' }]],
    ['span.items', strings('apple', 'pear')],
    ['.tier', strings('bronze', 'gold', 'silver')],
    ['resource.tier', strings('bronze', 'gold')],
    ['event.exception.type', strings('CardError')],
    ['event.attempt', ints('2')],
    ['link.link.kind', strings('follows')],
    ['instrumentation.scope.attr', strings('lib-x')],
    // Intrinsics read from the spans.
    ['name', strings('GET /cart', 'GET /health', 'INSERT order', 'POST /checkout', 'SELECT cart', 'SELECT price', 'call checkout',
      'check db', 'consume order', 'far away', 'late child', 'late grandchild', 'legacy child', 'legacy op', 'orphan work',
      'publish receipt', 'tick')],
    ['rootServiceName', strings('batch', 'checkout', 'far', 'frontend', 'legacy')],
    ['trace:rootService', strings('batch', 'checkout', 'far', 'frontend', 'legacy')],
    ['trace:rootName', strings('GET /cart', 'GET /health', 'consume order', 'far away', 'legacy op', 'tick')],
    ['event:name', strings('exception', 'retry')],
    ['instrumentation:name', strings('co-lib', 'cron', 'far-lib', 'fe-http', 'kafka-js', 'legacy-lib', 'pg-instr')],
    ['instrumentation:version', strings('0.9.1', '1.0.0', '1.2.0', '2.0.0', '3.1')],
    ['link:spanID', strings(SPAN_IDS.B1)],
    ['trace:id', strings(G_TRACE, TRACE_IDS.A, TRACE_IDS.B, TRACE_IDS.C, TRACE_IDS.D, 'e5e5e5e5e5e5e5', TRACE_IDS.F)],
    // Keyword lists, no data read.
    ['status', keywords('error', 'ok', 'unset')],
    ['span:status', keywords('error', 'ok', 'unset')],
    ['kind', keywords('client', 'consumer', 'internal', 'producer', 'server', 'unspecified')],
    ['span:kind', keywords('client', 'consumer', 'internal', 'producer', 'server', 'unspecified')],
    ['duration', []],
    ['span:duration', []],
    ['traceDuration', []],
  ];
  for (const [tag, want] of cases) {
    test(tag, async () => assert.deepStrictEqual(await values(`/api/v2/search/tag/${encodeURIComponent(encodeURIComponent(tag))}/values`), want));
  }

  test('int attribute values are typed int (F1 sends 200.0 as a double; listing it as float 200 too is allowed)', async () => {
    const got = await values('/api/v2/search/tag/span.http.status_code/values');
    assert.deepStrictEqual(got.filter((v) => !(v.type === 'float' && v.value === '200')), ints('200', '404', '500'));
  });

  test('statusMessage lists the messages set', async () => {
    const got = (await values('/api/v2/search/tag/statusMessage/values')).filter((v) => v.value !== '');
    assert.deepStrictEqual(got, strings('card declined', 'deadlock'));
  });

  test('the path segment is decoded twice (Grafana encodes it twice); + is a space', async () => {
    // encodeURIComponent(encodeURIComponent('span."user agent"'))
    assert.deepStrictEqual(await values('/api/v2/search/tag/span.%2522user%2520agent%2522/values'), strings('curl/8.0'));
    assert.deepStrictEqual(await values('/api/v2/search/tag/span.%22user+agent%22/values'), strings('curl/8.0'));
    assert.deepStrictEqual(await values('/api/v2/search/tag/span.app%252Ftier/values'), strings('backend'));
    assert.deepStrictEqual(await values('/api/v2/search/tag/span.app%2Ftier/values'), strings('backend'));
  });

  test('limit and start/end', async () => {
    assert.deepStrictEqual(await values('/api/v2/search/tag/resource.service.name/values?limit=2'), strings('batch', 'checkout'));
    assert.deepStrictEqual(await values(`/api/v2/search/tag/resource.service.name/values${queryString(G_ONLY)}`), strings('far'));
    const e = await values(`/api/v2/search/tag/resource.service.name/values${queryString(E_ONLY)}`);
    assert.ok(e.some((v) => v.value === 'batch'), 'batch is seen in trace E');
    assert.ok(!e.some((v) => v.value === 'far'), 'far is only seen three hours later');
    assert.deepStrictEqual(await values(`/api/v2/search/tag/name/values${queryString(G_ONLY)}`), strings('far away'));
  });

  test('start/end: values of spans inside the window are listed (trace C: checkout)', async () => {
    const c = await values(`/api/v2/search/tag/resource.service.name/values${queryString(C_ONLY)}`);
    assert.ok(
      c.some((v) => v.value === 'checkout'),
      `resource.service.name values for the window holding only trace C lack "checkout" (got ${JSON.stringify(c)}): the tag ` +
        'dictionary stamps resource attributes with the time of the first span of an export batch and does not rewrite a ' +
        'value seen less than 5 minutes earlier',
    );
  });

  describe('q: the simple matchers of one { … } filter the spans values are read from', () => {
    const filtered = (tag: string, q: string): Promise<Typed> =>
      values(`/api/v2/search/tag/${encodeURIComponent(encodeURIComponent(tag))}/values${queryString({ q })}`);
    const cases: ReadonlyArray<readonly [string, string, Typed]> = [
      ['span.http.method', '{ resource.service.name = "checkout" }', strings('POST')],
      ['resource.service.name', '{ status = error }', strings('checkout', 'legacy', 'postgres')],
      ['resource.service.name', '{ resource.service.name != "checkout" }', strings('batch', 'far', 'frontend', 'legacy', 'postgres')],
      ['resource.service.name', '{ span.db.system =~ "post.*" }', strings('checkout', 'postgres')],
      // Conditions hold on the same span.
      ['span.http.status_code', '{ resource.service.name = "frontend" && span.http.method = "GET" }', ints('200')],
      ['name', '{ kind = client && duration > 100ms }', strings('INSERT order', 'call checkout')],
      ['event:name', '{ kind = server }', strings('exception', 'retry')],
      // Incomplete input while typing: the unfinished matcher is dropped.
      ['span.http.method', '{ resource.service.name = "checkout" && span.http.method = }', strings('POST')],
      ['resource.service.name', '{ resource.service.name = "" }', strings('batch', 'checkout', 'far', 'frontend', 'legacy', 'postgres')],
      ['span.http.method', '{ resource.service.name = "checkout" && span.http.method = "" }', strings('POST')],
      // The filter names the tag itself: nothing.
      ['resource.service.name', '{ resource.service.name = "checkout" }', []],
      ['span.http.method', '{ span.http.method = "GET" && kind = server }', []],
      ['status', '{ status = error }', []],
      // Not a single {…} of && matchers: unfiltered.
      ['span.http.method', '{ resource.service.name = "checkout" || kind = server }', strings('GET', 'POST')],
      ['span.db.system', '{ resource.service.name = "postgres" } && { }', strings('postgresql', 'redis')],
      ['span.db.system', '{}', strings('postgresql', 'redis')],
    ];
    for (const [tag, q, want] of cases) test(`${tag} with q=${q}`, async () => assert.deepStrictEqual(await filtered(tag, q), want));
  });

  describe('invalid tag names → 400', () => {
    const invalid = (tag: string): string => `please provide a valid tagName: tag name is not valid intrinsic or scoped attribute: ${tag}`;
    for (const tag of ['http.method', 'foo', 'parent.foo', 'span.', 'span.a = 1', '{ span.a }']) {
      test(JSON.stringify(tag), () => expect400(`/api/v2/search/tag/${encodeURIComponent(encodeURIComponent(tag))}/values`, invalid(tag)));
    }
    test('a segment that cannot be unescaped', () => expect400('/api/v2/search/tag/%25zz/values', 'error in unescaping tagName'));
    test('a bad window', () =>
      expect400(`/api/v2/search/tag/status/values?start=${T * 1000}&end=${T * 1000 + 1}`, `invalid start: ${T * 1000} is outside the times tracebox can hold (unix seconds from -9223372036 to 9223372036, years 1677 to 2262); start is in seconds, not milliseconds`));
  });
});

test('the dataset times used here', () => {
  // Guards the hand-worked windows above against edits of dataset.ts.
  assert.equal(at('C', 0), BigInt(T + 300) * 1_000_000_000n);
  assert.equal(at('E', 0), BigInt(T + 500) * 1_000_000_000n);
});
