/**
 * The viewer in Debian's Chromium (playwright-core drives /usr/bin/chromium; nothing is
 * downloaded): the seed's workflow on spans from the real OpenTelemetry SDK, a
 * 10,000-span trace scrolled, live mode, hostile attribute values, the service map, the
 * first page's time to interactive and the bundle's size. Writes screenshots of the
 * search, trace and services pages in light and dark to test-output/screenshots/, and
 * to docs/screenshots/ when those are missing or TRACEBOX_UPDATE_SCREENSHOTS=1.
 * Skips with a message when /usr/bin/chromium is absent (.ci/run installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { useEmbeddedViewer } from '../../src/viewer/index.ts';
import { HOSTILE, seedShop, sendBigTrace, sendHostileTrace, sendOneTrace, startGrowingTrace, type SeedResult } from './seed.ts';
import { buildViewer } from '../../scripts/build-viewer.mjs';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM)
  ? false
  : `Debian's Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (.ci/run does)`;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const BUDGET_GZIP = 400 * 1024;
const SHOTS_OUT = 'test-output/screenshots';
const SHOTS_DOCS = 'docs/screenshots';

function log(line: string): void {
  process.stdout.write(`# viewer: ${line}\n`);
}

describe('viewer in Chromium', { skip: SKIP, timeout: 120_000 }, () => {
  let tb: TestTracebox;
  let browser: Browser;
  let ctx: BrowserContext;
  let seed: SeedResult;
  let bigTraceId: string;
  let hostileTraceId: string;
  let webDir: string;
  let gzipTotal = 0;
  const errors: string[] = [];

  const shot = async (page: Page, name: string): Promise<void> => {
    fs.mkdirSync(SHOTS_OUT, { recursive: true });
    const file = path.join(SHOTS_OUT, `${name}.png`);
    await page.screenshot({ path: file });
    const docs = path.join(SHOTS_DOCS, `${name}.png`);
    if (process.env.TRACEBOX_UPDATE_SCREENSHOTS === '1' || !fs.existsSync(docs)) {
      fs.mkdirSync(SHOTS_DOCS, { recursive: true });
      fs.copyFileSync(file, docs);
    }
  };

  const newPage = async (scheme: 'light' | 'dark' = 'light'): Promise<Page> => {
    const page = await ctx.newPage();
    await page.emulateMedia({ colorScheme: scheme });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    if (process.env.DEBUG_VIEWER) page.on('response', (r) => r.url().includes('/api/') && log(`${r.status()} ${r.url().slice(0, 160)}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    return page;
  };

  before(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-viewer-'));
    const built = await buildViewer(webDir);
    gzipTotal = built.gzipTotal;
    useEmbeddedViewer((name) => {
      const file = path.join(webDir, name);
      return file.startsWith(webDir) && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    });
    tb = await startTestTracebox();
    const { chromium } = await import('playwright-core');
    [browser, seed, bigTraceId, hostileTraceId] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: ARGS }),
      seedShop(tb.otlpHttpUrl),
      sendBigTrace(tb.otlpHttpUrl, 10_000),
      sendHostileTrace(tb.otlpHttpUrl),
    ]);
    ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  });

  after(async () => {
    await browser?.close();
    await tb?.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  test('the built viewer is at most 400 KB gzipped', () => {
    log(`bundle: ${(gzipTotal / 1024).toFixed(1)} KB gzipped in total`);
    assert.ok(gzipTotal <= BUDGET_GZIP, `${gzipTotal} bytes gzipped`);
  });

  test('the first page is interactive in under a second', async () => {
    const page = await newPage();
    const t0 = Date.now();
    await page.goto(`${tb.apiUrl}/search`);
    // Interactive: the shell, the filter form and the query input are drawn and take input.
    await page.waitForSelector('html[data-interactive]');
    const interactive = Number(await page.getAttribute('html', 'data-interactive'));
    await page.fill('[data-testid="f-min"]', '5ms');
    // Then the results of the default search (the last hour, 100 traces, one of 10,000 spans).
    await page.waitForSelector('html[data-ready]');
    await page.waitForSelector('[data-testid="results"] tbody tr');
    const ready = Number(await page.getAttribute('html', 'data-ready'));
    const timing = (await page.evaluate(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const s = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/search'));
      return 'DOMContentLoaded ' + Math.round(n.domContentLoadedEventEnd) + ' ms, search request ' + Math.round(s.startTime) + '→' + Math.round(s.responseEnd) + ' ms';
    })()`)) as string;
    log(`first page: interactive ${interactive} ms after navigation start, results drawn at ${ready} ms (${timing}; wall ${Date.now() - t0} ms)`);
    assert.ok(interactive > 0 && interactive < 1000, `interactive at ${interactive} ms`);
    assert.ok(ready < 3000, `results at ${ready} ms`);
    await page.close();
  });

  test("the seed's workflow: service + duration > 1s in a time range → slow trace → 4.2 s payment call → db.statement → logs", async () => {
    const started = Date.now();
    const page = await newPage();
    await page.goto(`${tb.apiUrl}/`);
    // A logs link template of one's own, through the settings dialog.
    await page.click('[data-testid="settings"]');
    await page.fill('[data-testid="logs-template"]', 'http://logs.example/explore?trace={traceId}&span={spanId}&svc={service}');
    await page.click('dialog button[type="submit"]');
    // The form writes the TraceQL.
    await page.waitForFunction(() => Array.from((document.querySelector('[data-testid="f-service"]') as HTMLSelectElement).options).some((o) => o.value === 'checkout'));
    await page.selectOption('[data-testid="f-service"]', 'checkout');
    await page.fill('[data-testid="f-min"]', '1s');
    await page.waitForFunction(() => document.querySelector('[data-testid="traceql"]')?.textContent?.includes('duration > 1s'));
    assert.equal(await page.textContent('[data-testid="traceql"]'), '{ resource.service.name = "checkout" && duration > 1s }');
    await page.click('[data-testid="timerange"]');
    await page.click('text=Last 3 hours');
    await page.click('[data-testid="run"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="results"] tbody tr').length === 3);
    assert.match(page.url(), /range=3h/);
    assert.equal(await page.locator('[data-testid="scatter"] a[data-trace]').count(), 3);
    // Sort by duration: the slow one comes first.
    await page.click('th >> text=Duration');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'duration');
    const first = page.locator('[data-testid="results"] tbody tr').first();
    assert.equal(await first.getAttribute('data-trace'), seed.slowTraceId);
    await page.waitForSelector('.toast', { state: 'detached' });
    await shot(page, 'search-light');
    await first.locator('a.trace-link').click();
    // The trace: the 4.2 s payment call stands out.
    await page.waitForSelector('[data-testid="waterfall"] .wf-row');
    assert.equal(await page.textContent('[data-testid="trace-duration"]'), '4.50 s');
    const dbRow = page.locator(`.wf-row[data-span="${seed.slowDbSpanId}"]`);
    assert.match((await dbRow.textContent()) ?? '', /UPDATE payments.*4\.20 s/);
    await dbRow.click();
    await page.waitForSelector('[data-testid="span-detail"]');
    assert.equal(await page.textContent('[data-testid="detail-duration"]'), '4.20 s');
    const statement = await page.locator('[data-testid="span-attributes"] tr', { hasText: 'db.statement' }).textContent();
    assert.match(statement ?? '', /UPDATE payments SET status = 'captured'/);
    const logs = await page.getAttribute('[data-testid="logs-link"]', 'href');
    assert.equal(logs, `http://logs.example/explore?trace=${seed.slowTraceId}&span=${seed.slowDbSpanId}&svc=payment`);
    const source = await page.getAttribute('[data-testid="source-link"]', 'href');
    assert.equal(source, 'vscode://file/srv/payment/src/charge.js:38:1');
    // The state is in the URL: a reload shows the same span.
    assert.match(page.url(), new RegExp(`span=${seed.slowDbSpanId}`));
    await page.reload();
    await page.waitForSelector('[data-testid="span-detail"]');
    assert.equal(await page.textContent('[data-testid="span-id"]'), seed.slowDbSpanId);
    // The stored history of the same operation: far slower than its usual p95.
    assert.match((await page.textContent('[data-testid="history"]')) ?? '', /slower than usual/);
    const elapsed = Date.now() - started;
    log(`seed workflow done in ${(elapsed / 1000).toFixed(1)} s of browser time`);
    await shot(page, 'trace-light');
    // Keyboard: k moves to the previous span, Escape closes the details.
    await page.keyboard.press('k');
    await page.waitForFunction((id) => !location.search.includes(id), seed.slowDbSpanId);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="span-detail"]', { state: 'detached' });
  });

  test('a 10,000-span trace opens and scrolls smoothly', async () => {
    const page = await newPage();
    const t0 = Date.now();
    await page.goto(`${tb.apiUrl}/trace/${bigTraceId}`);
    await page.waitForSelector('[data-testid="waterfall"] .wf-row');
    const openMs = Date.now() - t0;
    assert.equal(await page.textContent('[data-testid="span-count"]'), '10,000');
    const rowsInDom = await page.locator('.wf-row').count();
    assert.ok(rowsInDom < 150, `${rowsInDom} rows in the DOM`);
    // Scroll to the end with the wheel, recording frame times meanwhile.
    // A string, not a function: tsx's name helpers do not exist in the page.
    await page.evaluate(`(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (window.__frames.length < 100000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    await page.hover('[data-testid="wf-body"]');
    const body = page.locator('[data-testid="wf-body"]');
    const height = await body.evaluate((el) => el.scrollHeight);
    for (let i = 0; i < 60; i++) await page.mouse.wheel(0, 2400);
    await body.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => document.querySelector('[data-testid="wf-body"]')?.textContent?.includes('cleanup'));
    const frames = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames.slice(2));
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    const slow = frames.filter((f) => f > 50).length;
    log(`10,000-span trace: opened in ${openMs} ms, ${rowsInDom} rows in the DOM, ${height} px tall; scrolled to the end over ${frames.length} frames, p95 frame ${p95.toFixed(1)} ms, ${slow} frames over 50 ms`);
    assert.ok((await page.locator('.wf-row').count()) < 150);
    // A generous bound: this 2-core machine is often shared; the measured figures are logged above.
    assert.ok(p95 < 100, `p95 frame time ${p95} ms`);
    // The flame graph draws it too.
    await page.click('[data-testid="view-flame"]');
    await page.waitForSelector('[data-testid="flame"] canvas');
    await page.close();
  });

  test('live mode shows a new matching trace as it arrives; a growing trace updates in place', async () => {
    const page = await newPage();
    const service = `live-${Date.now().toString(36)}`;
    await page.goto(`${tb.apiUrl}/search?live=1&range=15m&q=${encodeURIComponent(`{ resource.service.name = "${service}" }`)}`);
    await page.waitForSelector('[data-testid="no-results"]');
    const traceId = await sendOneTrace(tb.otlpHttpUrl, service);
    const t0 = Date.now();
    await page.waitForSelector(`[data-testid="results"] tr[data-trace="${traceId}"]`, { timeout: 10_000 });
    log(`live mode showed a new trace ${Date.now() - t0} ms after its export returned`);
    assert.equal(await page.locator(`tr[data-trace="${traceId}"]`).getAttribute('class'), 'fresh');
    // A trace whose root has not arrived yet: the page keeps reading it.
    const growing = await startGrowingTrace(tb.otlpHttpUrl, service);
    await page.goto(`${tb.apiUrl}/trace/${growing.traceId}`);
    await page.waitForSelector('[data-testid="live-trace"]');
    assert.equal(await page.textContent('[data-testid="span-count"]'), '3');
    await page.click('.wf-row:has-text("step 2")');
    await growing.finish();
    await page.waitForFunction(() => document.querySelector('[data-testid="span-count"]')?.textContent === '4', undefined, { timeout: 10_000 });
    assert.match((await page.textContent('[data-testid="live-trace"]')) ?? '', /\+1 spans/);
    assert.match((await page.textContent('[data-testid="trace-header"]')) ?? '', /POST \/jobs/);
    // In place: the selected span is still selected and now sits under its root.
    assert.match((await page.textContent('[data-testid="span-detail"]')) ?? '', /step 2/);
    assert.equal(await page.locator('.wf-row').first().getAttribute('data-span'), await page.locator('.wf-row').first().getAttribute('data-span'));
    assert.match((await page.locator('.wf-row').first().textContent()) ?? '', /POST \/jobs/);
    await page.close();
  });

  test('the TraceQL editor highlights and completes scopes, tags and values from the API', async () => {
    const page = await newPage();
    await page.goto(`${tb.apiUrl}/search?range=1h`);
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('{ resource.serv');
    // CodeMirror ignores Enter for 75 ms after a completion list arrives (so fast typists do
    // not accept by accident); on a busy machine the list can arrive just before the key.
    const accept = async (option: string): Promise<void> => {
      await page.waitForSelector(`.cm-tooltip-autocomplete li[aria-selected]:has-text("${option}")`);
      await page.waitForTimeout(200);
      await page.keyboard.press('Enter');
    };
    await accept('resource.service.name');
    await page.keyboard.type(' = "pay');
    await accept('payment');
    assert.match((await editor.textContent()) ?? '', /^\{ resource\.service\.name = "payment"/);
    assert.ok((await page.locator('.cm-content .tq-attr').count()) > 0, 'attribute highlighted');
    assert.ok((await page.locator('.cm-content .tq-string').count()) > 0, 'string highlighted');
    // The parser's error, as the API would word it.
    await page.keyboard.type(' && duration >');
    await page.waitForSelector('.cm-lintRange-error', { state: 'attached' });
    await page.close();
  });

  test('download as OTLP JSON, then open the file in the viewer', async () => {
    const page = await newPage();
    await page.goto(`${tb.apiUrl}/trace/${seed.slowTraceId}`);
    await page.waitForSelector('.wf-row');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download"]')]);
    const file = path.join(webDir, 'download.json');
    await download.saveAs(file);
    const otlp = JSON.parse(fs.readFileSync(file, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; kind: number }> }> }> };
    const spans = otlp.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.equal(spans.length, 9);
    assert.ok(spans.every((s) => s.traceId === seed.slowTraceId && typeof s.kind === 'number'));
    await page.goto(`${tb.apiUrl}/upload`);
    await page.setInputFiles('[data-testid="file-input"]', file);
    await page.waitForURL(/\/trace\/[0-9a-f]{32}\?src=upload/);
    await page.waitForSelector('.wf-row');
    assert.equal(await page.textContent('[data-testid="span-count"]'), '9');
    await page.close();
  });

  test('attribute values are text: <script> and <img onerror> run nothing', async () => {
    const page = await newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${tb.apiUrl}/search?range=1h&q=${encodeURIComponent('{ resource.service.name = "guestbook" }')}`);
    await page.waitForSelector(`tr[data-trace="${hostileTraceId}"]`);
    assert.match((await page.textContent(`tr[data-trace="${hostileTraceId}"]`)) ?? '', /POST \/comments <img src=x onerror=/);
    await page.goto(`${tb.apiUrl}/trace/${hostileTraceId}`);
    await page.waitForSelector('.wf-row');
    const child = page.locator('.wf-row', { hasText: HOSTILE.script });
    await child.click();
    await page.waitForSelector('[data-testid="span-detail"]');
    const detail = (await page.textContent('[data-testid="span-detail"]')) ?? '';
    assert.ok(detail.includes(HOSTILE.img), 'the attribute key is shown as text');
    assert.ok(detail.includes(HOSTILE.script), 'the attribute value is shown as text');
    await page.click('.wf-row >> nth=0');
    await page.waitForFunction(() => document.querySelector('[data-testid="span-detail"]')?.textContent?.includes('comment.body'));
    await page.waitForTimeout(300);
    const state = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: string }).__pwned,
      images: document.querySelectorAll('img').length,
      scripts: Array.from(document.querySelectorAll("script")).filter((s) => !s.src).length,
    }));
    assert.deepEqual(state, { pwned: undefined, images: 0, scripts: 0 });
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test('the services page shows the expected edges and per-operation RED charts', async () => {
    const page = await newPage();
    await page.goto(`${tb.apiUrl}/services?range=1h`);
    for (const edge of ['user→frontend', 'frontend→checkout', 'checkout→inventory', 'checkout→payment', 'payment→postgres', 'inventory→redis']) {
      await page.waitForSelector(`[data-edge="${edge}"]`, { state: 'attached', timeout: 5000 });
    }
    const edges = await page.locator('[data-edge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    log(`service map edges: ${edges.join(', ')}`);
    await page.click('[data-node="payment"]');
    await page.waitForSelector('[data-testid="operations"] tbody tr');
    assert.match((await page.textContent('[data-testid="operations"]')) ?? '', /POST \/charge/);
    await page.waitForTimeout(200);
    await shot(page, 'services-light');
    const slowest = await page.getAttribute('[data-testid="slowest"]', 'href');
    assert.match(slowest ?? '', /sort=duration/);
    await page.close();
  });

  test('dark theme screenshots', async () => {
    const search = await newPage('dark');
    await search.goto(`${tb.apiUrl}/search?range=3h&sort=duration&q=${encodeURIComponent('{ resource.service.name = "checkout" && duration > 1s }')}`);
    await search.waitForSelector('[data-testid="results"] tbody tr');
    await search.waitForSelector('.cm-content');
    await shot(search, 'search-dark');
    await search.goto(`${tb.apiUrl}/trace/${seed.slowTraceId}?span=${seed.slowDbSpanId}`);
    await search.waitForSelector('[data-testid="span-detail"]');
    await search.waitForSelector('[data-testid="history"]');
    await shot(search, 'trace-dark');
    await search.goto(`${tb.apiUrl}/services?range=1h&node=payment`);
    await search.waitForSelector('[data-testid="operations"] tbody tr');
    await search.waitForTimeout(200);
    await shot(search, 'services-dark');
    await search.goto(`${tb.apiUrl}/trace/${seed.traceIds[25]}?view=flame`);
    await search.waitForSelector('[data-testid="flame"] canvas');
    await shot(search, 'flame-dark');
    await search.close();
  });

  test('no page logged an error', () => {
    assert.deepEqual(errors, []);
  });
});
