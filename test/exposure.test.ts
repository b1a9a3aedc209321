/**
 * Acceptance: exposure. With --auth-token every port wants the token (OTLP exporters
 * send it as OTEL_EXPORTER_OTLP_HEADERS says, the viewer keeps it in a cookie), without
 * it nothing changes; CORS answers only what browser exporters need; the viewer serves
 * no file by path; hostile strings in tag names, values and TraceQL are only ever data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DEFAULTS } from '../src/defaults.ts';
import { startCli } from './helpers/cli.ts';
import { grpc, grpcExport } from './helpers/grpc.ts';
import { get, getTraceJson, JSON_TYPE, postTraces, PROTOBUF, rawRequest, type Answer } from './helpers/http.ts';
import { decodePlain, RpcStatus } from './helpers/proto.ts';
import { b64, encodeRequest, kv } from './helpers/requests.ts';
import { RecordingExporter } from './helpers/sdk.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

const TOKEN = 'tb_0123456789abcdef';
const BEARER = { Authorization: `Bearer ${TOKEN}` };

function oneSpan(traceId: string, attributes: unknown[] = []): Uint8Array {
  return encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'op', attributes }] }] }] });
}

/** A GET with the path sent exactly as given (fetch would resolve `..` first). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return rawRequest(base, { path, headers });
}

describe('without --auth-token', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox();
  });
  after(() => tb?.close());

  test('every port answers without credentials', async () => {
    const traceId = randomTraceId();
    assert.equal((await postTraces(tb.otlpHttpUrl, oneSpan(traceId))).status, 200);
    assert.equal((await grpcExport(tb.otlpGrpcUrl, oneSpan(randomTraceId()))).error, undefined);
    assert.equal((await getTraceJson(tb.apiUrl, 'v1', traceId)).status, 200);
    assert.equal((await get(`${tb.apiUrl}/api/search`)).status, 200);
  });
});

describe('with --auth-token', () => {
  let tb: TestTracebox;
  const traceId = randomTraceId();
  before(async () => {
    tb = await startTestTracebox({ authToken: TOKEN, zipkinPort: 0 });
    assert.equal((await postTraces(tb.otlpHttpUrl, oneSpan(traceId), { headers: BEARER })).status, 200);
  });
  after(() => tb?.close());

  describe('query API', () => {
    for (const path of ['/api/search', `/api/traces/${traceId}`, '/api/search/tags', '/api/v2/search/tag/name/values', '/api/echo', '/api/doctor', '/mcp', '/api/nope']) {
      test(`${path}: 401 without the token or with a wrong one`, async () => {
        const attempts: Array<Record<string, string>> = [{}, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: TOKEN }, { Cookie: 'tracebox_token=nope' }];
        for (const headers of attempts) {
          const res = await get(`${tb.apiUrl}${path}`, headers);
          assert.equal(res.status, 401, JSON.stringify(headers));
          assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="tracebox"');
          assert.ok(!res.body.toString().includes(traceId));
        }
      });
    }

    test('Bearer, or Basic with the token as password (Grafana data source), is let through', async () => {
      assert.equal((await getTraceJson(tb.apiUrl, 'v1', traceId)).status, 401);
      assert.equal((await get(`${tb.apiUrl}/api/traces/${traceId}`, BEARER)).status, 200);
      assert.equal((await get(`${tb.apiUrl}/api/traces/${traceId}`, { Authorization: `bearer ${TOKEN}` })).status, 200);
      const basic = Buffer.from(`grafana:${TOKEN}`).toString('base64');
      assert.equal((await get(`${tb.apiUrl}/api/traces/${traceId}`, { Authorization: `Basic ${basic}` })).status, 200);
    });

    test('/ready stays open for health checks', async () => {
      assert.equal((await get(`${tb.apiUrl}/ready`)).status, 200);
    });
  });

  describe('viewer', () => {
    test('without the token: the login page, 401', async () => {
      const res = await get(`${tb.apiUrl}/`);
      assert.equal(res.status, 401);
      assert.match(res.body.toString(), /<form method="post" action="\/login">/);
    });

    test('?token= once: a cookie, and a redirect that drops the token from the address', async () => {
      assert.equal((await fetch(`${tb.apiUrl}/?token=wrong`, { redirect: 'manual' })).status, 401);
      const res = await fetch(`${tb.apiUrl}/?token=${TOKEN}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/');
      const cookie = res.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^tracebox_token=/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const session = cookie.split(';')[0];
      assert.notEqual((await get(`${tb.apiUrl}/`, { Cookie: session })).status, 401);
      // The viewer's own API calls carry the cookie.
      assert.equal((await get(`${tb.apiUrl}/api/traces/${traceId}`, { Cookie: session })).status, 200);
    });

    test('the login form', async () => {
      const post = (token: string): Promise<Response> =>
        fetch(`${tb.apiUrl}/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
      assert.equal((await post('wrong')).status, 401);
      const ok = await post(TOKEN);
      assert.equal(ok.status, 303);
      assert.match(ok.headers.get('set-cookie') ?? '', /^tracebox_token=.*HttpOnly/);
    });
  });

  describe('receivers', () => {
    test('OTLP/HTTP: 401 with a google.rpc.Status UNAUTHENTICATED in the request encoding', async () => {
      const res = await postTraces(tb.otlpHttpUrl, oneSpan(randomTraceId()));
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), PROTOBUF);
      assert.equal((decodePlain(RpcStatus, res.body) as { code: number }).code, 16);
      const json = await postTraces(tb.otlpHttpUrl, '{}', { contentType: JSON_TYPE, headers: { Authorization: 'Bearer wrong' } });
      assert.equal(json.status, 401);
      assert.equal((JSON.parse(json.body.toString()) as { code: number }).code, 16);
    });

    test('OTLP/gRPC: UNAUTHENTICATED without the metadata', async () => {
      assert.equal((await grpcExport(tb.otlpGrpcUrl, oneSpan(randomTraceId()))).error?.code, grpc.status.UNAUTHENTICATED);
      assert.equal((await grpcExport(tb.otlpGrpcUrl, oneSpan(randomTraceId()), { metadata: { authorization: 'Bearer wrong' } })).error?.code, grpc.status.UNAUTHENTICATED);
      assert.equal((await grpcExport(tb.otlpGrpcUrl, oneSpan(randomTraceId()), { metadata: { authorization: `Bearer ${TOKEN}` } })).error, undefined);
    });

    test('Zipkin: 401 without the token', async () => {
      const res = await fetch(`${tb.zipkinUrl}/api/v2/spans`, { method: 'POST', body: '[]', headers: { 'Content-Type': 'application/json' } });
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    });

    test('the OpenTelemetry exporters, configured with OTEL_EXPORTER_OTLP_HEADERS, get in', async () => {
      process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer%20${TOKEN}`;
      try {
        for (const exporter of [new ProtoExporter({ url: `${tb.otlpHttpUrl}/v1/traces` }), new GrpcExporter({ url: tb.otlpGrpcUrl })]) {
          const recording = new RecordingExporter(exporter);
          const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(recording)] });
          const span = provider.getTracer('exposure').startSpan('authorized');
          span.end();
          await provider.forceFlush();
          await provider.shutdown();
          recording.assertAllSucceeded();
          assert.equal((await get(`${tb.apiUrl}/api/traces/${span.spanContext().traceId}`, BEARER)).status, 200);
        }
      } finally {
        delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
        trace.disable();
      }
    });
  });
});

describe('CORS', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox({ zipkinPort: 0 });
  });
  after(() => tb?.close());

  for (const [receiver, url] of [['OTLP/HTTP', () => `${tb.otlpHttpUrl}/v1/traces`], ['Zipkin', () => `${tb.zipkinUrl}/api/v2/spans`]] as const) {
    test(`the ${receiver} preflight allows POST and the headers exporters send, nothing more`, async () => {
      const res = await fetch(url(), {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-evil, cookie' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
      assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type, Content-Encoding, Authorization, x-tracebox-session');
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
    });
  }

  test('the query port answers no cross-origin request', async () => {
    const preflight = await fetch(`${tb.apiUrl}/api/search`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
    const res = await get(`${tb.apiUrl}/api/search`, { Origin: 'https://evil.example' });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });
});

describe('the viewer serves no file by path', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox();
  });
  after(() => tb?.close());

  for (const path of [
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%5c..%5c..%5cetc%5cpasswd',
    '/web/../package.json',
    '/index.html/../../package.json',
    '/%2e%2e%2fpackage.json',
    '/..%252f..%252fpackage.json',
    '/src/viewer/index.ts',
    '//etc/passwd',
  ]) {
    test(path, async () => {
      const res = await rawGet(tb.apiUrl, path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      const body = res.body.toString();
      assert.ok(!/root:|"name": "tracebox"|import /.test(body), body.slice(0, 200));
    });
  }
});

describe('hostile strings are data, never SQL', () => {
  const INJECTIONS = ["'; DROP TABLE spans; --", '" OR 1=1 --', "x') OR ('1'='1", 'a*" OR "b', '%\' --'];
  let tb: TestTracebox;
  const traceId = randomTraceId();
  before(async () => {
    tb = await startTestTracebox();
    const attributes = INJECTIONS.flatMap((s, i) => [kv(`db.statement.${i}`, { stringValue: s }), kv(`${s}.${i}`, { stringValue: 'key' })]);
    assert.equal((await postTraces(tb.otlpHttpUrl, oneSpan(traceId, attributes))).status, 200);
  });
  after(() => tb?.close());

  const searchIds = async (q: string): Promise<string[]> => {
    const res = await get(`${tb.apiUrl}/api/search?${new URLSearchParams({ q })}`);
    assert.equal(res.status, 200, res.body.toString());
    return (JSON.parse(res.body.toString()) as { traces: Array<{ traceID: string }> }).traces.map((t) => t.traceID.padStart(32, '0'));
  };

  test('as values in a TraceQL query', async () => {
    for (const [i, s] of INJECTIONS.entries()) {
      assert.deepStrictEqual(await searchIds(`{ span.db.statement.${i} = ${JSON.stringify(s)} }`), [traceId], s);
      assert.deepStrictEqual(await searchIds(`{ span.db.statement.${i} = ${JSON.stringify(s + 'x')} }`), [], s);
      assert.deepStrictEqual(await searchIds(`{ span.db.statement.${i} =~ ${JSON.stringify(`.*${s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`)} }`), [traceId], s);
    }
  });

  test('as attribute names, in TraceQL and in tag listings', async () => {
    assert.deepStrictEqual(await searchIds(`{ span."${INJECTIONS[0]}.0" = "key" }`), [traceId]);
    const tags = await get(`${tb.apiUrl}/api/v2/search/tags?scope=span`);
    assert.ok(tags.body.toString().includes(JSON.stringify(`${INJECTIONS[0]}.0`).slice(1, -1)));
    const values = await get(`${tb.apiUrl}/api/v2/search/tag/${encodeURIComponent(`span."${INJECTIONS[0]}.0"`)}/values`);
    assert.equal(values.status, 200);
    const legacy = await get(`${tb.apiUrl}/api/search/tag/${encodeURIComponent(INJECTIONS[1])}/values?q=${encodeURIComponent(`{ .x = ${JSON.stringify(INJECTIONS[0])} }`)}`);
    assert.equal(legacy.status, 200);
    assert.equal((await get(`${tb.apiUrl}/api/search?tags=${encodeURIComponent(`db.statement.0=${INJECTIONS[0]}`)}`)).status, 200);
  });

  test('afterwards every table is there and the trace reads back unchanged', async () => {
    const res = await getTraceJson(tb.apiUrl, 'v1', traceId);
    assert.equal(res.status, 200);
    for (const s of INJECTIONS) assert.ok(res.body.toString().includes(JSON.stringify(s).slice(1, -1)), s);
    assert.deepStrictEqual(await searchIds('{ }'), [traceId]);
  });
});

describe('the command line', () => {
  test('binds 127.0.0.1 unless told otherwise', async () => {
    assert.equal(DEFAULTS.host, '127.0.0.1');
    const cli = await startCli(['--memory', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0']);
    try {
      assert.match(cli.apiUrl, /^http:\/\/127\.0\.0\.1:/);
    } finally {
      await cli.stop();
    }
  });

  for (const [label, env, who] of [
    ['without a token', {}, /anyone who can reach this machine can read and write traces/],
    ['with TRACEBOX_AUTH_TOKEN', { TRACEBOX_AUTH_TOKEN: TOKEN }, /anyone with the token can read and write traces/],
  ] as const) {
    test(`--host 0.0.0.0 ${label} warns`, async () => {
      const cli = await startCli(['--host', '0.0.0.0', '--memory', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'], env);
      try {
        const status = (await get(`${cli.apiUrl}/api/search`)).status;
        assert.equal(status, 'TRACEBOX_AUTH_TOKEN' in env ? 401 : 200);
      } finally {
        const exit = await cli.stop();
        assert.match(exit.stderr, /warning: listening on all interfaces/);
        assert.match(exit.stderr, who);
        if ('TRACEBOX_AUTH_TOKEN' in env) assert.match(exit.stdout, /OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>/);
        assert.ok(!exit.stdout.includes(TOKEN), 'the token itself is never printed');
      }
    });
  }
});
