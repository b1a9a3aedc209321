/**
 * The bodies OTLP answers with: ExportTraceServiceResponse (ExportLogsServiceResponse has
 * the same layout) and google.rpc.Status for
 * errors, in protobuf or JSON to match the request. `partial_success` is always present,
 * empty on full success, as the Collector's receiver (and so Tempo's) writes it:
 * `{"partialSuccess":{}}`, bytes `0a 00`.
 */
import { ProtoWriter } from '../shared/protowire.ts';

export type WireFormat = 'protobuf' | 'json';

/** What an export request carries. */
export type Signal = 'traces' | 'logs';

/** gRPC status codes used in google.rpc.Status bodies. */
export const RPC_INVALID_ARGUMENT = 3;
export const RPC_RESOURCE_EXHAUSTED = 8;
export const RPC_INTERNAL = 13;
export const RPC_UNAVAILABLE = 14;
export const RPC_UNAUTHENTICATED = 16;

export interface ExportOutcome {
  /** Default traces: says which partial-success field counts the rejected items. */
  readonly signal?: Signal;
  readonly rejected: number;
  readonly message: string;
}

export function exportResponseProtobuf(outcome: ExportOutcome): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter(64);
  w.fork(1);
  if (outcome.rejected > 0) w.tag(1, 0).uint64(BigInt(outcome.rejected));
  if (outcome.message !== '') w.stringField(2, outcome.message);
  w.join();
  return w.finish();
}

export function exportResponseJson(outcome: ExportOutcome): string {
  const partial: Record<string, string> = {};
  if (outcome.rejected > 0) partial[outcome.signal === 'logs' ? 'rejectedLogRecords' : 'rejectedSpans'] = String(outcome.rejected);
  if (outcome.message !== '') partial.errorMessage = outcome.message;
  return JSON.stringify({ partialSuccess: partial });
}

export function statusProtobuf(code: number, message: string): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter(64 + message.length);
  w.tag(1, 0).uint32(code);
  if (message !== '') w.stringField(2, message);
  return w.finish();
}

export function statusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
