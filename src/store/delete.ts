/**
 * Deleting traces: whole traces only (a partial trace would be a wrong answer), each
 * with its spans and their search terms, in one transaction. Log records go by rowid
 * range (oldest first, for retention) or by resource (a test session's), with their terms.
 */
import type { Db } from './db.ts';

/** `beforeCommit` runs inside the transaction, after the rows are gone. */
export interface Deleter {
  /** Deletes the given traces; returns how many spans went with them. */
  traces(rowids: readonly number[], beforeCommit: () => void): number;
  /** Deletes the log records with rowids in [first, last]; returns how many. */
  logRange(first: number, last: number): number;
  /** Deletes the log records of these resources; returns how many. */
  logsOf(resourceIds: readonly number[]): number;
  /** Empties the store. */
  all(beforeCommit: () => void): void;
}

export function createDeleter(db: Db): Deleter {
  const terms = db.prepare('DELETE FROM span_terms WHERE rowid IN (SELECT id FROM spans WHERE trace_rowid = ?)');
  const spans = db.prepare('DELETE FROM spans WHERE trace_rowid = ?');
  const trace = db.prepare('DELETE FROM traces WHERE id = ?');
  const deleteTraces = db.transaction((rowids: readonly number[], beforeCommit: () => void) => {
    let n = 0;
    for (const id of rowids) {
      terms.run(id);
      n += spans.run(id).changes;
      trace.run(id);
    }
    beforeCommit();
    return n;
  });
  const logTermRange = db.prepare('DELETE FROM log_terms WHERE rowid IN (SELECT id FROM logs WHERE id BETWEEN ? AND ?)');
  const logRange = db.prepare('DELETE FROM logs WHERE id BETWEEN ? AND ?');
  const deleteLogRange = db.transaction((first: number, last: number) => {
    logTermRange.run(first, last);
    return logRange.run(first, last).changes;
  });
  const logTermsOf = db.prepare('DELETE FROM log_terms WHERE rowid IN (SELECT id FROM logs WHERE resource_id = ?)');
  const logsOf = db.prepare('DELETE FROM logs WHERE resource_id = ?');
  const deleteLogsOf = db.transaction((resourceIds: readonly number[]) => {
    let n = 0;
    for (const id of resourceIds) {
      logTermsOf.run(id);
      n += logsOf.run(id).changes;
    }
    return n;
  });
  const deleteAll = db.transaction((beforeCommit: () => void) => {
    for (const table of ['span_terms', 'spans', 'traces', 'log_terms', 'logs', 'tag_values', 'tag_keys', 'span_names', 'scopes', 'resources', 'runs']) {
      db.prepare(`DELETE FROM ${table}`).run();
    }
    beforeCommit();
  });
  return {
    traces: (rowids, beforeCommit) => deleteTraces(rowids, beforeCommit),
    logRange: (first, last) => deleteLogRange(first, last),
    logsOf: (resourceIds) => deleteLogsOf(resourceIds),
    all: (beforeCommit) => deleteAll(beforeCommit),
  };
}
