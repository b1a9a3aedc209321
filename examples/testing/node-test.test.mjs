// tracebox's test API from node:test:  node --test node-test.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertTraceSnapshot, startTracebox } from 'tracebox/testing';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** Runs the instrumented service as a child process with `env` added; resolves with its exit code. */
function runService(env, ...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here('./service.mjs'), ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

let tb;
before(async () => {
  tb = await startTracebox(); // in memory, on free ports
});
after(() => tb.close());

test('a request is traced: server span, database call beneath it', async () => {
  const session = tb.session(); // this test sees only the spans sent with session.env()
  assert.equal(await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' }), 0);

  const [span] = await session.waitForSpans({ service: 'cart', name: 'POST /cart' }, { count: 1, max: 1 });
  assert.equal(span.kind, 'server');
  assert.equal(span.attributes['http.route'], '/cart');
  assert.equal(span.attributes['http.status_code'], 200);

  const trace = await session.trace(span.traceId);
  assertTraceSnapshot(trace, here('./__trace_snapshots__/node-test.cart.yaml'), { attributes: ['http.route', 'db.system'] });
});

test('a failing request, found with TraceQL', async () => {
  const session = tb.session();
  assert.equal(await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' }, '--fail'), 1);

  const [span] = await session.waitForSpans('{ resource.service.name = "cart" && status = error && span.http.status_code = 500 }');
  assert.equal(span.statusMessage, 'cart service unavailable');
  const [db] = await session.waitForSpans('{ span.db.system = "postgresql" }');
  assert.equal(db.parentSpanId, span.spanId);
});
