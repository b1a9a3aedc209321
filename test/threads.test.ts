/**
 * The threads as a user sees them: an export's answer means its spans are stored and
 * visible to every reader; a large request is stored whole, in slices, while other
 * requests are answered; a malformed one stores nothing; Node flags meant for the
 * process do not stop the threads from starting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { JSON_TYPE, getTraceJson, json, postTraces } from './helpers/http.ts';
import { b64, encodeRequest } from './helpers/requests.ts';
import type { Json } from './helpers/tempo-json.ts';
import { randomSpanId, randomTraceId, startTestTracebox, tempDir, type TestTracebox } from './helpers/tracebox.ts';
import { SLICE_SPANS } from '../src/otlp/index.ts';
import { REPO, startCommand } from './helpers/cli.ts';

/** An export request of `traces` traces × `perTrace` spans, service `service`. */
function request(traces: number, perTrace: number, service = 'threads'): { request: Json; traceIds: string[] } {
  const traceIds = Array.from({ length: traces }, () => randomTraceId());
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = traceIds.flatMap((traceId, t) =>
    Array.from({ length: perTrace }, (_, i) => ({
      traceId: b64(traceId),
      spanId: b64(randomSpanId()),
      name: i === 0 ? 'root' : `child ${i}`,
      startTimeUnixNano: String(now + BigInt(t * 1000 + i)),
      endTimeUnixNano: String(now + BigInt(t * 1000 + i + 500)),
      attributes: [{ key: 'item.index', value: { intValue: String(t * perTrace + i) } }],
    })),
  );
  return { request: { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] }, traceIds };
}

async function searchCount(apiUrl: string, q: string): Promise<number> {
  const res = await fetch(`${apiUrl}/api/search?${new URLSearchParams({ q, limit: '100000', spss: '1' })}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { traces: unknown[] }).traces.length;
}

let tb: TestTracebox;
let dir: ReturnType<typeof tempDir>;
before(async () => {
  dir = tempDir();
  tb = await startTestTracebox({ data: dir.dir });
});
after(async () => {
  await tb.close();
  dir.remove();
});

describe('read-your-writes', () => {
  test('when an export is answered, search, trace by id and /api/expect see its spans', async () => {
    for (let i = 0; i < 20; i++) {
      const { request: body, traceIds } = request(1, 3, `ryw-${i}`);
      assert.equal((await postTraces(tb.otlpHttpUrl, encodeRequest(body))).status, 200);
      assert.equal(await searchCount(tb.apiUrl, `{ resource.service.name = "ryw-${i}" }`), 1, `search after export ${i}`);
      const trace = await getTraceJson(tb.apiUrl, 'v2', traceIds[0]);
      assert.equal(trace.status, 200);
      const expectation = await fetch(`${tb.apiUrl}/api/expect`, {
        method: 'POST',
        headers: { 'Content-Type': JSON_TYPE },
        body: JSON.stringify({ query: `{ resource.service.name = "ryw-${i}" }`, min: 3, max: 3, timeoutMs: 0, settleMs: 0 }),
      });
      assert.equal(((await expectation.json()) as { ok: boolean }).ok, true, `expect after export ${i}`);
    }
  });

  test('concurrent exports are each stored when answered (several share a transaction)', async () => {
    const sent = Array.from({ length: 24 }, (_, i) => request(2, 5, `concurrent-${i}`));
    const answers = await Promise.all(
      sent.map(async (s, i) => {
        const res = await postTraces(tb.otlpHttpUrl, encodeRequest(s.request));
        // Checked as each answer arrives, before the others are done.
        return { status: res.status, found: await searchCount(tb.apiUrl, `{ resource.service.name = "concurrent-${i}" }`) };
      }),
    );
    for (const [i, a] of answers.entries()) assert.deepEqual(a, { status: 200, found: 2 }, `export ${i}`);
  });
});

describe('large requests', () => {
  test(`a request of many slices (${SLICE_SPANS} spans each) is stored whole, while other requests are answered`, async () => {
    const big = request(1500, 20, 'big'); // 30,000 spans
    const stored = postTraces(tb.otlpHttpUrl, encodeRequest(big.request));
    // Meanwhile: the health check and a small export are answered.
    const ready = await fetch(`${tb.apiUrl}/ready`);
    assert.equal(ready.status, 200);
    const small = request(1, 2, 'small-meanwhile');
    assert.equal((await postTraces(tb.otlpHttpUrl, encodeRequest(small.request))).status, 200);
    assert.equal((await stored).status, 200);
    assert.equal(await searchCount(tb.apiUrl, '{ resource.service.name = "big" && name = "root" }'), 1500);
    assert.equal(await searchCount(tb.apiUrl, '{ resource.service.name = "small-meanwhile" }'), 1);
  });

  test('OTLP/JSON of many slices is stored whole; a mistake deep inside is named by its place, and nothing is stored', async () => {
    const big = request(300, 20, 'big-json'); // 6,000 spans
    const text = JSON.stringify(big.request);
    assert.equal((await postTraces(tb.otlpHttpUrl, text, { contentType: JSON_TYPE })).status, 200);
    assert.equal(await searchCount(tb.apiUrl, '{ resource.service.name = "big-json" && name = "root" }'), 300);

    const broken = request(300, 20, 'broken-json');
    const spans = ((broken.request.resourceSpans as Json[])[0].scopeSpans as Json[])[0].spans as Json[];
    spans[5000].startTimeUnixNano = 'soon';
    const res = await postTraces(tb.otlpHttpUrl, JSON.stringify(broken.request), { contentType: JSON_TYPE });
    assert.equal(res.status, 400);
    assert.match(String(json(res).message), /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[5000\]\.startTimeUnixNano/);
    assert.equal(await searchCount(tb.apiUrl, '{ resource.service.name = "broken-json" }'), 0);
  });

  test('a malformed protobuf request of many slices stores nothing', async () => {
    const bytes = encodeRequest(request(300, 20, 'truncated').request);
    const res = await postTraces(tb.otlpHttpUrl, bytes.subarray(0, bytes.length - 7));
    assert.equal(res.status, 400);
    assert.equal(await searchCount(tb.apiUrl, '{ resource.service.name = "truncated" }'), 0);
  });
});

describe('node flags', () => {
  test('tracebox starts its threads under V8 flags a worker refuses (node --max-old-space-size=… tracebox)', async () => {
    const cli = await startCommand(
      [process.execPath, '--max-old-space-size=512', '--stack-size=2000', '--import', 'tsx', path.join(REPO, 'src/cli.ts'), '--memory', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'],
      { timeoutMs: 30_000 },
    );
    try {
      const { request: body } = request(1, 3, 'flagged');
      assert.equal((await postTraces(cli.otlpHttpUrl, encodeRequest(body))).status, 200);
      assert.equal(await searchCount(cli.apiUrl, '{ resource.service.name = "flagged" }'), 1);
    } finally {
      await cli.stop();
    }
  });
});
