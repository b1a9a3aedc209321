/**
 * Import and export: every input shape through `tracebox import` and POST /api/import on a
 * real server, the Jaeger and Grafana mappings, errors, and import → export round trips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';
import { otlpJsonToProtobuf } from '../src/otlp/json-to-protobuf.ts';
import { tracesDataToJson } from '../src/otlp/protobuf-to-json.ts';
import { runCli } from './helpers/cli.ts';
import { ExportTraceServiceRequest, decodePlain } from './helpers/proto.ts';
import { encodeRequest, richRequest, toOtlpJson } from './helpers/requests.ts';
import { randomSpanId, randomTraceId, tempDir } from './helpers/tracebox.ts';

type Json = Record<string, unknown>;

const HEX = { ids: 'hex', enums: 'numbers' } as const;
const OTLP_SPELLING = { enums: 'numbers', int64: 'strings', ids: 'hex' } as const;

let tb: TestTracebox;
let tmp: { dir: string; remove: () => void };

before(async () => {
  tb = await startTracebox({ log: () => {} });
  tmp = tempDir('tracebox-import-');
});
after(async () => {
  await tb.close();
  tmp.remove();
});

function file(name: string, content: string | Uint8Array): string {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** A small OTLP/JSON request (hex ids, as the OTLP spec and the Collector's file exporter write). */
function otlpRequest(traceId: string, service: string, names: string[] = ['GET /', 'SELECT']): Json {
  const ids = names.map(() => randomSpanId());
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'test.scope', version: '1.0.0' },
            spans: names.map((name, i) => ({
              traceId,
              spanId: ids[i],
              ...(i === 0 ? {} : { parentSpanId: ids[0] }),
              name,
              kind: i === 0 ? 2 : 3,
              startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(1_700_000_000_050_000_000n),
              attributes: [{ key: 'i', value: { intValue: String(i) } }],
              status: {},
            })),
          },
        ],
      },
    ],
  };
}

interface FlatSpan {
  resource: unknown;
  resourceSchemaUrl: unknown;
  scope: unknown;
  scopeSchemaUrl: unknown;
  span: Json;
}

/** Every span with its resource and scope, by span id: grouping and order are not data. */
function flatten(plain: Json): FlatSpan[] {
  const out: FlatSpan[] = [];
  for (const rs of (plain.resourceSpans ?? []) as Json[]) {
    for (const ss of (rs.scopeSpans ?? []) as Json[]) {
      for (const span of (ss.spans ?? []) as Json[]) {
        // An empty Status and none are the same span; OTLP/JSON exports print `status: {}` always, as Tempo does.
        const s = span.status === undefined ? { ...span, status: {} } : span;
        out.push({ resource: rs.resource ?? null, resourceSchemaUrl: rs.schemaUrl ?? '', scope: ss.scope ?? null, scopeSchemaUrl: ss.schemaUrl ?? '', span: s });
      }
    }
  }
  return out.sort((a, b) => (String(a.span.spanId) < String(b.span.spanId) ? -1 : 1));
}

/** The spans of OTLP protobuf bytes as protobufjs (the reference codec) decodes them. */
function reference(bytes: Uint8Array): FlatSpan[] {
  return flatten(decodePlain(ExportTraceServiceRequest, bytes));
}

/** What tracebox stored for a trace, as OTLP/JSON with attributes as {key: AnyValue}. */
async function stored(traceId: string): Promise<Array<{ resource: Json; scope: Json; span: Json; attrs: Json }>> {
  const res = await fetch(`${tb.apiUrl}/api/traces/${traceId}`, { headers: { accept: 'application/protobuf' } });
  assert.equal(res.status, 200, `trace ${traceId} is stored`);
  const json = tracesDataToJson(new Uint8Array(await res.arrayBuffer()), HEX) as { resourceSpans: Json[] };
  const map = (kvs: unknown): Json => Object.fromEntries(((kvs ?? []) as Json[]).map((kv) => [kv.key, kv.value]));
  const out = [];
  for (const rs of json.resourceSpans) {
    for (const ss of (rs.scopeSpans ?? []) as Json[]) {
      for (const span of (ss.spans ?? []) as Json[]) {
        out.push({ resource: map((rs.resource as Json | undefined)?.attributes), scope: (ss.scope ?? {}) as Json, span, attrs: map(span.attributes) });
      }
    }
  }
  return out;
}

function byName<T extends { span: Json }>(spans: T[], name: string): T {
  const s = spans.find((x) => x.span.name === name);
  assert.ok(s, `a span named ${name}`);
  return s;
}

async function importCli(...files: string[]) {
  return runCli(['import', ...files, '--url', tb.apiUrl]);
}

async function post(body: Uint8Array | string, headers: Record<string, string> = {}, url = tb.apiUrl): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/api/import`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body as BodyInit });
  return { status: res.status, text: await res.text() };
}

describe('round trip: import, then export, gives back the same spans', () => {
  test('every OTLP field survives tracebox import → tracebox export', async () => {
    const traceId = randomTraceId();
    const { request } = richRequest(traceId);
    const original = file('rich.json', toOtlpJson(request, OTLP_SPELLING));
    const imported = await importCli(original);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /rich\.json: 1 trace\(s\), 5 span\(s\) \[OTLP\/JSON\]/);

    const exported = await runCli(['export', traceId, '--url', tb.apiUrl]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported 1 trace\(s\), 5 span\(s\)/);
    const out = JSON.parse(exported.stdout) as Json;
    assert.ok(Array.isArray(out.resourceSpans));
    // Ids are hex in the export, as the OTLP/JSON spec prints them.
    assert.match(exported.stdout, new RegExp(`"traceId":"${traceId}"`));
    assert.deepEqual(reference(otlpJsonToProtobuf(out)), reference(encodeRequest(request)));

    // The export reads back in: a fresh tracebox gets the same spans.
    const again = await startTracebox({ log: () => {} });
    try {
      const back = await runCli(['import', file('exported.json', exported.stdout), '--url', again.apiUrl]);
      assert.equal(back.code, 0, back.stderr);
      const res = await fetch(`${again.apiUrl}/api/traces/${traceId}`, { headers: { accept: 'application/protobuf' } });
      assert.deepEqual(reference(new Uint8Array(await res.arrayBuffer())), reference(encodeRequest(request)));
    } finally {
      await again.close();
    }
  });

  test('export takes TraceQL and several ids, and writes one request', async () => {
    const a = randomTraceId();
    const b = randomTraceId(8); // a 64-bit id: leading zeros, given short
    const c = randomTraceId();
    const requests = [otlpRequest(a, 'export-q'), otlpRequest(b, 'export-q', ['only']), otlpRequest(c, 'export-other')];
    const lines = file('three.jsonl', requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
    assert.equal((await importCli(lines)).code, 0);

    const byQuery = await runCli(['export', '{ resource.service.name = "export-q" }', '--url', tb.apiUrl]);
    assert.equal(byQuery.code, 0, byQuery.stderr);
    const got = reference(otlpJsonToProtobuf(JSON.parse(byQuery.stdout) as Json));
    const want = reference(Buffer.concat([requests[0], requests[1]].map((r) => otlpJsonToProtobuf(r))));
    assert.deepEqual(got, want);

    const byIds = await runCli(['export', b.replace(/^0+/, ''), c, '--url', tb.apiUrl]);
    assert.equal(byIds.code, 0, byIds.stderr);
    assert.deepEqual(
      reference(otlpJsonToProtobuf(JSON.parse(byIds.stdout) as Json)),
      reference(Buffer.concat([requests[1], requests[2]].map((r) => otlpJsonToProtobuf(r)))),
    );
  });

  test('export of an unknown id fails, and a query without matches writes an empty request', async () => {
    const missing = await runCli(['export', randomTraceId(), '--url', tb.apiUrl]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /trace [0-9a-f]{32} not found/);
    assert.deepEqual(JSON.parse(missing.stdout), { resourceSpans: [] });

    const none = await runCli(['export', '{ name = "no such span anywhere" }', '--url', tb.apiUrl]);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), { resourceSpans: [] });
    assert.match(none.stderr, /no matching traces/);

    const bad = await runCli(['export', '{ name = }', '--url', tb.apiUrl]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid TraceQL query/);
  });
});

describe('input shapes', () => {
  test('OTLP/JSON: one request, an array of them, JSON lines, and gzip of each', async () => {
    const ids = Array.from({ length: 6 }, () => randomTraceId());
    const reqs = ids.map((id) => otlpRequest(id, 'shapes'));
    const single = file('single.json', JSON.stringify(reqs[0], null, 2));
    const array = file('array.json', JSON.stringify([reqs[1], reqs[2]]));
    const jsonl = file('collector.jsonl', `${JSON.stringify(reqs[3])}\n\n${JSON.stringify(reqs[4])}\r\n`);
    const gz = file('collector.jsonl.gz', zlib.gzipSync(JSON.stringify(reqs[5]) + '\n'));
    const out = await importCli(single, array, jsonl, gz);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split('\n'), [
      `${single}: 1 trace(s), 2 span(s) [OTLP/JSON]`,
      `${array}: 2 trace(s), 4 span(s) [OTLP/JSON]`,
      `${jsonl}: 2 trace(s), 4 span(s) [OTLP/JSON lines]`,
      `${gz}: 1 trace(s), 2 span(s) [OTLP/JSON (gzip)]`,
    ]);
    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${tb.apiUrl}/api/traces/${id}`, { headers: { accept: 'application/protobuf' } });
      assert.deepEqual(reference(new Uint8Array(await res.arrayBuffer())), reference(otlpJsonToProtobuf(reqs[i])));
    }
  });

  test("Tempo v1 and v2 trace JSON, as Tempo's /api/traces and /api/v2/traces answer", async () => {
    const traceId = randomTraceId();
    const { request } = richRequest(traceId);
    const source = await startTracebox({ log: () => {} });
    let v1: string;
    let v2: string;
    try {
      assert.equal((await post(toOtlpJson(request, OTLP_SPELLING), {}, source.apiUrl)).status, 200);
      v1 = await (await fetch(`${source.apiUrl}/api/traces/${traceId}`)).text();
      v2 = await (await fetch(`${source.apiUrl}/api/v2/traces/${traceId}`)).text();
    } finally {
      await source.close();
    }
    assert.match(v1, /^\{"batches":/);
    assert.match(v2, /^\{"trace":\{"resourceSpans":/);
    for (const [name, body, format] of [
      ['tempo-v1.json', v1, 'Tempo v1 JSON'],
      ['tempo-v2.json', v2, 'Tempo v2 JSON'],
    ] as const) {
      const target = await startTracebox({ log: () => {} });
      try {
        const out = await runCli(['import', file(name, body), '--url', target.apiUrl]);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stdout, new RegExp(`1 trace\\(s\\), 5 span\\(s\\) \\[${format}\\]`));
        const res = await fetch(`${target.apiUrl}/api/traces/${traceId}`, { headers: { accept: 'application/protobuf' } });
        assert.deepEqual(reference(new Uint8Array(await res.arrayBuffer())), reference(encodeRequest(request)), name);
      } finally {
        await target.close();
      }
    }
  });

  test('Tempo 1.x JSON with instrumentationLibrarySpans and base64 ids', async () => {
    const traceId = randomTraceId();
    const root = randomSpanId();
    const child = randomSpanId();
    const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const body = {
      batches: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'legacy' } }] },
          instrumentationLibrarySpans: [
            {
              instrumentationLibrary: { name: 'io.opentelemetry.jdbc', version: '1.0' },
              spans: [
                { traceId: b64(traceId), spanId: b64(root), name: 'root', kind: 'SPAN_KIND_SERVER', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000', status: { code: 'STATUS_CODE_OK' } },
                { traceId: b64(traceId), spanId: b64(child), parentSpanId: b64(root), name: 'query', kind: 'SPAN_KIND_CLIENT', startTimeUnixNano: '1700000000100000000', endTimeUnixNano: '1700000000200000000', status: {} },
              ],
            },
          ],
        },
      ],
    };
    const out = await importCli(file('tempo-1x.json', JSON.stringify(body)));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /1 trace\(s\), 2 span\(s\) \[Tempo v1 JSON\]/);
    const spans = await stored(traceId);
    assert.deepEqual(byName(spans, 'query').scope, { name: 'io.opentelemetry.jdbc', version: '1.0' });
    assert.equal(byName(spans, 'query').span.parentSpanId, root);
    assert.deepEqual(byName(spans, 'root').span.status, { code: 1 });
  });

  test("Grafana's trace download (the data frame turned back into OTLP)", async () => {
    // What Grafana's transformToOTLP writes for a Tempo trace: `batches` with
    // instrumentationLibrarySpans, hex ids (the 64-bit id padded back to 32 digits), an
    // all-zero parent id on the root, times as float ms × 1e6, kinds and codes as
    // numbers, event names moved into a `message` field, link trace ids without
    // leading zeros, and maps flattened to strings.
    const traceId = '0000000000000000' + randomTraceId().slice(16);
    const [root, child, db] = [randomSpanId(), randomSpanId(), randomSpanId()];
    const startMs = 1700000000123.456;
    const ns = (ms: number) => ms * 1000000;
    const kv = (key: string, value: unknown) => ({ key, value });
    const grafana = {
      batches: [
        {
          resource: {
            attributes: [kv('service.name', { stringValue: 'checkout' }), kv('k8s.pod.name', { stringValue: 'checkout-7d9f' })],
            droppedAttributesCount: 0,
          },
          instrumentationLibrarySpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: root,
                  parentSpanId: '0000000000000000',
                  traceState: '',
                  name: 'POST /cart',
                  kind: 2,
                  startTimeUnixNano: ns(startMs),
                  endTimeUnixNano: ns(startMs + 250.5),
                  attributes: [
                    kv('http.route', { stringValue: '/cart' }),
                    kv('http.status_code', { intValue: 500 }),
                    kv('ratio', { doubleValue: 0.25 }),
                    kv('cart.items', { stringValue: '["a","b"]' }),
                    kv('cart.meta', { stringValue: { nested: true } }),
                  ],
                  droppedAttributesCount: 0,
                  droppedEventsCount: 0,
                  droppedLinksCount: 0,
                  status: { code: 2, message: 'upstream failed' },
                  events: [
                    {
                      timeUnixNano: ns(startMs + 200.25),
                      attributes: [kv('message', { stringValue: 'exception' }), kv('exception.type', { stringValue: 'TimeoutError' })],
                      droppedAttributesCount: 0,
                      name: '',
                    },
                  ],
                  links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e473', spanId: '00f067aa0ba902b7', attributes: [], droppedAttributesCount: 0 }],
                },
                {
                  traceId,
                  spanId: child,
                  parentSpanId: root,
                  traceState: 'rojo=00f067aa0ba902b7',
                  name: 'GET inventory',
                  kind: 3,
                  startTimeUnixNano: ns(startMs + 10),
                  endTimeUnixNano: ns(startMs + 210),
                  attributes: [],
                  droppedAttributesCount: 0,
                  droppedEventsCount: 0,
                  droppedLinksCount: 0,
                  status: { code: 0, message: '' },
                },
              ],
            },
          ],
        },
        {
          resource: { attributes: [kv('service.name', { stringValue: 'postgres' })], droppedAttributesCount: 0 },
          instrumentationLibrarySpans: [
            {
              instrumentationLibrary: { name: '@opentelemetry/instrumentation-pg', version: '0.40.0' },
              spans: [
                {
                  traceId,
                  spanId: db,
                  parentSpanId: child,
                  traceState: '',
                  name: 'SELECT stock',
                  kind: 3,
                  startTimeUnixNano: ns(startMs + 20),
                  endTimeUnixNano: ns(startMs + 30),
                  attributes: [kv('db.system', { stringValue: 'postgresql' })],
                  droppedAttributesCount: 0,
                  droppedEventsCount: 0,
                  droppedLinksCount: 0,
                  status: { code: 1, message: '' },
                },
              ],
            },
          ],
        },
      ],
    };
    const out = await importCli(file('grafana-trace.json', JSON.stringify(grafana)));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /1 trace\(s\), 3 span\(s\) \[Grafana trace download\]/);

    const spans = await stored(traceId);
    const r = byName(spans, 'POST /cart');
    assert.equal(r.span.parentSpanId, undefined, 'the all-zero parent is no parent');
    assert.equal(r.span.kind, 2);
    assert.equal(r.span.startTimeUnixNano, String(BigInt(Math.round(ns(startMs)))));
    const startDiff = BigInt(r.span.startTimeUnixNano as string) - 1700000000123456000n;
    assert.ok(startDiff >= -1000n && startDiff <= 1000n, 'start within a microsecond');
    assert.deepEqual(r.span.status, { message: 'upstream failed', code: 2 });
    assert.deepEqual(r.attrs, {
      'http.route': { stringValue: '/cart' },
      'http.status_code': { intValue: '500' },
      ratio: { doubleValue: 0.25 },
      'cart.items': { stringValue: '["a","b"]' },
      'cart.meta': { stringValue: '{"nested":true}' },
    });
    const events = r.span.events as Json[];
    assert.equal(events[0].name, 'exception', 'the event name comes back from the message field');
    assert.deepEqual(events[0].attributes, [{ key: 'exception.type', value: { stringValue: 'TimeoutError' } }]);
    assert.equal((r.span.links as Json[])[0].traceId, '04bf92f3577b34da6a3ce929d0e0e473');
    assert.deepEqual(r.resource, { 'service.name': { stringValue: 'checkout' }, 'k8s.pod.name': { stringValue: 'checkout-7d9f' } });
    assert.equal(byName(spans, 'GET inventory').span.traceState, 'rojo=00f067aa0ba902b7');
    assert.equal(byName(spans, 'GET inventory').span.parentSpanId, root);
    const pg = byName(spans, 'SELECT stock');
    assert.deepEqual(pg.scope, { name: '@opentelemetry/instrumentation-pg', version: '0.40.0' });
    assert.deepEqual(pg.resource, { 'service.name': { stringValue: 'postgres' } });
    assert.deepEqual(pg.span.status, { code: 1 });

    // The trace's root is found, so search lists it under its root service.
    const search = (await (await fetch(`${tb.apiUrl}/api/search?q=${encodeURIComponent('{ name = "SELECT stock" }')}`)).json()) as {
      traces: Array<{ rootServiceName: string; rootTraceName: string }>;
    };
    assert.deepEqual(search.traces.map((t) => [t.rootServiceName, t.rootTraceName]), [['checkout', 'POST /cart']]);
  });

  test("Jaeger JSON (the Jaeger UI's and Grafana's download), mapped as the Collector maps it", async () => {
    const traceId = randomTraceId();
    const jaegerTraceId = traceId.replace(/^0+/, '');
    const [a, b, c, d] = [randomSpanId(), randomSpanId(), randomSpanId(), randomSpanId()];
    const shortTrace = '00000000000000000c' + randomTraceId().slice(18);
    const shortSpan = '00d69df2a1b2c3d4';
    const t0 = 1_700_000_000_000_000; // µs
    const tag = (key: string, type: string, value: unknown) => ({ key, type, value });
    const jaeger = {
      data: [
        {
          traceID: jaegerTraceId,
          spans: [
            {
              traceID: jaegerTraceId,
              spanID: a,
              flags: 1,
              operationName: 'HTTP GET /dispatch',
              references: [],
              startTime: t0,
              duration: 250_000,
              tags: [
                tag('sampler.type', 'string', 'const'),
                tag('span.kind', 'string', 'server'),
                tag('http.method', 'string', 'GET'),
                tag('http.status_code', 'int64', 200),
                tag('internal.span.format', 'string', 'proto'),
              ],
              logs: [{ timestamp: t0 + 1_000, fields: [tag('event', 'string', 'HTTP request received'), tag('level', 'string', 'info')] }],
              processID: 'p1',
              warnings: null,
            },
            {
              traceID: jaegerTraceId,
              spanID: b,
              flags: 1,
              operationName: 'FindDriverIDs',
              references: [{ refType: 'CHILD_OF', traceID: jaegerTraceId, spanID: a }],
              startTime: t0 + 10_000,
              duration: 100_000,
              tags: [
                tag('span.kind', 'string', 'client'),
                tag('error', 'bool', true),
                tag('otel.status_description', 'string', 'redis timeout'),
                tag('param.location', 'string', '728,326'),
              ],
              logs: [{ timestamp: t0 + 20_000, fields: [tag('event', 'string', 'error'), tag('message', 'string', 'redis timeout'), tag('retry', 'int64', 3)] }],
              processID: 'p2',
              warnings: ['clock skew adjustment disabled'],
            },
            {
              traceID: jaegerTraceId,
              spanID: c,
              operationName: 'GetDriver',
              references: [
                { refType: 'CHILD_OF', traceID: jaegerTraceId, spanID: b },
                { refType: 'FOLLOWS_FROM', traceID: jaegerTraceId, spanID: a },
              ],
              startTime: t0 + 30_000,
              duration: 5_000,
              tags: [
                tag('span.kind', 'string', 'client'),
                tag('otel.status_code', 'string', 'OK'),
                tag('otel.scope.name', 'string', 'redis-instrumentation'),
                tag('otel.scope.version', 'string', '1.2.3'),
                tag('w3c.tracestate', 'string', 'rojo=00f067aa0ba902b7'),
                tag('ratio', 'float64', 0.25),
                tag('big', 'int64', '9007199254740993'),
                tag('cached', 'bool', false),
                tag('key.bytes', 'binary', Buffer.from([0, 1, 254, 255]).toString('base64')),
              ],
              logs: [],
              processID: 'p2',
            },
            {
              traceID: jaegerTraceId,
              spanID: d,
              operationName: 'GET /customer',
              references: [{ refType: 'CHILD_OF', traceID: jaegerTraceId, spanID: a }],
              startTime: t0 + 40_000,
              duration: 1_000,
              tags: [tag('span.kind', 'string', 'client'), tag('http.status_code', 'int64', 404), tag('http.status_message', 'string', 'Not Found')],
              logs: [],
              processID: 'p1',
            },
          ],
          processes: {
            p1: {
              serviceName: 'frontend',
              tags: [tag('hostname', 'string', 'host-1'), tag('ip', 'string', '10.0.0.7'), tag('jaeger.version', 'string', 'Go-2.30.0'), tag('client-uuid', 'string', '1e5f')],
            },
            p2: { serviceName: 'redis', tags: [tag('ip', 'string', '10.0.0.8')] },
          },
          warnings: null,
        },
        {
          // A 64-bit trace id with its leading zeros dropped, as Jaeger prints it.
          traceID: shortTrace.replace(/^0+/, ''),
          spans: [
            { traceID: shortTrace.replace(/^0+/, ''), spanID: shortSpan.replace(/^0+/, ''), operationName: 'cron', references: [], startTime: t0 + 0.5, duration: 2.25, tags: [], logs: [], processID: 'p1' },
          ],
          processes: { p1: { serviceName: 'scheduler', tags: [] } },
        },
      ],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    };
    const out = await importCli(file('jaeger.json', JSON.stringify(jaeger)));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /2 trace\(s\), 5 span\(s\) \[Jaeger JSON\]/);

    const spans = await stored(traceId);
    const root = byName(spans, 'HTTP GET /dispatch');
    assert.equal(root.span.traceId, traceId);
    assert.equal(root.span.parentSpanId, undefined);
    assert.equal(root.span.kind, 2);
    assert.equal(root.span.startTimeUnixNano, '1700000000000000000');
    assert.equal(root.span.endTimeUnixNano, '1700000000250000000');
    assert.deepEqual(root.span.status, {}, 'HTTP 200 leaves the status unset');
    assert.deepEqual(root.attrs, {
      'sampler.type': { stringValue: 'const' },
      'http.method': { stringValue: 'GET' },
      'http.status_code': { intValue: '200' },
      'internal.span.format': { stringValue: 'proto' },
    });
    assert.deepEqual(root.span.events, [{ timeUnixNano: '1700000000001000000', name: 'HTTP request received', attributes: [{ key: 'level', value: { stringValue: 'info' } }] }]);
    assert.deepEqual(root.resource, {
      'service.name': { stringValue: 'frontend' },
      ip: { stringValue: '10.0.0.7' },
      'client-uuid': { stringValue: '1e5f' },
      'host.name': { stringValue: 'host-1' },
      'opencensus.exporterversion': { stringValue: 'Jaeger-Go-2.30.0' },
    });

    const find = byName(spans, 'FindDriverIDs');
    assert.equal(find.span.parentSpanId, a);
    assert.equal(find.span.kind, 3);
    assert.deepEqual(find.span.status, { message: 'redis timeout', code: 2 });
    assert.deepEqual(find.attrs, { 'param.location': { stringValue: '728,326' } });
    assert.deepEqual(find.span.events, [
      {
        timeUnixNano: '1700000000020000000',
        name: 'error',
        attributes: [
          { key: 'message', value: { stringValue: 'redis timeout' } },
          { key: 'retry', value: { intValue: '3' } },
        ],
      },
    ]);
    assert.deepEqual(find.resource, { 'service.name': { stringValue: 'redis' }, ip: { stringValue: '10.0.0.8' } });

    const get = byName(spans, 'GetDriver');
    assert.equal(get.span.parentSpanId, b);
    assert.deepEqual(get.span.status, { code: 1 });
    assert.equal(get.span.traceState, 'rojo=00f067aa0ba902b7');
    assert.deepEqual(get.scope, { name: 'redis-instrumentation', version: '1.2.3' });
    assert.deepEqual(get.attrs, {
      ratio: { doubleValue: 0.25 },
      big: { intValue: '9007199254740993' },
      cached: { boolValue: false },
      'key.bytes': { bytesValue: 'AAH+/w==' },
    });
    assert.deepEqual(get.span.links, [{ traceId, spanId: a, attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }] }]);

    const customer = byName(spans, 'GET /customer');
    assert.deepEqual(customer.span.status, { message: 'Not Found', code: 2 }, 'a client 4xx is an error');

    const [cron] = await stored(shortTrace);
    assert.equal(cron.span.spanId, shortSpan);
    assert.equal(cron.span.startTimeUnixNano, '1700000000000000500', 'fractional microseconds are kept');
    assert.equal(cron.span.endTimeUnixNano, '1700000000000002750');
    assert.deepEqual(cron.resource, { 'service.name': { stringValue: 'scheduler' } });
  });

  test('a bare Jaeger trace object and an array of traces are read too', async () => {
    const traceId = randomTraceId();
    const span = (id: string) => ({ traceID: traceId, spanID: id, operationName: 'op', startTime: 1_700_000_000_000_000, duration: 1, processID: 'p1' });
    const trace = { traceID: traceId, spans: [span(randomSpanId())], processes: { p1: { serviceName: 'bare', tags: [] } } };
    const trace2 = { ...trace, spans: [span(randomSpanId())] };
    const out = await importCli(file('bare.json', JSON.stringify(trace)), file('traces-array.json', JSON.stringify([trace2])));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /bare\.json: 1 trace\(s\), 1 span\(s\) \[Jaeger JSON\]/);
    assert.match(out.stdout, /traces-array\.json: 1 trace\(s\), 1 span\(s\) \[Jaeger JSON\]/);
    assert.equal((await stored(traceId)).length, 2);
  });
});

describe('malformed files', () => {
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['empty.json', '  \n', /the input is empty/],
    ['broken.json', '{\n  "resourceSpans": [\n    { "scopeSpans": [ }\n  ]\n}\n', /^broken\.json: rejected \(400\): invalid JSON at line 3, column 23: /],
    [
      'bad-line.jsonl',
      `${JSON.stringify(otlpRequest(randomTraceId(), 'x'))}\n{"resourceSpans": [}\n`,
      /line 2, column 20: invalid JSON: /,
    ],
    [
      'bad-field.jsonl',
      `${JSON.stringify(otlpRequest(randomTraceId(), 'x'))}\n\n{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}\n`,
      /line 3: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: expected an integer/,
    ],
    ['tempo-bad.json', '{"batches":[{"scopeSpans":[{"spans":[{"kind":"SERVER"}]}]}]}', /batches\[0\]\.scopeSpans\[0\]\.spans\[0\]\.kind: expected an int32 or one of SPAN_KIND_UNSPECIFIED/],
    [
      'jaeger-bad.json',
      '{"data":[{"traceID":"abc","spans":[{"spanID":"12"},{"spanID":"xyz"}],"processes":{}}]}',
      /data\[0\]\.spans\[0\]\.startTime: expected microseconds/,
    ],
    ['jaeger-bad-id.json', '{"data":[{"traceID":"abc","spans":[{"spanID":"xyz","startTime":1}],"processes":{}}]}', /data\[0\]\.spans\[0\]\.spanID: expected a hex id of at most 16 digits, got "xyz"/],
    ['jaeger-process.json', '{"data":[{"traceID":"abc","spans":[{"spanID":"1","startTime":1,"processID":"p9"}],"processes":{}}]}', /spans\[0\]\.processID: "p9" is not a key of data\[0\]\.processes/],
    ['unknown.json', '{"traces":[],"meta":{}}', /not a trace format tracebox knows: .* got an object with keys "traces", "meta"/],
    ['zipkin.json', '[{"traceId":"4bf92f3577b34da6","id":"00f067aa0ba902b7","name":"get","localEndpoint":{"serviceName":"a"}}]', /Zipkin v2 JSON, which tracebox does not import/],
    ['number.json', '42', /expected a JSON object or array, got 42/],
    ['bad.json.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), /invalid gzip data/],
  ];
  test('each is refused with what was wrong and where, and the other files still load', async () => {
    const good = file('good.json', JSON.stringify(otlpRequest(randomTraceId(), 'good')));
    const paths = cases.map(([name, content]) => file(name, content));
    const out = await importCli(...paths, good, path.join(tmp.dir, 'missing.json'));
    assert.equal(out.code, 1);
    const errors = out.stderr.trim().split('\n');
    for (const [i, [name, , pattern]] of cases.entries()) {
      const line = errors.find((l) => l.startsWith(`${paths[i]}: `));
      assert.ok(line, `an error line for ${name} in:\n${out.stderr}`);
      assert.match(line.slice(tmp.dir.length + 1), pattern, name);
    }
    assert.match(out.stderr, /missing\.json: cannot read: ENOENT/);
    assert.match(out.stdout, /good\.json: 1 trace\(s\), 2 span\(s\)/);
  });

  test('import without files is a usage error', async () => {
    const out = await runCli(['import', '--url', tb.apiUrl]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /expected at least one file/);
  });
});

describe('POST /api/import', () => {
  test('answers 200 with counts, and skips spans already stored', async () => {
    const traceId = randomTraceId();
    const body = JSON.stringify(otlpRequest(traceId, 'dedupe', ['a', 'b', 'c']));
    const first = await post(body);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(JSON.parse(first.text), { traces: 1, spans: 3, rejected: 0, format: 'OTLP/JSON' });
    const second = await post(body);
    assert.deepEqual(JSON.parse(second.text), { traces: 1, spans: 3, rejected: 0, format: 'OTLP/JSON' });
    assert.equal((await stored(traceId)).length, 3, 'the second import stored nothing new');
  });

  test('gzip by Content-Encoding, by magic bytes, and both', async () => {
    const ids = [randomTraceId(), randomTraceId(), randomTraceId()];
    const gz = (id: string) => zlib.gzipSync(JSON.stringify(otlpRequest(id, 'gzip')));
    const header = await post(gz(ids[0]), { 'content-encoding': 'gzip' });
    assert.equal(header.status, 200, header.text);
    const magic = await post(gz(ids[1]), { 'content-type': 'application/gzip' });
    assert.equal(magic.status, 200, magic.text);
    const both = await post(zlib.gzipSync(gz(ids[2])), { 'content-encoding': 'gzip' });
    assert.equal(both.status, 200, both.text);
    assert.equal(JSON.parse(both.text).format, 'OTLP/JSON (gzip)');
    for (const id of ids) assert.equal((await stored(id)).length, 2);
  });

  test('spans with bad ids are counted as rejected, the rest stored', async () => {
    const traceId = randomTraceId();
    const req = otlpRequest(traceId, 'partial', ['ok', 'bad']) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Json[] }> }> };
    req.resourceSpans[0].scopeSpans[0].spans[1].spanId = 'abcd';
    const res = await post(JSON.stringify(req));
    assert.equal(res.status, 200, res.text);
    const answer = JSON.parse(res.text) as Json;
    assert.deepEqual({ ...answer, message: undefined }, { traces: 1, spans: 1, rejected: 1, format: 'OTLP/JSON', message: undefined });
    assert.match(String(answer.message), /span id must be 8 bytes, got 2/);
  });

  test('400 for malformed input, 405 for other methods; any content type a web page cannot send unasked', async () => {
    const bad = await post('{"resourceSpans": 5}');
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'resourceSpans: expected an array, got 5');
    const encoding = await post('{}', { 'content-encoding': 'br' });
    assert.equal(encoding.status, 400);
    assert.match(encoding.text, /unsupported Content-Encoding "br"/);
    const get = await fetch(`${tb.apiUrl}/api/import`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    for (const type of ['application/octet-stream', 'application/x-ndjson', 'application/x-gzip']) {
      const res = await post(JSON.stringify(otlpRequest(randomTraceId(), 'ct')), { 'content-type': type });
      assert.equal(res.status, 200, `${type}: ${res.text}`);
    }
    const text = await post(JSON.stringify(otlpRequest(randomTraceId(), 'ct')), { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
  });

  test('413 over --max-body, before and after decompression', async () => {
    const small = await startTracebox({ maxBody: 4096, log: () => {} });
    try {
      const big = JSON.stringify(otlpRequest(randomTraceId(), 'x'.repeat(5000)));
      const plain = await post(big, {}, small.apiUrl);
      assert.equal(plain.status, 413);
      assert.match(plain.text, /exceeds the import limit of 4096 bytes .*--max-body/);
      const bomb = zlib.gzipSync(big);
      assert.ok(bomb.length < 4096);
      assert.equal((await post(bomb, {}, small.apiUrl)).status, 413);
      assert.equal((await post(bomb, { 'content-encoding': 'gzip' }, small.apiUrl)).status, 413);
      const cli = await runCli(['import', file('big.json', big), '--url', small.apiUrl]);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /big\.json: the body exceeds the import limit of 4096 bytes/);
    } finally {
      await small.close();
    }
  });
});
