import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertTraceSnapshot, checkTraceSnapshot, startTracebox, traceSnapshot, type TestTracebox, type Trace } from '../src/testing/index.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));

describe('trace snapshots', () => {
  let tb: TestTracebox;
  let dir: string;
  const traceFor = async (...args: string[]): Promise<Trace> => {
    const session = tb.session();
    await new Promise((resolve) =>
      spawn(process.execPath, [SERVICE, ...args], { env: { ...process.env, ...session.env(), OTEL_SERVICE_NAME: 'cart' }, stdio: 'inherit' }).on('exit', resolve),
    );
    const [span] = await session.waitForSpans({ kind: 'server' });
    return session.trace(span.traceId);
  };

  before(async () => {
    tb = await startTracebox();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-snap-'));
  });
  after(async () => {
    await tb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a trace is reduced to its tree and allowed attributes; ids and times are dropped', async () => {
    const text = traceSnapshot(await traceFor('--fail'), { attributes: ['http.route', 'db.system'] });
    assert.equal(
      text,
      [
        '# tracebox trace snapshot',
        '- span: "cart: POST /cart [server]"',
        '  status: error',
        '  attributes:',
        '    http.route: /cart',
        '  children:',
        '  - span: "cart: SELECT carts [client]"',
        '    attributes:',
        '      db.system: postgresql',
        '',
      ].join('\n'),
    );
  });

  test('durations, when asked for, are coarse buckets', async () => {
    const trace = await traceFor();
    const text = traceSnapshot(trace, { durations: true });
    assert.match(text, /^ {2}duration: (<1ms|1ms-10ms|10ms-100ms|100ms-1s)$/m);
    const slow = { ...trace, roots: trace.roots.map((r) => ({ ...r, durationMs: 4200, children: [] })) };
    assert.match(traceSnapshot(slow, { durations: true }), /^ {2}duration: 1s-10s$/m);
  });

  test('the first run writes the file, later runs compare, a change shows a diff, update rewrites', async () => {
    const file = path.join(dir, 'checkout.trace.yaml');
    const options = { attributes: ['http.route'] };
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      assertTraceSnapshot(await traceFor(), file, options);
      assert.ok(fs.existsSync(file));
      assertTraceSnapshot(await traceFor(), file, options);
      const changed = checkTraceSnapshot(await traceFor('--route=/basket'), file, options);
      assert.equal(changed.pass, false);
      assert.match(changed.message, /does not match snapshot .*TRACEBOX_UPDATE_SNAPSHOTS=1 rewrites it/);
      assert.match(changed.message, /^- - span: "cart: POST \/cart \[server\]"$/m);
      assert.match(changed.message, /^\+ - span: "cart: POST \/basket \[server\]"$/m);
      assert.match(changed.message, /^- {5}http\.route: \/cart$/m);
      assert.ok(checkTraceSnapshot(await traceFor('--route=/basket'), file, { ...options, update: true }).pass);
      assertTraceSnapshot(await traceFor('--route=/basket'), file, options);
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });

  test('in CI a missing snapshot fails instead of being written', async () => {
    const saved = process.env.CI;
    process.env.CI = 'true';
    try {
      const result = checkTraceSnapshot(await traceFor(), path.join(dir, 'missing.yaml'));
      assert.equal(result.pass, false);
      assert.match(result.message, /is missing \(not written in CI\)/);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
