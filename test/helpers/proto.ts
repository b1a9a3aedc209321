/**
 * protobufjs loaded from the repository's proto/ folder: an encoder independent of
 * tracebox's hand-written wire code, used to build requests and decode answers.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
  root.loadSync([
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/trace/v1/trace.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    'opentelemetry/proto/logs/v1/logs.proto',
    'tempopb/tempo.proto',
    'google/rpc/status.proto',
  ]);
  root.resolveAll();
  return root;
}

export const root = loadRoot();
export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const TracesData = root.lookupType('opentelemetry.proto.trace.v1.TracesData');
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const LogRecord = root.lookupType('opentelemetry.proto.logs.v1.LogRecord');
export const Resource = root.lookupType('opentelemetry.proto.resource.v1.Resource');
export const TempoTrace = root.lookupType('tempopb.Trace');
export const TraceByIDResponse = root.lookupType('tempopb.TraceByIDResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');

/** Plain-object form of a message as protobufjs would print it for JSON: 64-bit as strings, bytes base64, enum names. */
export const PLAIN: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/** Builds a message from a plain object (verifying it first) and encodes it. */
export function encode(type: protobuf.Type, object: Record<string, unknown>): Uint8Array {
  const problem = type.verify(type.fromObject(object));
  if (problem !== null) throw new Error(`${type.name}: ${problem}`);
  return type.encode(type.fromObject(object)).finish();
}

/** Decodes bytes into the PLAIN object form. */
export function decodePlain(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(bytes), PLAIN) as Record<string, unknown>;
}
