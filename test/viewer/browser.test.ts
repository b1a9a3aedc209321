/**
 * The viewer in Debian's Chromium (test/viewer/harness.ts): the seed's workflow on spans
 * from the real OpenTelemetry SDK, a 10,000-span trace scrolled and zoomed, live mode,
 * hostile attribute values, the service map and its charts, the first page, and the
 * bundle's size. Nothing here is timed against a bound: frame times and time to
 * interactive are scripts/bench-viewer.ts's. Writes screenshots of the search, trace and
 * services pages in light and dark. Skips with a message when /usr/bin/chromium is absent
 * (.ci/run installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HOSTILE, seedShop, sendBigTrace, sendHostileTrace, sendOneTrace, startGrowingTrace, type SeedResult } from './seed.ts';
import { log, overlapping, SKIP, startHarness, type Harness } from './harness.ts';

const BUDGET_GZIP = 400 * 1024;

describe('viewer in Chromium', { skip: SKIP, timeout: 120_000 }, () => {
  let h: Harness;
  let seed: SeedResult;
  let bigTraceId: string;
  let hostileTraceId: string;

  before(async () => {
    h = await startHarness();
    [seed, bigTraceId, hostileTraceId] = await Promise.all([seedShop(h.tb.otlpHttpUrl), sendBigTrace(h.tb.otlpHttpUrl, 10_000), sendHostileTrace(h.tb.otlpHttpUrl)]);
  });

  after(async () => {
    await h?.close();
  });

  test('the built viewer is at most 400 KB gzipped', () => {
    log(`bundle: ${(h.gzipTotal / 1024).toFixed(1)} KB gzipped in total`);
    assert.ok(h.gzipTotal <= BUDGET_GZIP, `${h.gzipTotal} bytes gzipped`);
  });

  test('the first page takes input before its results arrive, then draws them', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/search`);
    // Interactive: the shell, the filter form and the query input are drawn and take input.
    await page.waitForSelector('html[data-interactive]');
    await page.fill('[data-testid="f-min"]', '5ms');
    // Then the results of the default search (the last hour, 100 traces, one of 10,000 spans).
    await page.waitForSelector('html[data-ready]');
    await page.waitForSelector('[data-testid="results"] tbody tr');
    const interactive = Number(await page.getAttribute('html', 'data-interactive'));
    const ready = Number(await page.getAttribute('html', 'data-ready'));
    // Figures for the log only: timings belong to scripts/bench-viewer.ts, not to a test.
    log(`first page: interactive ${interactive} ms after navigation start, results drawn at ${ready} ms`);
    assert.equal(await page.inputValue('[data-testid="f-min"]'), '5ms');
    await page.close();
  });

  test("the seed's workflow: service + duration > 1s in a time range → slow trace → 4.2 s payment call → db.statement → logs", async () => {
    const started = Date.now();
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/`);
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
    await h.shot(page, 'search-light');
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
    await h.shot(page, 'trace-light');
    // Keyboard: k moves to the previous span, Escape closes the details.
    await page.keyboard.press('k');
    await page.waitForFunction((id) => !location.search.includes(id), seed.slowDbSpanId);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="span-detail"]', { state: 'detached' });
  });

  test('a 10,000-span trace opens, keeps few rows in the DOM and draws rows all the way while wheel-scrolling', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${bigTraceId}`);
    await page.waitForSelector('[data-testid="waterfall"] .wf-row');
    assert.equal(await page.textContent('[data-testid="span-count"]'), '10,000');
    const body = page.locator('[data-testid="wf-body"]');
    await page.hover('[data-testid="wf-body"]');
    // Wheel down in steps; after each, the rows in view are drawn (a virtual list that
    // lagged would show an empty canvas here) and the DOM stays small.
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const before = await body.evaluate((el) => el.scrollTop);
      await page.mouse.wheel(0, 2400);
      await page.waitForFunction((top) => (document.querySelector('[data-testid="wf-body"]') as HTMLElement).scrollTop > top, before);
      await page.waitForFunction(() => {
        const b = document.querySelector('[data-testid="wf-body"]') as HTMLElement;
        const top = b.getBoundingClientRect().top + b.clientHeight / 2;
        return Array.from(b.querySelectorAll('.wf-row')).some((r) => {
          const box = r.getBoundingClientRect();
          return box.top <= top && box.bottom >= top;
        });
      });
      const first = await page.evaluate(() => {
        const b = document.querySelector('[data-testid="wf-body"]') as HTMLElement;
        const top = b.getBoundingClientRect().top;
        const row = Array.from(b.querySelectorAll('.wf-row')).find((r) => r.getBoundingClientRect().bottom > top + 1);
        return row?.getAttribute('data-span') ?? '';
      });
      seen.add(first);
      assert.ok((await page.locator('.wf-row').count()) < 100);
    }
    assert.ok(seen.size >= 10, `the rows in view changed while scrolling (${seen.size} distinct first rows)`);
    await body.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => document.querySelector('[data-testid="wf-body"]')?.textContent?.includes('cleanup'));
    // The flame graph draws it too.
    await page.click('[data-testid="view-flame"]');
    await page.waitForSelector('[data-testid="flame"] canvas');
    await page.close();
  });

  test('zooming into a slice of a long trace brings the spans of that slice into view', async () => {
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${bigTraceId}`);
    await page.waitForSelector('[data-testid="waterfall"] .wf-row');
    // Span id → start, and the trace's length, in ns from the trace's start.
    const { spans } = (await (await fetch(`${h.tb.apiUrl}/api/spans/trace/${bigTraceId}`)).json()) as { spans: Array<{ spanId: string; startTimeUnixNano: string; endTimeUnixNano: string }> };
    const t0 = spans.reduce((m, s) => (BigInt(s.startTimeUnixNano) < m ? BigInt(s.startTimeUnixNano) : m), BigInt(spans[0].startTimeUnixNano));
    const start = new Map(spans.map((s) => [s.spanId, Number(BigInt(s.startTimeUnixNano) - t0)]));
    const length = Math.max(...spans.map((s) => Number(BigInt(s.endTimeUnixNano) - t0)));
    const inView = () =>
      page.evaluate(() => {
        const b = document.querySelector('[data-testid="wf-body"]') as HTMLElement;
        const box = b.getBoundingClientRect();
        return Array.from(b.querySelectorAll('.wf-row[data-span]'))
          .filter((r) => r.getBoundingClientRect().top >= box.top - 1 && r.getBoundingClientRect().bottom <= box.bottom + 1)
          .map((r) => r.getAttribute('data-span') ?? '');
      });
    const startingIn = (ids: string[], [a, b]: readonly [number, number]) => ids.filter((id) => (start.get(id) ?? -1) >= a && (start.get(id) ?? -1) <= b);
    // Drag across the last tenth of the axis: chunks 90-99 of the import, far down the list.
    const axis = page.locator('.wf-head .axis-track');
    const box = await axis.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.waitForURL(/zoom=/);
    const m = /zoom=([\d.]+)-([\d.]+)/.exec(page.url());
    assert.ok(m);
    const window = [Number(m[1]) * length, Number(m[2]) * length] as const;
    // Scrolled, and the rows of the new place drawn (the list draws them on the next frame).
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="wf-body"]') as HTMLElement;
      const box = b.getBoundingClientRect();
      return b.scrollTop > 0 && Array.from(b.querySelectorAll('.wf-row[data-span]')).some((r) => r.getBoundingClientRect().top >= box.top - 1 && r.getBoundingClientRect().bottom <= box.bottom + 1);
    });
    const rows = await inView();
    assert.ok(startingIn(rows, window).length > rows.length / 2, `most rows in view start inside the window (${startingIn(rows, window).length} of ${rows.length})`);
    await page.close();
  });

  test('live mode shows a new matching trace as it arrives; a growing trace updates in place', async () => {
    const page = await h.newPage();
    const service = `live-${Date.now().toString(36)}`;
    await page.goto(`${h.tb.apiUrl}/search?live=1&range=15m&q=${encodeURIComponent(`{ resource.service.name = "${service}" }`)}`);
    await page.waitForSelector('[data-testid="no-results"]');
    const traceId = await sendOneTrace(h.tb.otlpHttpUrl, service);
    const t0 = Date.now();
    await page.waitForSelector(`[data-testid="results"] tr[data-trace="${traceId}"]`, { timeout: 10_000 });
    log(`live mode showed a new trace ${Date.now() - t0} ms after its export returned`);
    assert.equal(await page.locator(`tr[data-trace="${traceId}"]`).getAttribute('class'), 'fresh');
    // A trace whose root has not arrived yet: the page keeps reading it.
    const growing = await startGrowingTrace(h.tb.otlpHttpUrl, service);
    await page.goto(`${h.tb.apiUrl}/trace/${growing.traceId}`);
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
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/search?range=1h`);
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
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}`);
    await page.waitForSelector('.wf-row');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download"]')]);
    const file = path.join(h.dir, 'download.json');
    await download.saveAs(file);
    const otlp = JSON.parse(fs.readFileSync(file, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; kind: number }> }> }> };
    const spans = otlp.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.equal(spans.length, 9);
    assert.ok(spans.every((s) => s.traceId === seed.slowTraceId && typeof s.kind === 'number'));
    await page.goto(`${h.tb.apiUrl}/upload`);
    await page.setInputFiles('[data-testid="file-input"]', file);
    await page.waitForURL(/\/trace\/[0-9a-f]{32}\?src=upload/);
    await page.waitForSelector('.wf-row');
    assert.equal(await page.textContent('[data-testid="span-count"]'), '9');
    await page.close();
  });

  test('attribute values are text: <script> and <img onerror> run nothing', async () => {
    const page = await h.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${h.tb.apiUrl}/search?range=1h&q=${encodeURIComponent('{ resource.service.name = "guestbook" }')}`);
    await page.waitForSelector(`tr[data-trace="${hostileTraceId}"]`);
    assert.match((await page.textContent(`tr[data-trace="${hostileTraceId}"]`)) ?? '', /POST \/comments <img src=x onerror=/);
    await page.goto(`${h.tb.apiUrl}/trace/${hostileTraceId}`);
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
    const page = await h.newPage();
    await page.goto(`${h.tb.apiUrl}/services?range=1h`);
    for (const edge of ['user→frontend', 'frontend→checkout', 'checkout→inventory', 'checkout→payment', 'payment→postgres', 'inventory→redis']) {
      await page.waitForSelector(`[data-edge="${edge}"]`, { state: 'attached', timeout: 5000 });
    }
    const edges = await page.locator('[data-edge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    log(`service map edges: ${edges.join(', ')}`);
    // Edge labels sit clear of the nodes' names and figures and of each other.
    const labels = await page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-edge-label], .node-name, .node-sub')).map((el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height, what: `${el.getAttribute('class')} "${el.textContent}"` };
      }),
    );
    assert.equal(overlapping(labels), undefined);
    await page.click('[data-node="payment"]');
    await page.waitForSelector('[data-testid="operations"] tbody tr');
    assert.match((await page.textContent('[data-testid="operations"]')) ?? '', /POST \/charge/);
    // Each rate chart reads in one unit, named in its title; a latency axis starts at "0", not "0 ns".
    const titles = await page.locator('.chart-title').allTextContents();
    assert.deepEqual(titles.map((t) => t.replace(/ per (second|minute|hour)$/, ' per …')), ['Requests per …', 'Errors per …', 'Latency p95']);
    const axisText = (await page.locator('.linechart svg text.axis').allTextContents()).join('|');
    assert.ok(!/\d+ ns/.test(axisText) && !/\/min|\/s\b/.test(axisText), axisText);
    await page.waitForTimeout(200);
    await h.shot(page, 'services-light');
    const slowest = await page.getAttribute('[data-testid="slowest"]', 'href');
    assert.match(slowest ?? '', /sort=duration/);
    await page.close();
  });

  test('dark theme screenshots', async () => {
    const search = await h.newPage('dark');
    await search.goto(`${h.tb.apiUrl}/search?range=3h&sort=duration&q=${encodeURIComponent('{ resource.service.name = "checkout" && duration > 1s }')}`);
    await search.waitForSelector('[data-testid="results"] tbody tr');
    await search.waitForSelector('.cm-content');
    await h.shot(search, 'search-dark');
    await search.goto(`${h.tb.apiUrl}/trace/${seed.slowTraceId}?span=${seed.slowDbSpanId}`);
    await search.waitForSelector('[data-testid="span-detail"]');
    await search.waitForSelector('[data-testid="history"]');
    await h.shot(search, 'trace-dark');
    await search.goto(`${h.tb.apiUrl}/services?range=1h&node=payment`);
    await search.waitForSelector('[data-testid="operations"] tbody tr');
    await search.waitForTimeout(200);
    await h.shot(search, 'services-dark');
    await search.goto(`${h.tb.apiUrl}/trace/${seed.traceIds[25]}?view=flame`);
    await search.waitForSelector('[data-testid="flame"] canvas');
    await h.shot(search, 'flame-dark');
    await search.close();
  });

  test('no page logged an error', () => {
    assert.deepEqual(h.errors, []);
  });
});
