/**
 * The Zipkin receiver: a realistic Zipkin v2 payload (64-bit ids, a shared server span,
 * annotations, error tags) through POST /api/v2/spans on a real listener, checked field by
 * field through /api/v2/traces against the OpenTelemetry Collector's Zipkin mapping; the
 * answers Zipkin senders expect; the flag.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { parseCommandLine } from '../src/config.ts';
import { zipkinToOtlp } from '../src/otlp/zipkin-to-otlp.ts';
import { formatTree, TraceboxClient } from '../src/testing/index.ts';
import { getTraceJson, json } from './helpers/http.ts';
import { ExportTraceServiceRequest, decodePlain } from './helpers/proto.ts';
import { startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

type Json = Record<string, unknown>;

const T0 = 1_700_000_000_000_000; // µs
const TRACE = '5af7183fb1d4cf5f'; // 64-bit, as Brave sends by default
const ROOT = '5af7183fb1d4cf5f';
const CALL = '6b221d5bc9e6496c';
const DB = '352bff9a74ca9ad2';
const ASYNC = '0000000000000abc';

/** A checkout through frontend → backend → mysql, as Brave and zipkin-js report it. */
function payload(): Json[] {
  return [
    {
      traceId: TRACE,
      id: ROOT,
      kind: 'SERVER',
      name: 'get /checkout',
      timestamp: T0,
      duration: 250_000,
      debug: true,
      localEndpoint: { serviceName: 'frontend', ipv4: '192.168.99.1', port: 8081 },
      remoteEndpoint: { ipv4: '10.0.0.7', port: 51234 },
      tags: { 'http.method': 'GET', 'http.path': '/checkout', 'http.status_code': '500', 'host.name': 'fe-1', 'otel.library.name': 'brave', 'otel.library.version': '5.16.0' },
      annotations: [{ timestamp: T0 + 5, value: 'wr' }],
    },
    {
      traceId: TRACE,
      parentId: ROOT,
      id: CALL,
      kind: 'CLIENT',
      name: 'post /api/orders',
      timestamp: T0 + 10_000,
      duration: 200_000,
      localEndpoint: { serviceName: 'frontend', ipv4: '192.168.99.1' },
      remoteEndpoint: { serviceName: 'backend', ipv4: '172.19.0.2', port: 9000 },
      tags: { 'http.method': 'POST', 'http.path': '/api/orders', 'otel.library.name': 'brave', 'otel.library.version': '5.16.0' },
      annotations: [
        { timestamp: T0 + 10_001, value: 'ws' },
        { timestamp: T0 + 209_999, value: 'wr' },
      ],
    },
    {
      // The server side of the same RPC: Zipkin's shared span, same id as the client's.
      traceId: TRACE,
      parentId: ROOT,
      id: CALL,
      kind: 'SERVER',
      shared: true,
      name: 'post /api/orders',
      timestamp: T0 + 12_000,
      duration: 190_000,
      localEndpoint: { serviceName: 'backend', ipv4: '172.19.0.2', port: 9000 },
      remoteEndpoint: { ipv4: '192.168.99.1', port: 53931 },
      tags: { 'http.method': 'POST', 'http.status_code': '500', error: 'Internal Server Error', 'k8s.pod.name': 'backend-7d9f' },
      annotations: [{ timestamp: T0 + 12_100, value: 'cache miss' }],
    },
    {
      traceId: TRACE,
      parentId: CALL,
      id: DB,
      kind: 'CLIENT',
      name: 'select orders',
      timestamp: T0 + 20_000,
      duration: 150_000,
      localEndpoint: { serviceName: 'backend' },
      remoteEndpoint: { serviceName: 'mysql', ipv6: '2001:DB8:0:0:0:0:0:C001', port: 3306 },
      tags: { 'sql.query': 'select * from orders where id = ?', error: 'true', 'otel.status_description': 'ignored without a code' },
    },
    {
      // A local (kind-less) span with OTel's own status tags and a trace state, and no timestamp.
      traceId: TRACE,
      parentId: 'abc0', // not ours: any 16-digit-or-less hex id is padded
      id: 'abc',
      name: 'flush',
      duration: 42,
      localEndpoint: { serviceName: 'backend' },
      tags: { 'span.kind': 'internal', 'otel.status_code': 'STATUS_CODE_OK', 'otel.status_description': 'fine', 'w3c.tracestate': 'vendor=1', retries: '3' },
    },
  ];
}

function hex(b64: unknown): string {
  return Buffer.from(String(b64), 'base64').toString('hex');
}

function attrs(list: unknown): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const kv of (list as Json[] | undefined) ?? []) out[String(kv.key)] = kv.value as Json;
  return out;
}

interface Located {
  resource: Record<string, Json>;
  scope: Json;
  span: Json;
}

function locate(trace: Json): Located[] {
  const out: Located[] = [];
  for (const rs of ((trace.resourceSpans ?? trace.batches) as Json[] | undefined) ?? []) {
    const resource = attrs((rs.resource as Json | undefined)?.attributes);
    for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
      for (const span of (ss.spans as Json[] | undefined) ?? []) out.push({ resource, scope: (ss.scope as Json | undefined) ?? {}, span });
    }
  }
  return out;
}

let tb: TestTracebox;

before(async () => {
  tb = await startTestTracebox({ zipkinPort: 0, maxBody: 64 * 1024 });
});
after(() => tb.close());

function post(body: string | Uint8Array, headers: Record<string, string> = { 'Content-Type': 'application/json' }, path = '/api/v2/spans'): Promise<Response> {
  return fetch(`${tb.zipkinUrl}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
}

describe('Zipkin v2 JSON → OTLP, as the Collector maps it', () => {
  let spans: Located[];

  before(async () => {
    const res = await post(zlib.gzipSync(JSON.stringify(payload())), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'x-tracebox-session': 'zk-1' });
    assert.equal(res.status, 202, await res.text());
    const answer = await getTraceJson(tb.apiUrl, 'v2', TRACE);
    assert.equal(answer.status, 200);
    spans = locate((json(answer).trace ?? {}) as Json);
  });

  const find = (id: string, kind: string): Located => {
    const found = spans.find((l) => hex(l.span.spanId) === id.padStart(16, '0') && l.span.kind === kind);
    assert.ok(found, `span ${id} ${kind} is stored`);
    return found;
  };
  /** The server half of the joined RPC: served under its client half, with an id of its own. */
  const joinedServer = (): Located => {
    const found = spans.find((l) => l.span.kind === 'SPAN_KIND_SERVER' && hex(l.span.parentSpanId) === CALL);
    assert.ok(found, 'the server half is served under the client half');
    return found;
  };

  test('every span is stored; 64-bit ids are left-padded to 128 and 64 bits', () => {
    assert.equal(spans.length, 5);
    for (const { span } of spans) assert.equal(hex(span.traceId), TRACE.padStart(32, '0'));
    assert.equal(hex(find('abc', 'SPAN_KIND_INTERNAL').span.spanId), ASYNC);
    assert.equal(hex(find('abc', 'SPAN_KIND_INTERNAL').span.parentSpanId), '000000000000abc0');
  });

  test('localEndpoint.serviceName is the resource; resource tags move there; the session header applies', () => {
    const root = find(ROOT, 'SPAN_KIND_SERVER');
    assert.deepEqual(root.resource['service.name'], { stringValue: 'frontend' });
    assert.deepEqual(root.resource['host.name'], { stringValue: 'fe-1' });
    assert.deepEqual(root.resource['tracebox.session'], { stringValue: 'zk-1' });
    assert.equal(attrs(root.span.attributes)['host.name'], undefined);
    const server = joinedServer();
    assert.deepEqual(server.resource['service.name'], { stringValue: 'backend' });
    assert.deepEqual(server.resource['k8s.pod.name'], { stringValue: 'backend-7d9f' });
  });

  test('otel.library.* tags name the scope and leave the attributes', () => {
    const root = find(ROOT, 'SPAN_KIND_SERVER');
    assert.deepEqual(root.scope, { name: 'brave', version: '5.16.0' });
    for (const id of [ROOT, CALL]) {
      const a = attrs(find(id, id === ROOT ? 'SPAN_KIND_SERVER' : 'SPAN_KIND_CLIENT').span.attributes);
      assert.equal(a['otel.library.name'], undefined);
      assert.equal(a['otel.library.version'], undefined);
    }
    assert.deepEqual(find(DB, 'SPAN_KIND_CLIENT').scope, {});
  });

  test("the shared server span is served as Tempo serves it: an id of its own, under the client half, above the server's work", async () => {
    const client = find(CALL, 'SPAN_KIND_CLIENT').span;
    const server = joinedServer().span;
    assert.equal(hex(client.parentSpanId), ROOT);
    assert.match(hex(server.spanId), /^[0-9a-f]{16}$/);
    assert.notEqual(hex(server.spanId), CALL);
    assert.equal(hex(find(DB, 'SPAN_KIND_CLIENT').span.parentSpanId), hex(server.spanId));
    // The same id on every read, and in Tempo's v1 shape too.
    const again = locate(json(await getTraceJson(tb.apiUrl, 'v1', TRACE)) as Json);
    assert.ok(again.some((l) => l.span.kind === 'SPAN_KIND_SERVER' && l.span.spanId === server.spanId && hex(l.span.parentSpanId) === CALL));
    assert.equal(server.name, 'post /api/orders');
    assert.equal(server.startTimeUnixNano, String(BigInt(T0 + 12_000) * 1000n));
    assert.equal(server.endTimeUnixNano, String(BigInt(T0 + 12_000 + 190_000) * 1000n));
    // debug and shared have no OTLP field and leave no attribute.
    assert.equal(attrs(server.attributes).shared, undefined);
    assert.equal(find(ROOT, 'SPAN_KIND_SERVER').span.parentSpanId, undefined);
  });

  test('tags stay strings; endpoints become net.host.*, net.peer.* and peer.service', () => {
    const root = attrs(find(ROOT, 'SPAN_KIND_SERVER').span.attributes);
    assert.deepEqual(root['http.status_code'], { stringValue: '500' });
    assert.deepEqual(root['net.host.ip'], { stringValue: '192.168.99.1' });
    assert.deepEqual(root['net.host.port'], { intValue: '8081' });
    assert.deepEqual(root['net.peer.ip'], { stringValue: '10.0.0.7' });
    assert.deepEqual(root['net.peer.port'], { intValue: '51234' });
    const call = attrs(find(CALL, 'SPAN_KIND_CLIENT').span.attributes);
    assert.deepEqual(call['peer.service'], { stringValue: 'backend' });
    assert.deepEqual(call['net.peer.ip'], { stringValue: '172.19.0.2' });
    assert.deepEqual(call['net.peer.port'], { intValue: '9000' });
    assert.equal(call['net.host.port'], undefined);
    const db = attrs(find(DB, 'SPAN_KIND_CLIENT').span.attributes);
    assert.deepEqual(db['peer.service'], { stringValue: 'mysql' });
    assert.deepEqual(db['net.peer.ip'], { stringValue: '2001:db8::c001' });
    assert.deepEqual(db['sql.query'], { stringValue: 'select * from orders where id = ?' });
  });

  test('annotations become events at their microsecond', () => {
    const call = find(CALL, 'SPAN_KIND_CLIENT').span;
    assert.deepEqual(call.events, [
      { timeUnixNano: String(BigInt(T0 + 10_001) * 1000n), name: 'ws' },
      { timeUnixNano: String(BigInt(T0 + 209_999) * 1000n), name: 'wr' },
    ]);
    assert.deepEqual(joinedServer().span.events, [{ timeUnixNano: String(BigInt(T0 + 12_100) * 1000n), name: 'cache miss' }]);
  });

  test('an error tag makes the status ERROR, its message the status message; only error=true is removed', () => {
    const server = joinedServer().span;
    assert.deepEqual(server.status, { code: 'STATUS_CODE_ERROR', message: 'Internal Server Error' });
    assert.deepEqual(attrs(server.attributes).error, { stringValue: 'Internal Server Error' });
    const db = find(DB, 'SPAN_KIND_CLIENT').span;
    assert.deepEqual(db.status, { code: 'STATUS_CODE_ERROR' });
    assert.equal(attrs(db.attributes).error, undefined);
    // otel.status_description counts only beside otel.status_code.
    assert.deepEqual(attrs(db.attributes)['otel.status_description'], { stringValue: 'ignored without a code' });
    assert.deepEqual(find(ROOT, 'SPAN_KIND_SERVER').span.status, {});
  });

  test('span.kind, otel.status_code, w3c.tracestate and a missing timestamp', () => {
    const flush = find('abc', 'SPAN_KIND_INTERNAL').span;
    assert.deepEqual(flush.status, { code: 'STATUS_CODE_OK', message: 'fine' });
    assert.equal(flush.traceState, 'vendor=1');
    assert.equal(flush.startTimeUnixNano, undefined);
    assert.equal(flush.endTimeUnixNano, '42000');
    const a = attrs(flush.attributes);
    assert.deepEqual(Object.keys(a).sort(), ['otel.zipkin.absentField.startTime', 'retries']);
    assert.deepEqual(a['otel.zipkin.absentField.startTime'], { boolValue: true });
    assert.deepEqual(a.retries, { stringValue: '3' });
  });
});

describe('joined client/server spans from zipkin-js, each process reporting its own', () => {
  const trace = 'b7ad6b7169203331';
  const [root, call, query, local] = ['a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3', 'd4d4d4d4d4d4d4d4'];
  /** As zipkin-js's JSON_V2 encoder writes them: the web process's spans… */
  const web = [
    { traceId: trace, id: root, kind: 'SERVER', name: 'get /cart', timestamp: T0, duration: 90_000, localEndpoint: { serviceName: 'web', ipv4: '10.0.0.1' }, tags: { 'http.path': '/cart', 'http.status_code': '500', error: '500' } },
    { traceId: trace, parentId: root, id: call, kind: 'CLIENT', name: 'get /items', timestamp: T0 + 5_000, duration: 80_000, localEndpoint: { serviceName: 'web', ipv4: '10.0.0.1' }, remoteEndpoint: { serviceName: 'api' }, tags: { 'http.path': '/items', 'http.status_code': '500', error: '500' } },
    // A local span reported without an endpoint.
    { traceId: trace, parentId: root, id: local, name: 'render', timestamp: T0 + 86_000, duration: 3_000 },
  ];
  /** …and the api process's: its server span joins the client's id (supportsJoin). */
  const api = [
    { traceId: trace, parentId: root, id: call, kind: 'SERVER', name: 'get /items', timestamp: T0 + 6_000, duration: 78_000, shared: true, localEndpoint: { serviceName: 'api', ipv4: '10.0.0.2' }, tags: { 'http.path': '/items', 'http.status_code': '500', error: 'connection refused' } },
    { traceId: trace, parentId: call, id: query, kind: 'CLIENT', name: 'select items', timestamp: T0 + 8_000, duration: 70_000, localEndpoint: { serviceName: 'api', ipv4: '10.0.0.2' }, remoteEndpoint: { serviceName: 'postgres' }, tags: { 'sql.query': 'select * from items', error: 'connection refused' } },
  ];

  before(async () => {
    // The api process reports first: the order must not matter.
    for (const body of [api, web]) assert.equal((await post(JSON.stringify(body))).status, 202);
  });

  test('both halves show and the tree reads client → server → the server\'s work', async () => {
    const client = new TraceboxClient(tb.apiUrl, '');
    const t = await client.trace(trace);
    assert.equal(t.spans.length, 5);
    assert.equal(
      formatTree(t),
      [
        `trace ${trace.padStart(32, '0')} (web: get /cart, 90.0 ms, 5 spans)`,
        '└─ web: get /cart [server] 90.0 ms ✗ error: 500',
        '   ├─ web: get /items [client] 80.0 ms ✗ error: 500',
        '   │  └─ api: get /items [server] 78.0 ms ✗ error: connection refused',
        '   │     └─ api: select items [client] 70.0 ms ✗ error: connection refused',
        '   └─ unknown_service: render [unspecified] 3.00 ms',
      ].join('\n'),
    );
    const server = t.spans.find((s) => s.kind === 'server' && s.service === 'api')!;
    assert.equal(server.parentSpanId, call);
    assert.notEqual(server.spanId, call);
    // TraceQL sees the same tree: the database call is a child of the api's server span.
    const nested = await client.traces('{ resource.service.name = "api" && kind = server } > { name = "select items" }');
    assert.deepEqual(nested.map((x) => x.traceId), [trace.padStart(32, '0')]);
  });

  test("Tempo's trace by id serves the same ids", async () => {
    const located = locate(json(await getTraceJson(tb.apiUrl, 'v2', trace)).trace as Json);
    const ids = new Map(located.map((l) => [`${l.resource['service.name']?.stringValue}:${l.span.name}:${l.span.kind}`, { id: hex(l.span.spanId), parent: hex(l.span.parentSpanId) }]));
    const server = ids.get('api:get /items:SPAN_KIND_SERVER')!;
    assert.equal(server.parent, call);
    assert.equal(ids.get('api:select items:SPAN_KIND_CLIENT')!.parent, server.id);
    const test = await new TraceboxClient(tb.apiUrl, '').trace(trace);
    assert.equal(test.spans.find((s) => s.kind === 'server' && s.service === 'api')!.spanId, server.id);
  });
});

describe('the Zipkin receiver answers as Zipkin does', () => {
  test('128-bit trace ids, an empty list and null are accepted with 202', async () => {
    const trace = '463ac35c9f6413ad48485a3953bb6124';
    const res = await post(JSON.stringify([{ traceId: trace, id: 'a2fb4a1d1a96d312', name: 'get', timestamp: T0, duration: 1, localEndpoint: { serviceName: 'svc' } }]));
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');
    const stored = locate((json(await getTraceJson(tb.apiUrl, 'v2', trace)).trace ?? {}) as Json);
    assert.equal(stored.length, 1);
    assert.equal(hex(stored[0].span.traceId), trace);
    assert.equal((await post('[]')).status, 202);
    assert.equal((await post('null')).status, 202);
  });

  test('bad JSON and bad spans are 400 with a message naming the place', async () => {
    let res = await post('[{"traceId": "5af7183fb1d4cf5f",');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /^invalid JSON: /);
    res = await post(JSON.stringify({ resourceSpans: [] }));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /expected an array of Zipkin v2 spans, got an object \(this is OTLP\/JSON/);
    res = await post(JSON.stringify([{ traceId: TRACE, id: ROOT }, { traceId: 'not-hex', id: ROOT }]));
    assert.equal(res.status, 400);
    assert.equal(await res.text(), 'invalid Zipkin v2 JSON: [1].traceId: expected a hex id of at most 32 digits, got "not-hex"\n');
    res = await post(JSON.stringify([{ traceId: TRACE, id: ROOT, localEndpoint: { ipv4: 'localhost' } }]));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /\[0\]\.localEndpoint\.ipv4: expected an IP address, got "localhost"/);
    res = await post(JSON.stringify([{ traceId: TRACE, id: ROOT, tags: { nested: { a: 1 } } }]));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /\[0\]\.tags\.nested: expected a string/);
    res = await post(JSON.stringify([{ traceId: TRACE, id: '0' }]));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /\[0\]\.id: must not be all zeros/);
    res = await post(JSON.stringify([{ traceId: TRACE, id: ROOT, annotations: [{ value: 'x' }] }]));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /annotations\[0\]\.timestamp: an annotation needs a timestamp/);
  });

  test('protobuf, other methods, v1 and other paths are refused with a hint', async () => {
    let res = await post(new Uint8Array([0x0a, 0x00]), { 'Content-Type': 'application/x-protobuf' });
    assert.equal(res.status, 415);
    assert.match(await res.text(), /takes Zipkin v2 JSON/);
    res = await fetch(`${tb.zipkinUrl}/api/v2/spans`);
    assert.equal(res.status, 405);
    res = await post('[]', { 'Content-Type': 'application/json' }, '/api/v1/spans');
    assert.equal(res.status, 404);
    assert.match(await res.text(), /Zipkin v1 is not supported/);
    res = await post('{}', { 'Content-Type': 'application/json' }, '/v1/traces');
    assert.equal(res.status, 404);
    assert.match(await res.text(), /OTLP\/HTTP goes to the OTLP\/HTTP port/);
  });

  test('bodies over --max-body are 413, also after gzip', async () => {
    const big = JSON.stringify([{ traceId: TRACE, id: ROOT, name: 'x'.repeat(70 * 1024) }]);
    assert.equal((await post(big)).status, 413);
    assert.equal((await post(zlib.gzipSync(big), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })).status, 413);
  });

  test('the doctor records Zipkin requests', async () => {
    const report = (await (await fetch(`${tb.apiUrl}/api/doctor`)).json()) as { requests: Record<string, Json[]> };
    const zipkin = report.requests.zipkin;
    assert.ok(zipkin.length > 0);
    assert.ok(zipkin.some((r) => r.status === 202 && r.path === '/api/v2/spans' && Number(r.spans) >= 1));
    assert.ok(zipkin.some((r) => r.status === 400 && String(r.error).startsWith('invalid JSON')));
  });

  test('off unless asked for', async () => {
    const plain = await startTestTracebox();
    try {
      assert.equal(plain.zipkinUrl, undefined);
    } finally {
      await plain.close();
    }
  });
});

describe('mapping details', () => {
  const decode = (spans: Json[], parseStringTags = false): Json[] => {
    const { request } = zipkinToOtlp(spans, { parseStringTags });
    return ((decodePlain(ExportTraceServiceRequest, request).resourceSpans as Json[]) ?? []).flatMap((rs) =>
      ((rs.scopeSpans as Json[]) ?? []).flatMap((ss) => (ss.spans as Json[]) ?? []),
    );
  };

  test('parseStringTags types numbers and booleans as the Collector option does', () => {
    const [span] = decode([{ traceId: TRACE, id: ROOT, timestamp: T0, tags: { n: '42', f: '1.5', b: 'true', s: 'x1', e: '' } }], true);
    const a = attrs(span.attributes);
    assert.deepEqual(a.n, { intValue: '42' });
    assert.deepEqual(a.f, { doubleValue: 1.5 });
    assert.deepEqual(a.b, { boolValue: true });
    assert.deepEqual(a.s, { stringValue: 'x1' });
    assert.deepEqual(a.e, { stringValue: '' });
  });

  test("the Collector's own encodings: otlp.link.<n> tags and name|{attrs}|dropped annotations", () => {
    const linkTrace = '0af7651916cd43dd8448eb211c80319c';
    const [span] = decode([
      {
        traceId: TRACE,
        id: ROOT,
        timestamp: T0,
        tags: { 'otlp.link.0': `${linkTrace}|b7ad6b7169203331|k=v|{"a":1,"b":"x"}|2`, 'otlp.link.1': 'garbage|x|y|z|w' },
        annotations: [
          { timestamp: T0 + 1, value: 'retry|{"attempt":2,"ok":false}|1' },
          { timestamp: T0 + 2, value: 'a|b' },
        ],
      },
    ]);
    assert.deepEqual(span.links, [
      {
        traceId: Buffer.from(linkTrace, 'hex').toString('base64'),
        spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'),
        traceState: 'k=v',
        attributes: [
          { key: 'a', value: { intValue: '1' } },
          { key: 'b', value: { stringValue: 'x' } },
        ],
        droppedAttributesCount: 2,
      },
    ]);
    // A link tag that cannot be unpacked stays an attribute.
    assert.deepEqual(attrs(span.attributes)['otlp.link.1'], { stringValue: 'garbage|x|y|z|w' });
    const events = span.events as Json[];
    assert.equal(events[0].name, 'retry');
    assert.deepEqual(attrs(events[0].attributes), { attempt: { intValue: '2' }, ok: { boolValue: false } });
    assert.equal(events[0].droppedAttributesCount, 1);
    assert.equal(events[1].name, 'a|b');
  });

  test('spans without a local service name share a resource named unknown_service, as OpenTelemetry SDKs name one', () => {
    const { request } = zipkinToOtlp([
      { traceId: TRACE, id: ROOT, timestamp: T0 },
      { traceId: TRACE, id: CALL, timestamp: T0, localEndpoint: { serviceName: 'b' } },
      { traceId: TRACE, id: DB, timestamp: T0, localEndpoint: { port: 80 } },
    ]);
    const rss = decodePlain(ExportTraceServiceRequest, request).resourceSpans as Json[];
    assert.equal(rss.length, 2);
    const unnamed = rss.find((rs) => attrs((rs.resource as Json).attributes)['service.name']?.stringValue === 'unknown_service')!;
    assert.equal(((unnamed.scopeSpans as Json[])[0].spans as Json[]).length, 2);
  });
});

describe('--zipkin-port', () => {
  test('is parsed from the flag or TRACEBOX_ZIPKIN_PORT, and off by default', () => {
    const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): number | undefined => {
      const c = parseCommandLine(argv, env);
      assert.equal(c.kind, 'serve');
      return c.kind === 'serve' ? c.options.zipkinPort : undefined;
    };
    assert.equal(parse([]), undefined);
    assert.equal(parse(['--zipkin-port', '9411']), 9411);
    assert.equal(parse([], { TRACEBOX_ZIPKIN_PORT: '0' }), 0);
    assert.throws(() => parse(['--zipkin-port', 'x']), /--zipkin-port: expected a port number/);
  });
});
