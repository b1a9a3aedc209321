/**
 * What the viewer's browser tests share: the viewer built into a temporary directory and
 * served by a tracebox on free ports, Debian's Chromium through playwright-core (nothing
 * is downloaded), pages that record their errors, and screenshots written to
 * test-output/screenshots/ and to docs/screenshots/ when missing there or with
 * TRACEBOX_UPDATE_SCREENSHOTS=1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildViewer } from '../../scripts/build-viewer.mjs';
import { useEmbeddedViewer } from '../../src/viewer/index.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SKIP = fs.existsSync(CHROMIUM)
  ? false
  : `Debian's Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (.ci/run does)`;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const SHOTS_OUT = 'test-output/screenshots';
const SHOTS_DOCS = 'docs/screenshots';

export function log(line: string): void {
  process.stdout.write(`# viewer: ${line}\n`);
}

export interface Harness {
  readonly tb: TestTracebox;
  readonly browser: Browser;
  readonly ctx: BrowserContext;
  /** The built viewer's gzipped size in bytes. */
  readonly gzipTotal: number;
  /** A scratch directory removed by close(). */
  readonly dir: string;
  /** Page errors and console errors of every page opened with newPage(). */
  readonly errors: string[];
  newPage(scheme?: 'light' | 'dark'): Promise<Page>;
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-viewer-'));
  const webDir = path.join(dir, 'web');
  const built = await buildViewer(webDir);
  useEmbeddedViewer((name) => {
    const file = path.join(webDir, name);
    return file.startsWith(webDir) && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  });
  const tb = await startTestTracebox();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  return {
    tb,
    browser,
    ctx,
    gzipTotal: built.gzipTotal,
    dir,
    errors,
    async newPage(scheme = 'light') {
      const page = await ctx.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      if (process.env.DEBUG_VIEWER) page.on('response', (r) => r.url().includes('/api/') && log(`${r.status()} ${r.url().slice(0, 160)}`));
      page.on('console', (m) => {
        // A failed query is a 400 from the API: the browser logs the response, the page shows the error.
        if (m.type() === 'error' && !/status of 400/.test(m.text())) errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async shot(page, name) {
      fs.mkdirSync(SHOTS_OUT, { recursive: true });
      const file = path.join(SHOTS_OUT, `${name}.png`);
      await page.screenshot({ path: file });
      const docs = path.join(SHOTS_DOCS, `${name}.png`);
      if (process.env.TRACEBOX_UPDATE_SCREENSHOTS === '1' || !fs.existsSync(docs)) {
        fs.mkdirSync(SHOTS_DOCS, { recursive: true });
        fs.copyFileSync(file, docs);
      }
    },
    async close() {
      await browser.close();
      await tb.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether any two of the boxes overlap (by more than a pixel each way), with the first such pair. */
export function overlapping(boxes: ReadonlyArray<{ x: number; y: number; width: number; height: number; what: string }>): string | undefined {
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (w > 1 && h > 1) return `${a.what} overlaps ${b.what}`;
    }
  }
  return undefined;
}
