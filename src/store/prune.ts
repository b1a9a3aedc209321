/**
 * Pruning the dictionaries after traces are deleted: span names, scopes, resources, tag
 * values and tag keys that no stored span can reference any more. It runs on the writer's
 * connection in small steps (each a bounded statement), so ingest waits for one step at
 * most.
 *
 * What "can reference" means, per table, without an index on the span rows:
 * - span names and scopes: `last_span` (kept by the writer) is at least the rowid of every
 *   span that used the row; below the lowest stored span rowid, none is left. Log records
 *   use scopes too: a scope goes only when no log record holds it either (a scan of the
 *   logs until one does; few scopes lose their spans).
 * - resources: spans_resource and logs_resource start with resource_id, so probes tell.
 * - tag values: every sighting of a value lies within TAG_REFRESH_NS of its recorded
 *   first/last times (TagMemo); a value last seen that long before the earliest stored
 *   span start has no span left. A decoder skips a value only for spans within
 *   TAG_REFRESH_NS of a sighting it handed over, so it would skip a pruned value only for
 *   a span older than every stored one. With no spans stored at all every span is, so
 *   then only values not recorded for 2 × MEMO_WALL_MS go (a decoder forgets by then).
 *   Span times need not follow arrival, so a sweep also goes through the values, a quota
 *   per pass: one recorded (`last_span`) before the lowest stored span rowid and not for
 *   2 × MEMO_WALL_MS is looked up — its term in span_terms, its text in the stored
 *   resources and scopes — and goes when nothing holds it.
 * - tag keys: those left without values.
 */
import type { Db } from './db.ts';
import { dictionaryTerm, MAX_VALUES_PER_KEY, MEMO_WALL_MS, TAG_REFRESH_NS, type TagScope, type TagValue } from './tags.ts';
import type { TermScope } from './terms.ts';

/** Rows one statement deletes at most. */
export const PRUNE_BATCH = 500;

type Phase = 'names' | 'scopes' | 'resources' | 'values' | 'sweep' | 'keys';
const PHASES: readonly Phase[] = ['names', 'scopes', 'resources', 'values', 'sweep', 'keys'];
/** Tag values the sweep reads per step. */
export const SWEEP_ROWS = 500;
const TERM_SCOPES: Partial<Record<TagScope, TermScope>> = { span: 's', event: 'e', link: 'l' };

interface SweptValue extends TagValue {
  readonly keyId: number;
  readonly lastSpan: number;
  readonly seenS: number;
}

export interface Pruner {
  /**
   * One bounded step; returns the rows it deleted, and `done` once every phase found
   * nothing more to delete (the next call starts over). `sweepSteps`: how many steps of
   * the sweep (SWEEP_ROWS values each) this pass takes.
   */
  step(nowMs: number, sweepSteps: number): { deleted: number; done: boolean };
}

export function createPruner(db: Db): Pruner {
  const lowestSpan = db.prepare('SELECT min(id) FROM spans').pluck();
  const earliestStart = db.prepare('SELECT min(start_ns) FROM spans').pluck().safeIntegers(true);
  const stmt = {
    names: db.prepare('DELETE FROM span_names WHERE id IN (SELECT id FROM span_names WHERE last_span < ? LIMIT ?)'),
    scopes: db.prepare(
      `DELETE FROM scopes WHERE id IN (SELECT c.id FROM scopes c
         WHERE c.last_span < ? AND NOT EXISTS (SELECT 1 FROM logs l WHERE l.scope_id = c.id) LIMIT ?)`,
    ),
    resources: db.prepare(
      `DELETE FROM resources WHERE id IN (SELECT r.id FROM resources r
         WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE s.resource_id = r.id) AND NOT EXISTS (SELECT 1 FROM logs l WHERE l.resource_id = r.id) LIMIT ?)`,
    ),
    keysAfter: db.prepare('SELECT id FROM tag_keys WHERE id > ? ORDER BY id LIMIT 100').pluck(),
    values: db.prepare(
      `DELETE FROM tag_values WHERE (key_id, type, value) IN
         (SELECT key_id, type, value FROM tag_values WHERE key_id = ? AND last_ns < ? LIMIT ?)`,
    ),
    valuesRecordedBefore: db.prepare(
      `DELETE FROM tag_values WHERE (key_id, type, value) IN
         (SELECT key_id, type, value FROM tag_values WHERE key_id = ? AND seen_s < ? LIMIT ?)`,
    ),
    // A full key stays: its row is what tells listings and the planner that the dictionary
    // lacks values the spans still hold.
    keys: db.prepare(
      `DELETE FROM tag_keys WHERE id IN (SELECT k.id FROM tag_keys k
         WHERE k.value_count < ${MAX_VALUES_PER_KEY} AND NOT EXISTS (SELECT 1 FROM tag_values v WHERE v.key_id = k.id) LIMIT ?)`,
    ),
    sweepFirst: db.prepare(
      'SELECT key_id AS keyId, type, value, last_span AS lastSpan, seen_s AS seenS FROM tag_values ORDER BY key_id, type, value LIMIT ?',
    ),
    sweepAfter: db.prepare(
      `SELECT key_id AS keyId, type, value, last_span AS lastSpan, seen_s AS seenS FROM tag_values
       WHERE (key_id, type, value) > (?, ?, ?) ORDER BY key_id, type, value LIMIT ?`,
    ),
    key: db.prepare('SELECT scope, key FROM tag_keys WHERE id = ?'),
    termHeld: db.prepare('SELECT 1 FROM span_terms WHERE span_terms MATCH ? LIMIT 1').pluck(),
    resourceHolds: db.prepare('SELECT 1 FROM resources WHERE instr(raw, ?) > 0 LIMIT 1').pluck(),
    scopeHolds: db.prepare('SELECT 1 FROM scopes WHERE instr(raw, ?) > 0 LIMIT 1').pluck(),
    deleteValue: db.prepare('DELETE FROM tag_values WHERE key_id = ? AND type = ? AND value = ?'),
  };
  let phase = 0;
  /** The tag key the values phase goes on from. */
  let keyCursor = 0;
  /** Where the sweep goes on from (undefined: the start), and its steps this pass. */
  let sweepCursor: SweptValue | undefined;
  let sweptSteps = 0;

  /** Whether anything stored may still hold the value (when unsure: yes). */
  function held(v: SweptValue, keys: Map<number, { scope: TagScope; key: string } | undefined>): boolean {
    let k = keys.get(v.keyId);
    if (!keys.has(v.keyId)) keys.set(v.keyId, (k = stmt.key.get(v.keyId) as { scope: TagScope; key: string } | undefined));
    if (k === undefined) return false;
    const termScope = TERM_SCOPES[k.scope];
    if (termScope !== undefined) {
      const term = dictionaryTerm(termScope, k.key, v);
      return term === undefined || stmt.termHeld.get(term) !== undefined;
    }
    // Resource and scope attributes: a stored message holding the text may hold the value.
    if (v.type !== 'string' || typeof v.value !== 'string') return true;
    const bytes = Buffer.from(v.value, 'utf8');
    return (k.scope === 'resource' ? stmt.resourceHolds : stmt.scopeHolds).get(bytes) !== undefined;
  }

  /** One step of the sweep; returns the values deleted and whether it reached the end. */
  function sweep(nowMs: number, lowest: number): { deleted: number; end: boolean } {
    const rows = (sweepCursor === undefined
      ? stmt.sweepFirst.all(SWEEP_ROWS)
      : stmt.sweepAfter.all(sweepCursor.keyId, sweepCursor.type, sweepCursor.value, SWEEP_ROWS)) as SweptValue[];
    const recordedBefore = Math.floor((nowMs - 2 * MEMO_WALL_MS) / 1000);
    const keys = new Map<number, { scope: TagScope; key: string } | undefined>();
    let deleted = 0;
    for (const v of rows) {
      if (v.lastSpan < lowest && v.seenS < recordedBefore && !held(v, keys)) deleted += stmt.deleteValue.run(v.keyId, v.type, v.value).changes;
    }
    sweepCursor = rows.length < SWEEP_ROWS ? undefined : rows[rows.length - 1];
    return { deleted, end: sweepCursor === undefined };
  }

  function values(nowMs: number): number {
    const earliest = earliestStart.get() as bigint | null;
    const recordedBefore = Math.floor((nowMs - 2 * MEMO_WALL_MS) / 1000);
    const prune = (key: number, limit: number): number =>
      earliest === null
        ? stmt.valuesRecordedBefore.run(key, recordedBefore, limit).changes
        : stmt.values.run(key, earliest - BigInt(TAG_REFRESH_NS), limit).changes;
    let deleted = 0;
    while (deleted < PRUNE_BATCH) {
      const keys = stmt.keysAfter.all(keyCursor) as number[];
      if (keys.length === 0) {
        keyCursor = 0;
        break;
      }
      for (const key of keys) {
        deleted += prune(key, PRUNE_BATCH - deleted);
        if (deleted >= PRUNE_BATCH) return deleted; // this key again next step
        keyCursor = key;
      }
    }
    return deleted;
  }

  return {
    step(nowMs, sweepSteps) {
      if (PHASES[phase] === 'sweep' && sweepSteps <= 0) phase++;
      const lowest = (lowestSpan.get() as number | null) ?? Number.MAX_SAFE_INTEGER;
      let deleted = 0;
      switch (PHASES[phase]) {
        case 'names':
          deleted = stmt.names.run(lowest, PRUNE_BATCH).changes;
          break;
        case 'scopes':
          deleted = stmt.scopes.run(lowest, PRUNE_BATCH).changes;
          break;
        case 'resources':
          deleted = stmt.resources.run(PRUNE_BATCH).changes;
          break;
        case 'values':
          deleted = values(nowMs);
          break;
        case 'sweep': {
          const s = sweep(nowMs, lowest);
          // Its deletes do not keep it in the phase: a quota of steps per pass does.
          if (!s.end && ++sweptSteps < sweepSteps) return { deleted: s.deleted, done: false };
          sweptSteps = 0;
          phase++;
          return { deleted: s.deleted, done: false };
        }
        case 'keys':
          deleted = stmt.keys.run(PRUNE_BATCH).changes;
          break;
      }
      // A phase that deleted a full batch may have more; otherwise on to the next.
      if (deleted < PRUNE_BATCH) phase++;
      if (phase < PHASES.length) return { deleted, done: false };
      phase = 0;
      return { deleted, done: true };
    },
  };
}
