import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startCli } from './helpers/cli.ts';

/** An OTLP/JSON request of `spans` spans in one trace whose id encodes `n`. */
function request(n: number, spans: number, padding = 0): { traceId: string; body: string } {
  const traceId = n.toString(16).padStart(32, 'a');
  const list = Array.from({ length: spans }, (_, i) => ({
    traceId,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op-${i}`,
    startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n),
    endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n + 500n),
    attributes: [{ key: 'pad', value: { stringValue: 'x'.repeat(padding) } }],
  }));
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'load' } }] }, scopeSpans: [{ spans: list }] }] });
  return { traceId, body };
}

async function spanCount(apiUrl: string, traceId: string): Promise<number> {
  const res = await fetch(`${apiUrl}/api/v2/traces/${traceId}`);
  const body = (await res.json()) as { trace: { resourceSpans?: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> } };
  return (body.trace.resourceSpans ?? []).flatMap((r) => r.scopeSpans).flatMap((s) => s.spans).length;
}

describe('backpressure', () => {
  test('past the pending limit exports are refused as retryable; held ones are stored when they finish', async () => {
    const tb = await startCli(['--memory', '--max-pending', '256KiB', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0']);
    try {
      const { hostname, port } = new URL(tb.otlpHttpUrl);
      // Two slow senders: headers and most of an ~110 KiB body each, the rest held back. What
      // has arrived is counted, so a third request would pass 256 KiB.
      const slow = Array.from({ length: 2 }, (_, i) => {
        const { traceId, body } = request(i, 50, 2200);
        const bytes = Buffer.from(body);
        const held = 4096;
        const req = http.request({ host: hostname, port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': bytes.length } });
        const answer = new Promise<number>((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        });
        req.write(bytes.subarray(0, bytes.length - held));
        return { traceId, answer, finish: () => req.end(bytes.subarray(bytes.length - held)) };
      });
      // Until the slow senders' bytes have reached the server, a third request is still let in.
      let refused: Response;
      for (let attempt = 0; ; attempt++) {
        refused = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request(100 + attempt, 40, 2000).body });
        if (refused.status !== 200 || attempt === 100) break;
        await refused.arrayBuffer();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(JSON.stringify(await refused.json()), /"code":14.*overloaded/);
      for (const s of slow) s.finish();
      const statuses = await Promise.all(slow.map((s) => s.answer));
      const accepted = slow.filter((_, i) => statuses[i] === 200);
      assert.equal(accepted.length, 2, `the held requests complete (${statuses.join(', ')})`);
      for (const s of accepted) assert.equal(await spanCount(tb.apiUrl, s.traceId), 50, `trace ${s.traceId} is complete`);
      // With the backlog gone, exports are accepted again.
      const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request(9999, 2).body });
      assert.equal(res.status, 200);
    } finally {
      await tb.stop();
    }
  });
});

describe('durability', () => {
  test('after SIGKILL in the middle of sustained ingest every acknowledged span is there and the database is intact', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-kill-'));
    const flags = ['--data', dir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'];
    try {
      const first = await startCli(flags);
      const acked: string[] = [];
      let n = 0;
      let stop = false;
      const senders = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const { traceId, body } = request(n++, 25);
          try {
            const res = await fetch(`${first.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            await res.arrayBuffer();
            if (res.status === 200) acked.push(traceId);
          } catch {
            return; // the server is gone
          }
        }
      });
      await new Promise((r) => setTimeout(r, 1500));
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      const exit = await first.exited;
      assert.equal(exit.signal, 'SIGKILL');
      assert.ok(acked.length > 20, `a sustained ingest was running (${acked.length} exports acknowledged)`);

      const second = await startCli(flags);
      try {
        for (const id of acked) assert.equal(await spanCount(second.apiUrl, id), 25, `acknowledged trace ${id}`);
      } finally {
        await second.stop();
      }
      const db = new Database(path.join(dir, 'tracebox.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
