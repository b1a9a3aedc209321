/**
 * Serves the bundled viewer. Assets are looked up beside the running bundle
 * (`dist/web`) and, when running from source, in `web/`.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const CANDIDATES = [new URL('./web/', import.meta.url), new URL('../../web/', import.meta.url)];

function viewerDir(): string | undefined {
  for (const url of CANDIDATES) {
    const dir = fileURLToPath(url);
    if (fs.existsSync(dir + 'index.html')) return dir;
  }
  return undefined;
}

export function createViewerRoutes(): Hono {
  const app = new Hono();
  const dir = viewerDir();
  const index = dir === undefined ? undefined : fs.readFileSync(dir + 'index.html', 'utf8');
  app.get('/', (c) => (index === undefined ? c.text('tracebox viewer not built\n', 404) : c.html(index)));
  return app;
}
