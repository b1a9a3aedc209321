/**
 * Opens the SQLite database: pragmas, schema migrations, and a clear refusal of a
 * file written by a newer tracebox.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export type Db = Database.Database;

export const DB_FILE = 'tracebox.db';

/**
 * The better-sqlite3 addon to load instead of the one under node_modules: a path to a
 * `.node` file or an addon object already loaded with process.dlopen. The single
 * executable sets it, because there the addon is an embedded asset (src/sea-main.ts).
 */
let nativeBinding: string | object | undefined;
let nativeBindingFile: string | undefined;

/**
 * Makes every later openDatabase() use this better-sqlite3 addon; `file` is where it was
 * loaded from, for worker threads to load the same one (given a path, that path).
 */
export function useNativeBinding(binding: string | object, file = typeof binding === 'string' ? binding : undefined): void {
  nativeBinding = binding;
  nativeBindingFile = file;
}

/** The addon file set with useNativeBinding(), for threads to load the same one. */
export function nativeBindingPath(): string | undefined {
  return nativeBindingFile;
}

export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

/**
 * Where a store lives: `<dataDir>/tracebox.db`, or for an in-memory store a fresh file in
 * shared memory (the temp dir where there is none), which is removed on close. A real
 * file rather than SQLite's `:memory:` lets a writer and readers on other threads share
 * it through WAL.
 */
export interface DatabaseLocation {
  readonly file: string;
  /** Removed when the store closes; nothing survives a restart. */
  readonly ephemeral: boolean;
}

/** Below this much free space, /dev/shm (a container's is 64 MiB) is passed over for the temp dir. */
const SHM_MIN_FREE = 1024 * 1024 * 1024;

function ephemeralDir(): string {
  try {
    const stat = fs.statfsSync('/dev/shm');
    if (stat.bavail * stat.bsize >= SHM_MIN_FREE) return '/dev/shm';
  } catch {
    // no /dev/shm here
  }
  return os.tmpdir();
}

export function databaseLocation(dataDir: string | undefined): DatabaseLocation {
  if (dataDir === undefined) {
    const name = `tracebox-${process.pid}-${crypto.randomBytes(6).toString('hex')}.db`;
    return { file: path.join(ephemeralDir(), name), ephemeral: true };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  return { file: path.join(dataDir, DB_FILE), ephemeral: false };
}

/** Removes an ephemeral database's files. */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
}

/** How the WAL is checkpointed: by the writer after its commits, or by another connection (the writer only as a fallback). */
export type Checkpoints = 'by-writer' | 'elsewhere';

/**
 * WAL pages after which the writer checkpoints itself. With checkpoints made elsewhere,
 * only a fallback (~200 MB of WAL), should the other connection fall behind or stop.
 */
const AUTOCHECKPOINT_PAGES: Record<Checkpoints, number> = { 'by-writer': 10_000, elsewhere: 50_000 };

/**
 * Opens the database at `location`: the writer configures and migrates it; readers (on
 * other threads, after the writer) only read.
 */
export function openDatabase(location: DatabaseLocation, role: 'writer' | 'reader' = 'writer', checkpoints: Checkpoints = 'by-writer'): Db {
  const { file } = location;
  let db: Db;
  try {
    // better-sqlite3 accepts an addon object here too; its types only list the path form.
    db = new Database(file, { timeout: 5000, nativeBinding: nativeBinding as string | undefined });
  } catch (err) {
    throw new StoreOpenError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    if (role === 'writer') {
      configure(db, file, location.ephemeral, checkpoints);
      migrate(db, file);
    } else {
      // Per reader thread: searches reread recent pages; the OS caches the rest of the file.
      db.pragma('cache_size = -32768');
      db.pragma('temp_store = MEMORY');
      db.pragma('query_only = 1');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) throw new StoreOpenError(`${file}: schema ${version}, expected ${SCHEMA_VERSION}`);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function configure(db: Db, file: string, ephemeral: boolean, checkpoints: Checkpoints): void {
  // Retention frees pages; incremental vacuum hands them back to the file system in small
  // steps. It only takes effect on a new database (before the first table exists).
  db.pragma('auto_vacuum = INCREMENTAL');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreOpenError(`${file}: cannot switch to WAL journal mode (got ${String(mode)})`);
  // NORMAL under WAL: a commit survives a crash of the process; only an OS crash can lose
  // the last transactions. An ephemeral store survives nothing anyway.
  db.pragma(ephemeral ? 'synchronous = OFF' : 'synchronous = NORMAL');
  // 10,000 pages between checkpoints measured ~1.3x faster ingest than the default; made on
  // another thread, checkpoints cost the writer nothing (~1.3x again).
  db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES[checkpoints]}`);
  // A checkpointed WAL is reused, not shrunk: without a limit it stays as large as the
  // largest burst (a big retention pass) ever made it.
  db.pragma('journal_size_limit = 67108864');
  // Writes are mostly appends: a larger cache measured no faster, and it is memory held.
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreOpenError(
      `${file} was written by a newer tracebox (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade tracebox or use another --data directory`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
