import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';
import { runCli } from './helpers/cli.ts';
import { grpcExport } from './helpers/grpc.ts';

interface Report {
  findings: Array<{ code: string; message: string; count: number }>;
  requests: Record<string, Array<{ path: string; status: number | string; spans: number; contentType: string }>>;
}

/** Writes raw bytes to a port and returns what comes back before the peer closes. */
function rawExchange(url: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let out = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

const SPAN_JSON = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'child-only' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              parentSpanId: 'eee19b7ec3c1b173',
              name: 'child',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000100000000',
            },
          ],
        },
      ],
    },
  ],
});

describe('the ingest doctor', () => {
  let tb: TestTracebox;
  const logs: string[] = [];
  before(async () => {
    tb = await startTracebox({ log: (l) => logs.push(l) });
  });
  after(() => tb.close());

  const report = async (): Promise<Report> => (await fetch(`${tb.apiUrl}/api/doctor`)).json() as Promise<Report>;
  const codes = async (): Promise<string[]> => (await report()).findings.map((f) => f.code);

  test('an HTTP/1.1 request on the gRPC port gets a plain answer and a finding', async () => {
    const answer = await rawExchange(tb.otlpGrpcUrl, 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request/);
    assert.match(answer, /reached the OTLP\/gRPC port .*OTLP\/HTTP goes to port 4318/);
    assert.ok((await codes()).includes('otlp-http-to-grpc-port'));
    assert.ok(logs.some((l) => l.startsWith('doctor: an HTTP/1.1 request (POST /v1/traces HTTP/1.1) reached the OTLP/gRPC port')));
  });

  test('a gRPC client on the HTTP port is recognized', async () => {
    await rawExchange(tb.otlpHttpUrl, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    assert.ok((await codes()).includes('otlp-grpc-to-http-port'));
  });

  test('JSON sent as protobuf is a 400 that says so', async () => {
    const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: SPAN_JSON });
    assert.equal(res.status, 400);
    assert.ok((await codes()).includes('otlp-json-as-protobuf'));
  });

  test('a wrong path is a 404 that names the right one', async () => {
    const res = await fetch(`${tb.otlpHttpUrl}/v1/traces/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SPAN_JSON });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /the path has \/v1\/traces twice/);
    const metrics = await fetch(`${tb.otlpHttpUrl}/v1/metrics`, { method: 'POST', body: '{}' });
    assert.match(await metrics.text(), /tracebox takes traces and logs, not metrics; set OTEL_METRICS_EXPORTER=none/);
    assert.doesNotMatch(await (await fetch(`${tb.otlpHttpUrl}/v1/metrics`, { method: 'POST', body: '{}' })).text(), /OTEL_LOGS_EXPORTER/);
  });

  test('metrics over gRPC are refused with what to set', async () => {
    const { error } = await grpcExport(tb.otlpGrpcUrl, new Uint8Array(0), { signal: 'metrics' });
    assert.equal(error?.code, 12); // UNIMPLEMENTED
    assert.match(error?.details ?? '', /takes traces and logs, not metrics; set OTEL_METRICS_EXPORTER=none/);
    assert.ok((await codes()).includes('otlp-metrics'));
  });

  test('gzip without its header is accepted and noted; a missing root is reported', async () => {
    const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: zlib.gzipSync(SPAN_JSON),
    });
    assert.equal(res.status, 200);
    const r = await report();
    assert.ok(r.findings.some((f) => f.code === 'otlp-gzip-without-header'));
    const rootless = r.findings.find((f) => f.code === 'traces-without-root');
    assert.ok(rootless, 'the span without its root (sent long ago) is reported');
    assert.match(rootless.message, /1 trace\(s\) never received their root span \(services: child-only\); a process probably exited/);
    const last = r.requests['otlp/http'][0];
    assert.deepEqual([last.path, last.status, last.spans], ['/v1/traces', 200, 1]);
  });

  test('tracebox doctor prints the findings and the last requests', async () => {
    const out = await runCli(['doctor', '--url', tb.apiUrl]);
    assert.equal(out.code, 1, 'problems were found');
    assert.match(out.stdout, /✗ an HTTP\/1\.1 request/);
    assert.match(out.stdout, /Last \d+ request\(s\) on otlp\/http:/);
    assert.match(out.stdout, /POST \/v1\/traces +application\/json/);
  });
});
