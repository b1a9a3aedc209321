/**
 * The decode stage every receiver goes through: request bytes in, rows for the store
 * out (store/rows.ts), with an OTLP outcome. Decoding runs in slices of at most
 * SLICE_SPANS spans, as a generator, so that a driver on a thread that also serves
 * other requests can give way between slices (src/threads/ingest-thread.ts); a test or
 * benchmark drives it in one go against a store in the same thread (createIngest).
 *
 * A request is decoded completely before anything of it is written, so a malformed one
 * stores nothing. A large request is then written a slice per transaction: should a
 * later slice fail (a full disk), the earlier ones stay, and the exporter's retry
 * stores only what is missing (duplicates are skipped).
 */
import { BadRequestError } from '../shared/errors.ts';
import { PayloadTooLargeError, decompress } from './body.ts';
import { HTTP_MISTAKES, looksLikeJson } from './doctor.ts';
import { ZipkinJsonError, zipkinToOtlp } from './zipkin-to-otlp.ts';
import { ProtoError } from '../shared/protowire.ts';
import {
  createTagMemo,
  eventNameTerm,
  LogRowsBuilder,
  SpanRowsBuilder,
  type LogRows,
  type SpanRows,
  type Store,
  type TagMemo,
  type WriteResult,
  type WriteRows,
} from '../store/index.ts';
import { DecodeError, decodeExportRequestSlices } from './decode-protobuf.ts';
import { withSession } from './session.ts';
import { attributeListTerms, spanTerms } from './terms.ts';
import { OtlpJsonError, otlpJsonToProtobufChunks, otlpLogsJsonToProtobuf } from './json-to-protobuf.ts';
import type { ExportOutcome, Signal, WireFormat } from './responses.ts';
import { applyAttributeLimits, applyLogLimits, type AttributeLimits } from './limits.ts';
import { decodeResource, decodeScope, type Attributes } from './span-model.ts';
import type { DecodedBatch, DecodedLogBatch, DecodedResource } from './types.ts';
import { LOG_RECORD } from './schema/index.ts';
import { decodeExportLogsSlices } from './decode-logs.ts';
import { anyValueText } from './log-model.ts';
import { bytesToHex } from '../shared/ids.ts';

export interface IngestResult extends ExportOutcome {
  readonly stored: number;
}

/** Set-up mistakes the decode stage recognizes (keys of HTTP_MISTAKES), for the ingest doctor. */
export type Mistake = 'gzipWithoutHeader' | 'jsonAsProtobuf' | 'protobufAsJson';

export interface IngestRequest {
  /** As received, possibly compressed. */
  readonly body: Uint8Array;
  /** Content-Encoding: gzip, deflate, zlib (Zipkin's name for deflate) or none. */
  readonly encoding?: string;
  /** OTLP protobuf or JSON, or Zipkin v2 JSON. */
  readonly format: WireFormat | 'zipkin';
  /** Tags every resource of the request with a test session (see session.ts). */
  readonly session?: string;
  /** What the request exports (default traces); Zipkin is traces only. */
  readonly signal?: Signal;
}

/** How a request ended: stored (maybe partly), or refused as a whole. */
export type IngestAnswer =
  | { readonly ok: true; readonly result: IngestResult; readonly mistakes: Mistake[] }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string; readonly mistakes: Mistake[] };

export type Ingest = (request: IngestRequest) => Promise<IngestAnswer>;

/** A request ready to be written. */
export interface PreparedRequest {
  readonly signal: Signal;
  readonly slices: WriteRows[];
  /** Spans (log records) refused (malformed or invalid ids), and why for the first few. */
  readonly rejected: number;
  readonly reasons: string[];
  readonly mistakes: Mistake[];
}

/** A request refused as a whole, before anything was written. */
export class RequestRefused extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
    readonly mistakes: Mistake[],
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}

/** Spans per slice: decoding one takes ~20 ms here, writing one ~40 ms. */
export const SLICE_SPANS = 2048;
/** Log records per slice: a record costs about what a span does. */
export const SLICE_LOGS = 2048;
const MAX_REASONS = 5;

/** Items of a request refused while making rows, and why for the first few. */
interface Refused {
  count: number;
  readonly reasons: string[];
}

/** Without limits given, only the nesting checks of applyAttributeLimits() apply. */
export const NO_LIMITS: AttributeLimits = { maxAttrLength: 0, maxAttrsPerSpan: 0 };

export interface DecoderOptions {
  /** Caps on attribute lengths and counts, as the OTel SDK applies them (limits.ts). */
  readonly limits?: AttributeLimits;
  /** Largest body, before and after decompression. */
  readonly maxBody?: number;
  /** Zipkin: type tag values that look like numbers or booleans (the Collector's `parse_string_tags`). */
  readonly parseStringTags?: boolean;
}

/**
 * The bytes a slice's rows take in their buffer (rows.ts): each span's message and ids, each
 * resource and scope. Sized right, the buffer is never grown: grown by doubling, it held
 * 1.9x what it used, transferred and queued for the writer whole.
 */
function rowBytes(batch: DecodedBatch): number {
  // Trace id, span id and parent id.
  let n = 32 * batch.spans.length;
  for (const s of batch.spans) n += s.raw.length;
  for (const r of batch.resources) n += r.raw.length;
  for (const s of batch.scopes) n += s.raw.length;
  return n;
}

export interface Decoder {
  /**
   * Decodes a request; each `next()` does about one slice of work. Throws
   * RequestRefused (from next()) for a body that is not an export request or too large.
   */
  prepare(request: IngestRequest): Generator<void, PreparedRequest, void>;
  /** What the dictionary behind tag listings already has; the writer tells it of full keys. */
  readonly tags: TagMemo;
}

export function createDecoder(options: DecoderOptions = {}): Decoder {
  const limits = options.limits ?? NO_LIMITS;
  const maxBody = options.maxBody ?? Infinity;
  const tags = createTagMemo();

  function observe(scope: 'resource' | 'instrumentation', raw: Uint8Array, at: number): void {
    const key = scope + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    // Resource and scope attributes are observed once per TAG_REFRESH_NS of span time per message.
    if (tags.messageKnown(key, at)) return;
    tags.at = at;
    const attrs: Attributes = scope === 'resource' ? decodeResource(raw) : decodeScope(raw).attributes;
    for (const [key, value] of attrs) {
      for (const v of value.type === 'array' ? value.values : [value]) {
        if (v.type === 'string' || v.type === 'int' || v.type === 'float' || v.type === 'bool') tags.observe(scope, key, v.type, v.value);
      }
    }
  }

  /** One decoded slice as rows; spans whose nested messages are malformed are refused. */
  function toRows(batch: DecodedBatch, refused: Refused): SpanRows {
    const rows = new SpanRowsBuilder(batch.spans.length, rowBytes(batch));
    tags.begin();
    const resources = batch.resources.map((r) => rows.resource(r.present ? r.raw : null, r.schemaUrl, r.serviceName));
    const scopes = batch.scopes.map((s) => rows.scope(s.present ? s.raw : null, s.schemaUrl));
    // Resource and scope attributes hold for every span of the slice: observed at its
    // earliest and latest span start, so a time-windowed tag listing finds them.
    let first = Infinity;
    let last = -Infinity;
    for (const span of batch.spans) {
      const t = Number(span.startNs);
      if (t < first) first = t;
      if (t > last) last = t;
    }
    for (const at of first === Infinity ? [] : first === last ? [first] : [first, last]) {
      for (const r of batch.resources) if (r.raw.length > 0) observe('resource', r.raw, at);
      for (const s of batch.scopes) if (s.raw.length > 0) observe('instrumentation', s.raw, at);
    }
    const terms = rows.terms;
    for (const span of batch.spans) {
      tags.at = Number(span.startNs);
      const mark = terms.len;
      try {
        spanTerms(span.raw, terms, tags);
      } catch (err) {
        if (!(err instanceof ProtoError)) throw err;
        terms.len = mark;
        if (refused.count++ < MAX_REASONS) refused.reasons.push(`span ${bytesToHex(span.spanId)}: ${err.message}`);
        continue;
      }
      rows.span(span, resources[span.resource], scopes[span.scope]);
    }
    for (const obs of tags.out) rows.tag(obs);
    return rows.finish();
  }

  /**
   * Turns decoded slices into rows, one slice per step: the session's tag, the limits, then
   * rows; what was refused on the way is counted, with the first reasons.
   */
  function* sliceRows<B extends { readonly resources: DecodedResource[]; readonly rejected: number; readonly rejections: string[] }>(
    slices: Generator<B, void, void>,
    session: string | undefined,
    limit: (batch: B) => B,
    rowsOf: (batch: B, refused: Refused) => WriteRows,
    out: PreparedRequest & { rejected: number },
  ): Generator<void, void, void> {
    const refused: Refused = { count: 0, reasons: [] };
    for (;;) {
      let next: IteratorResult<B, void>;
      try {
        next = slices.next();
      } catch (err) {
        if (err instanceof DecodeError) throw new BadRequestError(err.message);
        throw err;
      }
      if (next.done === true) break;
      let batch = next.value;
      if (session !== undefined && session !== '') batch = withSession(batch, session);
      batch = limit(batch);
      out.rejected += batch.rejected;
      for (const reason of batch.rejections) if (out.reasons.length < MAX_REASONS) out.reasons.push(reason);
      const before = refused.count;
      const rows = rowsOf(batch, refused);
      out.rejected += refused.count - before;
      if (rows.count > 0) out.slices.push(rows);
      yield;
    }
    for (const reason of refused.reasons) if (out.reasons.length < MAX_REASONS) out.reasons.push(reason);
  }

  function protobufSlices(bytes: Uint8Array, session: string | undefined, out: PreparedRequest & { rejected: number }): Generator<void, void, void> {
    return sliceRows(
      decodeExportRequestSlices(bytes, SLICE_SPANS),
      session,
      (batch) => applyAttributeLimits(batch, limits),
      (batch, refused) => toRows(batch, refused),
      out,
    );
  }

  /** One decoded slice of log records as rows; records whose body or attributes are malformed are refused. */
  function toLogRows(batch: DecodedLogBatch, bytes: number, refused: Refused): LogRows {
    const rows = new LogRowsBuilder(batch.records.length, bytes);
    const resources = batch.resources.map((r) => rows.resource(r.present ? r.raw : null, r.schemaUrl, r.serviceName));
    const scopes = batch.scopes.map((s) => rows.scope(s.present ? s.raw : null, s.schemaUrl));
    const terms = rows.terms;
    batch.records.forEach((record, i) => {
      let text: string;
      const mark = terms.len;
      try {
        attributeListTerms(record.raw, LOG_RECORD.attributes, terms);
        text = anyValueText(record.body);
      } catch (err) {
        if (!(err instanceof ProtoError)) throw err;
        terms.len = mark;
        if (refused.count++ < MAX_REASONS) refused.reasons.push(`log record ${i} of the slice: ${err.message}`);
        return;
      }
      // Ids as hex words: found through the same index as words of the body.
      if (record.traceId.length > 0) terms.putHex(record.traceId);
      if (record.spanId.length > 0) terms.putHex(record.spanId);
      if (record.eventName !== '') terms.putWord(eventNameTerm(record.eventName));
      rows.record(record, resources[record.resource], scopes[record.scope], text);
    });
    return rows.finish();
  }

  function logSlices(bytes: Uint8Array, session: string | undefined, out: PreparedRequest & { rejected: number }): Generator<void, void, void> {
    return sliceRows(
      decodeExportLogsSlices(bytes, SLICE_LOGS),
      session,
      (batch) => applyLogLimits(batch, limits),
      (batch, refused) => toLogRows(batch, Math.min(bytes.length, batch.records.length * 512 + 4096), refused),
      out,
    );
  }

  /** A logs request: protobuf, or OTLP/JSON converted to protobuf first. */
  function* decodeLogsBody(body: Uint8Array, format: WireFormat | 'zipkin', session: string | undefined, out: PreparedRequest & { rejected: number }): Generator<void, void, void> {
    if (format === 'zipkin') throw new BadRequestError('Zipkin carries spans only');
    if (format === 'protobuf') {
      yield* logSlices(body, session, out);
      return;
    }
    const parsed = parseJson(body);
    yield;
    let converted: Uint8Array;
    try {
      converted = otlpLogsJsonToProtobuf(parsed);
    } catch (err) {
      if (err instanceof OtlpJsonError) throw new BadRequestError(`invalid OTLP/JSON: ${err.message}`);
      throw err;
    }
    yield;
    yield* logSlices(converted, session, out);
  }

  function* decodeBody(body: Uint8Array, format: WireFormat | 'zipkin', session: string | undefined, out: PreparedRequest & { rejected: number }): Generator<void, void, void> {
    if (format === 'protobuf') {
      yield* protobufSlices(body, session, out);
      return;
    }
    if (format === 'zipkin') {
      let converted: Uint8Array;
      try {
        converted = zipkinToOtlp(parseZipkinJson(body), { parseStringTags: options.parseStringTags }).request;
      } catch (err) {
        if (err instanceof ZipkinJsonError) throw new BadRequestError(`invalid Zipkin v2 JSON: ${err.message}`);
        throw err;
      }
      yield;
      yield* protobufSlices(converted, session, out);
      return;
    }
    const parsed = parseJson(body);
    yield;
    const chunks = otlpJsonToProtobufChunks(parsed, SLICE_SPANS);
    for (;;) {
      let next: IteratorResult<Uint8Array, void>;
      try {
        next = chunks.next();
      } catch (err) {
        if (err instanceof OtlpJsonError) throw new BadRequestError(`invalid OTLP/JSON: ${err.message}`);
        throw err;
      }
      if (next.done === true) break;
      yield* protobufSlices(next.value, session, out);
    }
  }

  function* prepare(request: IngestRequest): Generator<void, PreparedRequest, void> {
    const signal = request.signal ?? 'traces';
    const out = { signal, slices: [] as WriteRows[], rejected: 0, reasons: [] as string[], mistakes: [] as Mistake[] };
    try {
      // Zipkin senders call zlib-wrapped deflate "zlib" (the Collector takes both names).
      const encoding = request.encoding?.trim().toLowerCase() === 'zlib' ? 'deflate' : request.encoding;
      const body = decompress(request.body, encoding, maxBody, () => out.mistakes.push('gzipWithoutHeader'));
      try {
        if (signal === 'logs') yield* decodeLogsBody(body, request.format, request.session, out);
        else yield* decodeBody(body, request.format, request.session, out);
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        if (request.format === 'protobuf' && looksLikeJson(body)) {
          out.mistakes.push('jsonAsProtobuf');
          throw new BadRequestError(`${err.message} (${HTTP_MISTAKES.jsonAsProtobuf()[1]})`);
        }
        if (request.format === 'json' && !looksLikeJson(body)) out.mistakes.push('protobufAsJson');
        throw err;
      }
    } catch (err) {
      if (err instanceof PayloadTooLargeError) throw new RequestRefused(413, `request body exceeds the limit of ${maxBody} bytes (--max-body)`, out.mistakes);
      if (err instanceof BadRequestError) throw new RequestRefused(400, err.message, out.mistakes);
      throw err;
    }
    return out;
  }

  return { prepare, tags };
}

function parseZipkinJson(body: Uint8Array): unknown {
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new BadRequestError('empty body: expected a JSON array of Zipkin v2 spans');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`invalid JSON: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`invalid JSON: ${(err as Error).message}`);
  }
}

/** What a prepared request says of itself besides its rows: enough to answer it once they are written. */
export type RequestAccount = Omit<PreparedRequest, 'slices'>;

/** The answer for a prepared request once its slices were written. */
export function outcome(prepared: RequestAccount, written: readonly WriteResult[]): IngestAnswer {
  let stored = 0;
  for (const w of written) stored += w.stored;
  const what = prepared.signal === 'logs' ? 'log record(s)' : 'span(s)';
  const message = prepared.rejected > 0 ? `rejected ${prepared.rejected} invalid ${what}: ${prepared.reasons.join('; ')}` : '';
  return { ok: true, result: { signal: prepared.signal, stored, rejected: prepared.rejected, message }, mistakes: prepared.mistakes };
}

/** The answer for a request the decode stage refused. */
export function refusal(err: RequestRefused): IngestAnswer {
  return { ok: false, status: err.status, message: err.message, mistakes: err.mistakes };
}

/** Runs a generator to its end. */
export function finish<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * Ingest into a store in this thread, a request per transaction: for tests, benchmarks'
 * floors and tools. A server decodes and writes on worker threads instead.
 */
export function createIngest(store: Store, options: DecoderOptions = {}): (request: IngestRequest) => IngestAnswer {
  const decoder = createDecoder(options);
  // The writer says when a key's dictionary is full; after a delete the dictionary may lack
  // what the decoder took for known.
  store.onInsert((summary) => {
    for (const key of summary.fullKeys) decoder.tags.keyFull(key);
  });
  store.onDelete(() => decoder.tags.forget());
  return (request) => {
    let prepared: PreparedRequest;
    try {
      prepared = finish(decoder.prepare(request));
    } catch (err) {
      if (err instanceof RequestRefused) return refusal(err);
      throw err;
    }
    const written = prepared.slices.length > 0 ? store.write(prepared.slices) : [];
    return outcome(prepared, written);
  };
}
