/**
 * Round trips of hand-built OTLP log requests over every transport and encoding: every
 * LogRecord field is stored as sent (the stored LogRecord decodes to what was sent, and
 * over protobuf is the same bytes), resource and scope are stored once, and GET
 * /api/logs reads each field back. Then what the receivers answer to bad requests.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { grpcExport } from '../helpers/grpc.ts';
import { JSON_TYPE, PROTOBUF, postTraces } from '../helpers/http.ts';
import { decodePlain, encode, ExportLogsServiceRequest, ExportLogsServiceResponse, LogRecord, Resource, RpcStatus } from '../helpers/proto.ts';
import { b64, INT64_MIN, kv, richAttributes, toOtlpJson, UINT32_MAX, type JsonSpelling } from '../helpers/requests.ts';
import type { Json } from '../helpers/tempo-json.ts';
import { randomSpanId, randomTraceId, startTestTracebox, tempDir, type TestTracebox } from '../helpers/tracebox.ts';
import { DB_FILE } from '../../src/store/index.ts';
import type { LogJson } from '../../src/api/log-routes.ts';

let tb: TestTracebox;
let db: Database.Database;
const dir = tempDir();
before(async () => {
  tb = await startTestTracebox({ data: dir.dir });
  db = new Database(path.join(dir.dir, DB_FILE), { readonly: true });
});
after(async () => {
  db?.close();
  await tb?.close();
  dir.remove();
});

/** A body of every AnyValue kind, and what /api/logs says of it (type, text). */
const BODIES: Array<[Json | undefined, string, string]> = [
  [{ stringValue: 'payment declined for order 9: insufficient funds' }, 'string', 'payment declined for order 9: insufficient funds'],
  [{ intValue: INT64_MIN }, 'int', INT64_MIN],
  [{ doubleValue: 0.1 }, 'double', '0.1'],
  [{ boolValue: true }, 'bool', 'true'],
  [{ bytesValue: Buffer.from([0, 1, 0xfe, 0xff]).toString('base64') }, 'bytes', 'AAH+/w=='],
  [{ arrayValue: { values: [{ stringValue: 'a' }, { intValue: '9007199254740993' }, { boolValue: false }, {}] } }, 'array', '["a",9007199254740993,false,null]'],
  [
    { kvlistValue: { values: [kv('run', { stringValue: 'r1' }), kv('items', { intValue: '3' }), kv('event', { stringValue: 'cart.updated' }), kv('nested', { kvlistValue: { values: [kv('b', { doubleValue: 1.5 }), kv('a', { arrayValue: {} })] } })] } },
    'kvlist',
    '{"event":"cart.updated","items":3,"nested":{"a":[],"b":1.5},"run":"r1"}',
  ],
  [{}, 'empty', ''],
  [undefined, 'none', ''],
];

/** The request: BODIES.length records under one resource and scope, sent as two ResourceLogs to test dedupe. */
function logsRequest(service: string, traceId: string, spanId: string): { request: Json; records: Json[] } {
  const records: Json[] = BODIES.map(([body], i) => ({
    // The first record carries every field; the others vary the times and severity.
    timeUnixNano: i === BODIES.length - 1 ? '0' : String(1796617059226000001n + BigInt(i)),
    observedTimeUnixNano: String(1796617059226999999n + BigInt(i)),
    severityNumber: i === 0 ? 'SEVERITY_NUMBER_ERROR' : i === 1 ? 'SEVERITY_NUMBER_FATAL4' : 'SEVERITY_NUMBER_UNSPECIFIED',
    ...(i === 0 ? { severityText: 'ERROR' } : {}),
    ...(body === undefined ? {} : { body }),
    attributes: i === 0 ? richAttributes() : [kv('order.id', { stringValue: `r1-${i}` })],
    ...(i === 0 ? { droppedAttributesCount: 7, flags: UINT32_MAX, eventName: 'payment.failed' } : {}),
    ...(i < 3 ? { traceId: b64(traceId), spanId: b64(spanId) } : {}),
    ...(i === 2 ? { flags: 1 } : {}),
  }));
  const resource = {
    attributes: [kv('service.name', { stringValue: service }), kv('deployment.environment', { stringValue: 'dev' }), ...richAttributes()],
    droppedAttributesCount: 2,
  };
  const scope = { name: 'checkout', version: '1.2.3', attributes: [kv('scope.attr', { boolValue: true })], droppedAttributesCount: 1 };
  const half = Math.ceil(records.length / 2);
  const resourceLogs = (part: Json[]): Json => ({
    resource,
    scopeLogs: [{ scope, logRecords: part, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }],
    schemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
  });
  return { request: { resourceLogs: [resourceLogs(records.slice(0, half)), resourceLogs(records.slice(half))] }, records };
}

type Send = (body: Uint8Array, request: Json) => Promise<void>;

function expectHttpSuccess(res: Awaited<ReturnType<typeof postTraces>>, format: 'protobuf' | 'json'): void {
  assert.equal(res.status, 200, res.body.toString());
  if (format === 'json') assert.equal(res.body.toString(), '{"partialSuccess":{}}');
  else assert.deepStrictEqual([...res.body], [0x0a, 0x00]);
}

const httpProtobuf =
  (gzip: boolean): Send =>
  async (body) =>
    expectHttpSuccess(await postTraces(tb.otlpHttpUrl, body, { gzip, path: '/v1/logs' }), 'protobuf');
const httpJson =
  (spelling: JsonSpelling, gzip: boolean): Send =>
  async (_body, request) =>
    expectHttpSuccess(await postTraces(tb.otlpHttpUrl, toOtlpJson(request, spelling), { contentType: JSON_TYPE, gzip, path: '/v1/logs' }), 'json');
const grpcSend =
  (gzip: boolean): Send =>
  async (body) => {
    const { error, response } = await grpcExport(tb.otlpGrpcUrl, body, { gzip, signal: 'logs' });
    assert.equal(error, undefined);
    assert.deepStrictEqual([...response!], [0x0a, 0x00]);
  };

const TRANSPORTS: Array<[string, Send, boolean]> = [
  ['OTLP/HTTP protobuf', httpProtobuf(false), true],
  ['OTLP/HTTP protobuf, gzip', httpProtobuf(true), true],
  ['OTLP/HTTP JSON, enum names, int64 strings, hex ids', httpJson({ enums: 'names', int64: 'strings', ids: 'hex' }, false), false],
  ['OTLP/HTTP JSON, enum numbers, int64 numbers, base64 ids, gzip', httpJson({ enums: 'numbers', int64: 'numbers', ids: 'base64' }, true), false],
  ['OTLP/gRPC', grpcSend(false), true],
  ['OTLP/gRPC, gzip', grpcSend(true), true],
];

async function apiLogs(query: Record<string, string>): Promise<LogJson[]> {
  const res = await fetch(`${tb.apiUrl}/api/logs?${new URLSearchParams(query)}`);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { logs: LogJson[] }).logs;
}

describe('every LogRecord field round-trips', () => {
  TRANSPORTS.forEach(([name, send, bytesPreserved], t) => {
    test(name, async () => {
      const service = `roundtrip-${t}`;
      const traceId = randomTraceId();
      const spanId = randomSpanId();
      const { request, records } = logsRequest(service, traceId, spanId);
      const body = encode(ExportLogsServiceRequest, request);
      await send(body, request);

      // Stored: one resource row, one scope row, every record as sent.
      const resources = db.prepare('SELECT id, raw, schema_url AS schemaUrl FROM resources WHERE service = ?').all(service) as Array<{ id: number; raw: Buffer; schemaUrl: string }>;
      assert.equal(resources.length, 1);
      assert.deepStrictEqual(decodePlain(Resource, resources[0].raw), decodePlain(Resource, encode(Resource, (request.resourceLogs as Json[])[0].resource as Json)));
      assert.equal(resources[0].schemaUrl, 'https://opentelemetry.io/schemas/1.27.0');
      const rows = db.prepare('SELECT scope_id AS scopeId, raw, time_ns AS timeNs FROM logs WHERE resource_id = ? ORDER BY id').safeIntegers(true).all(resources[0].id) as Array<{ scopeId: bigint; raw: Buffer; timeNs: bigint }>;
      assert.equal(rows.length, records.length);
      assert.equal(new Set(rows.map((r) => r.scopeId)).size, 1);
      rows.forEach((row, i) => {
        const sent = encode(LogRecord, records[i]);
        if (bytesPreserved) assert.ok(Buffer.from(sent).equals(row.raw), `record ${i}: bytes`);
        assert.deepStrictEqual(decodePlain(LogRecord, row.raw), decodePlain(LogRecord, sent), `record ${i}`);
      });
      // A record without a time is placed at its observed time.
      assert.equal(rows[rows.length - 1].timeNs, 1796617059226999999n + BigInt(records.length - 1));

      // Read back through the API, oldest first.
      const got = await apiLogs({ service, direction: 'forward' });
      assert.equal(got.length, records.length);
      got.forEach((l, i) => {
        assert.equal(l.bodyType, BODIES[i][1], `record ${i}: body type`);
        assert.equal(l.body, BODIES[i][2], `record ${i}: body`);
        assert.equal(l.observedTimeUnixNano, String(1796617059226999999n + BigInt(i)));
        assert.equal(l.service, service);
        assert.equal(l.resource['deployment.environment'], 'dev');
        assert.deepStrictEqual(l.scope, { name: 'checkout', version: '1.2.3' });
      });
      const first = got[0];
      assert.equal(first.timeUnixNano, '1796617059226000001');
      assert.equal(first.severityNumber, 17);
      assert.equal(first.severityText, 'ERROR');
      assert.equal(first.droppedAttributesCount, 7);
      assert.equal(first.flags, UINT32_MAX);
      assert.equal(first.traceId, traceId);
      assert.equal(first.spanId, spanId);
      assert.equal(first.eventName, 'payment.failed');
      assert.equal(first.traceStored, false);
      assert.equal(first.attributes['int.min'], INT64_MIN);
      assert.equal(first.attributes['string'], 'héllo 🚀 “quoted” \\ \u0000');
      assert.equal(first.attributes['double.nan'], 'NaN');
      assert.equal(got[1].severityNumber, 24);
      assert.equal(got[2].flags, 1);
      assert.equal(got[3].traceId, '');

      // Found by trace, span, severity and attribute.
      assert.equal((await apiLogs({ traceId })).length, 3);
      assert.equal((await apiLogs({ spanId })).length, 3);
      assert.deepStrictEqual((await apiLogs({ service, minSeverity: 'FATAL' })).map((l) => l.severityNumber), [24]);
      assert.deepStrictEqual((await apiLogs({ service, attr: 'order.id=r1-4' })).map((l) => l.bodyType), ['bytes']);
    });
  });
});

describe('what /v1/logs answers to bad requests', () => {
  test('garbage is 400 with a google.rpc.Status, and stores nothing', async () => {
    const res = await postTraces(tb.otlpHttpUrl, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { path: '/v1/logs' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), PROTOBUF);
    assert.match(String(decodePlain(RpcStatus, res.body).message), /invalid ExportLogsServiceRequest/);
    const json = await postTraces(tb.otlpHttpUrl, '{"resourceLogs": 3}', { contentType: JSON_TYPE, path: '/v1/logs' });
    assert.equal(json.status, 400);
    assert.match(json.body.toString(), /resourceLogs: expected an array/);
    const { error } = await grpcExport(tb.otlpGrpcUrl, new Uint8Array([0x0a, 0x05, 0x01]), { signal: 'logs' });
    assert.equal(error?.code, 3); // INVALID_ARGUMENT
  });

  test('text/plain is 415', async () => {
    const res = await postTraces(tb.otlpHttpUrl, 'hello', { contentType: 'text/plain', path: '/v1/logs' });
    assert.equal(res.status, 415);
  });

  test('an invalid record is refused through partial success, the others are stored', async () => {
    const service = 'partial-logs';
    const request = {
      resourceLogs: [
        {
          resource: { attributes: [kv('service.name', { stringValue: service })] },
          scopeLogs: [
            {
              logRecords: [
                { body: { stringValue: 'kept' } },
                { body: { stringValue: 'bad trace id' }, traceId: Buffer.from([1, 2, 3]).toString('base64') },
                { body: { stringValue: 'bad span id' }, spanId: Buffer.from([1, 2, 3]).toString('base64') },
              ],
            },
          ],
        },
      ],
    };
    const res = await postTraces(tb.otlpHttpUrl, encode(ExportLogsServiceRequest, request), { path: '/v1/logs' });
    assert.equal(res.status, 200);
    const partial = decodePlain(ExportLogsServiceResponse, res.body).partialSuccess as Json;
    assert.equal(partial.rejectedLogRecords, '2');
    assert.match(String(partial.errorMessage), /rejected 2 invalid log record\(s\): log record 1: trace id must be empty or 16 bytes, got 3/);
    const json = await postTraces(tb.otlpHttpUrl, toOtlpJson(request, { enums: 'names', int64: 'strings', ids: 'base64' }), { contentType: JSON_TYPE, path: '/v1/logs' });
    assert.match(json.body.toString(), /^\{"partialSuccess":\{"rejectedLogRecords":"2","errorMessage":"rejected 2 invalid log record/);
    assert.deepStrictEqual((await apiLogs({ service })).map((l) => l.body), ['kept', 'kept']);
  });

  test('a body past --max-body is 413', async () => {
    const small = await startTestTracebox({ maxBody: 1024 });
    try {
      const records = Array.from({ length: 50 }, (_, i) => ({ body: { stringValue: `line ${i} ${'x'.repeat(40)}` } }));
      const res = await postTraces(small.otlpHttpUrl, encode(ExportLogsServiceRequest, { resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }), { path: '/v1/logs' });
      assert.equal(res.status, 413);
    } finally {
      await small.close();
    }
  });

  test('the session header tags records with tracebox.session; the token is required when set', async () => {
    const guarded = await startTestTracebox({ authToken: 'secret' });
    try {
      const body = encode(ExportLogsServiceRequest, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'in a session' } }] }] }] });
      assert.equal((await postTraces(guarded.otlpHttpUrl, body, { path: '/v1/logs' })).status, 401);
      const ok = await postTraces(guarded.otlpHttpUrl, body, { path: '/v1/logs', headers: { authorization: 'Bearer secret', 'x-tracebox-session': 's-42' } });
      assert.equal(ok.status, 200);
      const res = await fetch(`${guarded.apiUrl}/api/logs?session=s-42`, { headers: { authorization: 'Bearer secret' } });
      const logs = ((await res.json()) as { logs: LogJson[] }).logs;
      assert.deepStrictEqual(logs.map((l) => [l.body, l.resource['tracebox.session']]), [['in a session', 's-42']]);
    } finally {
      await guarded.close();
    }
  });
});
