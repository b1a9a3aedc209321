/**
 * OTLP/JSON log files through `POST /api/import` (what `tracebox import` sends): a logs
 * request alone, and JSON lines holding a trace request and a logs request; every field
 * read back through /api/logs. `tracebox export --logs` writes a trace's records beside
 * it, and the file imports back into another tracebox unchanged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';
import { runCli } from './helpers/cli.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

const logsFile = (body: string, service = 'importer') => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [
        {
          scope: { name: 'file-logger', version: '1.0' },
          logRecords: [
            {
              timeUnixNano: '1700000000000000000',
              observedTimeUnixNano: '1700000000000000100',
              severityNumber: 17,
              severityText: 'ERROR',
              body: { stringValue: body },
              attributes: [{ key: 'order.id', value: { stringValue: '42' } }],
              traceId: TRACE,
              spanId: SPAN,
              flags: 1,
              eventName: 'payment.failed',
            },
          ],
        },
      ],
    },
  ],
});

const traceFile = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'importer' } }] },
      scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, name: 'POST /pay', kind: 2, startTimeUnixNano: '1699999999990000000', endTimeUnixNano: '1700000000010000000' }] }],
    },
  ],
};

describe('importing OTLP/JSON log files', () => {
  let tb: TestTracebox;
  before(async () => {
    tb = await startTracebox();
  });
  after(() => tb.close());

  async function importBody(body: string): Promise<{ status: number; answer: Record<string, unknown> | string }> {
    const res = await fetch(`${tb.apiUrl}/api/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, answer: res.ok ? ((await res.json()) as Record<string, unknown>) : await res.text() };
  }

  test('a logs request alone is stored, every field intact', async () => {
    const { status, answer } = await importBody(JSON.stringify(logsFile('card declined by issuer')));
    assert.equal(status, 200, String(answer));
    assert.deepEqual(answer, { traces: 0, spans: 0, rejected: 0, format: 'OTLP/JSON logs', logs: 1, logsRejected: 0 });
    const [r] = await tb.logs({ body: 'card declined by issuer' });
    assert.equal(r.timeUnixNano, '1700000000000000000');
    assert.equal(r.observedTimeUnixNano, '1700000000000000100');
    assert.deepEqual([r.severityNumber, r.severityText, r.eventName, r.flags], [17, 'ERROR', 'payment.failed', 1]);
    assert.deepEqual([r.traceId, r.spanId, r.service, r.attributes['order.id']], [TRACE, SPAN, 'importer', '42']);
    assert.deepEqual(r.scope, { name: 'file-logger', version: '1.0' });
  });

  test('JSON lines with a trace and its logs: both stored, the record linked to its trace', async () => {
    const { status, answer } = await importBody(`${JSON.stringify(traceFile)}\n${JSON.stringify(logsFile('retry budget exhausted'))}\n`);
    assert.equal(status, 200, String(answer));
    assert.deepEqual(answer, { traces: 1, spans: 1, rejected: 0, format: 'OTLP/JSON lines, OTLP/JSON logs', logs: 1, logsRejected: 0 });
    const [r] = await tb.logs({ body: 'retry budget exhausted' });
    assert.equal(r.traceStored, true);
  });

  test('a malformed logs request is a 400 naming the place', async () => {
    const bad = logsFile('x');
    (bad.resourceLogs[0].scopeLogs[0].logRecords[0] as Record<string, unknown>).attributes = 'order.id=42';
    const { status, answer } = await importBody(JSON.stringify(bad));
    assert.equal(status, 400, JSON.stringify(answer));
    assert.match(String(answer), /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.attributes/);
  });
});

describe('tracebox export --logs', () => {
  test("writes the traces' log records as a second line, which imports back unchanged", async () => {
    const a = await startTracebox();
    const b = await startTracebox();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-export-logs-'));
    try {
      const withMap = logsFile('ignored');
      const record = withMap.resourceLogs[0].scopeLogs[0].logRecords[0] as Record<string, unknown>;
      record.body = { kvlistValue: { values: [{ key: 'order', value: { intValue: '42' } }, { key: 'ok', value: { boolValue: false } }] } };
      record.droppedAttributesCount = 2;
      const res = await fetch(`${a.apiUrl}/api/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `${JSON.stringify(traceFile)}\n${JSON.stringify(withMap)}\n` });
      assert.equal(res.status, 200, await res.text());
      const out = await runCli(['export', TRACE, '--logs', '--url', a.apiUrl]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /exported 1 trace\(s\), 1 span\(s\), 1 log record\(s\)/);
      const lines = out.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      const logs = JSON.parse(lines[1]) as typeof withMap;
      // Every field as sent: the OTLP/JSON printing omits nothing but defaults.
      assert.deepEqual(logs.resourceLogs[0].scopeLogs[0].logRecords[0], record);
      assert.deepEqual(logs.resourceLogs[0].scopeLogs[0].scope, withMap.resourceLogs[0].scopeLogs[0].scope);
      const file = path.join(dir, 'export.jsonl');
      fs.writeFileSync(file, out.stdout);
      const back = await runCli(['import', file, '--url', b.apiUrl]);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /1 trace\(s\), 1 span\(s\), 1 log record\(s\) \[OTLP\/JSON lines, OTLP\/JSON logs\]/);
      const [again] = await b.logs({ traceId: TRACE });
      assert.equal(again.body, '{"ok":false,"order":42}');
      assert.equal(again.droppedAttributesCount, 2);
      assert.equal(again.traceStored, true);
      // Without --logs the file stays one request.
      const plain = await runCli(['export', TRACE, '--url', a.apiUrl]);
      assert.equal(plain.stdout.trim().split('\n').length, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await a.close();
      await b.close();
    }
  });
});
