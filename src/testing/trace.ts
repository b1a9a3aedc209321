/**
 * Spans and traces as a test sees them (hex ids, times as bigint nanoseconds and float
 * milliseconds, a tree of children), converted from and back to the API's span JSON.
 */
import type { FlatValue, SpanJson, TraceJson } from '../query/index.ts';

/** A span as a test sees it: hex ids, times as bigint nanoseconds and float milliseconds. */
export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  kind: SpanJson['kind'];
  status: SpanJson['status'];
  statusMessage: string;
  startTimeNs: bigint;
  endTimeNs: bigint;
  durationNs: bigint;
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  attributes: Record<string, FlatValue>;
  resource: Record<string, FlatValue>;
  scope: { name: string; version: string };
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, FlatValue> }>;
  links: SpanJson['links'];
}

export interface SpanNode extends Span {
  children: SpanNode[];
}

export interface Trace {
  traceId: string;
  rootServiceName: string | null;
  rootName: string | null;
  startTimeNs: bigint;
  durationNs: bigint;
  durationMs: number;
  spans: Span[];
  /** Spans without a parent in the trace (normally one root), each with its subtree. */
  roots: SpanNode[];
  /** Ids of the spans the query matched (empty when the trace was fetched by id). */
  matched: string[];
}

const NS_PER_MS = 1_000_000n;

function nsToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

export function toSpan(s: SpanJson): Span {
  const start = BigInt(s.startTimeUnixNano);
  const end = BigInt(s.endTimeUnixNano);
  const duration = BigInt(s.durationNanos);
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    service: s.service,
    kind: s.kind,
    status: s.status,
    statusMessage: s.statusMessage,
    startTimeNs: start,
    endTimeNs: end,
    durationNs: duration,
    startTimeMs: nsToMs(start),
    endTimeMs: nsToMs(end),
    durationMs: nsToMs(duration),
    attributes: s.attributes,
    resource: s.resource,
    scope: s.scope,
    events: s.events.map((e) => ({ name: e.name, timeNs: BigInt(e.timeUnixNano), attributes: e.attributes })),
    links: s.links,
  };
}

export function toTrace(t: TraceJson & { matched?: string[] }): Trace {
  const spans = t.spans.map(toSpan);
  const nodes = new Map<string, SpanNode>(spans.map((s) => [s.spanId, { ...s, children: [] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId === '' ? undefined : nodes.get(node.parentSpanId);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  const duration = BigInt(t.durationNanos);
  return {
    traceId: t.traceId,
    rootServiceName: t.rootServiceName,
    rootName: t.rootName,
    startTimeNs: BigInt(t.startTimeUnixNano),
    durationNs: duration,
    durationMs: nsToMs(duration),
    spans,
    roots,
    matched: t.matched ?? [],
  };
}

/** The inverse of toSpan: the span JSON a test client's span was read from. */
export function toSpanJson(s: Span): SpanJson {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    service: s.service,
    kind: s.kind,
    status: s.status,
    statusMessage: s.statusMessage,
    startTimeUnixNano: String(s.startTimeNs),
    endTimeUnixNano: String(s.endTimeNs),
    durationNanos: String(s.durationNs),
    attributes: s.attributes,
    resource: s.resource,
    scope: s.scope,
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: String(e.timeNs), attributes: e.attributes })),
    links: s.links,
  };
}

/** The inverse of toTrace (without `matched`). */
export function toTraceJson(trace: Trace): TraceJson {
  return {
    traceId: trace.traceId,
    rootServiceName: trace.rootServiceName,
    rootName: trace.rootName,
    startTimeUnixNano: String(trace.startTimeNs),
    durationNanos: String(trace.durationNs),
    spans: trace.spans.map(toSpanJson),
  };
}
