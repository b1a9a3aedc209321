/**
 * @module
 * `npm run bench:schema`: two table designs behind ARCHITECTURE.md's decisions, measured on
 * the same decoded corpus, in this process, a request per transaction, into fresh SQLite
 * files with the store's settings (WAL, synchronous=NORMAL):
 *
 *   npm run bench:schema -- [--spans N] [--seed S]
 *
 * - trace lookup: tracebox's `traces(trace_id UNIQUE)` row once per trace of a request, spans
 *   keyed by (trace rowid, span id), against the trace id in every span row with a unique
 *   (trace id, span id) index: a random 16-byte key per span.
 * - attribute search: every span's terms (otlp/terms.ts: key, key=value, name hashes) in a
 *   contentless FTS5 table (one row of terms per span), against B-tree postings
 *   `(term, span) WITHOUT ROWID` (one row per term). Their cost is the time over the same
 *   inserts without terms.
 *
 * The span rows hold what the real ones need for this (trace link, span id, start, raw
 * bytes); other columns and indexes are left out, so the figures compare designs, not the
 * whole store (npm run bench:write measures that).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { decodeExportRequest } from '../src/otlp/index.ts';
import { spanTerms } from '../src/otlp/terms.ts';
import { TermBytes } from '../src/store/index.ts';
import { generateCorpus } from './lib/span-generator.ts';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } } });

interface Row {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly startNs: bigint;
  readonly raw: Uint8Array;
  readonly terms: string;
}

/** A span's terms as one space-separated string. */
function termsOf(raw: Uint8Array): string {
  const out = new TermBytes();
  spanTerms(raw, out);
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.len).toString('latin1');
}

const corpus = generateCorpus({ spans: Number(values.spans), seed: Number(values.seed) });
const requests: Row[][] = corpus.requests.map((r) =>
  decodeExportRequest(r.bytes).spans.map((s) => ({ traceId: s.traceId, spanId: s.spanId, startNs: s.startNs, raw: s.raw, terms: termsOf(s.raw) })),
);
const termCount = requests.reduce((n, req) => n + req.reduce((m, s) => m + s.terms.split(' ').length, 0), 0);

type Layout = 'per-trace' | 'per-span';
type Terms = 'none' | 'fts5' | 'postings';

/** Inserts the corpus a request per transaction; spans/s. */
function run(layout: Layout, terms: Terms): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-bench-schema-'));
  const db = new Database(path.join(dir, 'bench.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (layout === 'per-trace') {
      db.exec(`CREATE TABLE traces(id INTEGER PRIMARY KEY, trace_id BLOB NOT NULL UNIQUE);
               CREATE TABLE spans(id INTEGER PRIMARY KEY, trace_rowid INTEGER NOT NULL, span_id BLOB NOT NULL, start_ns INTEGER NOT NULL, raw BLOB NOT NULL);
               CREATE UNIQUE INDEX spans_trace ON spans(trace_rowid, span_id);`);
    } else {
      db.exec(`CREATE TABLE spans(id INTEGER PRIMARY KEY, trace_id BLOB NOT NULL, span_id BLOB NOT NULL, start_ns INTEGER NOT NULL, raw BLOB NOT NULL);
               CREATE UNIQUE INDEX spans_trace ON spans(trace_id, span_id);`);
    }
    if (terms === 'fts5') db.exec(`CREATE VIRTUAL TABLE span_terms USING fts5(t, content='', contentless_delete=1, detail=none);`);
    if (terms === 'postings') db.exec(`CREATE TABLE postings(term TEXT NOT NULL, span INTEGER NOT NULL, PRIMARY KEY(term, span)) WITHOUT ROWID;`);
    const perTrace = layout === 'per-trace';
    const traceInsert = perTrace ? db.prepare('INSERT OR IGNORE INTO traces(trace_id) VALUES (?)') : undefined;
    const traceId = perTrace ? db.prepare('SELECT id FROM traces WHERE trace_id = ?').pluck() : undefined;
    const spanByTrace = perTrace ? db.prepare('INSERT OR IGNORE INTO spans(trace_rowid, span_id, start_ns, raw) VALUES (?, ?, ?, ?)') : undefined;
    const spanById = perTrace ? undefined : db.prepare('INSERT OR IGNORE INTO spans(trace_id, span_id, start_ns, raw) VALUES (?, ?, ?, ?)');
    const fts = terms === 'fts5' ? db.prepare('INSERT INTO span_terms(rowid, t) VALUES (?, ?)') : undefined;
    const posting = terms === 'postings' ? db.prepare('INSERT OR IGNORE INTO postings(term, span) VALUES (?, ?)') : undefined;
    const write = db.transaction((rows: Row[]) => {
      const traces = new Map<string, number>();
      const ids: number[] = [];
      for (const s of rows) {
        let info: Database.RunResult;
        if (spanById !== undefined) info = spanById.run(s.traceId, s.spanId, s.startNs, s.raw);
        else {
          const key = Buffer.from(s.traceId).toString('latin1');
          let rowid = traces.get(key);
          if (rowid === undefined) {
            traceInsert!.run(s.traceId);
            rowid = traceId!.get(s.traceId) as number;
            traces.set(key, rowid);
          }
          info = spanByTrace!.run(rowid, s.spanId, s.startNs, s.raw);
        }
        ids.push(Number(info.lastInsertRowid));
      }
      // Terms last, as the store writes them (an FTS5 flush per statement journal otherwise).
      rows.forEach((s, i) => {
        if (fts !== undefined) fts.run(ids[i], s.terms);
        else if (posting !== undefined) for (const t of s.terms.split(' ')) posting.run(t, ids[i]);
      });
    });
    const t0 = performance.now();
    for (const rows of requests) write(rows);
    return corpus.stats.spans / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`tracebox schema benchmark: ${corpus.stats.spans.toLocaleString('en-US')} spans in ${requests.length} requests, ${(termCount / corpus.stats.spans).toFixed(1)} terms/span, Node ${process.version}`);
const rate = new Map<string, number>();
for (const [layout, terms] of [
  ['per-trace', 'none'],
  ['per-span', 'none'],
  ['per-trace', 'fts5'],
  ['per-trace', 'postings'],
] as const) {
  const r = run(layout, terms);
  rate.set(`${layout}/${terms}`, r);
  console.log(`  ${`trace key ${layout}, terms: ${terms}`.padEnd(40)} ${Math.round(r).toLocaleString('en-US').padStart(9)} spans/s`);
}
const base = rate.get('per-trace/none')!;
const perSpan = rate.get('per-span/none')!;
const cost = (r: number): number => 1 / r - 1 / base; // seconds per span the terms add
console.log(`\ntrace id in every span row: ${Math.round((1 - perSpan / base) * 100)}% of insert throughput lost`);
console.log(`attribute terms: B-tree postings cost ${(cost(rate.get('per-trace/postings')!) / cost(rate.get('per-trace/fts5')!)).toFixed(1)}x what FTS5 costs (time over the inserts without terms)`);
