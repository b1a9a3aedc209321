/**
 * The plain JSON of a span and a trace that tracebox serves to test clients and the viewer
 * (`/api/spans`, `/api/expect`, `tracebox query --json`): hex ids, enum words, int64 times
 * as decimal strings, attributes as flat records. Types only: query/ writes them, analysis/
 * and the viewer read them.
 */

export type FlatValue = string | number | boolean | null | FlatValue[];

export interface SpanJson {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  status: 'unset' | 'ok' | 'error';
  statusMessage: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNanos: string;
  attributes: Record<string, FlatValue>;
  resource: Record<string, FlatValue>;
  scope: { name: string; version: string };
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, FlatValue> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, FlatValue> }>;
}

export interface TraceJson {
  traceId: string;
  rootServiceName: string | null;
  rootName: string | null;
  startTimeUnixNano: string;
  durationNanos: string;
  spans: SpanJson[];
}
