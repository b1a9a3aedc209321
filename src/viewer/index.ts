/**
 * Serves the bundled viewer (scripts/build-viewer.mjs): `index.html` for every page the
 * viewer routes in the browser (deep links), and its hashed files under `/assets/`. The
 * files are looked up beside the running bundle (`dist/web`) and, when running from
 * source, in the built `dist/web`; the single executable hands in its embedded copies
 * with useEmbeddedViewer().
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { Hono } from 'hono';

/** A viewer file's text by its path under dist/web (e.g. `index.html`, `assets/app-X.js`), or undefined. */
export type ViewerFiles = (name: string) => string | undefined;

let embedded: ViewerFiles | undefined;

/** Serves the viewer from these files instead of a directory on disk. */
export function useEmbeddedViewer(files: ViewerFiles): void {
  embedded = files;
}

function filesOnDisk(): ViewerFiles | undefined {
  // Beside the bundle (dist/web from dist/cli.mjs or from a split chunk in dist/chunks/),
  // then the build output seen from the sources (dist/web from src/viewer/). Resolved here
  // rather than at load, because import.meta.url is empty in the single executable's
  // CommonJS bundle.
  const candidates = ['./web/', '../web/', '../../dist/web/'].map((rel) => new URL(rel, import.meta.url));
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (fs.existsSync(dir + 'index.html')) {
      return (name) => (fs.existsSync(dir + name) ? fs.readFileSync(dir + name, 'utf8') : undefined);
    }
  }
  return undefined;
}

/** Paths the viewer's router draws; anything else stays the API's 404. */
const PAGES = ['/', '/search', '/services', '/logs', '/compare', '/runs', '/upload', '/trace/:id'];

/**
 * Attribute values are untrusted and rendered as text; the policy is the second line of
 * defence: no inline or foreign script, no plugins, fetches to this origin only.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
};

const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><title>tracebox</title>' +
  '<p>tracebox is running, but its viewer is not built. Run <code>npm run build</code> ' +
  '(or <code>node scripts/build.mjs</code>) and restart.</p>';

export function createViewerRoutes(): Hono {
  const app = new Hono();
  const files = embedded ?? filesOnDisk();
  const index = files?.('index.html');
  const html = index ?? NOT_BUILT;
  for (const page of PAGES) {
    app.get(page, (c) =>
      c.html(html, index === undefined ? 404 : 200, {
        'Content-Security-Policy': CSP,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      }),
    );
  }
  // Gzipped once per file and kept: the files never change while tracebox runs, and
  // compressing the 120 KB first-page bundle on every request cost ~100 ms of first paint.
  const gzipped = new Map<string, Uint8Array<ArrayBuffer>>();
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const ext = /^[\w-]+\.(js|css|svg|json)$/.exec(name)?.[1];
    const body = ext === undefined ? undefined : files?.(`assets/${name}`);
    if (ext === undefined || body === undefined) return c.text('404 page not found\n', 404);
    const headers: Record<string, string> = {
      'Content-Type': TYPES[ext],
      // Names carry a content hash (scripts/build-viewer.mjs).
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
    };
    if (!/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) return c.body(body, 200, headers);
    let gz = gzipped.get(name);
    if (gz === undefined) {
      const bytes = zlib.gzipSync(body, { level: 9 });
      gz = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      gzipped.set(name, gz);
    }
    return c.body(gz, 200, { ...headers, 'Content-Encoding': 'gzip' });
  });
  return app;
}
