/**
 * The viewer's views beyond the first workflow, in Debian's Chromium (harness.ts): the
 * empty state of an instance on other ports, a failed query, compare, the trace's
 * statistics, graph and JSON, span filters, what the stored history may call usual, the
 * theme button and the time axis. Writes screenshots of the new views in light and dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestTracebox } from '../helpers/tracebox.ts';
import { overlapping, SKIP, startHarness, type Harness } from './harness.ts';
import { seedShop, sendOneTrace, type SeedResult } from './seed.ts';

/** Boxes of the elements matching `selector`, for overlapping(). */
const boxesOf = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    return Array.from(document.querySelectorAll(sel)).map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, what: `"${el.textContent}"` };
    });
  }, selector);

describe('viewer views in Chromium', { skip: SKIP, timeout: 120_000 }, () => {
  let h: Harness;
  let seed: SeedResult;
  let soloTraceId: string;

  before(async () => {
    h = await startHarness();
    [seed, soloTraceId] = await Promise.all([seedShop(h.tb.otlpHttpUrl), sendOneTrace(h.tb.otlpHttpUrl, 'solo')]);
  });

  after(async () => {
    await h?.close();
  });

  test("the empty state gives this instance's own receiver ports", async () => {
    const empty = await startTestTracebox();
    try {
      const http = new URL(empty.otlpHttpUrl).port;
      const grpc = new URL(empty.otlpGrpcUrl).port;
      const page = await h.newPage();
      await page.goto(`${empty.apiUrl}/search`);
      await page.waitForSelector('[data-testid="env-line"]');
      assert.equal((await page.textContent('[data-testid="env-line"] code'))?.trim(), `export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${http}`);
      const other = (await page.textContent('[data-testid="other-endpoints"]')) ?? '';
      assert.match(other, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127\\.0\\.0\\.1:${grpc} OTEL_EXPORTER_OTLP_PROTOCOL=grpc`));
      assert.doesNotMatch(other, /default ports/);
      await page.close();
    } finally {
      await empty.close();
    }
  });

  test('a failed query shows its error and no results; editing the query takes the error away', async () => {
    const page = await h.newPage();
    const typeQuery = async (text: string) => {
      const editor = page.locator('.cm-content');
      await editor.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.type(text);
    };
    // From results: they go when the next query fails.
    await page.goto(`${h.tb.apiUrl}/search?range=1h&q=${encodeURIComponent('{ resource.service.name = "checkout" }')}`);
    await page.waitForSelector('[data-testid="results"] tbody tr');
    await page.waitForSelector('.cm-content');
    await typeQuery('{ resource.service.name = }');
    await page.click('[data-testid="run"]');
    await page.waitForSelector('.query-panel [role="alert"]');
    assert.equal(await page.locator('[data-testid="results"]').count(), 0);
    assert.equal(await page.locator('[data-testid="scatter"]').count(), 0);
    assert.equal(await page.locator('[data-testid="no-results"]').count(), 0);
    await page.keyboard.type(' "payment" }');
    await page.waitForSelector('.query-panel [role="alert"]', { state: 'detached' });
    // From "no traces match": that panel goes too (it would name the failed query).
    await page.goto(`${h.tb.apiUrl}/search?range=1h&q=${encodeURIComponent('{ resource.service.name = "nobody" }')}`);
    await page.waitForSelector('[data-testid="no-results"]');
    await page.waitForSelector('.cm-content');
    await typeQuery('{ duration > }');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.query-panel [role="alert"]');
    assert.equal(await page.locator('[data-testid="no-results"]').count(), 0);
    assert.equal(await page.locator('[data-testid="results"]').count(), 0);
    await page.close();
  });

  test('compare shows failures, added and missing spans besides durations', async () => {
    // A: the slow checkout, nothing failed. B: a checkout whose payment was retried 3 times and failed.
    const b = seed.traceIds[25];
    for (const scheme of ['light', 'dark'] as const) {
      const page = await h.newPage(scheme);
      await page.goto(`${h.tb.apiUrl}/compare?a=${seed.slowTraceId}&b=${b}`);
      await page.waitForSelector('[data-testid="compare-changes"]');
      if (scheme === 'dark') {
        await h.shot(page, 'compare-dark');
        await page.close();
        continue;
      }
      const failing = (await page.textContent('[data-testid="new-errors"]')) ?? '';
      assert.match(failing, /payment: POST \/charge unset → error: card declined by issuer/);
      assert.match(failing, /frontend: GET \/checkout unset → error: checkout failed/);
      const added = (await page.textContent('[data-testid="added"]')) ?? '';
      assert.match(added, /3×\s+checkout: POST \/charge \(3 failed\)/);
      assert.match(added, /3×\s+payment: UPDATE payments/);
      assert.equal(await page.locator('[data-testid="missing"]').count(), 0);
      assert.equal(await page.locator('[data-diff="added"]').count(), 9);
      assert.ok((await page.locator('[data-diff="status"]').count()) >= 4);
      assert.match((await page.textContent('table.ops')) ?? '', /Errors A → B/);
      // The other way round, those spans are missing from B.
      await page.goto(`${h.tb.apiUrl}/compare?a=${b}&b=${seed.slowTraceId}`);
      await page.waitForSelector('[data-testid="missing"]');
      assert.match((await page.textContent('[data-testid="missing"]')) ?? '', /3×\s+checkout: POST \/charge/);
      assert.match((await page.textContent('[data-testid="fixed"]')) ?? '', /payment: POST \/charge error: card declined by issuer → unset/);
      await page.goto(`${h.tb.apiUrl}/compare?a=${seed.slowTraceId}&b=${b}`);
      await page.waitForSelector('[data-testid="compare-changes"]');
      await h.shot(page, 'compare-light');
      await page.close();
    }
  });

  test('statistics: count, total and self time per operation and per service; a row shows its spans', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await h.newPage(scheme);
      await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?view=stats`);
      await page.waitForSelector('[data-testid="trace-stats"] tbody tr');
      await h.shot(page, `trace-stats-${scheme}`);
      if (scheme === 'dark') {
        await page.close();
        continue;
      }
      const cells = await page.locator('tr[data-op="payment: UPDATE payments"] td').allTextContents();
      // Operation, spans, errors, total, avg, min, max, self total, self avg.
      assert.deepEqual(cells.slice(1, 9), ['1', '0', '4.20 s', '4.20 s', '4.20 s', '4.20 s', '4.20 s', '4.20 s']);
      assert.equal(await page.locator('[data-testid="trace-stats"] tbody tr').count(), 9);
      await page.click('[data-testid="stats-by-service"]');
      await page.waitForSelector('tr[data-op="payment"]');
      assert.equal(await page.locator('[data-testid="trace-stats"] tbody tr').count(), 4);
      assert.deepEqual((await page.locator('tr[data-op="payment"] td').allTextContents()).slice(1, 3), ['2', '0']);
      await page.click('tr[data-op="payment"]');
      await page.waitForSelector('[data-testid="span-filters"]');
      assert.ok(!page.url().includes('view=stats'));
      assert.equal(await page.textContent('[data-testid="sf-count"]'), '2 of 9 spans match');
      await page.close();
    }
  });

  test('the trace and a span as JSON, in the page', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?view=json`);
    await page.waitForSelector('[data-testid="json-text"]');
    const spanJson = (await page.textContent('[data-testid="json-text"]')) ?? '';
    assert.equal(JSON.parse(spanJson).traceId, seed.slowTraceId);
    assert.equal(JSON.parse(spanJson).spans.length, 9);
    await h.shot(page, 'trace-json-light');
    await page.click('[data-testid="json-otlp"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="json-text"]')?.textContent?.includes('resourceSpans'));
    const otlp = JSON.parse((await page.textContent('[data-testid="json-text"]')) ?? '') as { resourceSpans: unknown[] };
    assert.ok(otlp.resourceSpans.length > 0);
    await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?span=${seed.slowDbSpanId}`);
    await page.waitForSelector('[data-testid="span-detail"]');
    await page.click('[data-testid="span-detail"] summary:has-text("JSON")');
    const span = JSON.parse((await page.textContent('[data-testid="span-json"]')) ?? '') as { spanId: string; attributes: Record<string, unknown> };
    assert.equal(span.spanId, seed.slowDbSpanId);
    assert.equal(span.attributes['db.system'], 'postgresql');
    await page.close();
    const dark = await h.newPage('dark');
    await dark.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?view=json`);
    await dark.waitForSelector('[data-testid="json-text"]');
    await h.shot(dark, 'trace-json-dark');
    await dark.close();
  });

  test('span filters: key, operator, value; matches counted and marked; "show matches only"', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}`);
    await page.waitForSelector('.wf-row');
    await page.click('[data-testid="filter-toggle"]');
    await page.fill('[data-testid="sf-key"]', 'span.http.route');
    await page.fill('[data-testid="sf-value"]', '/charge');
    await page.waitForFunction(() => document.querySelector('[data-testid="sf-count"]')?.textContent === '2 of 9 spans match');
    assert.equal(await page.locator('.wf-row.match').count(), 2);
    // A second condition: both must hold.
    await page.click('text=+ filter');
    await page.locator('[data-testid="sf-key"]').nth(1).fill('duration');
    await page.locator('[data-testid="sf-op"]').nth(1).selectOption('>');
    await page.locator('[data-testid="sf-value"]').nth(1).fill('4.207s');
    await page.waitForFunction(() => document.querySelector('[data-testid="sf-count"]')?.textContent === '1 of 9 spans match');
    await page.locator('[data-testid="sf-value"]').nth(1).fill('soon');
    await page.waitForSelector('[data-testid="span-filter"] .err-text:has-text("not a duration")');
    await page.locator('[data-testid="span-filter"] button[aria-label="Remove this filter"]').nth(1).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="sf-count"]')?.textContent === '2 of 9 spans match');
    await page.check('[data-testid="sf-only"]');
    await page.waitForFunction(() => document.querySelectorAll('.wf-row[data-span]').length === 2);
    assert.deepEqual(await page.locator('.wf-row[data-span] .span-name').allTextContents(), ['POST /charge', 'POST /charge']);
    assert.match(page.url(), /only=1/);
    await h.shot(page, 'span-filter-light');
    // The state is in the URL.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.wf-row[data-span]').length === 2);
    await page.close();
    const dark = await h.newPage('dark');
    await dark.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?sf=${encodeURIComponent('[["span.http.route","=","/charge"]]')}`);
    await dark.waitForSelector('.wf-row.match');
    await h.shot(dark, 'span-filter-dark');
    await dark.close();
  });

  test('the trace as a graph of operations or services, calls as labelled edges', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await h.newPage(scheme);
      await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?view=graph`);
      await page.waitForSelector('[data-testid="trace-graph"] [data-node]');
      await h.shot(page, `trace-graph-${scheme}`);
      if (scheme === 'dark') {
        await page.close();
        continue;
      }
      assert.equal(await page.locator('[data-node]').count(), 9);
      await page.waitForSelector('[data-edge="checkout: POST /charge→payment: POST /charge"]', { state: 'attached' });
      assert.equal(await page.locator('[data-edge]').count(), 8);
      assert.equal(overlapping([...(await boxesOf(page, '.tg-node')), ...(await boxesOf(page, '.edge-label'))]), undefined);
      await page.click('[data-testid="graph-by-service"]');
      await page.waitForSelector('[data-node="payment"]');
      assert.deepEqual((await page.locator('[data-edge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')))).sort(), [
        'checkout→inventory',
        'checkout→payment',
        'frontend→checkout',
      ]);
      await page.click('[data-node="inventory"]');
      await page.waitForSelector('[data-testid="span-filters"]');
      assert.equal(await page.textContent('[data-testid="sf-count"]'), '2 of 9 spans match');
      await page.close();
    }
  });

  test('"usually" needs enough stored history of the operation, and says so', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${soloTraceId}`);
    await page.click('.wf-row >> nth=0');
    await page.waitForSelector('[data-testid="history"]');
    assert.match((await page.textContent('[data-testid="history"]')) ?? '', /^Only 1 span of this operation in the stored history of the last 24 h: 20 are needed to say what is usual\.$/);
    assert.equal(await page.locator('.badge.slow').count(), 0);
    // The checkout's payment call has over 20 in the seed: compared.
    await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?span=${seed.slowDbSpanId}`);
    await page.waitForSelector('[data-testid="history"]:has-text("slower than usual")');
    assert.match((await page.textContent('[data-testid="history"]')) ?? '', /\(\d+ spans in the stored history, last 24 h\)/);
    await page.close();
  });

  test('the first click on the theme button changes the theme on screen', async () => {
    // A context of its own: the choice is kept in the page's storage.
    const ctx = await h.browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      for (const scheme of ['light', 'dark'] as const) {
        const page = await ctx.newPage();
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${h.tb.apiUrl}/services`);
        await page.evaluate(() => localStorage.clear());
        await page.reload();
        assert.equal(await page.getAttribute('html', 'data-theme'), scheme);
        await page.click('[data-testid="theme"]');
        assert.equal(await page.getAttribute('html', 'data-theme'), scheme === 'light' ? 'dark' : 'light');
        await page.click('[data-testid="theme"]');
        assert.equal(await page.getAttribute('html', 'data-theme'), scheme);
        await page.close();
      }
    } finally {
      await ctx.close();
    }
  });

  test("the time axis's labels do not run into each other, even narrow and zoomed", async () => {
    const page = await h.newPage();
    for (const zoom of ['', '&zoom=0.05000-0.93333', '&zoom=0.12345-0.13579']) {
      await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?span=${seed.slowDbSpanId}${zoom}`);
      await page.waitForSelector('[data-testid="span-detail"]');
      await page.waitForSelector('.wf-head .tick-label');
      const labels = await boxesOf(page, '.wf-head .tick-label');
      assert.ok(labels.length >= 3, `${labels.length} labels`);
      assert.equal(overlapping(labels), undefined);
      const track = (await boxesOf(page, '.wf-head .axis-track'))[0];
      for (const l of labels) assert.ok(l.x + l.width <= track.x + track.width + 14 && l.x >= track.x - 1, `${l.what} inside the axis`);
    }
    await page.close();
  });

  test('no page logged an error', () => {
    assert.deepEqual(h.errors, []);
  });
});
