/**
 * ExportLogsServiceRequest bytes → DecodedLogBatch slices, reading only the fields the
 * store indexes and keeping each Resource, InstrumentationScope and LogRecord as a
 * zero-copy view of the request, as decode-protobuf.ts does for spans. Attributes and
 * the body are not decoded here.
 */
import { ProtoError, ProtoReader, WIRE_LEN } from '../shared/protowire.ts';
import { DecodeError, readEnvelope, stringAttribute } from './decode-protobuf.ts';
import { LOG_RECORD, ResourceLogs, ScopeLogs, SEVERITY } from './schema/index.ts';
import type { DecodedLogBatch, DecodedLogRecord, DecodedResource, DecodedScope } from './types.ts';

/** How many rejection reasons are kept for partial_success.error_message. */
const MAX_REASONS = 5;
const EMPTY = new Uint8Array(0);
const SERVICE_NAME = new TextEncoder().encode('service.name');

function emptyBatch(): DecodedLogBatch {
  return { resources: [], scopes: [], records: [], rejected: 0, rejections: [] };
}

/**
 * The request in slices of at most `maxRecords` log records (valid and invalid counted),
 * each with the resources and scopes its records refer to. Throws DecodeError (from
 * next()) when the bytes are not a well-formed ExportLogsServiceRequest.
 */
export function* decodeExportLogsSlices(bytes: Uint8Array, maxRecords: number): Generator<DecodedLogBatch, void, void> {
  const r = new ProtoReader(bytes);
  let batch = emptyBatch();
  let size = 0;
  const seen = { records: 0, reasons: 0 };
  try {
    while (r.more()) {
      const t = r.uint32();
      if (t >>> 3 !== 1) {
        r.skip(t & 7);
        continue;
      }
      r.expect(t, WIRE_LEN, 'resource_logs');
      const rlEnd = r.lenEnd();
      const rl = readEnvelope(r, rlEnd, ResourceLogs);
      const head = rl.head ?? EMPTY;
      const resource: DecodedResource = { raw: head, present: rl.head !== undefined, schemaUrl: rl.schemaUrl, serviceName: stringAttribute(head, SERVICE_NAME) ?? '' };
      let resourceIndex = -1;
      for (const [slStart, slEnd] of rl.children) {
        r.reset(slStart, slEnd);
        const sl = readEnvelope(r, slEnd, ScopeLogs);
        if (sl.children.length === 0) continue;
        const scope: DecodedScope = { raw: sl.head ?? EMPTY, present: sl.head !== undefined, schemaUrl: sl.schemaUrl };
        let scopeIndex = -1;
        for (const [s, e] of sl.children) {
          if (size >= maxRecords) {
            seen.records += size;
            seen.reasons += batch.rejections.length;
            yield batch;
            batch = emptyBatch();
            size = 0;
            resourceIndex = -1;
            scopeIndex = -1;
          }
          if (resourceIndex < 0) resourceIndex = batch.resources.push(resource) - 1;
          if (scopeIndex < 0) scopeIndex = batch.scopes.push(scope) - 1;
          r.reset(s, e);
          const record = readLogRecord(r, s, e, resourceIndex, scopeIndex);
          if (typeof record === 'string') {
            batch.rejected++;
            if (seen.reasons + batch.rejections.length < MAX_REASONS) batch.rejections.push(`log record ${seen.records + size}: ${record}`);
          } else batch.records.push(record);
          size++;
        }
      }
      r.reset(rlEnd, bytes.length);
    }
  } catch (err) {
    if (err instanceof ProtoError) throw new DecodeError(`invalid ExportLogsServiceRequest at byte ${r.pos}: ${err.message}`);
    throw err;
  }
  if (size > 0 || batch.rejected > 0) yield batch;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Reads the LogRecord in [start, end) (the reader is there): the indexed fields, and the
 * whole record as a view. A record with ids of the wrong length is invalid (the reason is
 * returned); all-zero ids mean "no trace context", as the data model says.
 */
function readLogRecord(r: ProtoReader, start: number, end: number, resource: number, scope: number): DecodedLogRecord | string {
  let timeNs = 0n;
  let observedNs = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: Uint8Array | undefined;
  let flags = 0;
  let traceId: Uint8Array = EMPTY;
  let spanId: Uint8Array = EMPTY;
  let eventName = '';
  r.end = end;
  while (r.more()) {
    const t = r.uint32();
    switch (t) {
      case LOG_RECORD.timeUnixNano:
        timeNs = r.fixed64();
        break;
      case LOG_RECORD.observedTimeUnixNano:
        observedNs = r.fixed64();
        break;
      case LOG_RECORD.severityNumber:
        severityNumber = r.int32();
        break;
      case LOG_RECORD.severityText:
        severityText = r.string();
        break;
      case LOG_RECORD.body:
        body = r.bytes();
        break;
      case LOG_RECORD.flags:
        flags = r.fixed32();
        break;
      case LOG_RECORD.traceId:
        traceId = r.bytes();
        break;
      case LOG_RECORD.spanId:
        spanId = r.bytes();
        break;
      case LOG_RECORD.eventName:
        eventName = r.string();
        break;
      default:
        if (t >>> 3 === 0) throw new ProtoError('field number 0');
        r.skip(t & 7);
    }
  }
  if (traceId.length !== 0 && traceId.length !== 16) return `trace id must be empty or 16 bytes, got ${traceId.length}`;
  if (spanId.length !== 0 && spanId.length !== 8) return `span id must be empty or 8 bytes, got ${spanId.length}`;
  return {
    raw: r.buf.subarray(start, end),
    timeNs,
    observedNs,
    severityNumber: severityNumber >= 0 && severityNumber <= SEVERITY.MAX ? severityNumber : 0,
    severityText,
    body,
    flags,
    traceId: isZero(traceId) ? EMPTY : traceId,
    spanId: isZero(spanId) ? EMPTY : spanId,
    eventName,
    resource,
    scope,
  };
}
