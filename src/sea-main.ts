/**
 * Entry point of the single executable (`npm run build:sea`, scripts/build-sea.mjs). It
 * takes the better-sqlite3 addon and the viewer from the executable's embedded assets,
 * then runs the ordinary CLI. It is bundled into one CommonJS file, where require()
 * reaches only Node's built-in modules.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sea from 'node:sea';
import { useNativeBinding } from './store/index.ts';
import { useWorkerScript } from './threads/index.ts';
import { useEmbeddedViewer } from './viewer/index.ts';

/** Asset names; scripts/build-sea.mjs embeds them under the same names. */
const ADDON_ASSET = 'better_sqlite3.node';
const WORKER_ASSET = 'worker.cjs';
const VIEWER_ASSET_PREFIX = 'web/';

/**
 * process.dlopen() and worker threads need files, so the addon and the worker's code are
 * written once per content hash to a directory of the temp dir that only this user can
 * write to, then reused.
 */
function extract(names: readonly string[]): string[] {
  const assets = names.map((name) => Buffer.from(sea.getRawAsset(name) as ArrayBuffer));
  const hash = crypto.createHash('sha256');
  for (const bytes of assets) hash.update(bytes);
  const dir = path.join(os.tmpdir(), `tracebox-${process.getuid?.() ?? 'user'}-${hash.digest('hex').slice(0, 16)}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  if ((process.getuid !== undefined && stat.uid !== process.getuid()) || (stat.mode & 0o022) !== 0) {
    throw new Error(`${dir} belongs to another user or is writable by others; remove it or set TMPDIR`);
  }
  return names.map((name, i) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file) || !fs.readFileSync(file).equals(assets[i])) {
      // Write beside it, then rename: a tracebox starting at the same moment sees all of it or none.
      const partial = `${file}.${process.pid}`;
      fs.writeFileSync(partial, assets[i], { mode: 0o700 });
      fs.renameSync(partial, file);
    }
    return file;
  });
}

function loadAddon(file: string): object {
  const addon = { exports: {} };
  process.dlopen(addon, file);
  return addon.exports;
}

function viewerFile(name: string): string | undefined {
  try {
    return sea.getAsset(VIEWER_ASSET_PREFIX + name, 'utf8');
  } catch {
    return undefined; // getAsset throws for a name that was not embedded
  }
}

if (!sea.isSea()) {
  process.stderr.write('tracebox: sea-main runs only inside the single executable; run dist/cli.mjs instead\n');
  process.exit(1);
}
const [addonFile, workerFile] = extract([ADDON_ASSET, WORKER_ASSET]);
useNativeBinding(loadAddon(addonFile), addonFile);
useWorkerScript(workerFile);
useEmbeddedViewer(viewerFile);
// Imported only now: the CLI starts as soon as it is loaded, and must find both hooks set.
import('./cli.ts').catch((err: unknown) => {
  process.stderr.write(`tracebox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
