/**
 * Spans built by the real OpenTelemetry JS SDK with ids and times chosen by the test:
 * a scripted IdGenerator hands the SDK the next trace/span id, parents are given as
 * span contexts (so a parent that is never exported makes an orphan, and a trace can
 * lack its root), and every time is explicit.
 */
import { ROOT_CONTEXT, trace, type Attributes, type HrTime, type Link, type SpanKind, type SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { createExporter, RecordingExporter, type Endpoints, type Protocol } from './sdk.ts';

/** Returns whatever ids the test queued for the span being started. */
export class ScriptedIdGenerator implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    if (this.traceId === '') throw new Error('ScriptedIdGenerator: no trace id queued');
    return this.traceId;
  }
  generateSpanId(): string {
    if (this.spanId === '') throw new Error('ScriptedIdGenerator: no span id queued');
    const id = this.spanId;
    this.spanId = '';
    return id;
  }
}

export interface ScriptedEvent {
  readonly name: string;
  readonly timeNs: bigint;
  readonly attributes?: Attributes;
}

export interface ScriptedLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes?: Attributes;
}

export interface ScriptedSpan {
  /** The test's name for the span (e.g. "A3"); not sent. */
  readonly key: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Parent span id; absent for a root. It need not belong to an exported span. */
  readonly parentId?: string;
  /** Key into the resources given to sendScriptedSpans. */
  readonly service: string;
  readonly scope: { readonly name: string; readonly version?: string };
  readonly name: string;
  readonly kind: SpanKind;
  readonly status?: { readonly code: SpanStatusCode; readonly message?: string };
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes?: Attributes;
  readonly events?: readonly ScriptedEvent[];
  readonly links?: readonly ScriptedLink[];
}

export function nsToHrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/**
 * Starts and ends every span through one SDK tracer provider per resource (batched,
 * flushed at the end), exporting with `protocol`. Throws if an export failed or the SDK
 * did not use the scripted ids.
 */
export async function sendScriptedSpans(
  tb: Endpoints,
  resources: Readonly<Record<string, Attributes>>,
  spans: readonly ScriptedSpan[],
  protocol: Protocol = 'http/protobuf',
): Promise<RecordingExporter[]> {
  const providers = new Map<string, { provider: BasicTracerProvider; ids: ScriptedIdGenerator; exporter: RecordingExporter }>();
  for (const [service, attributes] of Object.entries(resources)) {
    const ids = new ScriptedIdGenerator();
    const exporter = new RecordingExporter(createExporter(protocol, tb));
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes(attributes),
      idGenerator: ids,
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000, maxExportBatchSize: 512, maxQueueSize: 4096 })],
    });
    providers.set(service, { provider, ids, exporter });
  }
  for (const s of spans) {
    const p = providers.get(s.service);
    if (p === undefined) throw new Error(`span ${s.key}: no resource named ${s.service}`);
    p.ids.traceId = s.traceId;
    p.ids.spanId = s.spanId;
    const ctx =
      s.parentId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId: s.traceId, spanId: s.parentId, traceFlags: 1, isRemote: false });
    const links: Link[] = (s.links ?? []).map((l) => ({
      context: { traceId: l.traceId, spanId: l.spanId, traceFlags: 1 },
      attributes: l.attributes,
    }));
    const tracer = p.provider.getTracer(s.scope.name, s.scope.version);
    const span = tracer.startSpan(s.name, { kind: s.kind, startTime: nsToHrTime(s.startNs), attributes: s.attributes, links }, ctx);
    const got = span.spanContext();
    if (got.traceId !== s.traceId || got.spanId !== s.spanId) {
      throw new Error(`span ${s.key}: the SDK used ids ${got.traceId}/${got.spanId}, not the scripted ones`);
    }
    for (const e of s.events ?? []) span.addEvent(e.name, e.attributes ?? {}, nsToHrTime(e.timeNs));
    if (s.status !== undefined) span.setStatus(s.status);
    span.end(nsToHrTime(s.endNs));
  }
  const all = [...providers.values()];
  for (const p of all) await p.provider.forceFlush();
  for (const p of all) await p.provider.shutdown();
  for (const p of all) if (p.exporter.spans.length > 0) p.exporter.assertAllSucceeded();
  return all.map((p) => p.exporter);
}
