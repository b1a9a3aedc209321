/**
 * The StreamingQuerier's messages (proto/tempopb/tempo.proto), by hand: a request
 * becomes the HTTP API request Tempo's frontend builds from it (its Build*Request
 * functions), and the HTTP API's JSON answer becomes the response message. Zero values
 * are left out, as proto3 encoders do.
 */
import { goDuration, type JsonAnyValue, type JsonKeyValue, type SearchResponse, type SearchSpan, type SearchSpanset, type TraceSearchMetadata } from '../query/index.ts';
import type { JsonMetrics, QueryInstantResponse, QueryRangeResponse } from '../query/index.ts';
import { ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../shared/protowire.ts';

// ---- requests → HTTP API paths -------------------------------------------------------

type Field = (r: ProtoReader, wireType: number) => void;

/** Reads a message, handing each listed field to its reader and skipping the rest. */
function readMessage(bytes: Uint8Array, fields: Readonly<Record<number, Field>>): void {
  const r = new ProtoReader(bytes);
  while (r.more()) {
    const tag = r.uint32();
    const read = fields[tag >>> 3];
    if (read === undefined) r.skip(tag & 7);
    else read(r, tag & 7);
  }
}

const uint32 = (set: (n: number) => void): Field => (r, wt) => {
  r.expect(wt, WIRE_VARINT, 'uint32');
  set(r.uint32());
};
const uint64 = (set: (n: bigint) => void): Field => (r, wt) => {
  r.expect(wt, WIRE_VARINT, 'uint64');
  set(r.uint64());
};
const string = (set: (s: string) => void): Field => (r, wt) => {
  r.expect(wt, WIRE_LEN, 'string');
  set(r.string());
};

/** A query string of the parameters that are set (Tempo leaves zero values out). */
function query(path: string, params: ReadonlyArray<readonly [string, string | number | bigint]>): string {
  const q = new URLSearchParams();
  for (const [name, value] of params) if (value !== '' && value !== 0 && value !== 0n) q.set(name, String(value));
  const text = q.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A logfmt value as Go's logfmt encoder writes it: quoted when it has to be. */
function logfmtValue(v: string): string {
  return v === '' || /[\s="\\]/.test(v) || /[^\x21-\x7e]/.test(v) ? JSON.stringify(v) : v;
}

export function searchTarget(bytes: Uint8Array): string {
  const tags: Array<[string, string]> = [];
  let minMs = 0;
  let maxMs = 0;
  let limit = 0;
  let start = 0;
  let end = 0;
  let q = '';
  let spss = 0;
  readMessage(bytes, {
    1: (r, wt) => {
      r.expect(wt, WIRE_LEN, 'Tags');
      let key = '';
      let value = '';
      readMessage(r.bytes(), { 1: string((s) => (key = s)), 2: string((s) => (value = s)) });
      tags.push([key, value]);
    },
    2: uint32((n) => (minMs = n)),
    3: uint32((n) => (maxMs = n)),
    4: uint32((n) => (limit = n)),
    5: uint32((n) => (start = n)),
    6: uint32((n) => (end = n)),
    8: string((s) => (q = s)),
    9: uint32((n) => (spss = n)),
  });
  return query('/api/search', [
    ['start', start],
    ['end', end],
    ['limit', limit],
    ['maxDuration', maxMs === 0 ? '' : `${maxMs}ms`],
    ['minDuration', minMs === 0 ? '' : `${minMs}ms`],
    ['spss', spss],
    ['q', q],
    ['tags', tags.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ')],
  ]);
}

export function searchTagsTarget(bytes: Uint8Array, v2: boolean): string {
  let scope = '';
  let q = '';
  let start = 0;
  let end = 0;
  let limit = 0;
  readMessage(bytes, {
    1: string((s) => (scope = s)),
    2: string((s) => (q = s)),
    3: uint32((n) => (start = n)),
    4: uint32((n) => (end = n)),
    5: uint32((n) => (limit = n)),
  });
  return query(v2 ? '/api/v2/search/tags' : '/api/search/tags', [
    ['start', start],
    ['end', end],
    ['scope', scope],
    ['q', q],
    ['limit', limit],
  ]);
}

export function searchTagValuesTarget(bytes: Uint8Array, v2: boolean): string {
  let tag = '';
  let q = '';
  let start = 0;
  let end = 0;
  let limit = 0;
  readMessage(bytes, {
    1: string((s) => (tag = s)),
    2: string((s) => (q = s)),
    4: uint32((n) => (start = n)),
    5: uint32((n) => (end = n)),
    6: uint32((n) => (limit = n)),
  });
  // The HTTP route unescapes the tag twice (Grafana escapes it twice); the call's tag is taken as it is.
  const segment = encodeURIComponent(encodeURIComponent(tag));
  return query(`${v2 ? '/api/v2/search/tag' : '/api/search/tag'}/${segment}/values`, [
    ['start', start],
    ['end', end],
    ['q', q],
    ['limit', limit],
  ]);
}

export function queryRangeTarget(bytes: Uint8Array): string {
  let q = '';
  let start = 0n;
  let end = 0n;
  let step = 0n;
  let exemplars = 0;
  readMessage(bytes, {
    1: string((s) => (q = s)),
    2: uint64((n) => (start = n)),
    3: uint64((n) => (end = n)),
    4: uint64((n) => (step = n)),
    16: uint32((n) => (exemplars = n)),
  });
  // Without a step the HTTP API picks one for the range, as Tempo does.
  return query('/api/metrics/query_range', [
    ['q', q],
    ['start', start],
    ['end', end],
    ['step', step === 0n ? '' : goDuration(Number(step))],
    ['exemplars', exemplars],
  ]);
}

export function queryInstantTarget(bytes: Uint8Array): string {
  let q = '';
  let start = 0n;
  let end = 0n;
  readMessage(bytes, {
    1: string((s) => (q = s)),
    2: uint64((n) => (start = n)),
    3: uint64((n) => (end = n)),
  });
  return query('/api/metrics/query', [
    ['q', q],
    ['start', start],
    ['end', end],
  ]);
}

// ---- JSON answers → response messages ------------------------------------------------

/** A double from protobuf-JSON (NaN and infinities arrive as strings). */
function double(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

function anyValue(w: ProtoWriter, v: JsonAnyValue): void {
  if (v.stringValue !== undefined) w.stringField(1, v.stringValue);
  else if (v.boolValue !== undefined) w.tag(2, WIRE_VARINT).uint32(v.boolValue ? 1 : 0);
  else if (v.intValue !== undefined) w.tag(3, WIRE_VARINT).uint64(BigInt(v.intValue));
  else if (v.doubleValue !== undefined) w.tag(4, WIRE_I64).double(double(v.doubleValue));
  else if (v.arrayValue !== undefined) {
    w.fork(5);
    for (const el of v.arrayValue.values) {
      w.fork(1);
      anyValue(w, el);
      w.join();
    }
    w.join();
  }
}

function keyValues(w: ProtoWriter, field: number, kvs: readonly JsonKeyValue[] | undefined): void {
  for (const kv of kvs ?? []) {
    w.fork(field).stringField(1, kv.key).fork(2);
    anyValue(w, kv.value);
    w.join().join();
  }
}

function nonZeroString(w: ProtoWriter, field: number, s: string | undefined): void {
  if (s !== undefined && s !== '') w.stringField(field, s);
}

function nonZeroVarint(w: ProtoWriter, field: number, n: number | bigint | string | undefined): void {
  if (n === undefined) return;
  const v = BigInt(n);
  if (v !== 0n) w.tag(field, WIRE_VARINT).uint64(v);
}

function nonZeroDouble(w: ProtoWriter, field: number, v: number | string): void {
  const d = double(v);
  if (d !== 0 || Object.is(d, -0)) w.tag(field, WIRE_I64).double(d);
}

function span(w: ProtoWriter, s: SearchSpan): void {
  nonZeroString(w, 1, s.spanID);
  nonZeroString(w, 2, s.name);
  nonZeroVarint(w, 3, s.startTimeUnixNano);
  nonZeroVarint(w, 4, s.durationNanos);
  keyValues(w, 5, s.attributes);
}

function spanset(w: ProtoWriter, field: number, set: SearchSpanset): void {
  w.fork(field);
  for (const s of set.spans) {
    w.fork(1);
    span(w, s);
    w.join();
  }
  nonZeroVarint(w, 2, set.matched);
  keyValues(w, 3, set.attributes);
  w.join();
}

function traceMetadata(t: TraceSearchMetadata): Uint8Array {
  const w = new ProtoWriter(256);
  w.fork(1);
  nonZeroString(w, 1, t.traceID);
  nonZeroString(w, 2, t.rootServiceName);
  nonZeroString(w, 3, t.rootTraceName);
  nonZeroVarint(w, 4, t.startTimeUnixNano);
  nonZeroVarint(w, 5, t.durationMs);
  if (t.spanSet !== undefined) spanset(w, 6, t.spanSet);
  for (const set of t.spanSets ?? []) spanset(w, 7, set);
  for (const [service, stats] of Object.entries(t.serviceStats ?? {})) {
    w.fork(8).stringField(1, service).fork(2);
    nonZeroVarint(w, 1, stats.spanCount);
    nonZeroVarint(w, 2, stats.errorCount);
    w.join().join();
  }
  return w.join().finish();
}

/** SearchMetrics (also the metrics of TraceQL metrics answers) or MetadataMetrics, at field 2. */
function metrics(m: Readonly<Record<string, number | string | undefined>>, fields: Readonly<Record<string, number>>): Uint8Array {
  const w = new ProtoWriter(64);
  w.fork(2);
  // In field order, as protobuf encoders write them.
  for (const [name, field] of Object.entries(fields).sort((a, b) => a[1] - b[1])) nonZeroVarint(w, field, m[name]);
  return w.join().finish();
}

const SEARCH_METRICS = { inspectedTraces: 1, inspectedBytes: 2, totalBlocks: 3, completedJobs: 4, totalJobs: 5, totalBlockBytes: 6, inspectedSpans: 7 };
const METADATA_METRICS = { inspectedBytes: 1, totalJobs: 2, completedJobs: 3, totalBlocks: 4, totalBlockBytes: 5 };

/**
 * The largest message sent: answers past it go out as several messages, each with a share
 * of the repeated first field and the metrics, as Tempo segments its streamed answers (gRPC
 * clients refuse messages over 4 MiB unless told otherwise).
 */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** Messages of the encoded field-1 entries `items`, then `tail` (the metrics) in each. */
function segments(items: readonly Uint8Array[], tail: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = tail.length;
  const flush = (): void => {
    const message = new Uint8Array(size);
    let at = 0;
    for (const item of group) {
      message.set(item, at);
      at += item.length;
    }
    message.set(tail, at);
    out.push(message);
    group = [];
    size = tail.length;
  };
  for (const item of items) {
    if (group.length > 0 && size + item.length > MAX_MESSAGE_BYTES) flush();
    group.push(item);
    size += item.length;
  }
  flush();
  return out;
}

function stringItem(s: string): Uint8Array {
  return new ProtoWriter(s.length + 8).stringField(1, s).finish();
}

export function searchResponseMessages(body: SearchResponse): Uint8Array[] {
  return segments(body.traces.map(traceMetadata), metrics(body.metrics, SEARCH_METRICS));
}

export interface TagNamesJson {
  tagNames: string[];
  metrics?: Record<string, number | string>;
}

export function searchTagsMessages(body: TagNamesJson): Uint8Array[] {
  return segments(body.tagNames.map(stringItem), metrics(body.metrics ?? {}, METADATA_METRICS));
}

export interface ScopedTagNamesJson {
  scopes: Array<{ name: string; tags: string[] }>;
  metrics?: Record<string, number | string>;
}

export function searchTagsV2Messages(body: ScopedTagNamesJson): Uint8Array[] {
  const items = body.scopes.map((scope) => {
    const w = new ProtoWriter(256).fork(1);
    nonZeroString(w, 1, scope.name);
    for (const tag of scope.tags) w.stringField(2, tag);
    return w.join().finish();
  });
  return segments(items, metrics(body.metrics ?? {}, METADATA_METRICS));
}

export interface TagValuesJson {
  tagValues: string[];
  metrics?: Record<string, number | string>;
}

export function searchTagValuesMessages(body: TagValuesJson): Uint8Array[] {
  return segments(body.tagValues.map(stringItem), metrics(body.metrics ?? {}, METADATA_METRICS));
}

export interface TypedTagValuesJson {
  tagValues: Array<{ type: string; value?: string }>;
  metrics?: Record<string, number | string>;
}

export function searchTagValuesV2Messages(body: TypedTagValuesJson): Uint8Array[] {
  const items = body.tagValues.map((v) => {
    const w = new ProtoWriter(64).fork(1);
    nonZeroString(w, 1, v.type);
    nonZeroString(w, 2, v.value);
    return w.join().finish();
  });
  return segments(items, metrics(body.metrics ?? {}, METADATA_METRICS));
}

function searchMetrics(m: JsonMetrics): Uint8Array {
  return metrics({ ...m }, SEARCH_METRICS);
}

export function queryRangeMessages(body: QueryRangeResponse): Uint8Array[] {
  const items = body.series.map((s) => {
    const w = new ProtoWriter(256).fork(1);
    keyValues(w, 1, s.labels);
    for (const sample of s.samples) {
      w.fork(2);
      nonZeroDouble(w, 1, sample.value);
      nonZeroVarint(w, 2, sample.timestampMs);
      w.join();
    }
    for (const e of s.exemplars ?? []) {
      w.fork(4);
      keyValues(w, 1, e.labels);
      nonZeroDouble(w, 2, e.value);
      nonZeroVarint(w, 3, e.timestampMs);
      w.join();
    }
    return w.join().finish();
  });
  return segments(items, searchMetrics(body.metrics));
}

export function queryInstantMessages(body: QueryInstantResponse): Uint8Array[] {
  const items = body.series.map((s) => {
    const w = new ProtoWriter(128).fork(1);
    keyValues(w, 1, s.labels);
    nonZeroDouble(w, 2, s.value);
    return w.join().finish();
  });
  return segments(items, searchMetrics(body.metrics));
}
