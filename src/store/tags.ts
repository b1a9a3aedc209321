/**
 * The tag-value dictionary: learns attribute keys and values as spans are written and
 * lists them for Tempo's tag endpoints. The stage that decodes spans decides what the
 * dictionary may not know yet (createTagMemo, as terms.ts's TagSink); the writer records
 * those observations (createTagWriter).
 */
import type { Db } from './db.ts';
import type { TagSink, TagType, TermScope } from './terms.ts';

export type TagScope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation';
export type { TagType };

/**
 * An attribute value the dictionary behind tag listings may not know yet, seen on a span
 * starting at `atNs` (a number: minute precision is plenty there). `keyTerm` and
 * `valueTerm` identify the key and the value without comparing strings.
 */
export type TagObservation = readonly [scope: TagScope, key: string, type: TagType, value: string | number | boolean, atNs: number, keyTerm: string, valueTerm: string];

/** Distinct values kept per key; beyond this a key's listing is partial (Tempo caps by bytes). */
export const MAX_VALUES_PER_KEY = 1000;
/** How far span time must move before a known value's last_ns is written again. */
export const TAG_REFRESH_NS = 5 * 60 * 1e9;
const MEMO_LIMIT = 200_000;

const TERM_SCOPES: Record<TermScope, TagScope> = { s: 'span', e: 'event', l: 'link' };

/**
 * The decoding stage's memory of what it already handed to the dictionary, so that a
 * value is observed once per TAG_REFRESH_NS of span time rather than once per span.
 */
export interface TagMemo extends TagSink {
  /** Span start (unix ns, as a number) of the span being indexed. */
  at: number;
  /** Where observations go; set per batch. */
  out: TagObservation[];
  /** Observes one attribute seen outside spans (resource and scope attributes). */
  observe(scope: TagScope, key: string, type: TagType, value: string | number | boolean): void;
  /** The dictionary holds MAX_VALUES_PER_KEY values of this key: observe no new ones. */
  keyFull(keyTerm: string): void;
}

export function createTagMemo(): TagMemo {
  // value term → span time it was last observed at.
  let seen = new Map<string, number>();
  const full = new Set<string>();
  // Distinct values observed per key, up to the cap: having handed the writer that many,
  // the dictionary holds at least that many, so the key is full there too.
  let distinct = new Map<string, Set<string>>();
  function remember(term: string, keyTerm: string, at: number): void {
    if (seen.size >= MEMO_LIMIT) seen = new Map();
    seen.set(term, at);
    if (full.has(keyTerm)) return;
    let values = distinct.get(keyTerm);
    if (values === undefined) {
      if (distinct.size >= MEMO_LIMIT / 100) distinct = new Map();
      distinct.set(keyTerm, (values = new Set()));
    }
    values.add(term);
    if (values.size >= MAX_VALUES_PER_KEY) {
      memo.keyFull(keyTerm);
      distinct.delete(keyTerm);
    }
  }
  const memo: TagMemo = {
    at: 0,
    out: [],
    known(term, keyTerm) {
      // A full key lists no new values: its values are not observed at all (first, because
      // high-cardinality keys are the ones that would miss the large map below every time).
      if (full.has(keyTerm)) return true;
      const last = seen.get(term);
      return last !== undefined && Math.abs(memo.at - last) < TAG_REFRESH_NS;
    },
    add(term, keyTerm, scope, key, type, value) {
      remember(term, keyTerm, memo.at);
      memo.out.push([TERM_SCOPES[scope], key, type, value, memo.at, keyTerm, term]);
    },
    observe(scope, key, type, value) {
      const keyTerm = `${scope}\0${key}`;
      const term = `${keyTerm}\0${type}\0${String(value)}`;
      if (memo.known(term, keyTerm)) return;
      remember(term, keyTerm, memo.at);
      memo.out.push([scope, key, type, value, memo.at, keyTerm, term]);
    },
    keyFull(keyTerm) {
      if (full.size < MEMO_LIMIT) full.add(keyTerm);
    },
  };
  return memo;
}

export interface TagWriter {
  /** Records one observation; returns true when its key is full (no new values are kept). */
  record(observation: TagObservation): boolean;
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

  return {
    record([scope, key, type, value, at, keyTerm]) {
      const state = keyState(keyTerm, scope, key);
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
      return state.count >= MAX_VALUES_PER_KEY;
    },
    reset() {
      keys = new Map();
    },
  };
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
