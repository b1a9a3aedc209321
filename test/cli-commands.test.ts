import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';
import { REPO, runCli } from './helpers/cli.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));
const LOG_SERVICE = fileURLToPath(new URL('./fixtures/log-service.mjs', import.meta.url));

/**
 * Each argument list run through the command line's dispatcher in one child process
 * (a child per command would take long on a busy machine): what each wrote to standard
 * output, and its exit code.
 */
async function dispatchAll(argvs: string[][]): Promise<Array<{ code: number; stdout: string }>> {
  const MARK = '\u0000END ';
  const script = `
    import { runCli } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'src/commands/index.ts')).href)};
    for (const argv of ${JSON.stringify(argvs)}) {
      const code = await runCli(argv);
      process.stdout.write(${JSON.stringify(MARK)} + code + '\\n');
    }`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
  });
  const parts = out.split(MARK).slice(0, -1);
  const codes = out.split(MARK).slice(1).map((p) => Number(p.split('\n')[0]));
  return parts.map((stdout, i) => ({ code: codes[i], stdout: i === 0 ? stdout : stdout.slice(stdout.indexOf('\n') + 1) }));
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('help, and mistakes on the command line', () => {
  const COMMANDS = ['serve', 'run', 'query', 'assert', 'import', 'export', 'runs', 'diff', 'doctor'];

  test('tracebox --help lists every command with one line, then the server options', async () => {
    const out = await runCli(['--help']);
    assert.equal(out.code, 0, out.stderr);
    for (const name of COMMANDS) assert.match(out.stdout, new RegExp(`^  ${name} +\\S.{20,}$`, 'm'), name);
    assert.match(out.stdout, /tracebox <command> --help/);
    assert.match(out.stdout, /--otlp-http-port PORT/);
    assert.equal((await runCli(['help'])).stdout, out.stdout);
  });

  test('tracebox <command> --help shows that command\'s usage, for every command', async () => {
    // `tracebox run --help` on its own is run below: its "--help" used to be run as a command.
    const outs = await dispatchAll(COMMANDS.flatMap((name) => [[name, '--help'], ['help', name]]));
    COMMANDS.forEach((name, i) => {
      const [own, viaHelp] = [outs[2 * i], outs[2 * i + 1]];
      assert.equal(own.code, 0, name);
      assert.match(own.stdout, name === 'serve' ? /^Usage: tracebox \[options\]/ : new RegExp(`^Usage: tracebox ${name} `), name);
      if (name !== 'serve' && name !== 'run') assert.match(own.stdout, /--auth-token TOKEN/, name);
      assert.deepEqual(viaHelp, own, `help ${name}`);
    });
    assert.match(outs[2].stdout, /--otlp-http-port PORT/);
  });

  test('a misspelled command gets a suggestion, printed once', async () => {
    const out = await runCli(['qeury', '{ }']);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /^tracebox: unknown command "qeury"; did you mean "query"\?\nRun tracebox --help for the commands\.\n$/);
    const far = await runCli(['frobnicate']);
    assert.equal(far.code, 2);
    assert.match(far.stderr, /^tracebox: unknown command "frobnicate"\n/);
  });

  test('an invalid query is shown decoded, with the place marked and the valid values', async () => {
    const out = await runCli(['query', '{ status = eror }', '--url', 'http://127.0.0.1:1']);
    assert.equal(out.code, 1);
    assert.equal((out.stderr.match(/tracebox:/g) ?? []).length, 1, out.stderr);
    assert.match(out.stderr, /^tracebox: invalid TraceQL query: parse error at line 1, col 12: syntax error: unexpected IDENTIFIER$/m);
    assert.match(out.stderr, /^ {2}\{ status = eror \}$/m);
    assert.match(out.stderr, /hint: status is one of error, ok, unset/);
    assert.doesNotMatch(out.stderr, /%7B|%20/);
  });
});

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

  test('"most time in" is self time: the request less its database call', async () => {
    // POST /cart lasts 100 ms, its SELECT 10–30 ms: 80 ms of the request's own time.
    const out = await runCli(['run', '--', process.execPath, SERVICE, '--timed'], { OTEL_SERVICE_NAME: 'cart' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /100 ms {2}cart: POST \/cart {2}[0-9a-f]{32}; most time in cart: POST \/cart \(80\.0 ms self\)/);
  });

  test('the summary lists the error messages of failed spans', async () => {
    const out = await runCli(['run', '--', process.execPath, SERVICE, '--fail'], { OTEL_SERVICE_NAME: 'cart' });
    assert.match(out.stderr, /^errors:\n {2}cart: POST \/cart: cart service unavailable {2}\(trace [0-9a-f]{32}\)$/m);
  });

  test('the summary lists the log records of severity ERROR or above, with their trace and span', async () => {
    const out = await runCli(['run', '--', process.execPath, LOG_SERVICE], { OTEL_SERVICE_NAME: 'pay' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /^error logs \(1\):\n {2}ERROR pay: payment declined for order 42 {2}\(trace [0-9a-f]{32}, span [0-9a-f]{16}\)$/m);
    assert.doesNotMatch(out.stderr, /slow start|cart loaded/);
  });

  test('tracebox assert --logs counts log records by body, severity, service and attribute', async () => {
    const tb = await startTracebox();
    try {
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [LOG_SERVICE], { env: { ...process.env, ...tb.env(), OTEL_SERVICE_NAME: 'pay' }, stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', (c) => resolve(c ?? -1));
      });
      assert.equal(code, 0);
      await tb.waitForLogs({ service: 'pay' }, { count: 3 });
      const [ok, none, tooMany] = await dispatchAll([
        ['assert', '--logs', '--body', 'payment declined', '--severity', 'error', '--service', 'pay', '--attr', 'order.id=42', '--url', tb.apiUrl],
        ['assert', '--logs', '--severity', 'FATAL', '--max', '0', '--url', tb.apiUrl],
        ['assert', '--logs', '--service', 'pay', '--max', '2', '--url', tb.apiUrl],
      ]);
      const bad = await runCli(['assert', '--logs', '{ }', '--url', tb.apiUrl]);
      assert.deepEqual([ok.code, ok.stdout], [0, 'ok: 1 log record(s) match\n']);
      assert.deepEqual([none.code, none.stdout], [0, 'ok: 0 log record(s) match\n']);
      assert.equal(tooMany.code, 1);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /with --logs, no TraceQL query/);
    } finally {
      await tb.close();
    }
  });

  test('flags before the command need no "--", and the receivers\' ports can be set', async () => {
    const [http, grpc] = [await freePort(), await freePort()];
    const out = await runCli(['run', '--otlp-http-port', String(http), `--otlp-grpc-port=${grpc}`, process.execPath, SERVICE], { OTEL_SERVICE_NAME: 'cart' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /1 trace\(s\), 2 span\(s\)/);
    const help = await runCli(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tracebox run /);
    const bad = await runCli(['run', '--otlp-http-port', 'x', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--otlp-http-port: expected a port number/);
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

describe('client commands against a tracebox started with --auth-token', () => {
  const TOKEN = 'sesame-123';
  let tb: TestTracebox;
  let dir: string;
  before(async () => {
    tb = await startTracebox({ authToken: TOKEN });
    // env() carries the token to the exporter.
    await new Promise((resolve) =>
      spawn(process.execPath, [SERVICE], { env: { ...process.env, ...tb.env(), OTEL_SERVICE_NAME: 'locked' }, stdio: 'inherit' }).on('exit', resolve),
    );
    await tb.waitForSpans('{ }', { count: 2 });
    dir = os.tmpdir();
  });
  after(() => tb.close());

  test('without the token: 401, said once, with how to give it', async () => {
    const out = await runCli(['query', '{ }', '--url', tb.apiUrl]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^tracebox: the query \{ \} failed: 401 unauthorized/);
    assert.match(out.stderr, /Give the token with --auth-token TOKEN or TRACEBOX_AUTH_TOKEN/);
    assert.equal((out.stderr.match(/tracebox:/g) ?? []).length, 1, out.stderr);
  });

  test("tracebox query '{ }' --auth-token T, and with TRACEBOX_AUTH_TOKEN=T", async () => {
    const flag = await runCli(['query', '{ }', '--url', tb.apiUrl, '--auth-token', TOKEN]);
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(flag.stdout, /locked +POST \/cart/);
    const env = await runCli(['query', '{ }', '--url', tb.apiUrl], { TRACEBOX_AUTH_TOKEN: TOKEN });
    assert.equal(env.code, 0, env.stderr);
    assert.equal(env.stdout, flag.stdout);
  });

  test('assert, export, import and doctor take the token too', async () => {
    const env = { TRACEBOX_AUTH_TOKEN: TOKEN };
    const asserted = await runCli(['assert', '{ resource.service.name = "locked" }', '--url', tb.apiUrl, '--auth-token', TOKEN]);
    assert.equal(asserted.code, 0, asserted.stderr);
    const exported = await runCli(['export', '{ }', '--url', tb.apiUrl], env);
    assert.equal(exported.code, 0, exported.stderr);
    const file = path.join(dir, `tracebox-auth-${process.pid}.json`);
    await writeFile(file, exported.stdout);
    const imported = await runCli(['import', file, '--url', tb.apiUrl, '--auth-token', TOKEN]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /1 trace\(s\), 2 span\(s\)/);
    const doctor = await runCli(['doctor', '--url', tb.apiUrl], env);
    assert.doesNotMatch(doctor.stderr, /401|unauthorized/);
    assert.match(doctor.stdout, /Last \d+ request\(s\) on /);
    const refused = await runCli(['assert', '{ }', '--url', tb.apiUrl, '--auth-token', 'wrong']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401/);
  });
});
