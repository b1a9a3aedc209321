/**
 * ExportLogsServiceRequest bytes → DecodedLogBatch slices, reading only the fields the
 * store indexes and keeping each Resource, InstrumentationScope and LogRecord as a
 * zero-copy view of the request, as decode-protobuf.ts does for spans. Attributes and
 * the body are not decoded here.
 */
import { ProtoError, type ProtoReader } from '../shared/protowire.ts';
import { isZero, requestSlices, type SignalShape } from './decode-protobuf.ts';
import { LOG_RECORD, LogsData, ResourceLogs, ScopeLogs, SEVERITY } from './schema/index.ts';
import type { DecodedLogBatch, DecodedLogRecord } from './types.ts';

const EMPTY = new Uint8Array(0);

function emptyBatch(): DecodedLogBatch {
  return { resources: [], scopes: [], records: [], rejected: 0, rejections: [] };
}

const LOGS: SignalShape<DecodedLogBatch> = {
  request: 'ExportLogsServiceRequest',
  field: LogsData.field.resourceLogs,
  fieldName: LogsData.byNumber[LogsData.field.resourceLogs]!.protoName,
  resourceEnvelope: ResourceLogs,
  scopeEnvelope: ScopeLogs,
  empty: emptyBatch,
  readItem(r, start, end, batch, resource, scope, index, giveReason) {
    const record = readLogRecord(r, start, end, resource, scope);
    if (typeof record !== 'string') {
      batch.records.push(record);
      return;
    }
    batch.rejected++;
    if (giveReason) batch.rejections.push(`log record ${index}: ${record}`);
  },
};

/**
 * The request in slices of at most `maxRecords` log records (valid and invalid counted),
 * each with the resources and scopes its records refer to. Throws DecodeError (from
 * next()) when the bytes are not a well-formed ExportLogsServiceRequest.
 */
export function decodeExportLogsSlices(bytes: Uint8Array, maxRecords: number): Generator<DecodedLogBatch, void, void> {
  return requestSlices(bytes, maxRecords, LOGS);
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
