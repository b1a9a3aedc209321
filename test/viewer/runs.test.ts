/**
 * The runs page in Chromium (harness.ts): two recorded runs of the shop fixture, the
 * second with a per-item query and a slower payment call; the page lists both, compares
 * the newest two by default, names the changes with links to example traces, and says
 * "No change" for a run against itself. Writes screenshots in light and dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TraceboxClient } from '../../src/testing/index.ts';
import { SKIP, startHarness, type Harness } from './harness.ts';

const SHOP = fileURLToPath(new URL('../fixtures/shop.mjs', import.meta.url));

describe('runs page in Chromium', { skip: SKIP, timeout: 120_000 }, () => {
  let h: Harness;
  let client: TraceboxClient;

  /** One recorded run of the shop, ended once its 20 requests are stored. */
  async function shopRun(label: string, ...args: string[]): Promise<string> {
    const run = await client.startRun({ label, command: `node shop.mjs ${args.join(' ')}`, gitCommit: '4f2a9c1e0b7d', gitBranch: label === 'main' ? 'main' : 'cart-items' });
    const code = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [SHOP, ...args], { env: { ...process.env, ...client.env({ run: run.id }) }, stdio: 'inherit' }).on('exit', resolve),
    );
    await client.waitForSpans(`{ resource.tracebox.run = "${run.id}" && name = "GET /cart" }`, { count: 20, timeoutMs: 10_000 });
    await client.endRun(run.id, code);
    return run.id;
  }

  before(async () => {
    h = await startHarness();
    client = new TraceboxClient(h.tb.apiUrl, h.tb.otlpHttpUrl);
    await shopRun('main', '--seed=1');
    await shopRun('cart-items', '--seed=2', '--per-item', '--slow-charge');
  });

  after(async () => {
    await h?.close();
  });

  test('lists the runs and shows the diff of the newest two, with example traces', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/runs`);
    await page.waitForSelector('[data-testid="run-diff-ops"] tbody tr');
    assert.deepEqual(await page.locator('.runs-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.run)), ['2', '1']);
    assert.equal(await page.isChecked('[data-testid="pick-a-1"]'), true);
    assert.equal(await page.isChecked('[data-testid="pick-b-2"]'), true);
    assert.match((await page.textContent('[data-testid="run-diff-verdict"]')) ?? '', /4 operation\(s\) changed/);
    const items = page.locator('tr[data-op="SELECT items"]');
    assert.match((await items.textContent()) ?? '', /new in B.*0 → 3/);
    const charge = page.locator('tr[data-op="POST /charge"]', { hasText: 'payment' });
    assert.match((await charge.textContent()) ?? '', /→ 3[45]\.\d ms \+7\d%/);
    assert.match((await page.textContent('[data-testid="run-diff-edges"]')) ?? '', /GET \/cart \[server\] → shop: SELECT items \[client\]/);
    assert.match((await page.textContent('[data-testid="run-diff-path"]')) ?? '', /SELECT items \[client\]: now on the path/);
    await h.shot(page, 'runs-light');
    // A run's span count searches its traces.
    assert.equal(await page.getAttribute('[data-testid="run-traces-1"]', 'href'), `/search?range=7d&q=${encodeURIComponent('{ resource.tracebox.run = "1" }')}`);
    // An example trace opens on the trace page.
    await items.locator('[data-testid="example-b"]').click();
    await page.waitForURL(/\/trace\/[0-9a-f]{32}$/);
    await page.waitForSelector('text=SELECT items');
    assert.deepEqual(h.errors, []);
    await page.close();
  });

  test('a run against itself is "No change"; dark theme', async () => {
    const page = await h.newPage('dark');
    await page.goto(`${h.tb.apiUrl}/runs?a=1&b=1`);
    await page.waitForSelector('[data-testid="no-change"]');
    assert.equal(await page.textContent('[data-testid="run-diff-verdict"]'), 'No change');
    await page.goto(`${h.tb.apiUrl}/runs`);
    await page.waitForSelector('[data-testid="run-diff-ops"] tbody tr');
    await h.shot(page, 'runs-dark');
    // Picking another pair is a new history entry.
    await page.click('[data-testid="pick-b-1"]');
    await page.waitForSelector('[data-testid="no-change"]');
    assert.match(page.url(), /\/runs\?a=1&b=1$/);
    assert.deepEqual(h.errors, []);
    await page.close();
  });
});
