/**
 * Long searches: search.run() gives way between slices, stops when its signal fires
 * (the HTTP client went away) or its budget is spent, and never holds a SQLite
 * statement open while it waits, so ingest goes on meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIngest } from '../../src/otlp/index.ts';
import { createSearch } from '../../src/query/index.ts';
import { Store } from '../../src/store/index.ts';
import { parse } from '../../src/traceql/index.ts';
import { b64, encodeRequest } from '../helpers/requests.ts';
import { randomSpanId, randomTraceId, startTestTracebox } from '../helpers/tracebox.ts';

const TRACES = 400;
let store: Store;

/** Each span name costs this regex milliseconds (names are not pushed down): the whole search, seconds. */
const SLOW = parse('{ name =~ "(.*a){40}b" }');
const slowSpans = (): object[] => Array.from({ length: TRACES }, () => ({ traceId: b64(randomTraceId()), spanId: b64(randomSpanId()), name: 'a'.repeat(2000) }));

before(() => {
  store = Store.open();
  const ingest = createIngest(store);
  ingest({ body: encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: slowSpans() }] }] }), format: 'protobuf' });
});

after(() => store.close());

test('an aborted search stops at its next slice', async () => {
  const search = createSearch(store);
  const controller = new AbortController();
  const running = search.run({ root: SLOW, limit: 20, window: {}, budgetMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  const result = await running;
  assert.equal(result.stopped, 'aborted');
  assert.ok(result.inspectedTraces < TRACES, `looked at ${result.inspectedTraces} of ${TRACES} traces`);
});

test('while a long search runs, ingest and other requests go on', async () => {
  const search = createSearch(store);
  const controller = new AbortController();
  const running = search.run({ root: SLOW, limit: 20, window: {}, budgetMs: 60_000, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 40));
  // A write on the same connection: refused if the search still held a statement open.
  const ingest = createIngest(store);
  const answer = ingest({ body: encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(randomTraceId()), spanId: b64(randomSpanId()), name: 'meanwhile' }] }] }] }), format: 'protobuf' });
  assert.equal(answer.ok && answer.result.stored, 1);
  controller.abort();
  assert.equal((await running).stopped, 'aborted');
});

test('the budget ends a search with what it found', async () => {
  const search = createSearch(store);
  const result = await search.run({ root: SLOW, limit: 20, window: {}, budgetMs: 50 });
  assert.equal(result.stopped, 'budget');
  assert.ok(result.inspectedTraces < TRACES);
  assert.equal(search({ root: SLOW, limit: 20, window: {}, budgetMs: 50 }).stopped, 'budget');
});

test('a search that finishes has not stopped', async () => {
  const result = await createSearch(store).run({ root: parse('{ name =~ "a+" }'), limit: 5, window: {} });
  assert.equal(result.hits.length, 5);
  assert.equal(result.stopped, undefined);
});

test('over HTTP: a client that goes away stops its search; the server keeps serving', async () => {
  const tb = await startTestTracebox();
  try {
    const post = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', body: new Uint8Array(encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: slowSpans() }] }] })), headers: { 'Content-Type': 'application/x-protobuf' } });
    assert.equal(post.status, 200);
    const controller = new AbortController();
    const q = new URLSearchParams({ q: '{ name =~ "(.*a){40}b" }' });
    const gone = fetch(`${tb.apiUrl}/api/search?${q}`, { signal: controller.signal }).catch((err: Error) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Other requests are answered while it runs.
    assert.equal((await fetch(`${tb.apiUrl}/ready`)).status, 200);
    controller.abort();
    assert.equal(((await gone) as Error).name, 'AbortError');
    assert.equal((await fetch(`${tb.apiUrl}/api/search?${new URLSearchParams({ q: '{ name =~ "a+" }', limit: '1' })}`)).status, 200);
  } finally {
    await tb.close();
  }
});
