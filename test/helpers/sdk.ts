/**
 * The real OpenTelemetry JS SDK pointed at tracebox, plus an independent model of
 * what tracebox must answer for the spans the SDK exported (Tempo's JSON, §3).
 */
import type { Attributes, AttributeValue, HrTime, Link } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
  type SpanLimits,
  type TimedEvent,
} from '@opentelemetry/sdk-trace-base';
import { hexToBase64, type Json } from './tempo-json.ts';
import { randomSpanId } from './tracebox.ts';

export type Protocol = 'grpc' | 'http/protobuf' | 'http/json';
export const PROTOCOLS: readonly Protocol[] = ['grpc', 'http/protobuf', 'http/json'];

export interface Endpoints {
  readonly otlpHttpUrl: string;
  readonly otlpGrpcUrl: string;
}

export function createExporter(protocol: Protocol, tb: Endpoints, compression?: 'gzip'): SpanExporter {
  const common = compression ? { compression, timeoutMillis: 10_000 } : { timeoutMillis: 10_000 };
  switch (protocol) {
    case 'grpc':
      return new GrpcExporter({ url: tb.otlpGrpcUrl, ...common } as ConstructorParameters<typeof GrpcExporter>[0]);
    case 'http/protobuf':
      return new ProtoExporter({ url: `${tb.otlpHttpUrl}/v1/traces`, ...common } as ConstructorParameters<typeof ProtoExporter>[0]);
    case 'http/json':
      return new HttpJsonExporter({ url: `${tb.otlpHttpUrl}/v1/traces`, ...common } as ConstructorParameters<typeof HttpJsonExporter>[0]);
  }
}

/** Wraps an exporter, keeping every span handed to it and every export result. */
export class RecordingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    this.inner.export(spans, (result) => {
      this.results.push(result);
      resultCallback(result);
    });
  }

  /** Throws unless every export succeeded. */
  assertAllSucceeded(): void {
    const failed = this.results.filter((r) => r.code !== ExportResultCode.SUCCESS);
    if (this.results.length === 0) throw new Error('nothing was exported');
    if (failed.length > 0) throw new Error(`export failed: ${failed.map((r) => String(r.error)).join('; ')}`);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Root spans get `traceId`; span ids are random. */
export class FixedTraceIdGenerator implements IdGenerator {
  constructor(private readonly traceId: string) {}
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return randomSpanId();
  }
}

export interface ProviderOptions {
  readonly exporter: SpanExporter;
  readonly resource: Attributes;
  readonly resourceSchemaUrl?: string;
  readonly traceId: string;
  readonly batch?: boolean;
  readonly spanLimits?: SpanLimits;
}

export function createProvider(options: ProviderOptions): BasicTracerProvider {
  const processor = options.batch
    ? new BatchSpanProcessor(options.exporter, { scheduledDelayMillis: 60_000, maxExportBatchSize: 512 })
    : new SimpleSpanProcessor(options.exporter);
  return new BasicTracerProvider({
    resource: resourceFromAttributes(options.resource, options.resourceSchemaUrl ? { schemaUrl: options.resourceSchemaUrl } : undefined),
    idGenerator: new FixedTraceIdGenerator(options.traceId),
    spanProcessors: [processor],
    spanLimits: options.spanLimits,
  });
}

// ---- the expected answer ------------------------------------------------------

const KIND_NAMES = ['SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

export function hrTimeToNs(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

/** An SDK attribute value as Tempo prints the AnyValue the exporters send for it. */
export function expectedAnyValue(v: AttributeValue | null | undefined): Json {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) return { intValue: BigInt(v).toString() };
    return { doubleValue: Number.isFinite(v) ? v : String(v) };
  }
  const values = (v as Array<AttributeValue | null | undefined>).map((x) => expectedAnyValue(x as AttributeValue | null | undefined));
  return { arrayValue: values.length > 0 ? { values } : {} };
}

export function expectedAttributes(attrs: Attributes | undefined): Json[] | undefined {
  const keys = Object.keys(attrs ?? {});
  if (keys.length === 0) return undefined;
  return keys.map((key) => ({ key, value: expectedAnyValue(attrs![key]) }));
}

function put(o: Json, key: string, v: unknown): void {
  if (v === undefined || v === '' || v === 0 || (Array.isArray(v) && v.length === 0)) return;
  o[key] = v;
}

function expectedEvent(e: TimedEvent): Json {
  const o: Json = {};
  put(o, 'timeUnixNano', hrTimeToNs(e.time).toString());
  put(o, 'name', e.name);
  put(o, 'attributes', expectedAttributes(e.attributes));
  put(o, 'droppedAttributesCount', e.droppedAttributesCount ?? 0);
  return o;
}

function expectedLink(l: Link & { droppedAttributesCount?: number }): Json {
  const o: Json = {};
  put(o, 'traceId', hexToBase64(l.context.traceId));
  put(o, 'spanId', hexToBase64(l.context.spanId));
  put(o, 'traceState', l.context.traceState?.serialize());
  put(o, 'attributes', expectedAttributes(l.attributes));
  put(o, 'droppedAttributesCount', l.droppedAttributesCount ?? 0);
  put(o, 'flags', (l.context.traceFlags & 0xff) | HAS_IS_REMOTE | (l.context.isRemote ? IS_REMOTE : 0));
  return o;
}

export function expectedSpan(s: ReadableSpan): Json {
  const ctx = s.spanContext();
  const o: Json = {};
  put(o, 'traceId', hexToBase64(ctx.traceId));
  put(o, 'spanId', hexToBase64(ctx.spanId));
  put(o, 'traceState', ctx.traceState?.serialize());
  put(o, 'parentSpanId', s.parentSpanContext?.spanId ? hexToBase64(s.parentSpanContext.spanId) : undefined);
  put(o, 'name', s.name);
  put(o, 'kind', KIND_NAMES[s.kind]);
  put(o, 'startTimeUnixNano', hrTimeToNs(s.startTime).toString());
  put(o, 'endTimeUnixNano', hrTimeToNs(s.endTime).toString());
  put(o, 'attributes', expectedAttributes(s.attributes));
  put(o, 'droppedAttributesCount', s.droppedAttributesCount);
  put(o, 'events', s.events.map(expectedEvent));
  put(o, 'droppedEventsCount', s.droppedEventsCount);
  put(o, 'links', s.links.map(expectedLink));
  put(o, 'droppedLinksCount', s.droppedLinksCount);
  const status: Json = {};
  put(status, 'message', s.status.message);
  if (s.status.code !== 0) status.code = STATUS_NAMES[s.status.code];
  o.status = status;
  put(o, 'flags', (ctx.traceFlags & 0xff) | HAS_IS_REMOTE | (s.parentSpanContext?.isRemote ? IS_REMOTE : 0));
  return o;
}

/**
 * The trace tracebox must return for these spans, in Tempo's order: spans by start
 * time (ties in export order), resources and scopes by their first span.
 */
export function expectedTrace(spans: readonly ReadableSpan[]): { resourceSpans: Json[] } {
  const sorted = spans
    .map((span, i) => ({ span, i, start: hrTimeToNs(span.startTime) }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.i - b.i))
    .map((x) => x.span);
  const resourceSpans: Json[] = [];
  const byResource = new Map<unknown, { rs: Json; scopes: Map<string, Json> }>();
  for (const span of sorted) {
    let res = byResource.get(span.resource);
    if (res === undefined) {
      const rs: Json = {};
      const resource: Json = {};
      put(resource, 'attributes', expectedAttributes(span.resource.attributes));
      rs.resource = resource;
      rs.scopeSpans = [];
      put(rs, 'schemaUrl', span.resource.schemaUrl);
      res = { rs, scopes: new Map() };
      byResource.set(span.resource, res);
      resourceSpans.push(rs);
    }
    const sc = span.instrumentationScope;
    const key = `${sc.name}@${sc.version ?? ''}:${sc.schemaUrl ?? ''}`;
    let ss = res.scopes.get(key);
    if (ss === undefined) {
      const scope: Json = {};
      put(scope, 'name', sc.name);
      put(scope, 'version', sc.version);
      ss = { scope, spans: [] };
      put(ss, 'schemaUrl', sc.schemaUrl);
      res.scopes.set(key, ss);
      (res.rs.scopeSpans as Json[]).push(ss);
    }
    (ss.spans as Json[]).push(expectedSpan(span));
  }
  return { resourceSpans };
}
