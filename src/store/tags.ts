/**
 * The tag-value dictionary: learns attribute keys and values as spans are written
 * (through terms.ts's TagSink) and lists them for Tempo's tag endpoints.
 */
import type { Db } from './db.ts';
import type { TagSink, TagType, TermScope } from './terms.ts';

export type TagScope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation';

/** Distinct values kept per key; beyond this a key's listing is partial (Tempo caps by bytes). */
export const MAX_VALUES_PER_KEY = 1000;
/** How far span time must move before a known value's last_ns is written again. */
export const TAG_REFRESH_NS = 5 * 60 * 1e9;
const MEMO_LIMIT = 200_000;

const TERM_SCOPES: Record<TermScope, TagScope> = { s: 'span', e: 'event', l: 'link' };

export interface TagWriter extends TagSink {
  /** Span start (unix ns, as a number: minute precision is plenty here) of the span being indexed. */
  at: number;
  /** Records one attribute seen outside spans (resource and scope attributes). */
  record(scope: TagScope, key: string, type: TagType, value: string | number | boolean): void;
  /** Forgets in-memory state after a rolled-back transaction. */
  reset(): void;
}

interface KeyState {
  readonly id: number;
  count: number;
}

export function createTagWriter(db: Db): TagWriter {
  const stmt = {
    key: db.prepare('SELECT id, value_count FROM tag_keys WHERE scope = ? AND key = ?'),
    insertKey: db.prepare('INSERT INTO tag_keys(scope, key) VALUES (?, ?)'),
    insertValue: db.prepare('INSERT OR IGNORE INTO tag_values(key_id, type, value, first_ns, last_ns) VALUES (?, ?, ?, ?, ?)'),
    refreshValue: db.prepare(
      `UPDATE tag_values SET first_ns = min(first_ns, ?), last_ns = max(last_ns, ?)
       WHERE key_id = ? AND type = ? AND value = ?`,
    ),
    countUp: db.prepare('UPDATE tag_keys SET value_count = value_count + 1 WHERE id = ?'),
  };
  // value term → span time it was last written at; key term → key state.
  let seen = new Map<string, number>();
  let keys = new Map<string, KeyState>();

  function keyState(keyTerm: string, scope: TagScope, key: string): KeyState {
    let state = keys.get(keyTerm);
    if (state === undefined) {
      const row = stmt.key.get(scope, key) as { id: number; value_count: number } | undefined;
      state = row
        ? { id: row.id, count: row.value_count }
        : { id: Number(stmt.insertKey.run(scope, key).lastInsertRowid), count: 0 };
      if (keys.size >= MEMO_LIMIT) keys = new Map();
      keys.set(keyTerm, state);
    }
    return state;
  }

  function write(state: KeyState, memoKey: string, type: TagType, value: string | number | boolean, at: number): void {
    const v = type === 'bool' ? (value ? 1 : 0) : value;
    // Span times are fixed64 on the wire; beyond int64 they cannot be stored, and minutes matter here, not ns.
    const ns = BigInt(Math.trunc(Math.min(Math.max(at, -9e18), 9e18)));
    // A full key only refreshes the values it already lists.
    const inserted = state.count < MAX_VALUES_PER_KEY && stmt.insertValue.run(state.id, type, v, ns, ns).changes > 0;
    if (inserted) {
      state.count++;
      stmt.countUp.run(state.id);
    } else {
      stmt.refreshValue.run(ns, ns, state.id, type, v);
    }
    if (seen.size >= MEMO_LIMIT) seen = new Map();
    seen.set(memoKey, at);
  }

  const writer: TagWriter = {
    at: 0,
    known(term, keyTerm) {
      const last = seen.get(term);
      if (last !== undefined) return Math.abs(writer.at - last) < TAG_REFRESH_NS;
      const state = keys.get(keyTerm);
      return state !== undefined && state.count >= MAX_VALUES_PER_KEY;
    },
    add(term, keyTerm, scope, key, type, value) {
      write(keyState(keyTerm, TERM_SCOPES[scope], key), term, type, value, writer.at);
    },
    record(scope, key, type, value) {
      const keyTerm = `${scope}\0${key}`;
      write(keyState(keyTerm, scope, key), `${keyTerm}\0${type}\0${String(value)}`, type, value, writer.at);
    },
    reset() {
      seen = new Map();
      keys = new Map();
    },
  };
  return writer;
}

export interface TagValue {
  readonly type: TagType;
  /** Ints as decimal text; bools as 0/1. */
  readonly value: string | number;
}

export interface TagReader {
  /** Keys with a value seen in the window, per scope, sorted. */
  keys(scopes: readonly TagScope[], window: { startNs: bigint; endNs: bigint }): Array<{ scope: TagScope; key: string }>;
  /** Values of one key seen in the window, sorted; `complete` is false when the key hit its cap. */
  values(scope: TagScope, key: string, window: { startNs: bigint; endNs: bigint }): { complete: boolean; values: TagValue[] };
}

/**
 * A value's recorded first/last times are refreshed at most every TAG_REFRESH_NS of
 * span time, so a window is widened by that much: a listing may show a value seen
 * shortly outside the window, never miss one seen inside it.
 */
function widen(window: { startNs: bigint; endNs: bigint }): [bigint, bigint] {
  const pad = BigInt(TAG_REFRESH_NS);
  const min = -(1n << 63n);
  const max = (1n << 63n) - 1n;
  return [window.startNs - pad < min ? min : window.startNs - pad, window.endNs + pad > max ? max : window.endNs + pad];
}

export function createTagReader(db: Db): TagReader {
  const keys = db.prepare(
    `SELECT k.scope, k.key FROM tag_keys k
     WHERE k.scope = ? AND EXISTS (SELECT 1 FROM tag_values v WHERE v.key_id = k.id AND v.last_ns >= ? AND v.first_ns <= ?)
     ORDER BY k.key`,
  );
  const key = db.prepare('SELECT id, value_count FROM tag_keys WHERE scope = ? AND key = ?');
  const values = db.prepare('SELECT type, value FROM tag_values WHERE key_id = ? AND last_ns >= ? AND first_ns <= ? ORDER BY type, value');
  return {
    keys(scopes, window) {
      const out: Array<{ scope: TagScope; key: string }> = [];
      const [from, to] = widen(window);
      for (const scope of scopes) out.push(...(keys.all(scope, from, to) as Array<{ scope: TagScope; key: string }>));
      return out;
    },
    values(scope, name, window) {
      const k = key.get(scope, name) as { id: number; value_count: number } | undefined;
      if (k === undefined) return { complete: true, values: [] };
      return {
        complete: k.value_count < MAX_VALUES_PER_KEY,
        values: values.all(k.id, ...widen(window)) as TagValue[],
      };
    },
  };
}
