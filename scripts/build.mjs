// Bundles the server into dist/ (better-sqlite3 stays external: it is a native addon)
// and the viewer (web/) beside it into dist/web (scripts/build-viewer.mjs).
import { build } from 'esbuild';
import fs from 'node:fs';
import { buildViewer } from './build-viewer.mjs';

fs.rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts', testing: 'src/testing/index.ts', worker: 'src/threads/worker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['better-sqlite3'],
  sourcemap: true,
  legalComments: 'none',
  // grpc-js and others call require() on Node built-ins; ESM bundles need it defined.
  banner: { js: "import { createRequire as __tbCreateRequire } from 'node:module'; const require = __tbCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
await buildViewer('dist/web');
fs.chmodSync('dist/cli.mjs', 0o755);
