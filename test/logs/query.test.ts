/**
 * The log read surface answers exactly what a full scan answers: generated records,
 * random filters (window, resources, severity, trace, span, body words, cursor,
 * direction, limit), each query run through the index paths (few term matches read
 * whole, many walked in time order, several resources merged) and compared with a scan
 * of every row in JavaScript.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createIngest } from '../../src/otlp/index.ts';
import { createLogReader, Store, type LogQuery } from '../../src/store/index.ts';
import { bodyWords } from '../../src/api/log-routes.ts';
import { generateLogRequests } from '../../scripts/lib/log-generator.ts';
import { Rng } from '../../scripts/lib/rng.ts';

interface Row {
  id: number;
  timeNs: bigint;
  severity: number;
  resourceId: number;
  traceId: string;
  spanId: string;
  words: Set<string>;
}

let store: Store;
let rows: Row[];
before(() => {
  store = Store.open();
  const ingest = createIngest(store);
  // Some records share a time, so ties are ordered by arrival.
  for (const req of generateLogRequests({ records: 4000, seed: 11, timeSpanMs: 2000 })) ingest({ body: req.bytes, format: 'protobuf', signal: 'logs' });
  const all = store.db.prepare('SELECT id, time_ns AS timeNs, severity, resource_id AS resourceId, hex(trace_id) AS traceId, hex(span_id) AS spanId, body FROM logs').safeIntegers(true).all() as Array<Record<string, unknown>>;
  rows = all.map((r) => ({
    id: Number(r.id),
    timeNs: r.timeNs as bigint,
    severity: Number(r.severity),
    resourceId: Number(r.resourceId),
    traceId: String(r.traceId ?? '').toLowerCase(),
    spanId: String(r.spanId ?? '').toLowerCase(),
    words: new Set(bodyWords(String(r.body))),
  }));
});
after(() => store?.close());

function scan(q: LogQuery & { words?: string[] }): number[] {
  const hex = (b: Uint8Array | undefined): string => (b === undefined ? '' : Buffer.from(b).toString('hex'));
  const hits = rows.filter(
    (r) =>
      (q.startNs === undefined || r.timeNs >= q.startNs) &&
      (q.endNs === undefined || r.timeNs < q.endNs) &&
      (q.resourceIds === undefined || q.resourceIds.includes(r.resourceId)) &&
      (q.minSeverity === undefined || r.severity >= q.minSeverity) &&
      (q.maxSeverity === undefined || r.severity <= q.maxSeverity) &&
      (q.traceId === undefined || r.traceId === hex(q.traceId)) &&
      (q.spanId === undefined || r.spanId === hex(q.spanId)) &&
      (q.afterId === undefined || r.id > q.afterId) &&
      (q.words ?? []).every((w) => r.words.has(w)),
  );
  hits.sort((a, b) => (a.timeNs === b.timeNs ? a.id - b.id : a.timeNs < b.timeNs ? -1 : 1));
  if (q.direction === 'backward') hits.reverse();
  return hits.slice(0, q.limit).map((r) => r.id);
}

function randomQuery(rng: Rng): LogQuery & { words?: string[] } {
  const pick = rows[rng.int(rows.length)];
  const resources = [...new Set(rows.map((r) => r.resourceId))];
  const q: { -readonly [K in keyof (LogQuery & { words?: string[] })]: (LogQuery & { words?: string[] })[K] } = {
    direction: rng.chance(0.5) ? 'backward' : 'forward',
    limit: rng.pick([1, 5, 20, 100, 150]),
  };
  if (rng.chance(0.4)) {
    const a = rows[rng.int(rows.length)].timeNs;
    const b = rows[rng.int(rows.length)].timeNs;
    q.startNs = a < b ? a : b;
    q.endNs = (a < b ? b : a) + 1n;
  }
  if (rng.chance(0.3)) q.resourceIds = Array.from({ length: rng.range(1, 3) }, () => rng.pick(resources));
  if (rng.chance(0.3)) q.minSeverity = rng.pick([9, 13, 17]);
  if (rng.chance(0.1)) q.maxSeverity = rng.pick([5, 9, 13]);
  if (rng.chance(0.2) && pick.traceId !== '') q.traceId = Buffer.from(pick.traceId, 'hex');
  else if (rng.chance(0.1) && pick.spanId !== '') q.spanId = Buffer.from(pick.spanId, 'hex');
  if (rng.chance(0.5)) {
    const words = [...pick.words];
    q.words = Array.from({ length: rng.range(1, 2) }, () => rng.pick(words));
    q.terms = q.words;
  }
  if (rng.chance(0.1)) q.afterId = rows[rng.int(rows.length)].id;
  return q;
}

describe('log queries', () => {
  for (const [name, cap] of [
    ['few matches read whole (default cap)', undefined],
    ['many matches walked in time order (cap 20)', 20],
  ] as const) {
    test(`answer what a full scan answers: ${name}`, () => {
      const reader = createLogReader(store.db, cap === undefined ? {} : { ftsFirstCap: cap });
      const rng = new Rng(cap ?? 7);
      for (let i = 0; i < 400; i++) {
        const q = randomQuery(rng);
        const { words: _words, ...query } = q;
        assert.deepStrictEqual(
          reader.query(query).map((r) => r.id),
          scan(q),
          `query ${i}: ${JSON.stringify(q, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`,
        );
      }
    });
  }

  test('counts per bucket and severity add up to the matching records', () => {
    const start = rows.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), rows[0].timeNs);
    const counts = store.logs.counts({ startNs: start, terms: ['order'] }, 100_000_000n);
    const total = counts.reduce((n, c) => n + c.count, 0);
    assert.equal(total, rows.filter((r) => r.words.has('order')).length);
    assert.equal(total, store.logs.count({ terms: ['order'] }));
    for (const c of counts) assert.equal((c.bucketNs - start) % 100_000_000n, 0n);
  });

  test('lists the resources holding records in a window', () => {
    const all = [...new Set(rows.map((r) => r.resourceId))].sort((a, b) => a - b);
    assert.deepStrictEqual(store.logs.resourceIds(), all);
    assert.deepStrictEqual(store.logs.resourceIds(0n, 1n), []);
    assert.equal(store.logs.maxId(), Math.max(...rows.map((r) => r.id)));
  });
});
