// Bundles the viewer (web/src, Preact) into <outdir>: index.html plus hashed files under
// assets/ — the first-page bundle, its stylesheet, and split chunks loaded on demand (the
// TraceQL editor, CodeMirror, is one). No source maps: the package ships what the
// browser needs and nothing more. Returns the files written with their gzipped sizes.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** @param {string} outdir @param {{ minify?: boolean }} [options] */
export async function buildViewer(outdir, options = {}) {
  const minify = options.minify ?? true;
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: 'web/src/main.tsx' },
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    metafile: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint === 'web/src/main.tsx');
  if (entry === undefined) throw new Error('build-viewer: no entry output');
  const js = '/assets/' + path.basename(entry[0]);
  const css = entry[1].cssBundle === undefined ? undefined : '/assets/' + path.basename(entry[1].cssBundle);
  // The entry's static imports (shared chunks) are fetched with it, not after it.
  const preload = entry[1].imports
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `<link rel="modulepreload" href="/assets/${path.basename(i.path)}">`)
    .join('\n');
  const html = fs
    .readFileSync('web/index.html', 'utf8')
    .replace('%APP_JS%', js)
    .replace('%APP_CSS%', css ?? '')
    .replace('<!--%PRELOAD%-->', preload);
  fs.writeFileSync(path.join(outdir, 'index.html'), html);
  const files = [];
  for (const name of fs.readdirSync(outdir, { recursive: true })) {
    const file = path.join(outdir, String(name));
    if (!fs.statSync(file).isFile()) continue;
    const bytes = fs.readFileSync(file);
    files.push({ name: String(name).split(path.sep).join('/'), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  return { files, gzipTotal: files.reduce((n, f) => n + f.gzip, 0), entry: js };
}
