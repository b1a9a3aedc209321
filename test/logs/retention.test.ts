/**
 * Logs under retention and cleanup: the age limit and --max-size delete the oldest log
 * records with their terms, oldest arrivals first among traces and logs alike; a test
 * session's cleanup deletes its records too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createIngest } from '../../src/otlp/index.ts';
import { createRetention, Store } from '../../src/store/index.ts';
import { generateLogRequests } from '../../scripts/lib/log-generator.ts';
import { generateRequests } from '../../scripts/lib/span-generator.ts';
import { encode, ExportLogsServiceRequest } from '../helpers/proto.ts';
import { kv } from '../helpers/requests.ts';
import { startTestTracebox, tempDir } from '../helpers/tracebox.ts';

function fillLogs(store: Store, records: number, seed = 3): void {
  const ingest = createIngest(store);
  for (const req of generateLogRequests({ records, seed })) {
    const answer = ingest({ body: req.bytes, format: 'protobuf', signal: 'logs' });
    assert.ok(answer.ok && answer.result.rejected === 0);
  }
}

const count = (store: Store, sql: string): number => store.db.prepare(sql).pluck().get() as number;

describe('retention of logs', () => {
  test('deletes the records that arrived longer ago than the age limit, with their terms', async () => {
    const store = Store.open();
    try {
      fillLogs(store, 5000);
      // The first 3,000 arrived two hours ago.
      store.db.prepare('UPDATE logs SET seen_s = seen_s - 7200 WHERE id <= (SELECT min(id) FROM logs) + 2999').run();
      const pass = await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run();
      assert.equal(pass.deletedLogs, 3000);
      assert.equal(count(store, 'SELECT count(*) FROM logs'), 2000);
      assert.equal(count(store, 'SELECT count(*) FROM log_terms WHERE rowid NOT IN (SELECT id FROM logs)'), 0);
      // Terms of the remaining records still find them.
      assert.ok(store.logs.count({ terms: ['order'] }) > 0);
      assert.equal((await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run()).deletedLogs, 0);
    } finally {
      store.close();
    }
  });

  test('--max-size deletes the oldest arrivals first, traces and logs alike', async () => {
    const dir = tempDir();
    const store = Store.open({ dataDir: dir.dir });
    try {
      const ingest = createIngest(store);
      for (const req of generateRequests({ spans: 6000, seed: 7 })) ingest({ body: req.bytes, format: 'protobuf' });
      fillLogs(store, 20_000);
      // Traces arrived first, then the logs, oldest first in each.
      store.db.prepare('UPDATE traces SET seen_s = id').run();
      store.db.prepare('UPDATE logs SET seen_s = 1000000 + id').run();
      // Half the store: more than the traces hold, less than the logs do.
      const limit = Math.round(createRetention(store, { maxAgeMs: 0, maxBytes: 0 }).usedBytes() / 2);
      const retention = createRetention(store, { maxAgeMs: 0, maxBytes: limit });
      const newestLog = count(store, 'SELECT max(id) FROM logs');
      const pass = await retention.run();
      assert.ok(pass.usedBytes <= limit, `used ${pass.usedBytes} bytes`);
      assert.ok(pass.deletedTraces > 0 && pass.deletedLogs > 0);
      // Every trace went before any log record did; the newest records stay.
      assert.equal(count(store, 'SELECT count(*) FROM traces'), 0);
      assert.equal(count(store, 'SELECT max(id) FROM logs'), newestLog);
      assert.equal(count(store, 'SELECT count(*) FROM log_terms WHERE rowid NOT IN (SELECT id FROM logs)'), 0);
    } finally {
      store.close();
      dir.remove();
    }
  });
});

describe('cleanup', () => {
  test('DELETE /api/traces?session= deletes the session\'s log records; without a session, everything', async () => {
    const tb = await startTestTracebox({ allowReset: true });
    try {
      const send = async (session: string, body: string): Promise<void> => {
        const request = { resourceLogs: [{ resource: { attributes: [kv('service.name', { stringValue: 'svc' })] }, scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] };
        const res = await fetch(`${tb.otlpHttpUrl}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'x-tracebox-session': session },
          body: new Uint8Array(encode(ExportLogsServiceRequest, request)),
        });
        assert.equal(res.status, 200);
      };
      await send('a', 'first of a');
      await send('a', 'second of a');
      await send('b', 'only of b');
      const del = await fetch(`${tb.apiUrl}/api/traces?session=a`, { method: 'DELETE' });
      assert.deepStrictEqual(await del.json(), { deletedTraces: 0, deletedSpans: 0, deletedLogs: 2 });
      const left = (await (await fetch(`${tb.apiUrl}/api/logs?service=svc`)).json()) as { logs: Array<{ body: string }> };
      assert.deepStrictEqual(left.logs.map((l) => l.body), ['only of b']);
      await fetch(`${tb.apiUrl}/api/traces`, { method: 'DELETE' });
      assert.deepStrictEqual(((await (await fetch(`${tb.apiUrl}/api/logs`)).json()) as { logs: unknown[] }).logs, []);
    } finally {
      await tb.close();
    }
  });
});
