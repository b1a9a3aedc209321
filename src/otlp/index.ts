/** OTLP: receivers, the hand decoder, and OTLP encodings used by the read side. */
export { createOtlpHttpApp, type OtlpHttpOptions } from './http.ts';
export { startOtlpGrpc, type GrpcHandle, type OtlpGrpcOptions } from './grpc.ts';
export {
  createDecoder,
  createIngest,
  outcome,
  refusal,
  finish,
  RequestRefused,
  NO_LIMITS,
  SLICE_SPANS,
  SLICE_LOGS,
  type Decoder,
  type DecoderOptions,
  type Ingest,
  type IngestAnswer,
  type IngestRequest,
  type IngestResult,
  type Mistake,
  type PreparedRequest,
  type RequestAccount,
} from './ingest.ts';
export { applyAttributeLimits, type AttributeLimits } from './limits.ts';
export { decodeExportRequest, DecodeError, stringAttribute } from './decode-protobuf.ts';
export { encodeLogsData, encodeTracesData, type RawLogGroup } from './encode.ts';
export { canonicalResourceSpans } from './canonical.ts';
export { splitJoinedRawSpans } from './joined-spans.ts';
export { logsDataToJson, tracesDataToJson } from './protobuf-to-json.ts';
export * from './schema/index.ts';
export { decodeResource, decodeScope, decodeSpan } from './span-model.ts';
export { importToProtobuf, ImportTooLargeError } from './import/index.ts';
export { otlpJsonToProtobuf, OtlpJsonError } from './json-to-protobuf.ts';
export type { DecodedBatch, DecodedLogBatch, DecodedLogRecord, DecodedResource, DecodedScope, DecodedSpan, RawResourceSpans, RawScopeSpans } from './types.ts';
export type { Signal, WireFormat } from './responses.ts';
export { otlpLogsJsonToProtobuf } from './json-to-protobuf.ts';
export { decodeExportLogsSlices } from './decode-logs.ts';
export { LOG_RECORD, LogRecord, SEVERITY, SEVERITY_NUMBER_NAMES, RESOURCE, SCOPE } from './schema/index.ts';
export { anyValue, anyValueText, decodeLogRecord, keyValuesOf, type AnyValueType, type LogAttribute, type LogRecordView, type TextValue } from './log-model.ts';
export { SESSION_ATTRIBUTE, SESSION_HEADER } from './session.ts';
export { RUN_ATTRIBUTE, runOfResource } from './run.ts';
export { IngestDoctor, HTTP_MISTAKES, type DoctorReport, type Finding, type IngestRecord } from './doctor.ts';
export { IngestGate, RETRY_AFTER_S } from './gate.ts';
export { CONNECTION_TIMEOUTS, PayloadTooLargeError, decompress, readBody } from './body.ts';
export { createZipkinApp, ZIPKIN_PATH, type ZipkinReceiverOptions } from './zipkin.ts';
