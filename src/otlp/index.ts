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
  type Decoder,
  type DecoderOptions,
  type Ingest,
  type IngestAnswer,
  type IngestRequest,
  type IngestResult,
  type Mistake,
  type PreparedRequest,
} from './ingest.ts';
export { applyAttributeLimits, type AttributeLimits } from './limits.ts';
export { decodeExportRequest, DecodeError } from './decode-protobuf.ts';
export { encodeTracesData } from './encode.ts';
export { canonicalResourceSpans } from './canonical.ts';
export { splitJoinedRawSpans } from './joined-spans.ts';
export { tracesDataToJson } from './protobuf-to-json.ts';
export { decodeResource, decodeScope, decodeSpan } from './span-model.ts';
export { importToProtobuf, ImportTooLargeError } from './import/index.ts';
export { otlpJsonToProtobuf, OtlpJsonError } from './json-to-protobuf.ts';
export type { DecodedBatch, DecodedResource, DecodedScope, DecodedSpan, RawResourceSpans, RawScopeSpans } from './types.ts';
export type { WireFormat } from './responses.ts';
export { SESSION_ATTRIBUTE, SESSION_HEADER } from './session.ts';
export { RUN_ATTRIBUTE, runOfResource } from './run.ts';
export { IngestDoctor, HTTP_MISTAKES, type DoctorReport, type Finding, type IngestRecord } from './doctor.ts';
export { IngestGate, RETRY_AFTER_S } from './gate.ts';
export { CONNECTION_TIMEOUTS, PayloadTooLargeError, decompress, readBody } from './body.ts';
export { createZipkinApp, ZIPKIN_PATH, type ZipkinReceiverOptions } from './zipkin.ts';
