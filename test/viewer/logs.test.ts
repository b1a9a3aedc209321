/**
 * Logs in the viewer, in Debian's Chromium (test/viewer/harness.ts), from records the
 * OpenTelemetry JS logs SDK sent beside its spans: an error trace shows its records (the
 * trace's list, marks on the bars, the span's own), a record selects its span; the Logs
 * page finds a record by its words and links to its trace and span, and its live tail shows
 * a record sent while it is open. Screenshots of both
 * in light and dark. Nothing here is timed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { createLoggerProvider } from '../helpers/logs-sdk.ts';
import { SKIP, startHarness, type Harness } from './harness.ts';
import { sendLoggedErrorTrace, type LoggedTrace } from './seed-logs.ts';

describe('logs in the viewer', { skip: SKIP, timeout: 120_000 }, () => {
  let h: Harness;
  let seed: LoggedTrace;

  before(async () => {
    h = await startHarness();
    seed = await sendLoggedErrorTrace(h.tb.otlpHttpUrl);
  });

  after(async () => {
    await h?.close();
  });

  test('an error trace shows its log records; a record selects its span', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await h.newPage(scheme);
      await page.goto(`${h.tb.apiUrl}/trace/${seed.traceId}`);
      await page.waitForSelector('[data-testid="trace-log-lines"] li');
      const lines = await page.locator('[data-testid="trace-log-lines"] li').allTextContents();
      // The trace's four records in time order; the one outside any trace is not among them.
      assert.equal(lines.length, 4);
      assert.match(lines[0], /INFO.*invoice started for cart c-77/);
      assert.match(lines[3], /ERROR.*payment declined for order o-991: card expired.*order\.id=o-991/);
      assert.ok(!lines.some((l) => l.includes('cache warmed')));
      assert.equal(await page.getAttribute('[data-testid="trace-log-lines"] li:last-child', 'class'), 'log-line lvl-error clickable');
      // Marks on the bars: two under the root, two under the charge call.
      assert.equal(await page.locator(`.wf-row[data-span="${seed.rootSpanId}"] .lg`).count(), 2);
      assert.equal(await page.locator(`.wf-row[data-span="${seed.chargeSpanId}"] .lg.lvl-error`).count(), 1);
      // Clicking the error record selects the charge call; its details list its records.
      await page.click('[data-testid="trace-log-lines"] li.lvl-error');
      await page.waitForFunction((id) => new URL(location.href).searchParams.get('span') === id, seed.chargeSpanId);
      await page.waitForSelector('[data-testid="span-logs"] li');
      const own = await page.locator('[data-testid="span-logs"] li').allTextContents();
      assert.equal(own.length, 2);
      assert.match(own[1], /payment declined/);
      // "Logs for this span" opens tracebox's own Logs page; the configured link stays beside it.
      assert.equal(await page.getAttribute('[data-testid="span-logs-link"]', 'href'), `/logs?trace=${seed.traceId}&span=${seed.chargeSpanId}&range=7d`);
      assert.ok((await page.getAttribute('[data-testid="logs-link"]', 'href'))?.startsWith('http://localhost:3000/explore'));
      await h.shot(page, `trace-logs-${scheme}`);
      await page.close();
    }
  });

  test('the Logs page finds a record by its words and links to its trace and span', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await h.newPage(scheme);
      await page.goto(`${h.tb.apiUrl}/logs`);
      await page.waitForSelector('[data-testid="log-lines"] li');
      // Every record of the last hour, the one outside a trace too, and their volume.
      assert.equal(await page.locator('[data-testid="log-lines"] li').count(), 5);
      assert.ok((await page.locator('[data-testid="log-volume"] .vol-seg').count()) > 0);
      await page.fill('[data-testid="logs-q"]', 'declined');
      await page.click('[data-testid="logs-run"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-lines"] li').length === 1);
      assert.match(page.url(), /q=declined/);
      assert.match((await page.textContent('[data-testid="log-lines"] li')) ?? '', new RegExp(seed.errorText));
      await h.shot(page, `logs-${scheme}`);
      await page.click('[data-testid="log-trace-link"]');
      await page.waitForSelector('[data-testid="span-detail"]');
      assert.equal(new URL(page.url()).pathname, `/trace/${seed.traceId}`);
      assert.equal(await page.textContent('[data-testid="span-id"]'), seed.chargeSpanId);
      await page.close();
    }
  });

  test('live tail: a record sent while the page is open appears on top', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/logs?live=1&service=tail-svc`);
    await page.waitForSelector('[data-testid="logs-empty"]');
    const provider = createLoggerProvider('http/protobuf', h.tb, { 'service.name': 'tail-svc' });
    provider.getLogger('tail').emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'queue depth above 1000' });
    await provider.shutdown();
    await page.waitForFunction(() => document.querySelector('[data-testid="log-lines"] li')?.textContent?.includes('queue depth above 1000'));
    await page.close();
  });

  test('the level filter narrows the list; no page error on the way', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/logs?level=warn&service=billing`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-lines"] li').length === 2);
    const levels = await page.locator('[data-testid="log-lines"] .log-level').allTextContents();
    assert.deepEqual(levels, ['ERROR', 'WARN']);
    await page.close();
    assert.deepEqual(h.errors, []);
  });
});
