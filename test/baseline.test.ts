/**
 * The test API's side of runs and diffs: a run started and ended through the client, its
 * traces compared with a stored baseline file (calls per trace exact, durations within
 * tolerances), and the diff of two runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertTraceBaseline, checkTraceBaseline, startTracebox, type RunRecord, type TestTracebox, type Trace } from '../src/testing/index.ts';
import { tempDir } from './helpers/tracebox.ts';

const SHOP = fileURLToPath(new URL('./fixtures/shop.mjs', import.meta.url));

describe('trace baselines and runs in the test API', () => {
  let tb: TestTracebox;
  const dir = tempDir('tracebox-baseline-');
  const file = path.join(dir.dir, 'checkout.baseline.json');

  /** Runs the shop as one recorded run; resolves with the run and its 20 traces. */
  async function shopRun(label: string, ...args: string[]): Promise<{ run: RunRecord; traces: Trace[] }> {
    const run = await tb.startRun({ label, command: `shop ${args.join(' ')}` });
    const code = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [SHOP, ...args], { env: { ...process.env, ...tb.env({ run: run.id }) }, stdio: 'inherit' }).on('exit', resolve),
    );
    const query = `{ resource.tracebox.run = "${run.id}" && name = "GET /cart" }`;
    await tb.waitForSpans(query, { count: 20, timeoutMs: 10_000 });
    const ended = await tb.endRun(run.id, code);
    return { run: ended, traces: await tb.traces(query, { limit: 100 }) };
  }

  before(async () => {
    tb = await startTracebox();
  });
  after(async () => {
    await tb.close();
    dir.remove();
  });

  test('a baseline is written once, then held: same code passes, an added per-item query fails calls>+0', async () => {
    const base = await shopRun('base', '--seed=1');
    assert.equal(base.traces.length, 20);
    assert.equal(base.run.spans, 80);
    // Written as outside CI (in CI a missing baseline fails, as a missing snapshot does).
    const saved = process.env.CI;
    delete process.env.CI;
    let written: ReturnType<typeof checkTraceBaseline>;
    try {
      written = checkTraceBaseline(base.traces, file, { update: false });
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
    assert.deepEqual(written, { pass: true, message: `trace baseline ${file} written` });
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { tracebox: string; traces: number; operations: Array<{ name: string; calls: number; example?: string }> };
    assert.equal(stored.tracebox, 'trace baseline');
    assert.equal(stored.traces, 20);
    assert.ok(stored.operations.every((o) => o.example === undefined), 'no trace ids in the file');

    const same = await shopRun('same', '--seed=2');
    const held = checkTraceBaseline(same.traces, file, { failOn: ['calls>+0', 'new-errors', 'p95>+20%'] });
    assert.equal(held.pass, true, held.message);
    assert.equal(held.diff?.changed, false);

    const nPlusOne = await shopRun('n+1', '--seed=3', '--per-item');
    const broken = checkTraceBaseline(nPlusOne.traces, file);
    assert.equal(broken.pass, false);
    assert.match(broken.message, /^traces break baseline .*\n {2}calls>\+0: shop: SELECT items \[client\] 0 → 3 calls per trace\n/);
    assert.throws(() => assertTraceBaseline(nPlusOne.traces, file), /SELECT items \[client\]\s+added\s+0 → 3/);

    // Durations count only when asked for, beyond the noise bound.
    const slow = await shopRun('slow', '--seed=4', '--slow-charge');
    assert.equal(checkTraceBaseline(slow.traces, file).pass, true);
    const p95 = checkTraceBaseline(slow.traces, file, { failOn: ['p95>+50%'] });
    assert.equal(p95.pass, false);
    assert.match(p95.message, /p95>\+50%: payment: POST \/charge \[server\] p95 (19|20)\.\d ms → 3[45]\.\d ms/);
    assert.equal(checkTraceBaseline(slow.traces, file, { failOn: ['p95>+50%'], noise: { minChangePct: 100 } }).pass, true);

    // The same comparison between two recorded runs, through the API.
    const diff = await tb.diff({ a: base.run.id, b: same.run.id });
    assert.equal(diff.changed, false);
    assert.deepEqual([diff.runs.a?.label, diff.runs.b?.label], ['base', 'same']);
    const latest = await tb.diff();
    assert.deepEqual([latest.runs.a?.label, latest.runs.b?.label], ['n+1', 'slow']);
    assert.deepEqual((await tb.runs()).map((r) => r.label), ['slow', 'n+1', 'same', 'base']);
  });

  test('a file that is not a baseline is named, not misread', () => {
    const other = path.join(dir.dir, 'other.json');
    fs.writeFileSync(other, '{"hello": 1}\n');
    assert.throws(() => checkTraceBaseline([], other), /other\.json is not a tracebox trace baseline/);
  });

  test('run API answers bad input with 400 and unknown runs with 404', async () => {
    const bad = await tb.fetch('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"label": 5}' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /"label" must be a string/);
    const missing = await tb.fetch('/api/runs/999/end', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(missing.status, 404);
    const diff = await tb.fetch('/api/runs/diff?a=nope');
    assert.equal(diff.status, 400);
    assert.match(await diff.text(), /no run "nope"/);
    const noise = await tb.fetch('/api/runs/diff?minDelta=soon');
    assert.equal(noise.status, 400);
  });
});
