/**
 * Viewer benchmark in Debian's Chromium (playwright-core, /usr/bin/chromium; nothing is
 * downloaded): the first page's time to interactive and to its results, then a trace of
 * 10,000 spans (ended 10 minutes ago: the page no longer re-reads it) opened and
 * wheel-scrolled (400 wheel events of 240 px, about 3,400 rows, then a jump to the end)
 * while every animation frame's time is recorded. Prints frame-time p50/p95/max and the
 * frames over 50 ms per run.
 * Figures, not pass/fail: the machine is shared and the numbers move with its load.
 *
 *   node --import tsx scripts/bench-viewer.ts [--runs 3] [--spans 10000] [--wheels 400] [--step 240] [--web DIR]
 *
 * --web serves a viewer built before (scripts/build-viewer.mjs's output, e.g. of another
 * commit) instead of building web/ now: two builds measured on the same machine state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { buildViewer } from './build-viewer.mjs';
import { startTracebox } from '../src/server.ts';
import { useEmbeddedViewer } from '../src/viewer/index.ts';
import { sendBigTrace } from '../test/viewer/seed.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    spans: { type: 'string', default: '10000' },
    // Pixels per wheel event: 240 is about two notches of a mouse wheel.
    step: { type: 'string', default: '240' },
    wheels: { type: 'string', default: '400' },
    web: { type: 'string' },
  },
});
const runs = Number(values.runs);
const spans = Number(values.spans);
const step = Number(values.step);
const wheels = Number(values.wheels);

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`bench-viewer: Debian's Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)\n`);
  process.exit(1);
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

// A string, not a function: tsx's helpers do not exist in the page.
const RECORD_FRAMES = `(() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (t) => {
    window.__frames.push(t - last);
    last = t;
    if (!window.__stopFrames) requestAnimationFrame(tick);
  };
  window.__stopFrames = false;
  requestAnimationFrame(tick);
})()`;

async function scrollOnce(page: Page, url: string): Promise<{ openMs: number; frames: number[]; maxRows: number }> {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('[data-testid="waterfall"] .wf-row');
  const openMs = Date.now() - t0;
  await page.waitForTimeout(300);
  await page.hover('[data-testid="wf-body"]');
  await page.evaluate(RECORD_FRAMES);
  let maxRows = 0;
  for (let i = 0; i < wheels; i++) {
    await page.mouse.wheel(0, step);
    if (i % 50 === 0) maxRows = Math.max(maxRows, await page.locator('.wf-row').count());
  }
  await page.evaluate(`(() => { const b = document.querySelector('[data-testid="wf-body"]'); b.scrollTop = b.scrollHeight; })()`);
  await page.waitForFunction(() => document.querySelector('[data-testid="wf-body"]')?.textContent?.includes('cleanup'));
  await page.waitForTimeout(100);
  const frames = (await page.evaluate('(window.__stopFrames = true, window.__frames.slice(2))')) as number[];
  return { openMs, frames, maxRows };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-bench-viewer-'));
const webDir = values.web === undefined ? tmp : path.resolve(values.web);
if (values.web === undefined) await buildViewer(webDir);
useEmbeddedViewer((name) => {
  const file = path.join(webDir, name);
  return file.startsWith(webDir) && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
});
const tb = await startTracebox({ memory: true, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, log: () => undefined });
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
try {
  const traceId = await sendBigTrace(tb.otlpHttpUrl, spans, Date.now() - 10 * 60_000);
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const files = fs.readdirSync(webDir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(webDir, f)).isFile());
  const gzipped = files.map((f) => [f, gzipSync(fs.readFileSync(path.join(webDir, f)), { level: 9 }).length] as const);
  console.log(`viewer: ${webDir === tmp ? 'web/ built now' : webDir}, ${(gzipped.reduce((n, [, b]) => n + b, 0) / 1024).toFixed(1)} KB gzipped in ${files.length} files`);

  const first = await ctx.newPage();
  await first.goto(`${tb.apiUrl}/search`);
  await first.waitForSelector('html[data-ready]');
  const interactive = Number(await first.getAttribute('html', 'data-interactive'));
  const ready = Number(await first.getAttribute('html', 'data-ready'));
  console.log(`first page: interactive at ${interactive} ms, results at ${ready} ms after navigation start`);
  await first.close();

  console.log(`\n${spans.toLocaleString('en-US')}-span trace, ${wheels} wheel events of ${step} px, then the end`);
  console.log('run  open      frames  p50       p95       max       >50 ms  rows in DOM');
  const all: number[] = [];
  for (let r = 1; r <= runs; r++) {
    const page = await ctx.newPage();
    const { openMs, frames, maxRows } = await scrollOnce(page, `${tb.apiUrl}/trace/${traceId}`);
    await page.close();
    all.push(...frames);
    const s = [...frames].sort((a, b) => a - b);
    console.log(
      `${String(r).padEnd(5)}${`${openMs} ms`.padEnd(10)}${String(frames.length).padEnd(8)}${ms(pct(s, 0.5)).padEnd(10)}${ms(pct(s, 0.95)).padEnd(10)}${ms(s[s.length - 1] ?? 0).padEnd(10)}${String(frames.filter((f) => f > 50).length).padEnd(8)}${maxRows}`,
    );
  }
  const s = all.sort((a, b) => a - b);
  console.log(`all  frame p50 ${ms(pct(s, 0.5))}, p95 ${ms(pct(s, 0.95))}, p99 ${ms(pct(s, 0.99))}, max ${ms(s[s.length - 1] ?? 0)}, ${s.filter((f) => f > 50).length} of ${s.length} frames over 50 ms`);
} finally {
  await browser.close();
  await tb.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
