import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));

function runService(env: Record<string, string>, ...args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVICE, ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('the test API, used as a test would', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTracebox();
  });
  after(() => tb.close());

  test('waits for the spans a child process emits, as typed objects', async () => {
    const session = tb.session();
    const code = await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' });
    assert.equal(code, 0);
    const spans = await session.waitForSpans({ service: 'cart', name: 'POST /cart' }, { timeoutMs: 5000 });
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span.kind, 'server');
    assert.equal(span.status, 'unset');
    assert.equal(span.attributes['http.route'], '/cart');
    assert.equal(span.attributes['http.status_code'], 200);
    assert.equal(typeof span.startTimeNs, 'bigint');
    assert.equal(span.durationNs, span.endTimeNs - span.startTimeNs);
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.equal(span.resource['tracebox.session'], session.sessionId);

    const trace = await session.trace(span.traceId);
    assert.equal(trace.roots.length, 1);
    assert.equal(trace.roots[0].name, 'POST /cart');
    assert.deepEqual(trace.roots[0].children.map((c) => c.name), ['SELECT carts']);
  });

  test('TraceQL queries work as well as filters', async () => {
    const session = tb.session();
    await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' }, '--fail');
    const errors = await session.waitForSpans('{ status = error && span.http.status_code = 500 }');
    assert.equal(errors[0].statusMessage, 'cart service unavailable');
    const traces = await session.traces('{ span.db.system = "postgresql" }');
    assert.equal(traces.length, 1);
  });

  test('sessions do not see each other, and reset clears only its own', async () => {
    const a = tb.session();
    const b = tb.session();
    await runService({ ...a.env(), OTEL_SERVICE_NAME: 'a' });
    await runService({ ...b.env(), OTEL_SERVICE_NAME: 'b' });
    await a.waitForSpans({ service: 'a' });
    await b.waitForSpans({ service: 'b' });
    assert.deepEqual((await a.traces()).map((t) => t.rootServiceName), ['a']);
    await a.reset();
    assert.equal((await a.traces()).length, 0);
    assert.equal((await b.traces()).length, 1);
  });

  test('a wait that times out says what was received instead', async () => {
    const session = tb.session();
    await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' });
    await assert.rejects(
      session.waitForSpans({ service: 'cart', name: 'POST /checkout' }, { timeoutMs: 300 }),
      (err: Error) => {
        assert.match(err.message, /expected at least 1 matching span\(s\) within 300 ms, found 0/);
        assert.match(err.message, /name = "POST \/checkout" {2}— has name = "POST \/cart"/);
        assert.match(err.message, /cart: POST \/cart \[server\]/);
        assert.match(err.message, /└─ cart: SELECT carts \[client\]/);
        return true;
      },
    );
  });

  test('env() keeps the SDK from exporting metrics, which tracebox does not take', () => {
    const env = tb.session().env();
    assert.equal(env.OTEL_METRICS_EXPORTER, 'none');
    assert.equal(env.OTEL_LOGS_EXPORTER, 'otlp');
    assert.equal(env.OTEL_TRACES_EXPORTER, 'otlp');
  });

  test("a session's failed wait says when spans arrived without the session's tag", async () => {
    // Started with the tracebox's env(), not the session's: the spans carry no session tag.
    await runService({ ...tb.env(), OTEL_SERVICE_NAME: 'untagged-cart' });
    await tb.waitForSpans({ service: 'untagged-cart' }, { count: 2 });
    const session = tb.session();
    await assert.rejects(session.waitForSpans({ service: 'untagged-cart' }, { timeoutMs: 200 }), (err: Error) => {
      assert.match(err.message, /found 0/);
      assert.match(err.message, new RegExp(`No spans were received in session ${session.sessionId}, but 2 span\\(s\\) in 1 trace\\(s\\) arrived without a session tag`));
      assert.match(err.message, /session's env\(\)/);
      assert.match(err.message, /untagged-cart: POST \/cart \[server\]/);
      assert.doesNotMatch(err.message, /No spans were received\.$/m);
      return true;
    });
  });

  test('an invalid query is explained before anything is sent', async () => {
    await assert.rejects(tb.session().waitForSpans('{ status = eror }'), (err: Error) => {
      assert.equal(err.message.split('\n')[0], 'invalid TraceQL query: parse error at line 1, col 12: syntax error: unexpected IDENTIFIER');
      assert.match(err.message, /^ {2}\{ status = eror \}\n {13}\^{4}$/m);
      assert.match(err.message, /hint: status is one of error, ok, unset/);
      return true;
    });
  });

  test('POST /api/expect answers any HTTP client', async () => {
    const session = tb.session();
    await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' });
    const res = await fetch(`${tb.apiUrl}/api/expect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ span.db.system = "postgresql" }', min: 1, max: 1, timeoutMs: 3000, session: session.sessionId }),
    });
    const body = (await res.json()) as { ok: boolean; matches: Array<{ name: string }> };
    assert.equal(res.status, 200);
    assert.equal(body.ok, true);
    assert.equal(body.matches[0].name, 'SELECT carts');
    const bad = await fetch(`${tb.apiUrl}/api/expect`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query": "{ .a = }"}' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /invalid TraceQL query: parse error/);
    // A string body is text/plain, which any web page could send: refused, saying what to send.
    const plain = await fetch(`${tb.apiUrl}/api/expect`, { method: 'POST', body: '{"query": "{ }"}' });
    assert.equal(plain.status, 415);
    assert.match(await plain.text(), /send the body as application\/json/);
  });
});
