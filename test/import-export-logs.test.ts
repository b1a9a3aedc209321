/**
 * OTLP/JSON log files through `POST /api/import` (what `tracebox import` sends): a logs
 * request alone, and JSON lines holding a trace request and a logs request; every field
 * read back through /api/logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';

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
