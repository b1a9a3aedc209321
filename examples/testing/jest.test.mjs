// tracebox's test API from Jest, as native ES modules:
//   NODE_OPTIONS=--experimental-vm-modules npx jest
// (`describe`, `test`, `expect`, … are Jest's globals; `import … from '@jest/globals'` works too.)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTracebox, traceMatchers } from 'tracebox/testing';

expect.extend(traceMatchers); // expect(trace).toMatchTraceSnapshot(file, options)

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
beforeAll(async () => {
  tb = await startTracebox(); // in memory, on free ports
});
afterAll(() => tb.close());

test('a request is traced: server span, database call beneath it', async () => {
  const session = tb.session(); // this test sees only the spans sent with session.env()
  expect(await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' })).toBe(0);

  const [span] = await session.waitForSpans({ service: 'cart', name: 'POST /cart' }, { count: 1, max: 1 });
  expect(span.kind).toBe('server');
  expect(span.attributes).toMatchObject({ 'http.route': '/cart', 'http.status_code': 200 });

  const trace = await session.trace(span.traceId);
  expect(trace).toMatchTraceSnapshot(here('./__trace_snapshots__/jest.cart.yaml'), { attributes: ['http.route', 'db.system'] });
});

test('a failing request, found with TraceQL', async () => {
  const session = tb.session();
  expect(await runService({ ...session.env(), OTEL_SERVICE_NAME: 'cart' }, '--fail')).toBe(1);

  const [span] = await session.waitForSpans('{ resource.service.name = "cart" && status = error && span.http.status_code = 500 }');
  expect(span.statusMessage).toBe('cart service unavailable');
  const [db] = await session.waitForSpans('{ span.db.system = "postgresql" }');
  expect(db.parentSpanId).toBe(span.spanId);
});
