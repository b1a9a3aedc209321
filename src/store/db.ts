/**
 * Opens the SQLite database: pragmas, schema migrations, and a clear refusal of a
 * file written by a newer tracebox.
 */
import fs from 'node:fs';
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

/** Makes every later openDatabase() use this better-sqlite3 addon. */
export function useNativeBinding(binding: string | object): void {
  nativeBinding = binding;
}

export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

/** Opens `<dataDir>/tracebox.db`, or an in-memory database when dataDir is undefined. */
export function openDatabase(dataDir: string | undefined): Db {
  let file = ':memory:';
  if (dataDir !== undefined) {
    fs.mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, DB_FILE);
  }
  let db: Db;
  try {
    // better-sqlite3 accepts an addon object here too; its types only list the path form.
    db = new Database(file, { timeout: 5000, nativeBinding: nativeBinding as string | undefined });
  } catch (err) {
    throw new StoreOpenError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    configure(db, file);
    migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function configure(db: Db, file: string): void {
  // Retention frees pages; incremental vacuum hands them back to the file system in small
  // steps. It only takes effect on a new database (before the first table exists).
  db.pragma('auto_vacuum = INCREMENTAL');
  if (file !== ':memory:') {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreOpenError(`${file}: cannot switch to WAL journal mode (got ${String(mode)})`);
  }
  // NORMAL under WAL: a commit survives a crash of the process; only an OS crash can lose
  // the last transactions. 10,000 pages between checkpoints measured ~1.3x faster ingest.
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  // A checkpointed WAL is reused, not shrunk: without a limit it stays as large as the
  // largest burst (a big retention pass) ever made it.
  db.pragma('journal_size_limit = 67108864');
  db.pragma('cache_size = -65536');
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
