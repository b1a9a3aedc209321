/**
 * Acceptance: the requests Grafana's Tempo data source sends when you test the data
 * source, open Explore, type in the TraceQL editor (tag and value autocompletion), use
 * the search builder, run a search and open a trace all succeed, and the answers carry
 * the fields Grafana reads, in the types it reads them as.
 *
 * Request shapes follow grafana/grafana public/app/plugins/datasource/tempo
 * (datasource.ts, language_provider.ts, traceql/autocomplete.ts, resultTransformer.ts)
 * and pkg/tsdb/tempo (trace.go): browser requests go through the data source proxy,
 * which forwards path and query unchanged; query strings are built by
 * urlUtil.serializeParams (encodeURIComponent of each key and value, in insertion
 * order); tag names in paths are encodeURIComponent'ed twice; the trace view is
 * fetched by the Grafana backend with `Accept: application/protobuf`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Answer } from '../helpers/http.ts';
import { decodePlain, TraceByIDResponse, TracesData } from '../helpers/proto.ts';
import { getPath, spanSetsOf, text, type SearchBody, type SearchTrace } from '../helpers/search.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { spansOf, type Json } from '../helpers/tempo-json.ts';
import { loadDataset, SEARCH_IDS, SPAN_IDS, T, TRACE_IDS } from './dataset.ts';

let tb: TestTracebox;

before(async () => {
  tb = await startTestTracebox();
  await loadDataset(tb);
});
after(() => tb?.close());

/** What Grafana's backendSrv (browser fetch through the data source proxy) sends along. */
const BROWSER = { Accept: 'application/json, text/plain, */*', 'X-Grafana-Org-Id': '1' };
/** Grafana's default tag limit (jsonData.tagLimit unset). */
const TAGS_LIMIT = 5000;
/** The Explore time range the user picked: it holds the whole dataset. */
const RANGE = { from: T, to: T + 3600 };

/** urlUtil.serializeParams: `k=v` with encodeURIComponent on both, in insertion order, joined by &. */
function serializeParams(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** TempoDatasource._request: `${url}${apiUrl}?${serializeParams(data)}` (no `?` when empty). */
function requestPath(apiUrl: string, data: Record<string, string | number | undefined> = {}): string {
  const params = serializeParams(data);
  return `${apiUrl}${params.length ? `?${params}` : ''}`;
}

/** TempoLanguageProvider.encodeTag. */
function encodeTag(tag: string): string {
  return encodeURIComponent(encodeURIComponent(tag));
}

async function browserJson(path: string): Promise<Record<string, unknown>> {
  const a = await getPath(tb.apiUrl, path, BROWSER);
  assert.equal(a.status, 200, `GET ${path} → ${a.status} ${text(a)}`);
  assert.match(a.headers.get('content-type') ?? '', /^application\/json/, `content type of ${path}`);
  return JSON.parse(text(a)) as Record<string, unknown>;
}

// --------------------------------------------------------------------------- data source

describe('data source set-up', () => {
  test('Save & test: GET /api/echo answers 2xx', async () => {
    const a = await getPath(tb.apiUrl, '/api/echo', {});
    assert.equal(a.status, 200);
    assert.equal(text(a), 'echo\n');
  });

  test('init: GET /api/status/buildinfo has a semver version ≥ 2.2.0 (features are gated on it)', async () => {
    const body = await browserJson('/api/status/buildinfo');
    assert.deepStrictEqual(Object.keys(body).sort(), ['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(body.version));
    assert.ok(m, `version ${String(body.version)} is semver`);
    const [major, minor] = [Number(m[1]), Number(m[2])];
    assert.ok(major > 2 || (major === 2 && minor >= 2), `version ${String(body.version)} ≥ 2.2.0`);
  });
});

// --------------------------------------------------------------------------- tags for the editor

interface Scope {
  name: string;
  tags: string[];
}

/** SearchTraceQLEditor/utils: getIntrinsicTags / getTagsByScope / getUnscopedTags. */
function intrinsicTags(scopes: Scope[]): string[] {
  return scopes.filter((s) => s.name === 'intrinsic').flatMap((s) => s.tags);
}
function tagsByScope(scopes: Scope[], scope: string): string[] {
  return scopes.filter((s) => s.name === scope).flatMap((s) => s.tags);
}
function unscopedTags(scopes: Scope[]): string[] {
  return [...new Set(scopes.filter((s) => s.name !== 'intrinsic').flatMap((s) => s.tags))];
}

describe('opening Explore: the language provider fetches tag names', () => {
  function checkScopes(body: Record<string, unknown>): Scope[] {
    assert.ok(Array.isArray(body.scopes), 'scopes is an array');
    const scopes = body.scopes as Scope[];
    for (const s of scopes) {
      assert.equal(typeof s.name, 'string');
      assert.ok(Array.isArray(s.tags) && s.tags.every((t) => typeof t === 'string' && t !== ''), `tags of ${s.name}`);
    }
    for (const i of ['name', 'status', 'duration', 'kind', 'rootServiceName', 'rootName', 'traceDuration', 'statusMessage']) {
      assert.ok(intrinsicTags(scopes).includes(i), `intrinsic ${i}`);
    }
    assert.ok(tagsByScope(scopes, 'resource').includes('service.name'));
    assert.ok(tagsByScope(scopes, 'span').includes('http.method'));
    assert.ok(unscopedTags(scopes).includes('deployment.environment'));
    return scopes;
  }

  test('GET /api/v2/search/tags?limit=5000', async () => {
    checkScopes(await browserJson(requestPath('/api/v2/search/tags', { limit: TAGS_LIMIT })));
  });

  test('with "time range for tags" configured: limit, start, end', async () => {
    checkScopes(await browserJson(requestPath('/api/v2/search/tags', { limit: TAGS_LIMIT, start: RANGE.from, end: RANGE.to })));
  });

  test('older Grafana: no parameters; v1 fallback answers tagNames', async () => {
    checkScopes(await browserJson(requestPath('/api/v2/search/tags')));
    const v1 = await browserJson(requestPath('/api/search/tags'));
    assert.ok(Array.isArray(v1.tagNames) && (v1.tagNames as string[]).includes('service.name'));
  });

  test('ad hoc filter keys (getTagKeys) are built as "<scope>.<tag>" except intrinsics, and each is a valid v2 tag name', async () => {
    const scopes = checkScopes(await browserJson(requestPath('/api/v2/search/tags', { limit: TAGS_LIMIT })));
    const keys = scopes.flatMap(({ name, tags }) => tags.map((t) => (name !== 'intrinsic' ? `${name}.${t}` : t)));
    assert.ok(keys.includes('resource.service.name') && keys.includes('span.http.method') && keys.includes('status'));
    for (const key of keys) {
      const a = await getPath(tb.apiUrl, requestPath(`/api/v2/search/tag/${encodeTag(key)}/values`, { limit: TAGS_LIMIT }), BROWSER);
      // Keys with spaces (span.user agent) are not TraceQL identifiers; Tempo answers 400 for them too.
      if (/\s/.test(key)) assert.equal(a.status, 400, key);
      else assert.equal(a.status, 200, `${key}: ${text(a)}`);
    }
  });
});

// --------------------------------------------------------------------------- value autocompletion

interface TagValue {
  type: string;
  value?: string;
}

/** TempoLanguageProvider.getOptionsV2 → the options the editor offers (values with a non-empty value). */
async function optionsV2(tag: string, query?: string, range?: { start: number; end: number }): Promise<TagValue[]> {
  const params: Record<string, string | number | undefined> = { limit: TAGS_LIMIT };
  if (query) params.q = query;
  if (range) {
    params.start = range.start;
    params.end = range.end;
  }
  const body = await browserJson(requestPath(`/api/v2/search/tag/${encodeTag(tag)}/values`, params));
  assert.ok(Array.isArray(body.tagValues), 'tagValues is an array');
  const values = body.tagValues as TagValue[];
  for (const v of values) {
    assert.equal(typeof v.type, 'string');
    assert.ok(['string', 'int', 'float', 'bool', 'duration', 'keyword'].includes(v.type), `type ${v.type}`);
  }
  return values.filter((v) => v.value);
}

/** CompletionProvider: what would be inserted for each option (strings quoted unless typed between quotes). */
function insertions(values: TagValue[]): string[] {
  return values.map((v) => (v.type === 'string' ? `"${v.value}"` : String(v.value)));
}

describe('typing in the TraceQL editor: value autocompletion', () => {
  test('{ resource.service.name = |', async () => {
    const v = await optionsV2('resource.service.name', '{ resource.service.name = }');
    assert.deepStrictEqual(insertions(v), ['"batch"', '"checkout"', '"frontend"', '"legacy"', '"postgres"']);
  });

  test('{ resource.service.name = "|"  (a typed quote, closed by the editor)', async () => {
    const v = await optionsV2('resource.service.name', '{ resource.service.name = "" }');
    assert.deepStrictEqual(
      v.map((x) => x.value),
      ['batch', 'checkout', 'frontend', 'legacy', 'postgres'],
    );
  });

  test('{ resource.service.name = "checkout" && span.http.method = |  (values narrowed by the rest of the query)', async () => {
    const v = await optionsV2('span.http.method', '{ resource.service.name = "checkout" && span.http.method = }');
    assert.deepStrictEqual(insertions(v), ['"POST"']);
  });

  test('{ status = |  and  { kind = |  (keywords, inserted bare)', async () => {
    assert.deepStrictEqual(insertions(await optionsV2('status', '{ status = }')), ['error', 'ok', 'unset']);
    assert.deepStrictEqual(insertions(await optionsV2('kind', '{ kind = }')), ['client', 'consumer', 'internal', 'producer', 'server', 'unspecified']);
  });

  test('{ span.http.status_code = |  (ints, inserted bare)', async () => {
    const v = await optionsV2('span.http.status_code', '{ span.http.status_code = }');
    assert.deepStrictEqual(
      insertions(v.filter((x) => x.type === 'int')),
      ['200', '404', '500'],
    );
  });

  test('{ name = |  and  { .deployment.environment = |', async () => {
    const names = insertions(await optionsV2('name', '{ name = }'));
    assert.ok(names.includes('"GET /cart"') && names.includes('"tick"') && names.length === 16, JSON.stringify(names));
    assert.deepStrictEqual(insertions(await optionsV2('.deployment.environment', '{ .deployment.environment = }')), ['"prod"', '"staging"']);
  });

  test('with "time range for tags" configured', async () => {
    const v = await optionsV2('resource.service.name', '{ resource.service.name = }', { start: RANGE.from, end: RANGE.to });
    assert.ok(insertions(v).includes('"checkout"'));
  });

  test('older Grafana: no limit, no q; v1 fallback with a plain list', async () => {
    const a = await browserJson(`/api/v2/search/tag/${encodeTag('resource.service.name')}/values`);
    assert.deepStrictEqual(
      (a.tagValues as TagValue[]).map((v) => v.value),
      ['batch', 'checkout', 'frontend', 'legacy', 'postgres'],
    );
    const b = await browserJson(`/api/search/tag/${encodeTag('service.name')}/values`);
    assert.deepStrictEqual(b.tagValues, ['batch', 'checkout', 'frontend', 'legacy', 'postgres']);
  });
});

describe('search builder (the default "Search" tab)', () => {
  test('static filters fetch their values with the query built from the other filters', async () => {
    // No other filter set: generateQueryFromFilters([]) is "{}".
    const services = await optionsV2('resource.service.name', '{}');
    assert.ok(insertions(services).includes('"checkout"'));
    // Service chosen: the span name field is narrowed by it.
    const names = await optionsV2('name', '{resource.service.name="checkout"}');
    assert.deepStrictEqual(
      names.map((v) => v.value),
      ['POST /checkout', 'SELECT cart', 'SELECT price', 'consume order', 'late child', 'late grandchild', 'publish receipt'],
    );
    assert.deepStrictEqual(insertions(await optionsV2('status', '{resource.service.name="checkout"}')), ['error', 'ok', 'unset']);
  });
});

// --------------------------------------------------------------------------- running a search

/** handleTraceQlQuery: GET /api/search with q, limit, spss, start, end (DEFAULT_LIMIT 20, DEFAULT_SPSS 3). */
async function runSearch(q: string, extra: { limit?: number; spss?: number } = {}): Promise<SearchTrace[]> {
  const path = requestPath('/api/search', { q, limit: extra.limit ?? 20, spss: extra.spss ?? 3, start: RANGE.from, end: RANGE.to });
  const body = (await browserJson(path)) as SearchBody;
  const traces = body.traces ?? [];
  for (const t of traces) checkTrace(t);
  return traces;
}

/** The fields createTableFrameFromTraceQlQuery / traceSubFrame / transformSpanToTraceData read. */
function checkTrace(t: SearchTrace): void {
  assert.match(t.traceID, /^[0-9a-f]+$/);
  assert.ok(!t.traceID.startsWith('0'), 'traceID without leading zeros');
  assert.equal(typeof t.startTimeUnixNano, 'string');
  assert.ok(Number.isFinite(parseInt(t.startTimeUnixNano, 10) / 1000000), 'startTimeUnixNano parses');
  assert.equal(typeof t.rootServiceName, 'string');
  if (t.rootTraceName !== undefined) assert.equal(typeof t.rootTraceName, 'string');
  if (t.durationMs !== undefined) assert.ok(Number.isInteger(t.durationMs) && t.durationMs > 0);
  assert.ok(Array.isArray(t.spanSets), 'spanSets');
  for (const set of spanSetsOf(t)) {
    assert.ok(Array.isArray(set.spans));
    assert.equal(typeof set.matched, 'number');
    for (const a of set.attributes ?? []) checkAttribute(a);
    for (const s of set.spans) {
      assert.match(s.spanID, /^[0-9a-f]{16}$/);
      assert.ok(Number.isFinite(parseInt(s.startTimeUnixNano, 10) / 1000000), 'span startTimeUnixNano parses');
      assert.ok(Number.isInteger(parseInt(s.durationNanos, 10)), 'durationNanos parses');
      for (const a of s.attributes ?? []) checkAttribute(a);
    }
  }
}

function checkAttribute(a: { key: string; value: Record<string, unknown> }): void {
  assert.equal(typeof a.key, 'string');
  const keys = Object.keys(a.value);
  assert.equal(keys.length, 1, `one value member in ${JSON.stringify(a)}`);
  assert.ok(['stringValue', 'intValue', 'doubleValue', 'boolValue', 'arrayValue'].includes(keys[0]), `value member ${keys[0]}`);
}

/** The "Traces" table rows Grafana shows. */
function rows(traces: SearchTrace[]): Array<{ traceID: string; service: string; name: string; duration: string }> {
  return traces.map((t) => ({
    traceID: t.traceID,
    service: t.rootServiceName || '',
    name: t.rootTraceName || '',
    duration: t.durationMs ? String(t.durationMs) : '<1ms',
  }));
}

describe('running a search', () => {
  test('a TraceQL editor query', async () => {
    const traces = await runSearch('{ resource.service.name = "checkout" && status = error }');
    assert.deepStrictEqual(rows(traces), [{ traceID: SEARCH_IDS.A, service: 'frontend', name: 'GET /cart', duration: '500' }]);
    const [span] = spanSetsOf(traces[0])[0].spans;
    assert.equal(span.spanID, SPAN_IDS.A3);
    const attrs = Object.fromEntries((span.attributes ?? []).map((a) => [a.key, a.value]));
    assert.deepStrictEqual(attrs, { 'service.name': { stringValue: 'checkout' }, status: { stringValue: 'error' } });
  });

  test('search builder queries (no spaces, as generateQueryFromFilters writes them)', async () => {
    let traces = await runSearch('{resource.service.name="checkout" && name="SELECT cart"}');
    assert.deepStrictEqual(rows(traces).map((r) => r.traceID), [SEARCH_IDS.A]);
    traces = await runSearch('{duration>300ms && duration<1s}');
    assert.deepStrictEqual(rows(traces).map((r) => r.traceID), [SEARCH_IDS.A]);
    traces = await runSearch('{status=error}');
    assert.deepStrictEqual(rows(traces).map((r) => r.traceID), [SEARCH_IDS.F, SEARCH_IDS.B, SEARCH_IDS.A]);
    traces = await runSearch('{}');
    assert.deepStrictEqual(rows(traces), [
      { traceID: SEARCH_IDS.F, service: 'legacy', name: 'legacy op', duration: '1500' },
      { traceID: SEARCH_IDS.E, service: 'batch', name: 'tick', duration: '<1ms' },
      { traceID: SEARCH_IDS.D, service: 'frontend', name: 'GET /health', duration: '2' },
      { traceID: SEARCH_IDS.C, service: '<root span not yet received>', name: '', duration: '40' },
      { traceID: SEARCH_IDS.B, service: 'checkout', name: 'consume order', duration: '250' },
      { traceID: SEARCH_IDS.A, service: 'frontend', name: 'GET /cart', duration: '500' },
    ]);
    // spss 3: at most three spans per spanset, matched counts all.
    const a = spanSetsOf(traces[5])[0];
    assert.equal(a.spans.length, 3);
    assert.equal(a.matched, 5);
  });

  test('"Spans" table with by(): spanset attributes become columns', async () => {
    const traces = await runSearch('{ kind = client } | by(resource.service.name)');
    const a = traces.find((t) => t.traceID === SEARCH_IDS.A)!;
    const labels = spanSetsOf(a).map((s) => (s.attributes ?? []).find((x) => x.key === 'by(resource.service.name)')?.value.stringValue).sort();
    assert.deepStrictEqual(labels, ['checkout', 'frontend']);
  });

  test('limit from the query options', async () => {
    const traces = await runSearch('{}', { limit: 2 });
    assert.deepStrictEqual(traces.map((t) => t.traceID), [SEARCH_IDS.F, SEARCH_IDS.E]);
  });

  test('nothing found, and a bad query (Grafana shows the text)', async () => {
    assert.deepStrictEqual(await runSearch('{ resource.service.name = "nope" }'), []);
    const a = await getPath(tb.apiUrl, requestPath('/api/search', { q: '{ status = "error" }', limit: 20, spss: 3, start: RANGE.from, end: RANGE.to }), BROWSER);
    assert.equal(a.status, 400);
    assert.match(text(a), /^invalid TraceQL query: /);
  });
});

// --------------------------------------------------------------------------- trace view

/** pkg/tsdb/tempo: GET <url>/api/v2/traces/<id>[?start&end] with Accept: application/protobuf (then v1 on 404). */
async function backendTrace(api: 'v1' | 'v2', id: string, range?: { start: number; end: number }): Promise<Answer> {
  const base = api === 'v2' ? `/api/v2/traces/${id}` : `/api/traces/${id}`;
  return getPath(tb.apiUrl, range ? `${base}?start=${range.start}&end=${range.end}` : base, { Accept: 'application/protobuf' });
}

function spanIdsOf(trace: Json): string[] {
  return spansOf(trace as { resourceSpans?: Json[] }).map((s) => Buffer.from(String(s.spanId), 'base64').toString('hex')).sort();
}

describe('opening a trace from the results', () => {
  test('v2 by the traceID search printed (leading zeros stripped), protobuf TraceByIDResponse', async () => {
    const a = await backendTrace('v2', SEARCH_IDS.E);
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'application/protobuf');
    const decoded = decodePlain(TraceByIDResponse, a.body);
    assert.deepStrictEqual(spanIdsOf(decoded.trace as Json), [SPAN_IDS.E1]);
    const [span] = spansOf(decoded.trace as { resourceSpans?: Json[] });
    assert.equal(Buffer.from(String(span.traceId), 'base64').toString('hex'), TRACE_IDS.E);
  });

  test('v2 with "time shift for trace ID queries": start/end (s) around the range', async () => {
    const a = await backendTrace('v2', SEARCH_IDS.A, { start: RANGE.from - 1800, end: RANGE.to + 1800 });
    assert.equal(a.status, 200);
    assert.deepStrictEqual(spanIdsOf(decodePlain(TraceByIDResponse, a.body).trace as Json), [
      SPAN_IDS.A1, SPAN_IDS.A2, SPAN_IDS.A3, SPAN_IDS.A4, SPAN_IDS.A5,
    ]);
  });

  test('v1 (older Grafana, or the retry after a v2 404) decodes as OTLP TracesData', async () => {
    const a = await backendTrace('v1', SEARCH_IDS.D);
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'application/protobuf');
    assert.deepStrictEqual(spanIdsOf(decodePlain(TracesData, a.body)), [SPAN_IDS.D1, SPAN_IDS.D2, SPAN_IDS.D3]);
  });

  test('an unknown trace: v2 is empty (or 404), v1 is 404', async () => {
    const unknown = '0123456789abcdef0123456789abcdef';
    const v2 = await backendTrace('v2', unknown);
    if (v2.status === 200) assert.deepStrictEqual(spansOf((decodePlain(TraceByIDResponse, v2.body).trace ?? {}) as Json), []);
    else assert.equal(v2.status, 404);
    assert.equal((await backendTrace('v1', unknown)).status, 404);
  });
});
