/**
 * What the receivers hand to the store: one export request, decoded only as far as
 * the store's indexed columns need. Everything else stays in the raw protobuf bytes
 * of each Resource, InstrumentationScope and Span, which the store keeps unchanged,
 * so every OTLP field round-trips exactly.
 */

export interface DecodedResource {
  /** The `Resource` message bytes (empty when the request had none). */
  readonly raw: Uint8Array;
  /** False when the ResourceSpans had no resource field at all (proto3 keeps the difference). */
  readonly present: boolean;
  readonly schemaUrl: string;
  /** `service.name` from the resource attributes, '' when absent. */
  readonly serviceName: string;
}

export interface DecodedScope {
  /** The `InstrumentationScope` message bytes (empty when the request had none). */
  readonly raw: Uint8Array;
  readonly present: boolean;
  readonly schemaUrl: string;
}

export interface DecodedSpan {
  /** 16 bytes, not all zero. */
  readonly traceId: Uint8Array;
  /** 8 bytes, not all zero. */
  readonly spanId: Uint8Array;
  /** Empty for a root span, otherwise 8 bytes. */
  readonly parentSpanId: Uint8Array;
  readonly name: string;
  /** OTLP SpanKind number (0 unspecified … 5 consumer). */
  readonly kind: number;
  /** Unix nanoseconds as sent (fixed64; bigint because it exceeds 2^53). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** OTLP StatusCode number (0 unset, 1 ok, 2 error). */
  readonly status: number;
  /** The whole `Span` message bytes. */
  readonly raw: Uint8Array;
  /** Index into DecodedBatch.resources. */
  readonly resource: number;
  /** Index into DecodedBatch.scopes. */
  readonly scope: number;
}

export interface DecodedBatch {
  readonly resources: DecodedResource[];
  readonly scopes: DecodedScope[];
  /** Valid spans only; invalid ones are counted in `rejected`. */
  readonly spans: DecodedSpan[];
  rejected: number;
  /** Why spans were rejected: the first few reasons, for partial_success.error_message. */
  readonly rejections: string[];
}

/** A log record, decoded as far as the store's columns need; the rest stays in `raw`. */
export interface DecodedLogRecord {
  /** The whole `LogRecord` message bytes. */
  readonly raw: Uint8Array;
  /** As sent (fixed64); 0 when unknown. */
  readonly timeNs: bigint;
  readonly observedNs: bigint;
  /** SeverityNumber 0–24 (another value reads as 0, unspecified). */
  readonly severityNumber: number;
  readonly severityText: string;
  /** The `AnyValue` body bytes; undefined when the record has none. */
  readonly body: Uint8Array | undefined;
  readonly flags: number;
  /** 16 bytes, or empty outside a trace (all-zero ids read as empty). */
  readonly traceId: Uint8Array;
  /** 8 bytes, or empty. */
  readonly spanId: Uint8Array;
  readonly eventName: string;
  /** Indexes into DecodedLogBatch.resources / scopes. */
  readonly resource: number;
  readonly scope: number;
}

export interface DecodedLogBatch {
  readonly resources: DecodedResource[];
  readonly scopes: DecodedScope[];
  /** Valid records only; invalid ones are counted in `rejected`. */
  readonly records: DecodedLogRecord[];
  rejected: number;
  readonly rejections: string[];
}

export type { RawResourceSpans, RawScopeSpans } from '../store/index.ts';
