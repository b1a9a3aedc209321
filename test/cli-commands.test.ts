import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';
import { runCli } from './helpers/cli.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));

describe('tracebox run', () => {
  test('prints a summary and passes a zero exit code through', async () => {
    const out = await runCli(['run', '--', process.execPath, SERVICE, '--route=/ok']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /tracebox: 1 trace\(s\), 2 span\(s\), 0 error\(s\)/);
    assert.match(out.stderr, /POST \/ok {2}[0-9a-f]{32}; most time in /);
    assert.match(out.stderr, /viewer: http:\/\/127\.0\.0\.1:\d+\//);
  });

  test('passes a failing exit code through and counts the errors', async () => {
    const out = await runCli(['run', '--', process.execPath, SERVICE, '--fail']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /1 trace\(s\), 2 span\(s\), 1 error\(s\)/);
    assert.match(out.stderr, /POST \/cart ✗/);
  });

  test('names the service after the command unless OTEL_SERVICE_NAME is set', async () => {
    const out = await runCli(['run', '--', process.execPath, SERVICE], { OTEL_SERVICE_NAME: 'checkout' });
    assert.match(out.stderr, /checkout: POST \/cart/);
  });

  test('a command that cannot start exits 127', async () => {
    const out = await runCli(['run', '--', '/nonexistent/command']);
    assert.equal(out.code, 127);
    assert.match(out.stderr, /cannot run \/nonexistent\/command/);
  });
});

describe('tracebox query and assert against a running tracebox', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTracebox();
    await new Promise((resolve) =>
      spawn(process.execPath, [SERVICE, '--fail'], { env: { ...process.env, ...tb.env(), OTEL_SERVICE_NAME: 'cart' }, stdio: 'inherit' }).on('exit', resolve),
    );
    await tb.waitForSpans('{ }', { count: 2 });
  });
  after(() => tb.close());

  test('query prints a table of matching spans', async () => {
    const out = await runCli(['query', '{ resource.service.name = "cart" }', '--url', tb.apiUrl]);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.match(lines[0], /^TRACE +SPAN +SERVICE +NAME +KIND +STATUS +DURATION +START$/);
    assert.equal(lines.length, 4);
    assert.match(out.stdout, /cart +POST \/cart +server +error/);
    assert.match(out.stdout, /2 span\(s\) in 1 trace\(s\)/);
  });

  test('query --json prints the spans as JSON', async () => {
    const out = await runCli(['query', '{ status = error }', '--json', '--url', tb.apiUrl]);
    const spans = JSON.parse(out.stdout) as Array<{ name: string; status: string; durationNs: string }>;
    assert.deepEqual(spans.map((s) => [s.name, s.status]), [['POST /cart', 'error']]);
    assert.match(spans[0].durationNs, /^\d+$/);
  });

  test('assert passes when spans match', async () => {
    const out = await runCli(['assert', '{ span.db.system = "postgresql" }', '--max', '1', '--url', tb.apiUrl]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^ok: 1 span\(s\) match/);
  });

  test('assert fails with what was found instead', async () => {
    const out = await runCli(['assert', '{ name = "POST /checkout" && status = error }', '--within', '200ms', '--url', tb.apiUrl]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /expected at least 1 matching span\(s\) within 200 ms, found 0/);
    assert.match(out.stderr, /✗ name = "POST \/checkout" {2}— has name = "POST \/cart"/);
    assert.match(out.stderr, /└─ cart: SELECT carts \[client\]/);
  });

  test('assert fails when more spans match than --max allows', async () => {
    const out = await runCli(['assert', '{ }', '--max', '1', '--url', tb.apiUrl]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /expected at most 1 matching span\(s\), found 2/);
  });

  test('a tracebox that is not there is a one-line error', async () => {
    const out = await runCli(['query', '{ }', '--url', 'http://127.0.0.1:1']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /cannot reach tracebox at http:\/\/127\.0\.0\.1:1/);
  });
});
