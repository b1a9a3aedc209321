/** Spans and traces in the viewer's span JSON, written by hand for the model tests. */
import type { SpanJson, TraceJson } from '../../web/src/model/trace.ts';

export const MS = 1_000_000;
/** Where the test traces start, unix ns. */
export const T0 = 1_700_000_000_000n * 1_000_000n;

/** A span: id, parent id, service, name, start and end in ms from T0. */
export function span(id: string, parent: string, service: string, name: string, startMs: number, endMs: number, extra: Partial<SpanJson> = {}): SpanJson {
  return {
    traceId: 't1',
    spanId: id,
    parentSpanId: parent,
    name,
    service,
    kind: 'internal',
    status: 'unset',
    statusMessage: '',
    startTimeUnixNano: String(T0 + BigInt(startMs * MS)),
    endTimeUnixNano: String(T0 + BigInt(endMs * MS)),
    durationNanos: String((endMs - startMs) * MS),
    attributes: {},
    resource: { 'service.name': service },
    scope: { name: '', version: '' },
    events: [],
    links: [],
    ...extra,
  };
}

export function trace(spans: SpanJson[]): TraceJson {
  return { traceId: 't1', rootServiceName: null, rootName: null, startTimeUnixNano: String(T0), durationNanos: '0', spans };
}
