/**
 * Starting a worker thread of this build. The worker's code is found where the build put
 * it: beside the bundle (dist/worker.mjs); running from the TypeScript sources, bundled
 * once per version of the sources into node_modules/.cache (a worker of its own cannot
 * load TypeScript cheaply); the single executable hands in its own (useWorkerScript).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';

/** Makes a Worker for the given data (the single executable's embedded worker). */
export type WorkerFactory = (workerData: unknown, transferList: readonly Transferable[]) => Worker;

let factory: WorkerFactory | undefined;

/** Starts every later worker from this script (the single executable's) instead of looking for the worker's file. */
export function useWorkerScript(file: string): void {
  factory = fromFile(file);
}

/**
 * V8 lets each thread's young generation grow to 48 MiB; with six threads that headroom
 * was a fifth of tracebox's memory under load. At 16 MiB for all, the overload soak peaked
 * at 315 MiB, at 8 MiB at 284 MiB, with the same ingest rate (`npm run bench:ingest`).
 * The ingest thread makes most of the short-lived objects (a request's decoded spans):
 * decoding in process took about a sixth less CPU per span with 16 MiB than with 8 (fewer
 * scavenges, each copying the request in flight); with 16 there the soak peaked at 279 MiB.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };
const INGEST_LIMITS = { maxYoungGenerationSizeMb: 16 };

function limitsOf(workerData: unknown): ResourceLimits {
  return (workerData as { role?: unknown }).role === 'ingest' ? INGEST_LIMITS : WORKER_LIMITS;
}

/** Flags that concern how the main script is loaded (`node --input-type=module -e …`, `--import tsx`), not a worker's file. */
const MAIN_ONLY_FLAGS = /^--(input-type|eval|print|import|require|loader|experimental-loader)(=|$)|^-[epr]$/;

/** The process's Node flags a worker takes over (profiling, warnings …); narrowed when a worker refuses some. */
let workerArgv: string[] | undefined;

function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (!MAIN_ONLY_FLAGS.test(argv[i])) out.push(argv[i]);
    else if (!argv[i].includes('=') && i + 1 < argv.length && !argv[i + 1].startsWith('-')) i++; // and its value
  }
  return out;
}

function fromFile(url: URL | string): WorkerFactory {
  return function start(workerData, transferList): Worker {
    const execArgv = (workerArgv ??= workerExecArgv());
    try {
      return new Worker(url, { workerData, transferList: [...transferList], resourceLimits: limitsOf(workerData), execArgv });
    } catch (err) {
      // V8 and per-process flags (`node --max-old-space-size=4096 …`, --trace-gc, --title)
      // are refused in a worker's execArgv; they hold for the whole process anyway. The
      // worker refuses before it starts or takes anything from transferList.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || execArgv.length === 0) throw err;
      const refused = new Set((err as Error).message.replace(/^[^:]*: /, '').split(', '));
      const kept = execArgv.filter((flag) => !refused.has(flag));
      workerArgv = kept.length < execArgv.length ? kept : [];
      return start(workerData, transferList);
    }
  };
}

/** Every source file's path, size and modification time, hashed: a new bundle when any changes. */
function sourcesVersion(dir: string): string {
  const hash = crypto.createHash('sha256');
  for (const name of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    if (!name.endsWith('.ts')) continue;
    const stat = fs.statSync(path.join(dir, name));
    hash.update(`${name}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Bundles of other versions of the sources kept (branches switch back and forth), if unused for an hour. */
const KEEP_BUNDLES = 16;
const KEEP_RECENT_MS = 3_600_000;

function pruneBundles(dir: string): void {
  const bundles = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[0-9a-f]{16}$/.test(d.name))
    .map((d) => ({ dir: path.join(dir, d.name), at: fs.statSync(path.join(dir, d.name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of bundles.slice(KEEP_BUNDLES)) if (Date.now() - old.at > KEEP_RECENT_MS) fs.rmSync(old.dir, { recursive: true, force: true });
}

/** The sources' worker bundle, built when missing (also when removed while this process ran). */
function sourcesBundle(srcDir: string): string {
  const root = path.dirname(srcDir);
  // Under node_modules, so that the bundle's external better-sqlite3 resolves from there.
  const outDir = path.join(root, 'node_modules', '.cache', 'tracebox-workers', sourcesVersion(srcDir));
  const entry = path.join(outDir, 'worker.mjs');
  if (fs.existsSync(entry)) {
    const now = new Date();
    fs.utimesSync(outDir, now, now);
    return entry;
  }
  const partial = `${outDir}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  // esbuild is a development dependency: loaded by a name the bundler leaves alone.
  const esbuild = createRequire(import.meta.url)(['es', 'build'].join('')) as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: { worker: path.join(srcDir, 'threads', 'worker.ts') },
    outdir: partial,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3'],
    sourcemap: true,
    banner: { js: "import { createRequire as __tbCreateRequire } from 'node:module'; const require = __tbCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  try {
    fs.renameSync(partial, outDir);
  } catch {
    fs.rmSync(partial, { recursive: true, force: true }); // another process got there first
  }
  pruneBundles(path.dirname(outDir));
  return entry;
}

function fromSources(): WorkerFactory | undefined {
  if (!import.meta.url.endsWith('.ts')) return undefined;
  const srcDir = fileURLToPath(new URL('..', import.meta.url));
  return (workerData, transferList) => fromFile(pathToFileURL(sourcesBundle(srcDir)))(workerData, transferList);
}

function fromBundle(): WorkerFactory | undefined {
  // Beside the bundle: dist/worker.mjs from dist/cli.mjs, or from a split chunk in dist/chunks/.
  for (const rel of ['./worker.mjs', '../worker.mjs']) {
    const url = new URL(rel, import.meta.url);
    if (url.protocol === 'file:' && fs.existsSync(fileURLToPath(url))) return fromFile(url);
  }
  return undefined;
}

export function spawnWorker(workerData: unknown, transferList: readonly Transferable[] = []): Worker {
  factory ??= fromSources() ?? fromBundle();
  if (factory === undefined) throw new Error('cannot find the worker thread code (dist/worker.mjs); rebuild tracebox');
  return factory(workerData, transferList);
}
