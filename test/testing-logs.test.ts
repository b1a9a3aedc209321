/**
 * The test API's log records, used as a test would: a child process's OpenTelemetry SDK
 * (traces and logs, configured by `session.env()` alone) sends records; `waitForLogs`
 * waits for them by body text, severity, service, attributes, trace and span, with counts
 * and a max that must hold; `logs()` lists them; sessions keep tests apart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/log-service.mjs', import.meta.url));

function runService(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVICE], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('log records in the test API', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTracebox();
  });
  after(() => tb.close());

  test('env() sends logs to tracebox and keeps metrics off', () => {
    const env = tb.session().env();
    assert.equal(env.OTEL_LOGS_EXPORTER, 'otlp');
    assert.equal(env.OTEL_METRICS_EXPORTER, 'none');
  });

  test("waits for a child process's records by text, severity, attribute, trace and span", async () => {
    const session = tb.session();
    assert.equal(await runService({ ...session.env(), OTEL_SERVICE_NAME: 'pay' }), 0);
    const [error] = await session.waitForLogs({ body: 'payment declined', severity: 'ERROR', service: 'pay' }, { timeoutMs: 5000 });
    assert.equal(error.body, 'payment declined for order 42');
    assert.equal(error.severityText, 'ERROR');
    assert.equal(error.attributes['order.id'], '42');
    assert.equal(error.resource['tracebox.session'], session.sessionId);
    const [span] = await session.waitForSpans({ service: 'pay', name: 'POST /pay' });
    assert.equal(error.traceId, span.traceId);
    assert.equal(error.spanId, span.spanId);
    // Part of a word matches too: the body contains the text.
    assert.equal((await session.waitForLogs({ body: 'eclined for ord' })).length, 1);
    assert.deepEqual((await session.waitForLogs({ spanId: span.spanId }, { count: 2 })).map((r) => r.severityText), ['INFO', 'ERROR']);
    assert.equal((await session.waitForLogs({ traceId: span.traceId, attributes: { 'cart.items': 3 } })).length, 1);
    assert.equal((await session.waitForLogs({ service: 'pay' }, { count: 3, max: 3 })).length, 3);
    assert.equal((await session.waitForLogs({ maxSeverity: 'WARN' }, { count: 2, max: 2 })).length, 2);
    // Nothing of another severity: max 0 holds.
    assert.deepEqual(await session.waitForLogs({ severity: 'FATAL' }, { count: 0, max: 0, timeoutMs: 200 }), []);
  });

  test('a max that does not hold, and a wait that times out, say what was found', async () => {
    const session = tb.session();
    await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' });
    await session.waitForLogs({ service: 'cart' }, { count: 3 });
    await assert.rejects(session.waitForLogs({ service: 'cart' }, { max: 1, timeoutMs: 300 }), (err: Error) => {
      assert.match(err.message, /^log records with service "cart": expected at most 1 matching log record\(s\), found 3\./);
      return true;
    });
    await assert.rejects(session.waitForLogs({ body: 'refund issued' }, { timeoutMs: 300 }), (err: Error) => {
      assert.match(err.message, /expected at least 1 matching log record\(s\) within 300 ms, found 0/);
      assert.match(err.message, new RegExp(`Newest records of session ${session.sessionId}:`));
      assert.match(err.message, /cart: ERROR payment declined for order 42 \(trace [0-9a-f]{32} span [0-9a-f]{16}\)/);
      return true;
    });
  });

  test('sessions keep their records apart; logs() lists newest first', async () => {
    const a = tb.session();
    const b = tb.session();
    await Promise.all([runService({ ...a.env(), OTEL_SERVICE_NAME: 'shop' }), runService({ ...b.env(), OTEL_SERVICE_NAME: 'shop' })]);
    assert.equal((await a.waitForLogs({ service: 'shop' }, { count: 3, max: 3 })).length, 3);
    assert.equal((await b.waitForLogs({ service: 'shop' }, { count: 3, max: 3 })).length, 3);
    const listed = await a.logs({ service: 'shop' });
    assert.equal(listed.length, 3);
    assert.ok(listed.every((r) => r.resource['tracebox.session'] === a.sessionId));
    assert.deepEqual((await a.logs({ body: 'declined for' })).map((r) => r.body), ['payment declined for order 42']);
    assert.deepEqual((await a.logs({ severity: 'WARN' }, { limit: 1 })).length, 1);
  });

  test('an expectation with a bad field is refused with the reason', async () => {
    const res = await fetch(`${tb.apiUrl}/api/expect/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ severity: 'LOUD' }) });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /invalid severity: "LOUD"/);
  });
});
