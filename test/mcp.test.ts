/**
 * The MCP server at /mcp, driven by the official MCP client over streamable HTTP, with
 * spans sent by the real OpenTelemetry SDK: a two-service checkout trace with known
 * timings (so the critical path is known) and the fixture service run as a child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { createExporter, createProvider } from './helpers/sdk.ts';
import { randomTraceId } from './helpers/tracebox.ts';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));

function runService(env: Record<string, string>, ...args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVICE, ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

/**
 * checkout: GET /checkout [server] 0–100 ms
 *   auth [internal] 0–10, SELECT cart [client] 10–30,
 *   GET /stock [client] 30–90 → inventory: GET /stock [server] 32–88 → SELECT stock [client] 35–85
 *   GET /prices [client] 31–51, error with an exception (parallel, off the critical path)
 */
async function sendCheckoutTrace(tb: TestTracebox, traceId: string, t0: number): Promise<void> {
  const checkout = createProvider({ exporter: createExporter('http/protobuf', tb), resource: { 'service.name': 'checkout' }, traceId });
  const inventory = createProvider({ exporter: createExporter('grpc', tb), resource: { 'service.name': 'inventory' }, traceId });
  const span = (tracer: Tracer, name: string, kind: SpanKind, from: number, to: number, parent: Context, attributes: Attributes = {}, fail?: string) => {
    const s = tracer.startSpan(name, { kind, startTime: new Date(t0 + from), attributes }, parent);
    if (fail !== undefined) {
      s.recordException(new Error('upstream timeout'), new Date(t0 + to));
      s.setStatus({ code: SpanStatusCode.ERROR, message: fail });
    }
    s.end(new Date(t0 + to));
    return trace.setSpan(ROOT_CONTEXT, s);
  };
  const c = checkout.getTracer('checkout-app');
  const i = inventory.getTracer('inventory-app');
  const root = span(c, 'GET /checkout', SpanKind.SERVER, 0, 100, ROOT_CONTEXT, { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 200 });
  span(c, 'auth', SpanKind.INTERNAL, 0, 10, root);
  span(c, 'SELECT cart', SpanKind.CLIENT, 10, 30, root, { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM cart WHERE id = $1' });
  const stockCall = span(c, 'GET /stock', SpanKind.CLIENT, 30, 90, root, { 'http.request.method': 'GET', 'server.address': 'inventory' });
  span(c, 'GET /prices', SpanKind.CLIENT, 31, 51, root, { 'http.request.method': 'GET' }, 'prices timed out');
  const stock = span(i, 'GET /stock', SpanKind.SERVER, 32, 88, stockCall, { 'http.route': '/stock' });
  span(i, 'SELECT stock', SpanKind.CLIENT, 35, 85, stock, { 'db.system': 'postgresql' });
  await Promise.all([checkout.shutdown(), inventory.shutdown()]);
}

/**
 * An N+1 request: GET /orders loads 600 items one query at a time (3 ms each, back to
 * back), then renders for 40 ms, as an ORM loop does.
 */
async function sendNPlusOneTrace(tb: TestTracebox, traceId: string, t0: number): Promise<void> {
  const provider = createProvider({ exporter: createExporter('http/protobuf', tb), resource: { 'service.name': 'orders' }, traceId, batch: true });
  const tracer = provider.getTracer('orders-app');
  const root = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, startTime: new Date(t0) }, ROOT_CONTEXT);
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 0; i < 600; i++) {
    const q = tracer.startSpan('SELECT items', { kind: SpanKind.CLIENT, startTime: new Date(t0 + 5 + i * 3), attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM items WHERE id = $1' } }, ctx);
    q.end(new Date(t0 + 5 + i * 3 + 3));
  }
  const render = tracer.startSpan('render', { kind: SpanKind.INTERNAL, startTime: new Date(t0 + 1805) }, ctx);
  render.end(new Date(t0 + 1845));
  root.end(new Date(t0 + 1850));
  await provider.shutdown();
}

function textOf(result: unknown): string {
  const r = result as CallToolResult;
  assert.equal(r.content.length, 1);
  const [item] = r.content;
  assert.equal(item.type, 'text');
  return (item as { text: string }).text;
}

describe('MCP server at /mcp', () => {
  let tb: TestTracebox;
  let client: Client;
  const traceId = randomTraceId();

  before(async () => {
    tb = await startTracebox();
    await sendCheckoutTrace(tb, traceId, Date.now() - 5000);
    const env = { ...tb.env(), OTEL_SERVICE_NAME: 'cart' };
    assert.equal(await runService(env), 0);
    assert.equal(await runService(env, '--fail'), 1);
    await tb.waitForSpans({ service: 'inventory', name: 'SELECT stock' });
    await tb.waitForSpans({ service: 'cart', name: 'SELECT carts' }, { count: 2 });
    client = new Client({ name: 'tracebox-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${tb.apiUrl}/mcp`)));
  });
  after(async () => {
    await client?.close();
    await tb?.close();
  });

  test('lists the six tools with described inputs', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['explain_slow_path', 'get_logs', 'get_trace', 'list_services', 'search_logs', 'search_traces']);
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 40, tool.name);
      assert.equal(tool.annotations?.readOnlyHint, true);
      const props = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const [name, schema] of Object.entries(props)) assert.ok(schema.description, `${tool.name}.${name} has a description`);
    }
    const search = tools.find((t) => t.name === 'search_traces')!;
    assert.deepEqual(search.inputSchema.required, ['query']);
    assert.deepEqual(Object.keys(search.inputSchema.properties ?? {}).sort(), ['end', 'limit', 'query', 'start']);
    assert.deepEqual(tools.find((t) => t.name === 'get_trace')!.inputSchema.required, ['traceId']);
  });

  test('search_traces: a compact entry per trace, with the matched spans', async () => {
    const text = textOf(await client.callTool({ name: 'search_traces', arguments: { query: '{ status = error && resource.service.name = "checkout" }' } }));
    const lines = text.split('\n');
    assert.match(lines[0], /^1 trace\(s\) match/);
    assert.match(lines[1], new RegExp(`^- ${traceId}  checkout: GET /checkout  100 ms  7 span\\(s\\), 2 service\\(s\\), 1 error\\(s\\)  started \\d{4}-`));
    assert.match(lines[2], /^ {2}matched 1: checkout: GET \/prices \[client\] 20\.0 ms \(span [0-9a-f]{16}\)$/);
    assert.equal(lines[3], '  first error: checkout: GET /prices — prices timed out');

    const all = textOf(await client.callTool({ name: 'search_traces', arguments: { query: '{ }', limit: 2, start: '1h' } }));
    assert.match(all, /^2 trace\(s\) match \{ \} \(newest first, limit 2 reached\)/);
    assert.equal((all.match(/^- /gm) ?? []).length, 2);
    assert.match(all, /cart: POST \/cart/);

    const cart = textOf(await client.callTool({ name: 'search_traces', arguments: { query: '{ resource.service.name = "cart" }' } }));
    assert.match(cart, /^2 trace\(s\)/);
    // Both spans can start in the same millisecond (the SDK's clock), so their order is not fixed.
    assert.match(cart, /matched 2: cart: (POST \/cart \[server\] .*; cart: SELECT carts \[client\]|SELECT carts \[client\] .*; cart: POST \/cart \[server\])/);

    const none = textOf(await client.callTool({ name: 'search_traces', arguments: { query: '{ }', end: Math.floor(Date.now() / 1000) - 7200 } }));
    assert.equal(none, 'No traces match { }.');
    const iso = new Date(Date.now() - 60_000).toISOString();
    for (const start of [iso, Date.now() - 60_000, String(Math.floor(Date.now() / 1000) - 60)]) {
      const recent = textOf(await client.callTool({ name: 'search_traces', arguments: { query: '{ }', start } }));
      assert.match(recent, /^3 trace\(s\) match/, String(start));
    }
  });

  test('search_traces: bad TraceQL and bad times are tool errors', async () => {
    const bad = await client.callTool({ name: 'search_traces', arguments: { query: '{ status = }' } });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /^invalid TraceQL query: /);
    const badTime = await client.callTool({ name: 'search_traces', arguments: { query: '{ }', start: 'yesterday-ish' } });
    assert.equal(badTime.isError, true);
    assert.match(textOf(badTime), /"start": cannot read "yesterday-ish"/);
    const badLimit = await client.callTool({ name: 'search_traces', arguments: { query: '{ }', limit: 0 } });
    assert.equal(badLimit.isError, true);
  });

  test('get_trace: the tree with kinds, durations, attributes, and the errors with their exceptions', async () => {
    const text = textOf(await client.callTool({ name: 'get_trace', arguments: { traceId } }));
    const lines = text.split('\n');
    assert.equal(lines[0], `trace ${traceId} (checkout: GET /checkout, 100 ms, 7 spans)`);
    assert.match(lines[1], /^└─ checkout: GET \/checkout \[server\] 100 ms {2}#[0-9a-f]{16} {2}http\.request\.method="GET" http\.route="\/checkout" http\.response\.status_code=200$/);
    assert.match(lines[2], /^ {3}├─ checkout: auth \[internal\] 10\.0 ms {2}#[0-9a-f]{16}$/);
    assert.match(lines[3], /^ {3}├─ checkout: SELECT cart \[client\] 20\.0 ms {2}#\w+ {2}db\.system="postgresql" db\.statement="SELECT \* FROM cart WHERE id = \$1"$/);
    assert.match(lines[4], /^ {3}├─ checkout: GET \/stock \[client\] 60\.0 ms {2}#\w+ {2}http\.request\.method="GET" server\.address="inventory"$/);
    assert.match(lines[5], /^ {3}│ {2}└─ inventory: GET \/stock \[server\] 56\.0 ms/);
    assert.match(lines[6], /^ {3}│ {5}└─ inventory: SELECT stock \[client\] 50\.0 ms/);
    assert.match(lines[7], /^ {3}└─ checkout: GET \/prices \[client\] 20\.0 ms ✗ error: prices timed out {2}#\w+/);
    assert.match(lines[8], /^started \d{4}-.*Z; services: checkout, inventory$/);
    assert.equal(lines[9], 'Errors (1 span(s) with error status):');
    assert.match(lines[10], /^- checkout: GET \/prices #[0-9a-f]{16} — status error: prices timed out$/);
    assert.equal(lines[11], '  exception Error: upstream timeout');
    assert.match(lines[12], /^ {4}at /);

    const all = textOf(await client.callTool({ name: 'get_trace', arguments: { traceId, allAttributes: true } }));
    assert.match(all, /inventory: GET \/stock \[server\] 56\.0 ms {2}#\w+ {2}http\.route="\/stock"/);
  });

  test('get_trace: unknown and malformed ids are tool errors', async () => {
    const unknown = await client.callTool({ name: 'get_trace', arguments: { traceId: 'ab'.repeat(16) } });
    assert.equal(unknown.isError, true);
    assert.equal(textOf(unknown), `trace ${'ab'.repeat(16)} not found`);
    const malformed = await client.callTool({ name: 'get_trace', arguments: { traceId: 'not-hex' } });
    assert.equal(malformed.isError, true);
    assert.match(textOf(malformed), /hex characters/);
    const missing = await client.callTool({ name: 'explain_slow_path', arguments: {} });
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /traceId/);
  });

  test('list_services: RED figures of server spans over the last hour', async () => {
    const text = textOf(await client.callTool({ name: 'list_services', arguments: {} }));
    const lines = text.split('\n');
    assert.match(lines[0], /^Services from \S+Z to \S+Z \(1h\), 3 trace\(s\); requests are server and consumer spans/);
    assert.match(lines[1], /^service +requests +rate +errors +error rate +p50 +p95 +p99$/);
    const row = (service: string): string[] => lines.find((l) => l.startsWith(service + ' '))!.trim().split(/\s+/);
    const cart = row('cart');
    assert.deepEqual(cart.slice(0, 5), ['cart', '2', '0.0333/min', '1', '50%']);
    assert.deepEqual(row('checkout'), ['checkout', '1', '0.0167/min', '0', '0%', '100', 'ms', '100', 'ms', '100', 'ms']);
    assert.deepEqual(row('inventory'), ['inventory', '1', '0.0167/min', '0', '0%', '56.0', 'ms', '56.0', 'ms', '56.0', 'ms']);
    assert.ok(lines.indexOf(lines.find((l) => l.startsWith('cart '))!) < lines.indexOf(lines.find((l) => l.startsWith('checkout '))!), 'most requests first');

    const old = textOf(await client.callTool({ name: 'list_services', arguments: { start: '3h', end: '2h' } }));
    assert.match(old, /No spans in this window/);
    const reversed = await client.callTool({ name: 'list_services', arguments: { start: '1h', end: '2h' } });
    assert.equal(reversed.isError, true);
    assert.match(textOf(reversed), /"start" must be before "end"/);
  });

  test('explain_slow_path: the critical path with self times and a summary', async () => {
    const text = textOf(await client.callTool({ name: 'explain_slow_path', arguments: { traceId } }));
    const lines = text.split('\n');
    assert.equal(lines[0], `Critical path of trace ${traceId} (checkout: GET /checkout, 100 ms): the spans that decided when it ended.`);
    const path = lines.slice(2, 8).map((l) => l.replace(/ {2}#[0-9a-f]{16}/, ''));
    assert.deepEqual(path, [
      'checkout: GET /checkout [server] 100 ms — on path 10.0 ms (10%), self 10.0 ms',
      '  └─ checkout: auth [internal] 10.0 ms — on path 10.0 ms (10%), self 10.0 ms',
      '  └─ checkout: SELECT cart [client] 20.0 ms — on path 20.0 ms (20%), self 20.0 ms',
      '  └─ checkout: GET /stock [client] 60.0 ms — on path 4.00 ms (4%), self 4.00 ms',
      '    └─ inventory: GET /stock [server] 56.0 ms — on path 6.00 ms (6%), self 6.00 ms',
      '      └─ inventory: SELECT stock [client] 50.0 ms — on path 50.0 ms (50%), self 50.0 ms',
    ]);
    assert.doesNotMatch(text, /GET \/prices \[client\]/, 'the parallel failed call is not on the path');
    const summary = lines[lines.length - 1];
    assert.equal(lines[lines.length - 2], '');
    assert.match(summary, /^The request checkout: GET \/checkout took 100 ms, and 6 span\(s\) in 2 service\(s\) lie on its critical path\./);
    assert.match(summary, /Most of the time went to inventory: SELECT stock \[client\], 50\.0 ms or 50% of the trace, spent in its own work \(it has no child spans\); next come checkout: SELECT cart \(20\.0 ms\) and /);
    assert.match(summary, /By service along the path: inventory 56\.0 ms \(56%\) and checkout 44\.0 ms \(44%\)\./);
    assert.match(summary, /It is also the span with the most self time in the whole trace/);
  });

  test('initialize: tools without listChanged, the server never changes its list', () => {
    const caps = client.getServerCapabilities();
    assert.ok(caps?.tools, 'tools capability');
    assert.notEqual(caps?.tools?.listChanged, true);
  });

  test('every tool answers structured content beside the text, matching its output schema', async () => {
    const { tools } = await client.listTools();
    for (const tool of tools) assert.ok(tool.outputSchema, `${tool.name} has an output schema`);
    const search = (await client.callTool({ name: 'search_traces', arguments: { query: '{ status = error && resource.service.name = "checkout" }' } })) as CallToolResult;
    const s = search.structuredContent as { found: number; shown: number; traces: Array<{ traceId: string; errors: number; matched: Array<{ name: string; count: number }> }> };
    assert.equal(s.found, 1);
    assert.equal(s.traces[0].traceId, traceId);
    assert.equal(s.traces[0].errors, 1);
    assert.deepEqual(s.traces[0].matched.map((m) => [m.name, m.count]), [['GET /prices', 1]]);
    const got = (await client.callTool({ name: 'get_trace', arguments: { traceId } })) as CallToolResult;
    const g = got.structuredContent as { spanCount: number; errors: Array<{ name: string; message: string }>; treeComplete: boolean };
    assert.equal(g.spanCount, 7);
    assert.deepEqual(g.errors.map((e) => [e.name, e.message]), [['GET /prices', 'prices timed out']]);
    assert.equal(g.treeComplete, true);
    const explained = (await client.callTool({ name: 'explain_slow_path', arguments: { traceId } })) as CallToolResult;
    const e = explained.structuredContent as { path: Array<{ name: string; onPathMs: number }>; pathComplete: boolean };
    assert.deepEqual(e.path.map((p) => [p.name, p.onPathMs]), [['GET /checkout', 10], ['auth', 10], ['SELECT cart', 20], ['GET /stock', 4], ['GET /stock', 6], ['SELECT stock', 50]]);
    const services = (await client.callTool({ name: 'list_services', arguments: {} })) as CallToolResult;
    assert.ok((services.structuredContent as { services: unknown[] }).services.length >= 3);
  });

  test('GET and DELETE are answered 405, as in the SDK’s stateless examples', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${tb.apiUrl}/mcp`, { method, headers: { accept: 'text/event-stream' } });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      assert.deepEqual(await res.json(), { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    }
  });
});

describe('MCP answers stay small on a 600-span N+1 trace', () => {
  let tb: TestTracebox;
  let client: Client;
  const traceId = randomTraceId();
  /** Whole answers, as the client received them, stay within a few KB. */
  const MAX_ANSWER = 10 * 1024;

  before(async () => {
    tb = await startTracebox();
    await sendNPlusOneTrace(tb, traceId, Date.now() - 10_000);
    await tb.waitForSpans({ service: 'orders', name: 'SELECT items' }, { count: 600 });
    for (let i = 0; i < 60; i++) await sendNPlusOneTraceSmall(tb, i);
    client = new Client({ name: 'tracebox-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${tb.apiUrl}/mcp`)));
  });
  after(async () => {
    await client?.close();
    await tb?.close();
  });

  /** Short traces with long names, so that 60 of them are far more than one answer holds. */
  async function sendNPlusOneTraceSmall(tb: TestTracebox, i: number): Promise<void> {
    const provider = createProvider({ exporter: createExporter('http/protobuf', tb), resource: { 'service.name': `svc-${i % 3}` }, traceId: randomTraceId() });
    const tracer = provider.getTracer('t');
    const root = tracer.startSpan(`GET /a/rather/long/route/name/number/${i}/that/goes/on`, { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const child = tracer.startSpan(`SELECT something from a table where the statement name is long ${i}`, { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, root));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'x'.repeat(300) });
    child.end();
    root.end();
    await provider.shutdown();
  }

  const size = (r: unknown): number => JSON.stringify(r).length;

  test('explain_slow_path gathers the 600 queries into one line', async () => {
    const r = (await client.callTool({ name: 'explain_slow_path', arguments: { traceId } })) as CallToolResult;
    assert.ok(size(r) < MAX_ANSWER, `answer of ${size(r)} characters`);
    const text = textOf(r);
    assert.match(text, /└─ 600× orders: SELECT items \[client\], 1\.80 s in all — on path 1\.80 s \(97%\), self 1\.80 s {2}first #[0-9a-f]{16}/);
    assert.equal((text.match(/SELECT items/g) ?? []).length <= 4, true, 'the query is named a few times, not 600');
    assert.match(text, /Most of the time went to 600× orders: SELECT items \[client\], 1\.80 s or 97% of the trace, spent in 600 calls of the same operation/);
    assert.match(text, /orders: SELECT items \[client\] ran 600 times, 1\.80 s of self time in all \(97%\)/);
    const path = (r.structuredContent as { path: Array<{ name: string; count: number }>; pathComplete: boolean }).path;
    assert.deepEqual(path.map((p) => [p.name, p.count]), [['GET /orders', 1], ['SELECT items', 600], ['render', 1]]);
  });

  test('get_trace draws the loop as one line and stays small', async () => {
    const r = (await client.callTool({ name: 'get_trace', arguments: { traceId, allAttributes: true } })) as CallToolResult;
    assert.ok(size(r) < MAX_ANSWER, `answer of ${size(r)} characters`);
    const lines = textOf(r).split('\n');
    assert.equal(lines[0], `trace ${traceId} (orders: GET /orders, 1.85 s, 602 spans)`);
    assert.match(lines[2], /^ {3}├─ 600× orders: SELECT items \[client\], 1\.80 s in all \(3\.00 ms each\) {2}slowest #[0-9a-f]{16} {2}first: db\.system="postgresql" db\.statement="SELECT \* FROM items WHERE id = \$1"$/);
    assert.match(lines[3], /^ {3}└─ orders: render \[internal\] 40\.0 ms/);
    const ops = (r.structuredContent as { operations: Array<{ name: string; count: number; selfMs: number }> }).operations;
    assert.deepEqual(ops[0], { service: 'orders', name: 'SELECT items', kind: 'client', count: 600, errors: 0, totalMs: 1800, selfMs: 1800 });
  });

  test('search_traces with limit 100 stops at its size bound and says so', async () => {
    const r = (await client.callTool({ name: 'search_traces', arguments: { query: '{ }', limit: 100 } })) as CallToolResult;
    assert.ok(size(r) < MAX_ANSWER, `answer of ${size(r)} characters`);
    const s = r.structuredContent as { found: number; shown: number; traces: unknown[] };
    assert.equal(s.found, 61);
    assert.ok(s.shown < s.found && s.shown === s.traces.length, `${s.shown} of ${s.found}`);
    assert.match(textOf(r), new RegExp(`… ${s.found - s.shown} more matching trace\\(s\\) not shown: answers stop at about 4000 characters`));

    const loop = (await client.callTool({ name: 'search_traces', arguments: { query: '{ name = "SELECT items" }' } })) as CallToolResult;
    assert.match(textOf(loop), /matched 600: 600× orders: SELECT items \[client\], 1\.80 s in all \(first span [0-9a-f]{16}\)/);
  });
});
