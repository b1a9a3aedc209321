/**
 * @module
 * A generated corpus loaded into a tracebox data directory once and reused: the
 * directory is keyed by the generator options and by a digest of the code that
 * decides what ends up in the file (generator, decoder, schema, write path), so a
 * change to any of them rebuilds it instead of benchmarking a stale layout.
 *
 * Loading is in-process (decodeExportRequest + Store.insert), ~30–40 s per 1M spans.
 *
 * @example
 *   const c = await loadQueryCorpus({ spans: 1_000_000, seed: 1, timeSpanMs: 2 * 3600e3, endTimeMs });
 *   startTracebox({ data: c.dir, ... });
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createIngest } from '../../src/otlp/index.ts';
import { Store } from '../../src/store/index.ts';
import { generateRequests, type CorpusStats } from './span-generator.ts';

export interface QueryCorpusOptions {
  readonly spans: number;
  readonly seed: number;
  readonly timeSpanMs: number;
  /** Fixed, so that the corpus (and the cache key) is the same on every run. */
  readonly endTimeMs: number;
  /** Rebuild even when a cached copy exists. */
  readonly fresh?: boolean;
  /** Where cached corpora live (default: the OS temp directory). */
  readonly cacheRoot?: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface QueryCorpus {
  /** The data directory (holds tracebox.db). */
  readonly dir: string;
  readonly stats: CorpusStats;
  /** True when it was built by this call, false when reused. */
  readonly built: boolean;
  /** Load time when built, ms. */
  readonly loadMs: number;
  /** Database file size after a TRUNCATE checkpoint, bytes. */
  readonly dbBytes: number;
}

const PREFIX = 'tracebox-bench-query-';
const MARKER = 'corpus.json';

/** Files whose content shapes the stored corpus; their digest is part of the cache key. */
const CODE_FILES = [
  'scripts/lib/span-generator.ts',
  'scripts/lib/rng.ts',
  'src/otlp/decode-protobuf.ts',
  'src/store/schema.ts',
  'src/store/write.ts',
  'src/store/terms.ts',
  'src/store/tags.ts',
  'src/store/db.ts',
];

function codeDigest(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const h = createHash('sha256');
  for (const f of CODE_FILES) {
    h.update(f).update('\0');
    try {
      h.update(fs.readFileSync(path.join(root, f)));
    } catch {
      h.update('missing');
    }
  }
  return h.digest('hex').slice(0, 10);
}

function statsToJson(s: CorpusStats): Record<string, unknown> {
  return { ...s, minStartNs: s.minStartNs.toString(), maxEndNs: s.maxEndNs.toString() };
}

function statsFromJson(j: Record<string, unknown>): CorpusStats {
  return { ...(j as unknown as CorpusStats), minStartNs: BigInt(j.minStartNs as string), maxEndNs: BigInt(j.maxEndNs as string) };
}

/** Returns a data directory holding the corpus, building it when no valid cached copy exists. */
export function loadQueryCorpus(options: QueryCorpusOptions): QueryCorpus {
  const log = options.log ?? (() => {});
  const root = options.cacheRoot ?? os.tmpdir();
  const key = `${PREFIX}${options.spans}-s${options.seed}-w${options.timeSpanMs}-e${options.endTimeMs}-${codeDigest()}`;
  const dir = path.join(root, key);
  const marker = path.join(dir, MARKER);
  const dbFile = path.join(dir, 'tracebox.db');

  // Older cached corpora (other parameters or code) are a few hundred MB each: keep only this one.
  for (const name of fs.readdirSync(root)) {
    if (name.startsWith(PREFIX) && name !== key) {
      log(`removing stale cached corpus ${path.join(root, name)}`);
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }

  if (!options.fresh && fs.existsSync(marker)) {
    const meta = JSON.parse(fs.readFileSync(marker, 'utf8')) as { stats: Record<string, unknown>; loadMs: number };
    return { dir, stats: statsFromJson(meta.stats), built: false, loadMs: meta.loadMs, dbBytes: fs.statSync(dbFile).size };
  }

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const store = Store.open({ dataDir: dir });
  const ingest = createIngest(store);
  const stats: CorpusStats = { spans: 0, requests: 0, traces: 0, errors: 0, slow: 0, withEvents: 0, bytes: 0, minStartNs: 0n, maxEndNs: 0n };
  const t0 = performance.now();
  let stored = 0;
  let nextLog = t0 + 5000;
  try {
    for (const req of generateRequests(
      { spans: options.spans, seed: options.seed, timeSpanMs: options.timeSpanMs, endTimeMs: options.endTimeMs },
      stats,
    )) {
      const answer = ingest({ body: req.bytes, format: 'protobuf' });
      if (answer.ok) stored += answer.result.stored;
      if (performance.now() > nextLog) {
        nextLog += 5000;
        log(`  loaded ${stored.toLocaleString('en-US')} spans…`);
      }
    }
    // No ANALYZE: tracebox never runs it, so the plans measured are the plans users get.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  const loadMs = performance.now() - t0;
  if (stored !== stats.spans) throw new Error(`corpus load: stored ${stored} spans, generated ${stats.spans}`);
  fs.writeFileSync(marker, JSON.stringify({ stats: statsToJson(stats), loadMs, options: { ...options, log: undefined } }, null, 2));
  return { dir, stats, built: true, loadMs, dbBytes: fs.statSync(dbFile).size };
}
