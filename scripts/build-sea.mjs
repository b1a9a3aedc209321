// Builds dist/sea/tracebox, one executable made with Node's single-executable-application
// support: this node binary, with the server bundled as one CommonJS file (src/sea-main.ts)
// and the viewer (dist/web, from scripts/build.mjs) and the better-sqlite3 addon as
// embedded assets. Run through `npm run build:sea`, which builds dist/web first.
// The result runs on the OS and CPU it was built on (tested on Linux x64, glibc).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { inject } from 'postject';

const OUT = 'dist/sea';
const WEB = 'dist/web';
// The names src/sea-main.ts reads the assets by.
const ADDON_ASSET = 'better_sqlite3.node';
const WORKER_ASSET = 'worker.cjs';
const VIEWER_ASSET_PREFIX = 'web/';
// The fuse Node's SEA support looks for (Node's single-executable-applications docs).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

if (process.platform !== 'linux') {
  throw new Error(`build-sea: only Linux is supported (macOS and Windows need code-signing steps this script lacks)`);
}
if (!fs.existsSync(path.join(WEB, 'index.html'))) throw new Error(`build-sea: ${WEB} is missing; run scripts/build.mjs first`);

const started = Date.now();
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

await build({
  entryPoints: ['src/sea-main.ts'],
  outfile: path.join(OUT, 'main.cjs'),
  bundle: true, // better-sqlite3's JavaScript too: a SEA's require() loads only built-in modules
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  // import.meta.url is empty in CommonJS; the modules that use it do so only outside the SEA.
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});

// The worker threads' code (src/threads/worker.ts), one CommonJS file run from disk: a
// worker is not the executable's main script, so it loads the addon by path like any file.
await build({
  entryPoints: ['src/threads/worker.ts'],
  outfile: path.join(OUT, WORKER_ASSET),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});

const require = createRequire(import.meta.url);
const addon = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
if (!fs.existsSync(addon)) throw new Error(`build-sea: ${addon} is missing; is better-sqlite3 installed and built?`);
const assets = { [ADDON_ASSET]: addon, [WORKER_ASSET]: path.join(OUT, WORKER_ASSET) };
for (const name of fs.readdirSync(WEB, { recursive: true })) {
  const file = path.join(WEB, name);
  if (fs.statSync(file).isFile()) assets[VIEWER_ASSET_PREFIX + name.split(path.sep).join('/')] = file;
}

const blob = path.join(OUT, 'sea-prep.blob');
const config = path.join(OUT, 'sea-config.json');
fs.writeFileSync(
  config,
  JSON.stringify({ main: path.join(OUT, 'main.cjs'), output: blob, disableExperimentalSEAWarning: true, assets }, null, 2),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

const exe = path.join(OUT, 'tracebox');
fs.copyFileSync(process.execPath, exe);
fs.chmodSync(exe, 0o755);
try {
  execFileSync('strip', [exe]); // Node's symbols: about 13 MB, not needed to run
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
// postject warns once per ELF note section it can't name ("Can't find string offset for
// section name '.note.100'"); harmless, and silenced so that real warnings stand out.
const warn = console.warn;
console.warn = (...args) => {
  if (!/^warning: Can't find string offset for section name '\.note/.test(String(args[0]))) warn(...args);
};
try {
  await inject(exe, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE });
} finally {
  console.warn = warn;
}

const mb = (fs.statSync(exe).size / 1e6).toFixed(1);
console.log(`${exe}: ${mb} MB, node ${process.version}, ${Object.keys(assets).length} assets, ${((Date.now() - started) / 1000).toFixed(1)} s`);
