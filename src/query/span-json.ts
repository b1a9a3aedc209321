/**
 * Spans and traces as plain JSON for test clients (the /api/expect answer, the test
 * API, `tracebox query --json`): hex ids, enum words, int64 times as decimal strings,
 * attributes as flat records.
 */
import type { AttrValue, Attributes, QuerySpan, QueryTrace } from '../shared/span.ts';
import type { FlatValue, SpanJson, TraceJson } from '../shared/span-json.ts';

export type { FlatValue, SpanJson, TraceJson };

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

function flat(v: AttrValue): FlatValue {
  switch (v.type) {
    case 'array':
      return v.values.map(flat);
    case 'opaque':
      return null;
    default:
      return v.value;
  }
}

export function flatAttributes(attrs: Attributes): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const [k, v] of attrs) out[k] = flat(v);
  return out;
}

export function spanJson(span: QuerySpan, traceId: string): SpanJson {
  return {
    traceId,
    spanId: span.spanId,
    parentSpanId: span.parentId,
    name: span.name,
    service: span.service,
    kind: KINDS[span.kind] ?? 'unspecified',
    status: STATUSES[span.status] ?? 'unset',
    statusMessage: span.statusMessage,
    startTimeUnixNano: span.startNs.toString(),
    endTimeUnixNano: span.endNs.toString(),
    durationNanos: span.durationNs.toString(),
    attributes: flatAttributes(span.attributes),
    resource: flatAttributes(span.resource),
    scope: { name: span.scope.name, version: span.scope.version },
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: e.timeNs.toString(), attributes: flatAttributes(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: flatAttributes(l.attributes) })),
  };
}

export function traceJson(trace: QueryTrace): TraceJson {
  return {
    traceId: trace.traceId,
    rootServiceName: trace.rootService ?? null,
    rootName: trace.rootName ?? null,
    startTimeUnixNano: trace.startNs.toString(),
    durationNanos: (trace.endNs - trace.startNs).toString(),
    spans: trace.spans.map((s) => spanJson(s, trace.traceId)),
  };
}
