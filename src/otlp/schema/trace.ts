/**
 * @module otlp/schema/trace
 * The trace signal's messages (opentelemetry/proto/trace/v1/trace.proto and the
 * collector's ExportTraceServiceRequest), described as common.ts describes the shared ones.
 */
import { defineMessage, InstrumentationScope, KeyValue, Resource, type MessageSpec } from './common.ts';

/**
 * TracesData. ExportTraceServiceRequest and tempopb.Trace are the same on the wire
 * (`repeated ResourceSpans = 1`), so one description reads all three.
 */
export const TracesData = defineMessage('TracesData', {
  resourceSpans: { number: 1, type: 'message', repeated: true, message: (): MessageSpec => ResourceSpans },
});

export const ResourceSpans = defineMessage('ResourceSpans', {
  resource: { number: 1, type: 'message', message: (): MessageSpec => Resource },
  scopeSpans: { number: 2, type: 'message', repeated: true, message: (): MessageSpec => ScopeSpans },
  schemaUrl: { number: 3, type: 'string' },
});

export const ScopeSpans = defineMessage('ScopeSpans', {
  scope: { number: 1, type: 'message', message: (): MessageSpec => InstrumentationScope },
  spans: { number: 2, type: 'message', repeated: true, message: (): MessageSpec => Span },
  schemaUrl: { number: 3, type: 'string' },
});

export const Span = defineMessage('Span', {
  traceId: { number: 1, type: 'bytes' },
  spanId: { number: 2, type: 'bytes' },
  traceState: { number: 3, type: 'string' },
  parentSpanId: { number: 4, type: 'bytes' },
  name: { number: 5, type: 'string' },
  kind: { number: 6, type: 'enum' },
  startTimeUnixNano: { number: 7, type: 'fixed64' },
  endTimeUnixNano: { number: 8, type: 'fixed64' },
  attributes: { number: 9, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 10, type: 'uint32' },
  events: { number: 11, type: 'message', repeated: true, message: (): MessageSpec => SpanEvent },
  droppedEventsCount: { number: 12, type: 'uint32' },
  links: { number: 13, type: 'message', repeated: true, message: (): MessageSpec => SpanLink },
  droppedLinksCount: { number: 14, type: 'uint32' },
  status: { number: 15, type: 'message', message: (): MessageSpec => Status },
  flags: { number: 16, type: 'fixed32' },
});

/** Span.Event. */
export const SpanEvent = defineMessage('Span.Event', {
  timeUnixNano: { number: 1, type: 'fixed64' },
  name: { number: 2, type: 'string' },
  attributes: { number: 3, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 4, type: 'uint32' },
});

/** Span.Link. */
export const SpanLink = defineMessage('Span.Link', {
  traceId: { number: 1, type: 'bytes' },
  spanId: { number: 2, type: 'bytes' },
  traceState: { number: 3, type: 'string' },
  attributes: { number: 4, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 5, type: 'uint32' },
  flags: { number: 6, type: 'fixed32' },
});

export const Status = defineMessage('Status', {
  message: { number: 2, type: 'string' },
  code: { number: 3, type: 'enum' },
});

/** Span.SpanKind and Status.StatusCode, by number. */
export const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
export const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

/** Tags of the trace messages, for switches. */
export const TRACES_DATA = TracesData.tag;
export const RESOURCE_SPANS = ResourceSpans.tag;
export const SCOPE_SPANS = ScopeSpans.tag;
export const SPAN = Span.tag;
export const EVENT = SpanEvent.tag;
export const LINK = SpanLink.tag;
export const STATUS = Status.tag;
