/**
 * Runs: what `tracebox run` (or a test) records about one run of a command: its label,
 * git commit and branch, the command, start and end, exit code. A run's spans are not
 * linked here: they carry the resource attribute `tracebox.run` = the run's id, so search
 * finds them like any attribute, and a resource's runs are read from its raw bytes.
 */
import type { Db } from './db.ts';

export interface RunRecord {
  /** Decimal, never reused in one database. */
  readonly id: string;
  readonly label: string;
  readonly command: string;
  readonly gitCommit: string | null;
  readonly gitBranch: string | null;
  /** Unix ms. */
  readonly startedMs: number;
  /** null while the run goes on. */
  readonly endedMs: number | null;
  readonly exitCode: number | null;
  /** Spans tagged with the run when it ended; null while it goes on. */
  readonly spans: number | null;
}

export interface NewRun {
  readonly label: string;
  readonly command: string;
  readonly gitCommit?: string | null;
  readonly gitBranch?: string | null;
  readonly startedMs: number;
}

/** A resource's `tracebox.run` attribute from its raw OTLP bytes (the caller decodes; the store does not). */
export type RunOfResource = (raw: Uint8Array) => string | undefined;

const COLUMNS = 'id, label, command, git_commit, git_branch, started_ms, ended_ms, exit_code, span_count';
type Row = [number, string, string, string | null, string | null, number, number | null, number | null, number | null];

function record(row: Row): RunRecord {
  const [id, label, command, gitCommit, gitBranch, startedMs, endedMs, exitCode, spans] = row;
  return { id: String(id), label, command, gitCommit, gitBranch, startedMs, endedMs, exitCode, spans };
}

/** A run id as the table's key, or undefined for text that is not one. */
function key(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

export interface RunReader {
  /** Newest first. */
  list(limit: number): RunRecord[];
  get(id: string): RunRecord | undefined;
  /** The newest run with this label. */
  byLabel(label: string): RunRecord | undefined;
  /** The run recorded just before this one. */
  before(id: string): RunRecord | undefined;
}

export function createRunReader(db: Db): RunReader {
  const list = db.prepare(`SELECT ${COLUMNS} FROM runs ORDER BY id DESC LIMIT ?`).raw(true);
  const get = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id = ?`).raw(true);
  const byLabel = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE label = ? ORDER BY id DESC LIMIT 1`).raw(true);
  const before = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id < ? ORDER BY id DESC LIMIT 1`).raw(true);
  return {
    list: (limit) => (list.all(limit) as Row[]).map(record),
    get(id) {
      const k = key(id);
      const row = k === undefined ? undefined : (get.get(k) as Row | undefined);
      return row === undefined ? undefined : record(row);
    },
    byLabel(label) {
      const row = byLabel.get(label) as Row | undefined;
      return row === undefined ? undefined : record(row);
    },
    before(id) {
      const k = key(id);
      const row = k === undefined ? undefined : (before.get(k) as Row | undefined);
      return row === undefined ? undefined : record(row);
    },
  };
}

/** The resources tagged with each run, by run id (one pass over the resources table, which holds each distinct resource once). */
export function resourcesByRun(db: Db, runOf: RunOfResource): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [id, raw] of db.prepare('SELECT id, raw FROM resources WHERE raw IS NOT NULL').raw(true).iterate() as IterableIterator<[number, Uint8Array]>) {
    const run = runOf(raw);
    if (run === undefined) continue;
    const ids = out.get(run);
    if (ids === undefined) out.set(run, [id]);
    else ids.push(id);
  }
  return out;
}

const placeholders = (ids: readonly number[]): string => ids.map(() => '?').join(',');

/** Spans stored under these resources. */
function spanCount(db: Db, resourceIds: readonly number[]): number {
  if (resourceIds.length === 0) return 0;
  return db.prepare(`SELECT count(*) FROM spans WHERE resource_id IN (${placeholders(resourceIds)})`).pluck().get(...resourceIds) as number;
}

/** Whether any span is stored under these resources (one index probe per resource). */
function anySpan(db: Db, resourceIds: readonly number[]): boolean {
  if (resourceIds.length === 0) return false;
  return db.prepare(`SELECT 1 FROM spans WHERE resource_id IN (${placeholders(resourceIds)}) LIMIT 1`).get(...resourceIds) !== undefined;
}

export interface RunWriter {
  start(run: NewRun): RunRecord;
  /** Records the end and counts the run's spans; undefined for an unknown id. */
  end(id: string, exitCode: number | null, endedMs: number): RunRecord | undefined;
  /**
   * Retention: deletes runs that ended (or, still going, started) before the age limit,
   * and, when traces were just deleted, runs that had spans and have none left.
   */
  prune(nowMs: number, maxAgeMs: number, tracesDeleted: boolean): number;
}

export function createRunWriter(db: Db, runOf: RunOfResource): RunWriter {
  const reader = createRunReader(db);
  const insert = db.prepare('INSERT INTO runs(label, command, git_commit, git_branch, started_ms) VALUES (?, ?, ?, ?, ?)');
  const finish = db.prepare('UPDATE runs SET ended_ms = ?, exit_code = ?, span_count = ? WHERE id = ?');
  const expired = db.prepare('DELETE FROM runs WHERE coalesce(ended_ms, started_ms) < ?');
  const withSpans = db.prepare('SELECT id FROM runs WHERE span_count > 0').pluck();
  const remove = db.prepare('DELETE FROM runs WHERE id = ?');
  return {
    start(run) {
      const { lastInsertRowid } = insert.run(run.label, run.command, run.gitCommit ?? null, run.gitBranch ?? null, run.startedMs);
      return reader.get(String(lastInsertRowid)) as RunRecord;
    },
    end(id, exitCode, endedMs) {
      const k = key(id);
      if (k === undefined || reader.get(id) === undefined) return undefined;
      const spans = spanCount(db, resourcesByRun(db, runOf).get(id) ?? []);
      finish.run(endedMs, exitCode, spans, k);
      return reader.get(id);
    },
    prune(nowMs, maxAgeMs, tracesDeleted) {
      let n = maxAgeMs > 0 ? expired.run(nowMs - maxAgeMs).changes : 0;
      if (!tracesDeleted) return n;
      const ids = withSpans.all() as number[];
      if (ids.length === 0) return n;
      const resources = resourcesByRun(db, runOf);
      for (const id of ids) if (!anySpan(db, resources.get(String(id)) ?? [])) n += remove.run(id).changes;
      return n;
    },
  };
}
