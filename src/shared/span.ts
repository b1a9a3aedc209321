/**
 * The query side's model of a decoded span: typed attributes, events, links, its
 * resource and scope. Produced by otlp/span-model.ts, consumed by the TraceQL engine
 * (which stays free of Node imports, so this file holds types only).
 */

/** A TraceQL-visible attribute value. kvlist and bytes values exist but compare with nothing. */
export type AttrValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'array'; readonly values: readonly AttrValue[] }
  | { readonly type: 'opaque' };

export type Attributes = ReadonlyMap<string, AttrValue>;

export interface SpanEvent {
  readonly name: string;
  readonly timeNs: bigint;
  readonly attributes: Attributes;
}

export interface SpanLink {
  /** Lowercase hex. */
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

export interface Scope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
}

export interface QuerySpan {
  /** Lowercase hex, 16 chars. */
  readonly spanId: string;
  /** Lowercase hex, '' for a root span. */
  readonly parentId: string;
  readonly name: string;
  /** OTLP SpanKind number. */
  readonly kind: number;
  /** OTLP StatusCode number. */
  readonly status: number;
  readonly statusMessage: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly durationNs: bigint;
  readonly attributes: Attributes;
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly resource: Attributes;
  readonly service: string;
  readonly scope: Scope;
}

/** The decoded context a span shares with its siblings: resource attributes and scope. */
export interface SpanContext {
  readonly resource: Attributes;
  readonly service: string;
  readonly scope: Scope;
}


/** A whole trace as the query engine sees it. */
export interface QueryTrace {
  /** Lowercase hex, 32 chars. */
  readonly traceId: string;
  /** In start-time order. */
  readonly spans: readonly QuerySpan[];
  /** Name and service of the root span; undefined while no root has arrived. */
  readonly rootName: string | undefined;
  readonly rootService: string | undefined;
  readonly startNs: bigint;
  readonly endNs: bigint;
}
