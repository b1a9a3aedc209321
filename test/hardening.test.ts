/**
 * Unlucky conditions: clients that go quiet, a disk that fills, a size limit that must
 * hold on disk.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CONNECTION_TIMEOUTS } from '../src/otlp/index.ts';
import { generateRequests } from '../scripts/lib/span-generator.ts';
import { postTraces } from './helpers/http.ts';
import { b64, encodeRequest } from './helpers/requests.ts';
import { randomSpanId, randomTraceId, startTestTracebox, tempDir } from './helpers/tracebox.ts';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function smallExport(service: string): Uint8Array {
  const traceId = randomTraceId();
  return encodeRequest({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans: [{ traceId: b64(traceId), spanId: b64(randomSpanId()), name: 'op', startTimeUnixNano: String(Date.now() * 1e6), endTimeUnixNano: String(Date.now() * 1e6 + 1000) }] }],
      },
    ],
  });
}

/** A socket to `url`'s port that writes `text` (maybe nothing) and then stays silent; resolves when the server closes it. */
function silent(url: string, text: string): { closed: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname, () => socket.write(text));
  socket.on('error', () => {});
  socket.resume();
  cleanups.push(() => socket.destroy());
  return { closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

function filesSize(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

describe('slow and idle clients', () => {
  test(`announced bodies that never come hold nothing, and silent connections are closed (after ${CONNECTION_TIMEOUTS.silentMs / 1000} s)`, async () => {
    const tb = await startTestTracebox();
    cleanups.push(() => tb.close());
    const announce = `POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`;
    const stalled = Array.from({ length: 4 }, () => silent(tb.otlpHttpUrl, announce));
    const idleGrpc = Array.from({ length: 3 }, () => silent(tb.otlpGrpcUrl, ''));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Meanwhile, other exporters are answered as if nothing were waiting.
    for (let i = 0; i < 5; i++) assert.equal((await postTraces(tb.otlpHttpUrl, smallExport('meanwhile'))).status, 200);
    await Promise.all([...stalled, ...idleGrpc].map((s) => s.closed));
  });
});

/** Mounts a tmpfs of `size` at a fresh directory; undefined where this process may not mount. */
function tmpfs(size: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    fs.rmdirSync(dir);
    return undefined;
  }
  cleanups.push(() => {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    fs.rmdirSync(dir);
  });
  return dir;
}

describe('a full disk', () => {
  const mount = tmpfs('24m');
  test('exports are refused as retryable while it is full, queries go on, and ingest resumes when there is room', { skip: mount === undefined && 'mounting a tmpfs needs root; run as root to check a full disk' }, async () => {
    const data = path.join(mount!, 'data');
    const tb = await startTestTracebox({ data, maxSize: 0 });
    cleanups.push(() => tb.close());
    // Most of the room goes to a file that is removed later, so the store fills quickly.
    const filler = path.join(mount!, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(12 * 1024 * 1024, 1));
    let refusal: Awaited<ReturnType<typeof postTraces>> | undefined;
    for (const req of generateRequests({ spans: 200_000, seed: 3 })) {
      const res = await postTraces(tb.otlpHttpUrl, req.bytes);
      if (res.status !== 200) {
        refusal = res;
        break;
      }
    }
    assert.ok(refusal, 'the disk filled up');
    assert.ok(refusal.status === 503 || refusal.status === 429, `refused with ${refusal.status}: ${refusal.body.toString()}`);
    assert.ok(refusal.headers.get('retry-after'), 'with Retry-After');
    assert.equal((await fetch(`${tb.apiUrl}/ready`)).status, 200);
    assert.equal((await fetch(`${tb.apiUrl}/api/search?q=${encodeURIComponent('{ }')}&limit=5`)).status, 200);
    const doctor = (await (await fetch(`${tb.apiUrl}/api/doctor`)).json()) as { findings: Array<{ code: string; message: string }> };
    assert.match(doctor.findings.find((f) => f.code === 'store-unavailable')?.message ?? '', /disk is full.*tracebox\.db/);
    fs.rmSync(filler);
    let resumed = 0;
    for (let i = 0; i < 50 && resumed === 0; i++) {
      if ((await postTraces(tb.otlpHttpUrl, smallExport('after'))).status === 200) resumed++;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(resumed, 1, 'ingest resumed');
    await tb.close();
    const db = new Database(path.join(data, 'tracebox.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});

describe('--max-size', () => {
  test('database, WAL and shared memory stay near the limit: 8 MiB after ~40 MB of spans is at most 10 MiB once idle', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const tb = await startTestTracebox({ data: dir.dir, maxSize: 8 * 1024 * 1024 });
    cleanups.push(() => tb.close());
    let sent = 0;
    for (const req of generateRequests({ spans: 100_000, seed: 5 })) {
      for (;;) {
        const res = await postTraces(tb.otlpHttpUrl, req.bytes);
        if (res.status === 200) break;
        assert.equal(res.status, 503, res.body.toString());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      sent += req.bytes.length;
    }
    assert.ok(sent > 35 * 1024 * 1024, `sent ${sent} bytes`);
    // Retention looks every few seconds and the WAL is cut back once ingest is idle.
    let size = filesSize(dir.dir);
    for (let i = 0; i < 150 && size > 10 * 1024 * 1024; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      size = filesSize(dir.dir);
    }
    assert.ok(size <= 10 * 1024 * 1024, `${size} bytes on disk`);
  });
});
