/**
 * Acceptance: spans survive a restart on the same data directory, through the library
 * and through the real `tracebox` command; the command's flags, exit codes and messages.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO, runCli, startCli } from './helpers/cli.ts';
import { grpcExport } from './helpers/grpc.ts';
import { get, getTraceJson, getTraceProtobuf, JSON_TYPE, postTraces } from './helpers/http.ts';
import { decodePlain, ExportTraceServiceResponse, TempoTrace, TracesData } from './helpers/proto.ts';
import { b64, encodeRequest, kv, richRequest, toOtlpJson } from './helpers/requests.ts';
import { spansOf, type Json } from './helpers/tempo-json.ts';
import { freePort, holdPort, randomSpanId, randomTraceId, startTestTracebox, tempDir } from './helpers/tracebox.ts';

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

interface Endpoints {
  readonly otlpHttpUrl: string;
  readonly otlpGrpcUrl: string;
  readonly apiUrl: string;
}

interface Snapshot {
  readonly traceIds: string[];
  readonly protobuf: Buffer[];
  readonly json: string[];
}

/** Sends one trace over each transport and returns what the API answers for them. */
async function sendTraces(tb: Endpoints): Promise<Json[]> {
  const a = richRequest(randomTraceId()).request;
  const b = richRequest(randomTraceId()).request;
  const c = richRequest(randomTraceId()).request;
  assert.equal((await postTraces(tb.otlpHttpUrl, encodeRequest(a))).status, 200);
  assert.equal((await postTraces(tb.otlpHttpUrl, toOtlpJson(b, { enums: 'names', int64: 'strings', ids: 'hex' }), { contentType: JSON_TYPE })).status, 200);
  const { error, response } = await grpcExport(tb.otlpGrpcUrl, encodeRequest(c));
  assert.equal(error, undefined);
  assert.deepStrictEqual(decodePlain(ExportTraceServiceResponse, response!), { partialSuccess: {} });
  return [a, b, c];
}

function traceIdOf(request: Json): string {
  const span = spansOf(request as { resourceSpans: Json[] })[0];
  return Buffer.from(span.traceId as string, 'base64').toString('hex');
}

async function snapshot(tb: Endpoints, requests: Json[]): Promise<Snapshot> {
  const traceIds = requests.map(traceIdOf);
  const protobuf: Buffer[] = [];
  const json: string[] = [];
  for (const [i, id] of traceIds.entries()) {
    const res = await getTraceProtobuf(tb.apiUrl, 'v1', id);
    assert.equal(res.status, 200, `trace ${id}`);
    assert.deepStrictEqual(decodePlain(TempoTrace, res.body), decodePlain(TracesData, encodeRequest(requests[i])));
    protobuf.push(res.body);
    const j = await getTraceJson(tb.apiUrl, 'v2', id);
    assert.equal(j.status, 200);
    json.push(j.body.toString());
  }
  return { traceIds, protobuf, json };
}

async function assertSame(tb: Endpoints, before: Snapshot): Promise<void> {
  for (const [i, id] of before.traceIds.entries()) {
    assert.deepStrictEqual((await getTraceProtobuf(tb.apiUrl, 'v1', id)).body, before.protobuf[i]);
    assert.equal((await getTraceJson(tb.apiUrl, 'v2', id)).body.toString(), before.json[i]);
  }
}

describe('a restart on the same data directory (library)', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  test('spans come back identically, the trace keeps growing, and re-sent spans are not duplicated', async () => {
    const first = await startTestTracebox({ data: tmp.dir });
    let requests: Json[];
    let before: Snapshot;
    try {
      assert.equal(first.dbPath, path.join(tmp.dir, 'tracebox.db'));
      requests = await sendTraces(first);
      before = await snapshot(first, requests);
    } finally {
      await first.close();
    }
    assert.ok(fs.existsSync(path.join(tmp.dir, 'tracebox.db')));

    const second = await startTestTracebox({ data: tmp.dir });
    try {
      await assertSame(second, before);
      // The same exports again: nothing is stored twice across the restart.
      await sendTraces(second); // fresh traces, so the store is written to after the restart
      const again = await postTraces(second.otlpHttpUrl, encodeRequest(requests[0]));
      assert.equal(again.status, 200, `${again.body.toString()} ${second.logs.join('; ')}`);
      assert.equal((await grpcExport(second.otlpGrpcUrl, encodeRequest(requests[2]))).error, undefined);
      await assertSame(second, before);
      // A late span of a stored trace joins it.
      const traceId = before.traceIds[0];
      const late = { resourceSpans: [{ resource: { attributes: [kv('service.name', { stringValue: 'late' })] }, scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'late span', startTimeUnixNano: '1700000009000000000', endTimeUnixNano: '1700000009000000001' }] }] }] };
      const lateAnswer = await postTraces(second.otlpHttpUrl, encodeRequest(late));
      assert.equal(lateAnswer.status, 200, `${lateAnswer.body.toString()} ${second.logs.join('; ')}`);
      const grown = decodePlain(TempoTrace, (await getTraceProtobuf(second.apiUrl, 'v1', traceId)).body) as Json;
      assert.equal(spansOf(grown).length, 6);
      assert.ok(spansOf(grown).some((s) => s.name === 'late span'));
      assert.deepStrictEqual(
        (grown.resourceSpans as Json[]).map((rs) => spansOf({ resourceSpans: [rs] }).length),
        [4, 1, 1],
        'the late span has its own resource, ordered by its start time',
      );
      assert.deepStrictEqual(second.logs, []);
    } finally {
      await second.close();
    }
  });

  test('close() is safe to call twice', async () => {
    const tb = await startTestTracebox({ data: tmp.dir });
    await tb.close();
    await tb.close();
  });
});

describe('the tracebox command', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  test('serves, exits 0 on SIGTERM, and finds its spans again after a restart', async () => {
    const args = ['--data', tmp.dir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'];
    const first = await startCli(args);
    let before: Snapshot;
    try {
      assert.match(first.banner, new RegExp(`^tracebox ${VERSION.replace(/\./g, '\\.')} is ready`));
      assert.ok(first.banner.includes(path.join(tmp.dir, 'tracebox.db')), first.banner);
      assert.ok(first.banner.includes(`OTEL_EXPORTER_OTLP_ENDPOINT=${first.otlpHttpUrl}`));
      assert.equal((await get(`${first.apiUrl}/api/echo`)).body.toString(), 'echo\n');
      before = await snapshot(first, await sendTraces(first));
    } finally {
      const exit = await first.stop();
      assert.equal(exit.signal, null);
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(exit.stderr, '');
    }

    const second = await startCli(args);
    try {
      await assertSame(second, before);
    } finally {
      const exit = await second.stop();
      assert.equal(exit.code, 0, exit.stderr);
    }
  });

  for (const flag of ['--port', '--otlp-http-port', '--otlp-grpc-port']) {
    test(`a taken ${flag} → one line naming the port and the flag, exit code 2`, async () => {
      const held = await holdPort();
      try {
        const ports: Record<string, string> = { '--port': '0', '--otlp-http-port': '0', '--otlp-grpc-port': '0', [flag]: String(held.port) };
        const exit = await runCli(['--memory', ...Object.entries(ports).flat()]);
        assert.equal(exit.code, 2, exit.stderr);
        assert.equal(exit.stdout, '');
        assert.match(exit.stderr, /^[^\n]+\n$/, `one line: ${JSON.stringify(exit.stderr)}`);
        assert.ok(exit.stderr.includes(`port ${held.port} `), exit.stderr);
        assert.ok(exit.stderr.includes(flag), exit.stderr);
      } finally {
        await held.release();
      }
    });
  }

  test('--help and -h print the usage and exit 0; --version and -v print the version', async () => {
    const [help, h, version, v] = await Promise.all([runCli(['--help']), runCli(['-h']), runCli(['--version']), runCli(['-v'])]);
    for (const exit of [help, h]) {
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /^Usage: tracebox \[serve\] \[options\]/);
      for (const flag of ['--host', '--port', '--otlp-http-port', '--otlp-grpc-port', '--data', '--memory', '--max-body', '--help', '--version']) {
        assert.ok(exit.stdout.includes(flag), `help mentions ${flag}`);
      }
      assert.equal(exit.stderr, '');
    }
    assert.equal(h.stdout, help.stdout);
    for (const exit of [version, v]) {
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(exit.stdout, `tracebox ${VERSION}\n`);
    }
  });

  test('an unknown flag or a bad port → a message and exit code 2', async () => {
    const [unknown, badPort, badEnv] = await Promise.all([
      runCli(['--no-such-flag']),
      runCli(['--memory', '--port', '70000']),
      runCli(['--memory'], { TRACEBOX_PORT: 'http' }),
    ]);
    for (const exit of [unknown, badPort, badEnv]) {
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr, /^tracebox: /);
    }
    assert.match(unknown.stderr, /--no-such-flag/);
    assert.match(badPort.stderr, /70000/);
    assert.match(badEnv.stderr, /"http"/);
  });

  test('TRACEBOX_PORT is honoured, and a flag wins over its variable', async () => {
    const envPort = await freePort();
    const httpPort = await freePort();
    const cli = await startCli(['--memory', '--otlp-grpc-port', '0', '--otlp-http-port', String(httpPort)], {
      TRACEBOX_PORT: String(envPort),
      TRACEBOX_OTLP_HTTP_PORT: '1',
    });
    try {
      assert.equal(new URL(cli.apiUrl).port, String(envPort));
      assert.equal(new URL(cli.otlpHttpUrl).port, String(httpPort));
      assert.match(cli.banner, /data\s+in memory/);
      assert.equal((await get(`${cli.apiUrl}/ready`)).status, 200);
    } finally {
      const exit = await cli.stop();
      assert.equal(exit.code, 0, exit.stderr);
    }
  });
});
