/**
 * The tag-value dictionary: learns attribute keys and values as spans are written and
 * lists them for Tempo's tag endpoints. The stage that decodes spans decides what the
 * dictionary may not know yet (createTagMemo, as terms.ts's TagSink); the writer records
 * those observations (createTagWriter).
 */
import type { Db } from './db.ts';
import { keyTerm, lanesOf, tokenOf, valueTerm, type HashScope, type TagSink, type TagType, type TermScope } from './terms.ts';

export type TagScope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation';
export type { TagType };

/**
 * An attribute value the dictionary behind tag listings may not know yet, seen on a span
 * starting at `atNs` (a number: minute precision is plenty there). `keyTerm` and
 * `valueTerm` identify the key and the value without comparing strings.
 */
export type TagObservation = readonly [scope: TagScope, key: string, type: TagType, value: string | number | boolean, atNs: number, keyTerm: string, valueTerm: string];

/** How far span time must move before a known value's first/last times are written again. */
export const TAG_REFRESH_NS = 5 * 60 * 1e9;
/**
 * Values a key's dictionary records. Past this the key is full: ingest stops observing it
 * (an id or a URL would otherwise cost a random-key insert per span, measured at 2.3x the
 * writer's CPU per span), and its listings read the rest from the spans that have the key.
 */
export const MAX_VALUES_PER_KEY = 1000;
const MEMO_LIMIT = 200_000;
/**
 * A decoder forgets what it handed over after this long (wall time): retention prunes only
 * values not recorded for twice as long (prune.ts), so no value a decoder still takes for
 * known can have been pruned, as long as a decoded slice is written within this long
 * (backpressure, --max-lag, keeps that to a few seconds). Shorter means pruning sooner and
 * more refreshes of values seen all the time.
 */
export const MEMO_WALL_MS = 15_000;

const TERM_SCOPES: Record<TermScope, TagScope> = { s: 'span', e: 'event', l: 'link' };

/**
 * The decoding stage's memory of what it already handed to the dictionary, so that a
 * value is observed once per TAG_REFRESH_NS of span time rather than once per span.
 * Every observation it skips lies within TAG_REFRESH_NS of one it handed over: the
 * dictionary's first/last times, widened by that much, bound every time a value was seen.
 */
export interface TagMemo extends TagSink {
  /** Span start (unix ns, as a number) of the span being indexed. */
  at: number;
  /** Where observations go; set per batch. */
  out: TagObservation[];
  /** Observes one attribute seen outside spans (resource and scope attributes). */
  observe(scope: 'resource' | 'instrumentation', key: string, type: TagType, value: string | number | boolean): void;
  /**
   * Whether a whole message (a resource or scope, by its bytes) was observed within
   * TAG_REFRESH_NS of span time `at`; remembers it at `at` when not.
   */
  messageKnown(key: string, at: number): boolean;
  /** Starts a batch: a fresh `out`, and what was handed over too long ago forgotten. */
  begin(): void;
  /** Forgets everything (the dictionary lost rows: a delete), full keys too: a pruned key starts again. */
  forget(): void;
  /** The dictionary holds MAX_VALUES_PER_KEY values of this key: observe no new ones. */
  keyFull(keyTerm: string): void;
}

/** A value handed over: its term's lanes and the span time it was handed over at. */
interface Seen {
  readonly v1: number;
  readonly v2: number;
  at: number;
}

const HASH_SCOPES: Record<'resource' | 'instrumentation', HashScope> = { resource: 'r', instrumentation: 'i' };

export function createTagMemo(): TagMemo {
  // Keyed by 30 bits of a term's first lane (a small integer is the cheapest Map key); an
  // entry says which term it is. Two terms sharing the key take turns: the one pushed out
  // is observed again, which costs a refresh and loses nothing.
  let seen = new Map<number, Seen>();
  // Full keys: 30 bits of the key term's first lane → its second lane.
  const full = new Map<number, number>();
  let messages = new Map<string, number>();
  let since = Date.now();
  function remember(v1: number, v2: number, at: number): void {
    const slot = v1 >>> 2;
    const entry = seen.get(slot);
    if (entry !== undefined && entry.v1 === v1 && entry.v2 === v2) {
      entry.at = at;
      return;
    }
    if (seen.size >= MEMO_LIMIT) seen = new Map();
    seen.set(slot, { v1, v2, at });
  }
  const memo: TagMemo = {
    at: 0,
    out: [],
    begin() {
      memo.out = [];
      if (Date.now() - since >= MEMO_WALL_MS) {
        // Full keys stay full: only a delete (forget) can empty one.
        seen = new Map();
        messages = new Map();
        since = Date.now();
      }
    },
    forget() {
      seen = new Map();
      messages = new Map();
      full.clear();
      since = Date.now();
    },
    messageKnown(key, at) {
      const last = messages.get(key);
      if (last !== undefined && Math.abs(at - last) < TAG_REFRESH_NS) return true;
      if (messages.size >= 10_000) messages = new Map();
      messages.set(key, at);
      return false;
    },
    known(v1, v2, k1, k2) {
      // First: high-cardinality keys are the ones that would miss the large map every time.
      if (full.get(k1 >>> 2) === k2) return true;
      const entry = seen.get(v1 >>> 2);
      return entry !== undefined && entry.v1 === v1 && entry.v2 === v2 && Math.abs(memo.at - entry.at) < TAG_REFRESH_NS;
    },
    add(v1, v2, k1, k2, scope, key, type, value) {
      remember(v1, v2, memo.at);
      memo.out.push([TERM_SCOPES[scope], key, type, value, memo.at, tokenOf(k1, k2), tokenOf(v1, v2)]);
    },
    observe(scope, key, type, value) {
      // Hashed like span attributes, in a scope of their own (these terms are never indexed).
      const hashScope = HASH_SCOPES[scope];
      const keyTermText = keyTerm(hashScope, key);
      const term = valueTerm(hashScope, `${type}\0${key}`, String(value));
      const [k1, k2] = lanesOf(keyTermText)!;
      const [v1, v2] = lanesOf(term)!;
      if (memo.known(v1, v2, k1, k2)) return;
      remember(v1, v2, memo.at);
      memo.out.push([scope, key, type, value, memo.at, keyTermText, term]);
    },
    keyFull(keyTermText) {
      const lanes = lanesOf(keyTermText);
      if (lanes !== undefined && full.size < MEMO_LIMIT) full.set(lanes[0] >>> 2, lanes[1]);
    },
  };
  return memo;
}

export interface TagWriter {
  /**
   * Records one observation, written at `nowS` (unix seconds) with spans of rowids up to
   * `lastSpan`; true when its key is full (no new values are recorded).
   */
  record(observation: TagObservation, nowS: number, lastSpan: number): boolean;
  /** Forgets in-memory state after a rolled-back transaction or a delete. */
  reset(): void;
}

interface KeyState {
  readonly id: number;
  /** Values recorded (never lowered when retention prunes some: a full key stays full). */
  count: number;
}

export function createTagWriter(db: Db): TagWriter {
  const stmt = {
    key: db.prepare('SELECT id, value_count FROM tag_keys WHERE scope = ? AND key = ?'),
    insertKey: db.prepare('INSERT INTO tag_keys(scope, key) VALUES (?, ?)'),
    insertValue: db.prepare('INSERT OR IGNORE INTO tag_values(key_id, type, value, first_ns, last_ns, seen_s, last_span) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    refreshValue: db.prepare(
      `UPDATE tag_values SET first_ns = min(first_ns, ?), last_ns = max(last_ns, ?), seen_s = ?, last_span = max(last_span, ?)
       WHERE key_id = ? AND type = ? AND value = ?`,
    ),
    countUp: db.prepare('UPDATE tag_keys SET value_count = value_count + 1 WHERE id = ?'),
  };
  let keys = new Map<string, KeyState>();

  function keyState(keyTerm: string, scope: TagScope, key: string): KeyState {
    let state = keys.get(keyTerm);
    if (state === undefined) {
      const row = stmt.key.get(scope, key) as { id: number; value_count: number } | undefined;
      state = row === undefined ? { id: Number(stmt.insertKey.run(scope, key).lastInsertRowid), count: 0 } : { id: row.id, count: row.value_count };
      if (keys.size >= MEMO_LIMIT) keys = new Map();
      keys.set(keyTerm, state);
    }
    return state;
  }

  return {
    record([scope, key, type, value, at, keyTerm], nowS, lastSpan) {
      const state = keyState(keyTerm, scope, key);
      // A full key's recorded values are not kept fresh either: listings and pruning look
      // them up among the spans, and the decoders stop sending them once told.
      if (state.count >= MAX_VALUES_PER_KEY) return true;
      const v = type === 'bool' ? (value ? 1 : 0) : value;
      // Span times are fixed64 on the wire; beyond int64 they cannot be stored, and minutes matter here, not ns.
      const ns = BigInt(Math.trunc(Math.min(Math.max(at, -9e18), 9e18)));
      // Refresh first: most observations are of values recorded before (a decoder hands a value
      // over again once span time moved on), and a refresh that finds no row writes nothing.
      if (stmt.refreshValue.run(ns, ns, nowS, lastSpan, state.id, type, v).changes === 0 && stmt.insertValue.run(state.id, type, v, ns, ns, nowS, lastSpan).changes > 0) {
        state.count++;
        stmt.countUp.run(state.id);
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

/**
 * The term the spans holding a dictionary value were indexed under, or undefined when the
 * entry no longer says exactly which value it was: the column's numeric affinity stores a
 * numeric-looking string ("007", "1.50") as a number, and an int past 2^53 reads back
 * rounded.
 */
export function dictionaryTerm(scope: TermScope, key: string, v: TagValue): string | undefined {
  switch (v.type) {
    case 'string':
      return typeof v.value === 'string' ? valueTerm(scope, key, v.value) : undefined;
    case 'bool':
      return valueTerm(scope, key, v.value === 1);
    case 'int':
      return typeof v.value === 'number' && !Number.isSafeInteger(v.value) ? undefined : valueTerm(scope, key, BigInt(v.value));
    default:
      return valueTerm(scope, key, Number(v.value));
  }
}

/** A dictionary value with the span times it was first and last recorded at (each a real observation). */
export interface SeenTagValue extends TagValue {
  readonly firstNs: bigint;
  readonly lastNs: bigint;
}

export interface TimeWindowNs {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

export interface TagReader {
  /** Keys with a value seen in the window (widened by TAG_REFRESH_NS), per scope, sorted. */
  keys(scopes: readonly TagScope[], window: TimeWindowNs): Array<{ scope: TagScope; key: string }>;
  /** Values of one key, by type then value; at most `limit`, `complete` false when there were more. */
  values(scope: TagScope, key: string, limit?: number): { complete: boolean; values: TagValue[] };
  /**
   * Values of one key with their recorded first and last times, one at a time, the most
   * recently seen first; given a window, those seen in it widened by TAG_REFRESH_NS.
   */
  seen(scope: TagScope, key: string, window?: TimeWindowNs): IterableIterator<SeenTagValue>;
  /** Whether the key holds MAX_VALUES_PER_KEY values: the dictionary lacks its later ones. */
  full(scope: TagScope, key: string): boolean;
  /** The raw Span messages holding a term (FTS5 query text), newest first, optionally only those starting in the window. */
  spansWithTerm(match: string, window?: TimeWindowNs): IterableIterator<Uint8Array>;
  /** Whether a span starting in the window holds a term (FTS5 query text, see search.ts's ftsQuery). */
  termInWindow(match: string, window: TimeWindowNs): boolean;
  /** Whether a span starting in the window has one of these resources (`column` resource_id) or scopes (scope_id). */
  refInWindow(column: 'resource_id' | 'scope_id', ids: readonly number[], window: TimeWindowNs): boolean;
  /** Every scope's id and raw InstrumentationScope message. */
  scopes(): Array<{ id: number; raw: Uint8Array | null }>;
  /** The earliest span start stored; undefined when there are no spans. */
  oldestSpanNs(): bigint | undefined;
}

/**
 * A value's recorded first/last times are refreshed at most every TAG_REFRESH_NS of
 * span time (TagMemo), so every time it was seen lies within that much of them.
 */
function widen(window: TimeWindowNs): [bigint, bigint] {
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
  const keyRow = (scope: TagScope, name: string) => key.get(scope, name) as { id: number; value_count: number } | undefined;
  const values = db.prepare('SELECT type, value FROM tag_values WHERE key_id = ? ORDER BY type, value LIMIT ?');
  // Times as bigints (ns beyond 2^53); int values stay decimal text, floats and bools numbers.
  // Both read tag_values_last backwards: a listing cut at its byte limit keeps the newest.
  const seenAll = db.prepare(
    'SELECT type, value, first_ns AS firstNs, last_ns AS lastNs FROM tag_values WHERE key_id = ? ORDER BY last_ns DESC',
  ).safeIntegers(true);
  const seenIn = db.prepare(
    `SELECT type, value, first_ns AS firstNs, last_ns AS lastNs FROM tag_values
     WHERE key_id = ? AND last_ns >= ? AND first_ns <= ? ORDER BY last_ns DESC`,
  ).safeIntegers(true);
  const termInWindow = db.prepare(
    'SELECT 1 FROM span_terms f JOIN spans s ON s.id = f.rowid WHERE f.span_terms MATCH ? AND s.start_ns BETWEEN ? AND ? LIMIT 1',
  ).pluck();
  const byRef = {
    resource_id: db.prepare('SELECT 1 FROM spans WHERE resource_id = ? AND start_ns BETWEEN ? AND ? LIMIT 1').pluck(),
    scope_id: db.prepare('SELECT 1 FROM spans WHERE scope_id = ? AND start_ns BETWEEN ? AND ? LIMIT 1').pluck(),
  };
  const scopes = db.prepare('SELECT id, raw FROM scopes');
  // Newest first: a listing cut short by its budget or byte limit keeps the recent values.
  const spansWithTerm = db.prepare('SELECT s.raw FROM span_terms f JOIN spans s ON s.id = f.rowid WHERE f.span_terms MATCH ? ORDER BY f.rowid DESC').pluck();
  const spansWithTermIn = db.prepare(
    'SELECT s.raw FROM span_terms f JOIN spans s ON s.id = f.rowid WHERE f.span_terms MATCH ? AND s.start_ns BETWEEN ? AND ? ORDER BY f.rowid DESC',
  ).pluck();
  const oldest = db.prepare('SELECT min(start_ns) FROM spans').pluck().safeIntegers(true);
  return {
    keys(scopes, window) {
      const out: Array<{ scope: TagScope; key: string }> = [];
      const [from, to] = widen(window);
      for (const scope of scopes) out.push(...(keys.all(scope, from, to) as Array<{ scope: TagScope; key: string }>));
      return out;
    },
    values(scope, name, limit = Number.MAX_SAFE_INTEGER) {
      const k = keyRow(scope, name);
      if (k === undefined) return { complete: true, values: [] };
      const rows = values.all(k.id, Math.min(limit, Number.MAX_SAFE_INTEGER - 1) + 1) as TagValue[];
      if (rows.length > limit) return { complete: false, values: rows.slice(0, limit) };
      return { complete: k.value_count < MAX_VALUES_PER_KEY, values: rows };
    },
    full(scope, name) {
      return (keyRow(scope, name)?.value_count ?? 0) >= MAX_VALUES_PER_KEY;
    },
    *spansWithTerm(match, window) {
      const rows = window === undefined ? spansWithTerm.iterate(match) : spansWithTermIn.iterate(match, window.startNs, window.endNs);
      for (const raw of rows as Iterable<Uint8Array>) yield raw;
    },
    *seen(scope, name, window) {
      const id = keyRow(scope, name)?.id;
      if (id === undefined) return;
      const rows = window === undefined ? seenAll.iterate(id) : seenIn.iterate(id, ...widen(window));
      for (const row of rows as Iterable<{ type: TagType; value: string | number | bigint; firstNs: bigint; lastNs: bigint }>) {
        const value = typeof row.value === 'bigint' ? (row.type === 'int' ? String(row.value) : Number(row.value)) : row.value;
        yield { type: row.type, value, firstNs: row.firstNs, lastNs: row.lastNs };
      }
    },
    termInWindow(match, window) {
      return termInWindow.get(match, window.startNs, window.endNs) !== undefined;
    },
    refInWindow(column, ids, window) {
      return ids.some((id) => byRef[column].get(id, window.startNs, window.endNs) !== undefined);
    },
    scopes() {
      return scopes.all() as Array<{ id: number; raw: Uint8Array | null }>;
    },
    oldestSpanNs() {
      return (oldest.get() as bigint | null) ?? undefined;
    },
  };
}
