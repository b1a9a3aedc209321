/**
 * Acceptance: runs and diffs. Three runs of an instrumented shop through the real
 * `tracebox run --data` (each its own process, so every run after the first reads the
 * records of earlier ones across a restart): two of the same code, one with an added
 * per-item query and a slower payment call. `tracebox diff` reports "no change" for the
 * first pair and names both changes for the second; thresholds set the exit code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/tracebox.ts';
import { startTracebox } from '../src/testing/index.ts';
import { createIngest } from '../src/otlp/index.ts';
import { createRetention, createRunWriter, Store } from '../src/store/index.ts';
import { runOfResource } from '../src/otlp/run.ts';
import type { RunDiff } from '../src/analysis/index.ts';
import type { RunRecord } from '../src/store/runs.ts';

const SHOP = fileURLToPath(new URL('./fixtures/shop.mjs', import.meta.url));

describe('tracebox run --data, tracebox runs, tracebox diff', () => {
  const data = tempDir('tracebox-runs-');
  after(() => data.remove());
  const d = ['--data', data.dir];

  before(async () => {
    for (const [label, ...args] of [
      ['base', '--seed=1'],
      ['same', '--seed=2'],
      ['feature', '--seed=3', '--per-item', '--slow-charge'],
    ]) {
      const out = await runCli(['run', ...d, '--label', label, '--', process.execPath, SHOP, ...args], {}, 60_000);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, new RegExp(`run \\d+ \\(${label}`));
    }
  });

  test('runs are listed with their label, command, exit code and spans', async () => {
    const out = await runCli(['runs', ...d, '--json']);
    assert.equal(out.code, 0, out.stderr);
    const runs = JSON.parse(out.stdout) as RunRecord[];
    assert.deepEqual(runs.map((r) => [r.id, r.label, r.exitCode, r.spans]), [
      ['3', 'feature', 0, 140],
      ['2', 'same', 0, 80],
      ['1', 'base', 0, 80],
    ]);
    assert.match(runs[0].command, /shop\.mjs --seed=3 --per-item --slow-charge$/);
    assert.ok(runs.every((r) => r.endedMs !== null && r.endedMs >= r.startedMs));
    const table = await runCli(['runs', ...d]);
    assert.match(table.stdout, /^ID\s+LABEL\s+COMMIT\s+BRANCH/);
    assert.match(table.stdout, /\n3\s+feature\s/);
  });

  test('two runs of the same code: "no change", and thresholds pass', async () => {
    const out = await runCli(['diff', 'base', 'same', ...d, '--fail-on', 'calls>+0', '--fail-on', 'p95>+20%', '--fail-on', 'new-errors']);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /^A {2}run 1 \(base/);
    assert.match(out.stdout, /\nno change \(4 operation\(s\) compared; durations within 10% and 1\.00 ms, with 5\+ samples each side\)/);
    const md = await runCli(['diff', '1', '2', ...d, '--markdown']);
    assert.match(md.stdout, /\*\*no change/);
  });

  test('the added per-item query and the slower call are both named; calls>+0 fails', async () => {
    // Defaults: the newest run against the one before it.
    const out = await runCli(['diff', ...d, '--fail-on', 'calls>+0']);
    assert.equal(out.code, 1, out.stdout + out.stderr);
    assert.match(out.stdout, /^A {2}run 2 \(same.*\nB {2}run 3 \(feature/);
    assert.match(out.stdout, /\nshop\s+SELECT items \[client\]\s+added\s+0 → 3 \(\+3\)/);
    assert.match(out.stdout, /\npayment\s+POST \/charge \[server\]\s+changed\s+1\s+(19|20)\.\d ms → 3[45]\.\d ms \(\+7\d%\)/);
    assert.match(out.stdout, /\+ shop: GET \/cart \[server\] → shop: SELECT items \[client\] \(3 per call\)/);
    assert.match(out.stdout, /shop: SELECT items \[client\]: now on the path, \d+\.\d+ ms per trace\n/);
    assert.match(out.stderr, /calls>\+0: shop: SELECT items \[client\] 0 → 3 calls per trace/);

    const p95 = await runCli(['diff', 'same', 'feature', ...d, '--fail-on', 'p95>+50%']);
    assert.equal(p95.code, 1);
    assert.match(p95.stderr, /p95>\+50%: payment: POST \/charge \[server\] p95 (19|20)\.\d ms → 3[45]\.\d ms/);
    // Durations grew, calls of existing operations did not; errors did not change.
    assert.equal((await runCli(['diff', 'same', 'feature', ...d, '--fail-on', 'new-errors', '--fail-on', 'p95>+200%'])).code, 0);

    const md = await runCli(['diff', ...d, '--markdown', '--fail-on', 'calls>+0']);
    assert.equal(md.code, 1);
    assert.match(md.stdout, /^### tracebox diff\n/);
    assert.match(md.stdout, /\n\| SERVICE \| OPERATION \| CHANGE \| CALLS\/TRACE \| P50 \| P95 \| SAMPLES A\/B \| ERRORS \| EXAMPLE TRACE \(B, else A\) \|\n\|( --- \|){9}\n/);
    assert.match(md.stdout, /\n\| shop \| SELECT items \\\[client\\\] \| added \| 0 → 3 \(\+3\) \|/);
    assert.match(md.stdout, /\*\*Failed thresholds:\*\*\n\n- calls>\+0: /);

    const json = await runCli(['diff', ...d, '--json']);
    assert.equal(json.code, 0);
    const diff = JSON.parse(json.stdout) as RunDiff & { failed: string[] };
    const items = diff.operations.find((o) => o.name === 'SELECT items');
    assert.equal(items?.status, 'added');
    assert.deepEqual(items?.calls, { a: 0, b: 3, delta: 3 });
    assert.equal(items?.b?.calls, 60);
    const charge = diff.operations.find((o) => o.service === 'payment');
    // 35 ms ± 2%.
    assert.ok(charge?.p95 !== undefined && charge.p95.bNs > 34e6 && charge.p95.bNs < 36e6, JSON.stringify(charge?.p95));
    assert.equal(charge?.b?.traces, 20);
    assert.match(charge?.b?.example ?? '', /^[0-9a-f]{32}$/);
  });

  test('a run is searchable by its resource attribute, after a restart on the same directory', async () => {
    const tb = await startTracebox({ memory: false, data: data.dir, retentionMs: 0, log: () => {} });
    try {
      assert.equal((await tb.traces('{ resource.tracebox.run = "1" }', { limit: 100 })).length, 20);
      assert.equal((await tb.traces('{ resource.tracebox.run = "3" && name = "SELECT items" }', { limit: 100 })).length, 20);
      assert.deepEqual((await tb.runs()).map((r) => r.label), ['feature', 'same', 'base']);
      const diff = await tb.diff({ queryA: '{ resource.tracebox.run = "1" }', queryB: '{ resource.tracebox.run = "2" }' });
      assert.equal(diff.changed, false);
      assert.equal(diff.a.traces, 20);
      // A side cut short says so.
      const cut = await tb.diff({ a: '1', b: '3', limit: 5 });
      assert.deepEqual([cut.a.traces, cut.a.partial, cut.b.partial], [5, 'the newest 5 traces only; there are more', 'the newest 5 traces only; there are more']);
      assert.equal((await tb.fetch('/api/runs/diff?limit=0')).status, 400);
    } finally {
      await tb.close();
    }
  });

  test('two exported files compare without a server', async () => {
    const tb = await startTracebox({ memory: false, data: data.dir, retentionMs: 0, log: () => {} });
    const files = tempDir('tracebox-diff-files-');
    try {
      for (const run of ['2', '3']) {
        const out = await runCli(['export', `{ resource.tracebox.run = "${run}" }`, '--url', tb.apiUrl]);
        assert.equal(out.code, 0, out.stderr);
        fs.writeFileSync(path.join(files.dir, `run${run}.json`), out.stdout);
      }
    } finally {
      await tb.close();
    }
    try {
      const out = await runCli(['diff', path.join(files.dir, 'run2.json'), path.join(files.dir, 'run3.json'), '--fail-on', 'calls>+0']);
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stdout, /^A {2}run2\.json: 20 trace\(s\), 80 span\(s\)\nB {2}run3\.json: 20 trace\(s\), 140 span\(s\)/);
      assert.match(out.stdout, /SELECT items \[client\]\s+added\s+0 → 3/);
    } finally {
      files.remove();
    }
  });

  test('tracebox run --url records the run in a running tracebox', async () => {
    const tb = await startTracebox({ log: () => {} });
    try {
      const out = await runCli(['run', '--url', tb.apiUrl, '--label', 'remote', '--', process.execPath, SHOP, '--requests=5'], {}, 30_000);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /tracebox: 5 trace\(s\), 20 span\(s\)/);
      assert.match(out.stderr, new RegExp(`recorded in ${tb.apiUrl}; compare with: tracebox diff --url ${tb.apiUrl}`));
      const [run] = await tb.runs();
      assert.deepEqual([run.label, run.spans, run.exitCode], ['remote', 20, 0]);
      const clash = await runCli(['run', '--url', tb.apiUrl, '--data', data.dir, '--', 'true']);
      assert.equal(clash.code, 2);
      assert.match(clash.stderr, /--data does not apply/);
    } finally {
      await tb.close();
    }
  });

  test('bad arguments exit 2 with a message', async () => {
    const unknown = await runCli(['diff', 'nosuchrun', ...d]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run "nosuchrun"/);
    const rule = await runCli(['diff', ...d, '--fail-on', 'p95>lots']);
    assert.equal(rule.code, 2);
    assert.match(rule.stderr, /--fail-on: "p95>lots": expected a percentage/);
    const empty = await runCli(['diff', '--data', path.join(data.dir, 'nothing-here')]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no tracebox data in/);
  });
});

describe('runs and retention', () => {
  /** One trace of one span whose resource carries tracebox.run = run. */
  function request(run: string, traceId: string): Uint8Array {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }, { key: 'tracebox.run', value: { stringValue: run } }] },
          scopeSpans: [{ spans: [{ traceId, spanId: '00000000000000a1', name: 'op', kind: 2, startTimeUnixNano: '1000000000', endTimeUnixNano: '2000000000' }] }],
        },
      ],
    };
    return new TextEncoder().encode(JSON.stringify(body));
  }

  test('a run whose spans all expired goes with them; one older than the age limit goes too', async () => {
    const store = Store.open();
    try {
      const runs = createRunWriter(store.db, runOfResource);
      const now = Date.now();
      const kept = runs.start({ label: 'kept', command: 'x', startedMs: now });
      const expiring = runs.start({ label: 'expiring', command: 'x', startedMs: now });
      const ancient = runs.start({ label: 'ancient', command: 'x', startedMs: now - 10 * 3600_000 });
      const ingest = createIngest(store);
      for (const [run, id] of [
        [kept.id, 'aa'.repeat(16)],
        [expiring.id, 'bb'.repeat(16)],
      ]) {
        const answer = ingest({ body: request(run, id), format: 'json' });
        assert.ok(answer.ok && answer.result.stored === 1);
      }
      assert.equal(runs.end(kept.id, 0, now)?.spans, 1);
      assert.equal(runs.end(expiring.id, 0, now)?.spans, 1);
      runs.end(ancient.id, 0, now - 9 * 3600_000);
      // The expiring run's trace arrived two hours ago.
      store.db.prepare("UPDATE traces SET seen_s = seen_s - 7200 WHERE trace_id = x'" + 'bb'.repeat(16) + "'").run();
      const retention = createRetention(
        { db: store.db, file: store.file, deleteTraces: (ids) => store.deleteTraces(ids), deleteLogRange: (first, last) => store.deleteLogRange(first, last), pruneRuns: (nowMs, maxAgeMs, deleted) => runs.prune(nowMs, maxAgeMs, deleted) },
        { maxAgeMs: 3600_000, maxBytes: 0 },
      );
      const pass = await retention.run(now);
      assert.equal(pass.deletedTraces, 1);
      assert.equal(pass.deletedRuns, 2);
      assert.deepEqual(store.runs.list(10).map((r) => r.label), ['kept']);
    } finally {
      store.close();
    }
  });
});
