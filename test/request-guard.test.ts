/**
 * Acceptance: what a hostile web page can do with the query port. DNS rebinding (a foreign
 * Host) is refused with 403 and the flag that allows a name; /mcp refuses a foreign Origin;
 * every POST that writes refuses the content types a page can send without a preflight
 * (415); `--allowed-hosts` / TRACEBOX_ALLOWED_HOSTS add names. The OTLP receivers still
 * take browser exporters.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createFrontApp } from '../src/api/index.ts';
import { parseCommandLine, ConfigError } from '../src/config.ts';
import { JSON_TYPE, postTraces, rawRequest, type Answer } from './helpers/http.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

function otlpJson(traceId: string): string {
  return JSON.stringify({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'guard' } }] }, scopeSpans: [{ spans: [{ traceId, spanId: randomSpanId(), name: 'op', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000' }] }] }],
  });
}

const text = (a: Answer): string => a.body.toString('utf8');
const port = (tb: TestTracebox): string => new URL(tb.apiUrl).port;

describe('Host header (DNS rebinding)', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox();
  });
  after(() => tb?.close());

  for (const path of ['/api/search', '/api/v2/search/tags', '/']) {
    test(`${path}: Host evil.example → 403 naming --allowed-hosts; localhost → 200`, async () => {
      const evil = await rawRequest(tb.apiUrl, { path, headers: { Host: 'evil.example' } });
      assert.equal(evil.status, 403);
      assert.equal(text(evil), 'Host "evil.example" is not allowed: start tracebox with --allowed-hosts evil.example (or TRACEBOX_ALLOWED_HOSTS) to answer to that name\n');
      assert.equal((await rawRequest(tb.apiUrl, { path, headers: { Host: `evil.example:${port(tb)}` } })).status, 403);
      const local = await rawRequest(tb.apiUrl, { path, headers: { Host: `localhost:${port(tb)}` } });
      assert.equal(local.status, 200, text(local));
    });
  }

  test('loopback names and addresses, any IP address, and any port are answered', async () => {
    for (const host of ['localhost', `LOCALHOST.:${port(tb)}`, `127.0.0.1:${port(tb)}`, '[::1]:8080', 'app.localhost', '192.168.1.20:3200', '[fd00::5]']) {
      const res = await rawRequest(tb.apiUrl, { path: '/api/search', headers: { Host: host } });
      assert.equal(res.status, 200, `Host ${host}: ${text(res)}`);
    }
  });

  test('other names are refused everywhere, but /ready answers health probes', async () => {
    for (const host of ['localhost.evil.example', 'tracebox', 'evil.example.']) {
      for (const path of ['/api/traces/01', '/api/v1/query?query=up', '/mcp', '/metrics', '/search']) {
        assert.equal((await rawRequest(tb.apiUrl, { path, headers: { Host: host } })).status, 403, `${host} ${path}`);
      }
    }
    assert.equal((await rawRequest(tb.apiUrl, { path: '/ready', headers: { Host: 'tracebox' } })).status, 200);
    assert.equal((await rawRequest(tb.apiUrl, { path: '/api/search', headers: { Host: 'a b' } })).status, 400);
  });

  test('the OTLP receiver takes exports whatever the Host, with CORS for browser exporters as before', async () => {
    const res = await rawRequest(tb.otlpHttpUrl, {
      method: 'POST',
      path: '/v1/traces',
      headers: { Host: 'evil.example', Origin: 'http://evil.example', 'Content-Type': JSON_TYPE },
      body: otlpJson(randomTraceId()),
    });
    assert.equal(res.status, 200, text(res));
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });
});

describe('--allowed-hosts', () => {
  test('names, a domain with its subdomains, and * (containers)', async () => {
    const tb = await startTestTracebox({ allowedHosts: ['tracebox', '.svc.cluster.local'] });
    try {
      const status = async (host: string): Promise<number> => (await rawRequest(tb.apiUrl, { path: '/api/search', headers: { Host: host } })).status;
      assert.equal(await status('tracebox:3200'), 200);
      assert.equal(await status('TraceBox'), 200);
      assert.equal(await status('tracebox.default.svc.cluster.local:3200'), 200);
      assert.equal(await status('svc.cluster.local'), 200);
      assert.equal(await status('evil.example'), 403);
      assert.equal(await status('xsvc.cluster.local'), 403);
    } finally {
      await tb.close();
    }
    const any = await startTestTracebox({ allowedHosts: ['*'] });
    try {
      assert.equal((await rawRequest(any.apiUrl, { path: '/api/search', headers: { Host: 'evil.example' } })).status, 200);
      // `*` is about names the port is reached by; a foreign page still cannot write.
      const write = await rawRequest(any.apiUrl, {
        method: 'POST',
        path: '/api/import',
        headers: { Origin: 'http://evil.example', 'Content-Type': JSON_TYPE },
        body: otlpJson(randomTraceId()),
      });
      assert.equal(write.status, 403);
    } finally {
      await any.close();
    }
  });

  test('the bound host name is answered', async () => {
    const app = createFrontApp({ host: 'tracebox.internal', handOver: async () => new Response('handed over'), doctor: () => ({ requests: {}, findings: [] }) });
    assert.equal((await app.request('/api/search', { headers: { Host: 'tracebox.internal:3200' } })).status, 200);
    assert.equal((await app.request('/api/search', { headers: { Host: 'other.internal:3200' } })).status, 403);
  });

  test('flag and TRACEBOX_ALLOWED_HOSTS; ports and junk are refused', () => {
    const hosts = (argv: string[], env: NodeJS.ProcessEnv = {}): string[] | undefined => {
      const c = parseCommandLine(argv, env);
      return c.kind === 'serve' ? c.options.allowedHosts : undefined;
    };
    assert.equal(hosts([]), undefined);
    assert.deepEqual(hosts(['--allowed-hosts', 'tracebox, grafana.lan,.svc.cluster.local']), ['tracebox', 'grafana.lan', '.svc.cluster.local']);
    assert.deepEqual(hosts([], { TRACEBOX_ALLOWED_HOSTS: '*' }), ['*']);
    assert.deepEqual(hosts(['--allowed-hosts', 'a'], { TRACEBOX_ALLOWED_HOSTS: '*' }), ['a']);
    for (const bad of ['tracebox:3200', 'http://tracebox', 'a/b', ',', 'a b']) {
      assert.throws(() => hosts(['--allowed-hosts', bad]), (err: Error) => err instanceof ConfigError && err.message.startsWith('--allowed-hosts: expected host names'), bad);
    }
  });
});

describe('Origin on /mcp and on writes', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox({ allowReset: true });
  });
  after(() => tb?.close());

  const mcpClient = async (headers: Record<string, string>): Promise<Client> => {
    const client = new Client({ name: 'guard-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${tb.apiUrl}/mcp`), { requestInit: { headers } }));
    return client;
  };

  test('/mcp with Origin http://evil.example → 403 (a JSON-RPC error), with no Origin or a local one it works', async () => {
    for (const method of ['POST', 'GET']) {
      const res = await rawRequest(tb.apiUrl, {
        method,
        path: '/mcp',
        headers: { Origin: 'http://evil.example', 'Content-Type': JSON_TYPE, Accept: 'application/json, text/event-stream' },
        body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) : undefined,
      });
      assert.equal(res.status, 403, method);
      const body = JSON.parse(text(res)) as { error: { message: string } };
      assert.match(body.error.message, /^cross-origin request from "http:\/\/evil\.example" refused/);
    }
    await assert.rejects(mcpClient({ Origin: 'http://evil.example' }), /403|cross-origin/);
    await assert.rejects(mcpClient({ Origin: 'null' }), /403|cross-origin/);
    for (const headers of [{}, { Origin: 'http://localhost:6274' }, { Origin: tb.apiUrl }] as Array<Record<string, string>>) {
      const client = await mcpClient(headers);
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'search_traces'), JSON.stringify(headers));
      await client.close();
    }
  });

  test('a write with a foreign Origin is refused; the same origin is served', async () => {
    const reset = (origin: string): Promise<Answer> => rawRequest(tb.apiUrl, { method: 'DELETE', path: '/api/traces', headers: { Origin: origin } });
    assert.equal((await reset('http://evil.example')).status, 403);
    assert.equal((await reset('https://127.0.0.1.evil.example')).status, 403);
    assert.equal((await reset(tb.apiUrl)).status, 200);
    // DELETE needs no content type: a page cannot send it without a preflight.
    assert.equal((await rawRequest(tb.apiUrl, { method: 'DELETE', path: '/api/traces' })).status, 200);
  });
});

describe('content types of writes', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTestTracebox();
  });
  after(() => tb?.close());

  const post = (path: string, contentType: string | undefined, body: string | Uint8Array): Promise<Answer> =>
    rawRequest(tb.apiUrl, { method: 'POST', path, headers: contentType === undefined ? {} : { 'Content-Type': contentType }, body });

  test('POST /api/import with text/plain → 415, and nothing is stored', async () => {
    const traceId = randomTraceId();
    const res = await post('/api/import', 'text/plain', otlpJson(traceId));
    assert.equal(res.status, 415);
    assert.equal(text(res), 'POST /api/import with Content-Type text/plain refused, as any web page can send that: send the body as application/json (or application/gzip for a compressed file)\n');
    assert.equal((await rawRequest(tb.apiUrl, { path: `/api/traces/${traceId}` })).status, 404);
  });

  test('form encodings, a missing type and parameters are refused on every writing POST', async () => {
    const types = ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'TEXT/PLAIN', undefined];
    for (const path of ['/api/import', '/api/expect', '/mcp']) {
      for (const type of types) assert.equal((await post(path, type, '{}')).status, 415, `${path} ${type}`);
    }
  });

  test('what tracebox import and the test API send still works: JSON, and gzip files', async () => {
    const a = randomTraceId();
    const b = randomTraceId();
    assert.equal((await post('/api/import', JSON_TYPE, otlpJson(a))).status, 200);
    assert.equal((await post('/api/import', 'application/gzip', zlib.gzipSync(otlpJson(b)))).status, 200);
    assert.equal((await rawRequest(tb.apiUrl, { path: `/api/traces/${b}` })).status, 200);
    const expect = await post('/api/expect', 'application/json; charset=utf-8', JSON.stringify({ query: '{ resource.service.name = "guard" }', min: 2, timeoutMs: 2000 }));
    assert.equal(expect.status, 200, text(expect));
  });

  test('read-only form POSTs are left alone: the Prometheus API', async () => {
    const res = await post('/api/v1/query', 'application/x-www-form-urlencoded', 'query=up');
    assert.equal(res.status, 200, text(res));
  });

  test('OTLP/HTTP still takes JSON from any origin', async () => {
    const res = await postTraces(tb.otlpHttpUrl, otlpJson(randomTraceId()), { contentType: JSON_TYPE, headers: { Origin: 'http://evil.example' } });
    assert.equal(res.status, 200);
  });
});
