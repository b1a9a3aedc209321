/**
 * The write path: one decoded export request becomes one synchronous transaction, so
 * when insert() returns, every span of the request is committed and visible.
 */
import { createHash } from 'node:crypto';
import type { DecodedBatch, DecodedSpan } from '../otlp/types.ts';
import type { Db } from './db.ts';
import { bytesToHex } from '../shared/ids.ts';
import { ProtoError } from '../shared/protowire.ts';
import { decodeResource, decodeScope } from '../otlp/span-model.ts';
import { createTagWriter, TAG_REFRESH_NS } from './tags.ts';
import { spanTerms } from './terms.ts';

export interface WriteResult {
  /** Spans stored by this call. */
  readonly stored: number;
  /** Spans already stored (an exporter's retry), skipped. */
  readonly duplicates: number;
  /** Spans refused because their nested messages are malformed. */
  readonly invalid: number;
  /** Why, for the first few of them. */
  readonly reasons: string[];
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** Caches are dropped when they grow past this, so hostile input cannot grow memory without bound. */
const CACHE_LIMIT = 50_000;

interface TraceDelta {
  readonly rowid: number;
  start: bigint;
  end: bigint;
  count: number;
  errors: number;
  root: DecodedSpan | undefined;
  rootService: string;
}

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

function digest(schemaUrl: string, raw: Uint8Array | null): Buffer {
  return createHash('sha256').update(raw === null ? '\x01' : '\0').update(schemaUrl).update('\0').update(raw ?? '').digest();
}

export interface Writer {
  write(batch: DecodedBatch): WriteResult;
  /** Drops cached row ids, after rows were deleted behind the writer's back. */
  forget(): void;
}

/** Returns the writer bound to prepared statements on `db`. */
export function createWriter(db: Db): Writer {
  const stmt = {
    resourceId: db.prepare('SELECT id FROM resources WHERE digest = ?').pluck(),
    insertResource: db.prepare('INSERT INTO resources(digest, raw, schema_url, service) VALUES (?, ?, ?, ?)'),
    scopeId: db.prepare('SELECT id FROM scopes WHERE digest = ?').pluck(),
    insertScope: db.prepare('INSERT INTO scopes(digest, raw, schema_url) VALUES (?, ?, ?)'),
    nameId: db.prepare('SELECT id FROM span_names WHERE name = ?').pluck(),
    insertName: db.prepare('INSERT INTO span_names(name) VALUES (?)'),
    upsertTrace: db
      .prepare(
        `INSERT INTO traces(trace_id, start_ns, end_ns, span_count, error_count, seen_s) VALUES (?, ?, ?, 0, 0, ?)
         ON CONFLICT(trace_id) DO UPDATE SET span_count = span_count RETURNING id`,
      )
      .pluck(),
    updateTrace: db.prepare(
      `UPDATE traces SET start_ns = min(start_ns, ?), end_ns = max(end_ns, ?),
         span_count = span_count + ?, error_count = error_count + ?, seen_s = ? WHERE id = ?`,
    ),
    updateRoot: db.prepare(
      `UPDATE traces SET root_service = ?, root_name = ?, root_start_ns = ?
         WHERE id = ? AND (root_start_ns IS NULL OR root_start_ns > ?)`,
    ),
    insertSpan: db.prepare(
      `INSERT OR IGNORE INTO spans(trace_rowid, span_id, parent_id, resource_id, scope_id, name_id, kind, status, start_ns, duration_ns, raw)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTerms: db.prepare('INSERT INTO span_terms(rowid, t) VALUES (?, ?)'),
  };

  const tags = createTagWriter(db);
  // Keyed by schema URL + raw bytes as a latin1 string: cheap to build, exact to compare.
  const resourceIds = new Map<string, number>();
  const scopeIds = new Map<string, number>();
  const nameIds = new Map<string, number>();
  const traceRowids = new Map<string, number>();

  function cached<K>(cache: Map<K, number>, key: K, load: () => number): number {
    let id = cache.get(key);
    if (id === undefined) {
      id = load();
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, id);
    }
    return id;
  }

  function rawKey(schemaUrl: string, raw: Uint8Array | null): string {
    if (raw === null) return '\x01' + schemaUrl;
    return '\0' + schemaUrl + '\0' + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  }

  /** `raw` is null for an absent message, stored as NULL so it reads back absent. */
  function resourceId(schemaUrl: string, raw: Uint8Array | null, service: string): number {
    return cached(resourceIds, rawKey(schemaUrl, raw), () => {
      const d = digest(schemaUrl, raw);
      const found = stmt.resourceId.get(d) as number | undefined;
      return found ?? Number(stmt.insertResource.run(d, raw, schemaUrl, service).lastInsertRowid);
    });
  }

  function scopeId(schemaUrl: string, raw: Uint8Array | null): number {
    return cached(scopeIds, rawKey(schemaUrl, raw), () => {
      const d = digest(schemaUrl, raw);
      const found = stmt.scopeId.get(d) as number | undefined;
      return found ?? Number(stmt.insertScope.run(d, raw, schemaUrl).lastInsertRowid);
    });
  }

  function nameId(name: string): number {
    return cached(nameIds, name, () => {
      const found = stmt.nameId.get(name) as number | undefined;
      return found ?? Number(stmt.insertName.run(name).lastInsertRowid);
    });
  }

  // Resource and scope attributes go to the tag dictionary when first seen and again
  // whenever span time has moved on by REFRESH_NS, so listings can honour a time range.
  const recordedAt = new Map<string, number>();
  function recordTags(kind: 'resource' | 'instrumentation', id: number, raw: Uint8Array): void {
    const memo = kind + id;
    const seen = recordedAt.get(memo);
    if (seen !== undefined && Math.abs(tags.at - seen) < TAG_REFRESH_NS) return;
    if (recordedAt.size >= CACHE_LIMIT) recordedAt.clear();
    recordedAt.set(memo, tags.at);
    const attrs = kind === 'resource' ? decodeResource(raw) : decodeScope(raw).attributes;
    for (const [key, value] of attrs) {
      for (const v of value.type === 'array' ? value.values : [value]) {
        if (v.type === 'string' || v.type === 'int' || v.type === 'float' || v.type === 'bool') tags.record(kind, key, v.type, v.value);
      }
    }
  }

  function write(batch: DecodedBatch): WriteResult {
    const nowS = Math.floor(Date.now() / 1000);
    const resIds = batch.resources.map((r) => resourceId(r.schemaUrl, r.present ? r.raw : null, r.serviceName));
    const scopeIdList = batch.scopes.map((s) => scopeId(s.schemaUrl, s.present ? s.raw : null));
    // Resource and scope attributes hold for every span of the batch: record them at its
    // earliest and latest span start so a time-windowed tag listing finds them.
    let first = Infinity;
    let last = -Infinity;
    for (const span of batch.spans) {
      const t = Number(span.startNs);
      if (t < first) first = t;
      if (t > last) last = t;
    }
    for (const at of first === Infinity ? [Date.now() * 1e6] : first === last ? [first] : [first, last]) {
      tags.at = at;
      batch.resources.forEach((r, i) => recordTags('resource', resIds[i], r.raw));
      batch.scopes.forEach((sc, i) => recordTags('instrumentation', scopeIdList[i], sc.raw));
    }
    const deltas = new Map<string, TraceDelta>();
    let stored = 0;
    const reasons: string[] = [];
    let invalid = 0;
    for (const span of batch.spans) {
      let terms: string;
      tags.at = Number(span.startNs);
      try {
        terms = spanTerms(span.raw, tags);
      } catch (err) {
        if (!(err instanceof ProtoError)) throw err;
        if (invalid++ < 5) reasons.push(`span ${bytesToHex(span.spanId)}: ${err.message}`);
        continue;
      }
      const key = Buffer.from(span.traceId.buffer, span.traceId.byteOffset, 16).toString('latin1');
      let delta = deltas.get(key);
      if (delta === undefined) {
        const start = clampInt64(span.startNs);
        const end = clampInt64(span.endNs);
        const rowid = cached(traceRowids, key, () => stmt.upsertTrace.get(span.traceId, start, end, nowS) as number);
        delta = { rowid, start, end, count: 0, errors: 0, root: undefined, rootService: '' };
        deltas.set(key, delta);
      }
      const start = clampInt64(span.startNs);
      const duration = clampInt64(span.endNs - span.startNs);
      const info = stmt.insertSpan.run(
        delta.rowid,
        span.spanId,
        span.parentSpanId.length === 0 ? null : span.parentSpanId,
        resIds[span.resource],
        scopeIdList[span.scope],
        nameId(span.name),
        span.kind,
        span.status,
        start,
        duration,
        span.raw,
      );
      if (info.changes === 0) continue;
      stored++;
      stmt.insertTerms.run(info.lastInsertRowid, terms);
      const end = clampInt64(span.endNs);
      if (start < delta.start) delta.start = start;
      if (end > delta.end) delta.end = end;
      delta.count++;
      if (span.status === 2) delta.errors++;
      if (span.parentSpanId.length === 0 && (delta.root === undefined || span.startNs < delta.root.startNs)) {
        delta.root = span;
        delta.rootService = batch.resources[span.resource].serviceName;
      }
    }
    for (const d of deltas.values()) {
      if (d.count === 0) continue;
      stmt.updateTrace.run(d.start, d.end, d.count, d.errors, nowS, d.rowid);
      if (d.root !== undefined) {
        const rootStart = clampInt64(d.root.startNs);
        stmt.updateRoot.run(d.rootService, d.root.name, rootStart, d.rowid, rootStart);
      }
    }
    return { stored, duplicates: batch.spans.length - stored - invalid, invalid, reasons };
  }

  function forget(): void {
    resourceIds.clear();
    scopeIds.clear();
    nameIds.clear();
    traceRowids.clear();
    recordedAt.clear();
    tags.reset();
  }

  const tx = db.transaction(write);
  return {
    write(batch) {
      try {
        return tx(batch);
      } catch (err) {
        // A failed transaction rolled back; cached ids may name rows that no longer exist.
        forget();
        throw err;
      }
    },
    forget,
  };
}
