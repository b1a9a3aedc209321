/**
 * No answer claims to be whole when its search was cut short. A tracebox whose searches
 * have no time at all (--search-timeout 0: each stops after its first trace) shows it:
 * `/api/search` reports the job incomplete, `/api/expect` and `tracebox assert` refuse to
 * pass a `max`, session deletes go on until the session is gone, MCP says "partial".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { JSON_TYPE, postTraces } from '../helpers/http.ts';
import { runCli } from '../helpers/cli.ts';
import { getPath, text } from '../helpers/search.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';

const TRACES = 30;

/** `traces` one-span traces of service `svc`, every one an error, in one OTLP/JSON request. */
function errorTraces(traces: number, session?: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: traces }, (_, i) => ({
    traceId: randomTraceId(),
    spanId: randomSpanId(),
    name: `op ${i}`,
    kind: 2,
    startTimeUnixNano: String(now - BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(now - BigInt(i) * 1_000_000n + 500_000n),
    status: { code: 2 },
  }));
  const attributes = [{ key: 'service.name', value: { stringValue: 'svc' } }];
  if (session !== undefined) attributes.push({ key: 'tracebox.session', value: { stringValue: session } });
  return JSON.stringify({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });
}

async function store(tb: TestTracebox, body: string): Promise<void> {
  const a = await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE });
  assert.equal(a.status, 200, text(a));
}

async function expectCall(tb: TestTracebox, body: Record<string, unknown>): Promise<{ ok: boolean; complete: boolean; count: number; message: string }> {
  const res = await fetch(`${tb.apiUrl}/api/expect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return (await res.json()) as { ok: boolean; complete: boolean; count: number; message: string };
}

describe('a search cut short by its budget', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox({ searchTimeoutMs: 0, allowReset: true });
    await store(tb, errorTraces(TRACES));
  });
  after(() => tb?.close());

  test('/api/search says the job did not complete, and why', async () => {
    const a = await getPath(tb.apiUrl, `/api/search?q=${encodeURIComponent('{ status = error }')}&limit=1000`);
    assert.equal(a.status, 200, text(a));
    const body = JSON.parse(text(a)) as { traces: unknown[]; metrics: Record<string, unknown> };
    assert.ok(body.traces.length < TRACES, `found ${body.traces.length} of ${TRACES}`);
    assert.equal(body.metrics.totalJobs, 1);
    assert.equal(body.metrics.completedJobs, 0);
    assert.equal(a.headers.get('x-tracebox-incomplete'), 'budget');
  });

  test('/api/expect with a max never passes on it: it says it could not tell', async () => {
    const r = await expectCall(tb, { query: '{ status = error }', max: 1, timeoutMs: 0 });
    assert.equal(r.ok, false);
    assert.equal(r.complete, false);
    assert.match(r.message, /could not tell: the search ran out of time/);
    // `max: 0` alone (no min) is the CI gate "no errors": it must not pass either.
    const none = await expectCall(tb, { query: '{ status = error }', max: 0, timeoutMs: 0 });
    assert.equal(none.ok, false);
    assert.equal(none.complete, false);
  });

  test('tracebox assert --max exits 1 and says the search was incomplete', async () => {
    const exit = await runCli(['assert', '{ status = error }', '--max', '0', '--url', tb.apiUrl]);
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /could not tell: the search ran out of time/);
    assert.match(exit.stderr, /incomplete/);
  });

  test('a session delete goes on until every trace of the session is gone', async () => {
    const session = 'doomed';
    await store(tb, errorTraces(12, session));
    const res = await fetch(`${tb.apiUrl}/api/traces?session=${session}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { deletedTraces: 12, deletedSpans: 12, deletedLogs: 0 });
  });

  test('MCP search_traces and list_services say the answer is partial', async () => {
    const client = new Client({ name: 'tracebox-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${tb.apiUrl}/mcp`)));
    try {
      const found = await client.callTool({ name: 'search_traces', arguments: { query: '{ status = error }', limit: 100 } });
      assert.equal((found.structuredContent as { complete: boolean }).complete, false);
      assert.match((found.content as Array<{ text: string }>)[0].text, /The answer is partial: the search ran out of time/);
      const services = await client.callTool({ name: 'list_services', arguments: {} });
      assert.equal((services.structuredContent as { truncated: boolean }).truncated, true);
      assert.match((services.content as Array<{ text: string }>)[0].text, /partial: the search ran out of time/);
    } finally {
      await client.close();
    }
  });
});

describe('the same searches with time to finish', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox();
    await store(tb, errorTraces(TRACES));
  });
  after(() => tb?.close());

  test('are complete, and assert --max 0 fails on the error spans, passes on none', async () => {
    const a = await getPath(tb.apiUrl, `/api/search?q=${encodeURIComponent('{ status = error }')}&limit=1000`);
    const body = JSON.parse(text(a)) as { traces: unknown[]; metrics: Record<string, unknown> };
    assert.equal(body.traces.length, TRACES);
    assert.equal(body.metrics.completedJobs, 1);
    assert.equal(a.headers.get('x-tracebox-incomplete'), null);
    const errors = await runCli(['assert', '{ status = error }', '--max', '0', '--url', tb.apiUrl]);
    assert.equal(errors.code, 1, errors.stderr);
    assert.match(errors.stderr, /expected at most 0 matching span\(s\), found 30/);
    const none = await runCli(['assert', '{ status = error && name = "nothing" }', '--max', '0', '--url', tb.apiUrl]);
    assert.equal(none.code, 0, none.stderr);
  });
});
