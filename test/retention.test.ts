import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIngest } from '../src/otlp/index.ts';
import { createRetention, Store } from '../src/store/index.ts';
import { createSearch, tagValues } from '../src/query/index.ts';
import { parse } from '../src/traceql/index.ts';
import { generateRequests } from '../scripts/lib/span-generator.ts';
import { parseCommandLine } from '../src/config.ts';

function fill(store: Store, spans: number, options: { seed?: number; endTimeMs?: number } = {}): number {
  const ingest = createIngest(store);
  let n = 0;
  for (const req of generateRequests({ spans, seed: options.seed ?? 7, endTimeMs: options.endTimeMs, timeSpanMs: 3600_000 })) {
    const answer = ingest({ body: req.bytes, format: 'protobuf' });
    if (answer.ok) n += answer.result.stored;
  }
  return n;
}

const count = (store: Store, table: string): number => store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

/**
 * The dictionaries' sizes, and what the tag endpoints list for every key (the dictionary
 * holds at most MAX_VALUES_PER_KEY values of a key, so its size depends on the order data
 * came in; the listings do not).
 */
function dictionaries(store: Store): { rows: Record<string, number>; listings: Record<string, string[]> } {
  const rows = Object.fromEntries(['span_names', 'scopes', 'resources'].map((t) => [t, count(store, t)]));
  const search = createSearch(store);
  const listings: Record<string, string[]> = {};
  const keys = store.db.prepare("SELECT scope, key FROM tag_keys WHERE scope IN ('span', 'resource') ORDER BY scope, key").all() as Array<{ scope: 'span' | 'resource'; key: string }>;
  for (const { scope, key } of keys) {
    const ref = { kind: 'Attribute', scope, parent: false, name: key, from: 0, to: 0 } as const;
    const listed = tagValues(store, search, { ref, window: {}, limit: 0 });
    assert.equal(listed.incomplete, undefined, `${scope}.${key}`);
    if (listed.values.length > 0) listings[`${scope}.${key}`] = listed.values.map((v) => `${v.type}:${v.value}`);
  }
  return { rows, listings };
}

const DICTIONARIES = ['span_names', 'scopes', 'resources', 'tag_keys', 'tag_values'];
const counts = (store: Store): Record<string, number> => Object.fromEntries(DICTIONARIES.map((t) => [t, count(store, t)]));

/** What the dictionaries hold, and the tags list, for the recent data alone (seed 8, ending at `now`). */
function recentReference(now: number): { recentOnly: Record<string, number>; recentListings: ReturnType<typeof dictionaries> } {
  const reference = Store.open();
  try {
    fill(reference, 3000, { seed: 8, endTimeMs: now });
    return { recentOnly: counts(reference), recentListings: dictionaries(reference) };
  } finally {
    reference.close();
  }
}

describe('retention', () => {
  test('deletes whole traces that arrived longer ago than the age limit, and nothing else', async () => {
    const store = Store.open();
    try {
      fill(store, 3000);
      const traces = count(store, 'traces');
      // Half of the traces arrived two hours ago.
      store.db.prepare('UPDATE traces SET seen_s = seen_s - 7200 WHERE id % 2 = 0').run();
      const old = store.db.prepare('SELECT id FROM traces WHERE id % 2 = 0').pluck().all() as number[];
      const oldSpans = store.db.prepare('SELECT count(*) FROM spans WHERE trace_rowid % 2 = 0').pluck().get() as number;
      const pass = await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run();
      assert.equal(pass.deletedTraces, old.length);
      assert.equal(pass.deletedSpans, oldSpans);
      assert.equal(count(store, 'traces'), traces - old.length);
      assert.equal(store.db.prepare('SELECT count(*) FROM spans WHERE trace_rowid % 2 = 0').pluck().get(), 0);
      // The FTS index forgot the deleted spans: every remaining term row has its span.
      assert.equal(store.db.prepare('SELECT count(*) FROM span_terms WHERE rowid NOT IN (SELECT id FROM spans)').pluck().get(), 0);
      assert.equal((await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run()).deletedTraces, 0);
    } finally {
      store.close();
    }
  });

  test('keeps the database under its size limit, oldest arrivals first, and the file shrinks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-retention-'));
    const store = Store.open({ dataDir: dir });
    try {
      fill(store, 20_000);
      store.db.prepare('UPDATE traces SET seen_s = id').run(); // arrival order = rowid order
      const retention = createRetention(store, { maxAgeMs: 0, maxBytes: 4 * 1024 * 1024 });
      const before = retention.usedBytes();
      assert.ok(before > 4 * 1024 * 1024, `the corpus must exceed the limit (${before} bytes)`);
      const newest = store.db.prepare('SELECT max(id) FROM traces').pluck().get() as number;
      const pagesBefore = store.db.pragma('page_count', { simple: true }) as number;
      const pass = await retention.run();
      assert.ok(pass.deletedTraces > 0);
      assert.ok(pass.usedBytes <= 4 * 1024 * 1024, `used ${pass.usedBytes} bytes`);
      const remaining = store.db.prepare('SELECT min(id), max(id) FROM traces').raw().get() as [number, number];
      assert.equal(remaining[1], newest, 'the newest trace stays');
      assert.equal(remaining[0], newest - count(store, 'traces') + 1, 'what is left is a contiguous run of the newest');
      const pagesAfter = store.db.pragma('page_count', { simple: true }) as number;
      assert.ok(pagesAfter < pagesBefore / 2, `incremental vacuum returned the freed pages (${pagesBefore} → ${pagesAfter})`);
      assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--retention and --max-size flags', () => {
    const cmd = parseCommandLine(['--retention', '30m', '--max-size', '256MiB'], {});
    assert.equal(cmd.kind, 'serve');
    if (cmd.kind === 'serve') {
      assert.equal(cmd.options.retentionMs, 30 * 60_000);
      assert.equal(cmd.options.maxSize, 256 * 1024 * 1024);
    }
    const off = parseCommandLine([], { TRACEBOX_RETENTION: '0', TRACEBOX_MAX_SIZE: '0' });
    if (off.kind === 'serve') assert.deepEqual([off.options.retentionMs, off.options.maxSize], [0, 0]);
    assert.throws(() => parseCommandLine(['--retention', 'soon'], {}), /--retention: expected a duration/);
  });

  test('dictionaries shrink back with the data that referenced them', async () => {
    const now = Date.now();
    const { recentOnly, recentListings } = recentReference(now);

    const store = Store.open();
    try {
      // Old data (spans three hours back, other ids, names and values), then the recent data.
      fill(store, 3000, { seed: 7, endTimeMs: now - 3 * 3600_000 });
      const oldTraces = store.db.prepare('SELECT max(id) FROM traces').pluck().get() as number;
      fill(store, 3000, { seed: 8, endTimeMs: now });
      const both = counts(store);
      for (const t of DICTIONARIES) assert.ok(both[t] >= recentOnly[t], t);
      assert.ok(both.tag_values > recentOnly.tag_values && both.span_names > recentOnly.span_names, JSON.stringify({ both, recentOnly }));

      // The old data arrived two hours ago and expires; a few minutes on, so that no
      // decoder can still hold its values as known.
      store.db.prepare('UPDATE traces SET seen_s = seen_s - 7200 WHERE id <= ?').run(oldTraces);
      const later = now + 5 * 60_000;
      const pass = await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run(later);
      assert.equal(pass.deletedTraces, oldTraces);
      assert.ok(pass.prunedRows > 0);
      assert.deepEqual(dictionaries(store), recentListings);
      assert.ok(count(store, 'tag_values') <= recentOnly.tag_values);

      // The recent data answers as before: a regex over the dictionary still finds it.
      const search = createSearch(store);
      const userIds = store.db.prepare("SELECT count(*) FROM tag_values v JOIN tag_keys k ON k.id = v.key_id WHERE k.key = 'user.id'").pluck().get() as number;
      assert.ok(userIds > 0);
      assert.ok(search({ root: parse('{ span.user.id =~ "user-.*" }'), limit: 5, window: {} }).hits.length > 0);

      // Everything expires: the dictionaries empty.
      store.db.prepare('UPDATE traces SET seen_s = seen_s - 7200').run();
      await createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 }).run(later);
      // Full keys keep their row (with no values): it says the dictionary cannot list them alone.
      store.db.prepare('DELETE FROM tag_keys WHERE value_count >= 1000').run();
      assert.deepEqual(counts(store), Object.fromEntries(DICTIONARIES.map((t) => [t, 0])));
    } finally {
      store.close();
    }
  });

  test('tag values of expired traces go also when their span times are as recent as the rest', async () => {
    const now = Date.now();
    const { recentOnly, recentListings } = recentReference(now);
    const store = Store.open();
    try {
      // Both sets of spans cover the same hour; the first arrived two hours ago.
      fill(store, 3000, { seed: 7, endTimeMs: now });
      const oldTraces = store.db.prepare('SELECT max(id) FROM traces').pluck().get() as number;
      fill(store, 3000, { seed: 8, endTimeMs: now });
      assert.ok(count(store, 'tag_values') > recentOnly.tag_values);
      store.db.prepare('UPDATE traces SET seen_s = seen_s - 7200 WHERE id <= ?').run(oldTraces);
      const later = now + 5 * 60_000;
      const retention = createRetention(store, { maxAgeMs: 3600_000, maxBytes: 0 });
      assert.equal((await retention.run(later)).deletedTraces, oldTraces);
      assert.deepEqual(dictionaries(store), recentListings);
      assert.ok(count(store, 'tag_values') <= recentOnly.tag_values);
    } finally {
      store.close();
    }
  });
});
