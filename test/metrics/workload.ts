/**
 * Hand-built spans for the derived-metrics tests, encoded with protobufjs (independent of
 * tracebox's wire code), and the expected numbers worked out by hand in the tests.
 *
 *   trace A (slot 0): gateway → orders → inventory (→ postgres via db.system only)
 *                     orders → payments (→ bank-api via peer.service)
 *                     orders → pg-primary (db.system + db.name + server.address)
 *                     orders ⇒ shipping (Kafka producer/consumer)
 *   trace B (slot 1): gateway → orders → payments → bank-api, errors and slow calls
 *   trace C (slot 2): notifier server span whose parent never arrives, notifier client
 *                     span with no peer, and a span whose resource has no service.name
 */
import { b64, kv } from '../helpers/requests.ts';
import { ExportTraceServiceRequest, encode, root } from '../helpers/proto.ts';
import type { Json } from '../helpers/tempo-json.ts';

/** A slot-aligned (5 s) base time, unix ns. */
export const T0 = 1_700_000_000_000_000_000n;
export const SLOT = 5_000_000_000n;

export const TRACE_A = '0a0000000000000000000000000000a1';
export const TRACE_B = '0b0000000000000000000000000000b1';
export const TRACE_C = '0c0000000000000000000000000000c1';

export interface SpanSpec {
  readonly trace: string;
  readonly id: string;
  readonly parent?: string;
  readonly service: string | undefined;
  readonly name: string;
  readonly kind: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER' | 'INTERNAL';
  /** Start, ms after T0. */
  readonly at: number;
  /** Duration, ms. */
  readonly ms: number;
  readonly error?: boolean;
  readonly attrs?: Record<string, string | number | boolean>;
}

const id = (n: number): string => n.toString(16).padStart(16, '0');

export const A = {
  a1: id(0xa1), a2: id(0xa2), a3: id(0xa3), a4: id(0xa4), a5: id(0xa5), a6: id(0xa6),
  a7: id(0xa7), a8: id(0xa8), a9: id(0xa9), a10: id(0xaa), a11: id(0xab), a12: id(0xac),
};
export const B = { b1: id(0xb1), b2: id(0xb2), b3: id(0xb3), b4: id(0xb4), b5: id(0xb5), b6: id(0xb6) };
export const C = { c1: id(0xc1), c2: id(0xc2), c3: id(0xc3) };

export const WORKLOAD: readonly SpanSpec[] = [
  { trace: TRACE_A, id: A.a1, service: 'gateway', name: 'GET /checkout', kind: 'SERVER', at: 0, ms: 400 },
  { trace: TRACE_A, id: A.a2, parent: A.a1, service: 'gateway', name: 'POST /orders', kind: 'CLIENT', at: 10, ms: 300 },
  { trace: TRACE_A, id: A.a3, parent: A.a2, service: 'orders', name: 'POST /orders', kind: 'SERVER', at: 20, ms: 250 },
  { trace: TRACE_A, id: A.a4, parent: A.a3, service: 'orders', name: 'GET /stock', kind: 'CLIENT', at: 30, ms: 50 },
  { trace: TRACE_A, id: A.a5, parent: A.a4, service: 'inventory', name: 'GET /stock', kind: 'SERVER', at: 35, ms: 30 },
  { trace: TRACE_A, id: A.a6, parent: A.a5, service: 'inventory', name: 'SELECT stock', kind: 'CLIENT', at: 40, ms: 10, attrs: { 'db.system': 'postgresql' } },
  { trace: TRACE_A, id: A.a7, parent: A.a3, service: 'orders', name: 'POST /pay', kind: 'CLIENT', at: 90, ms: 150 },
  { trace: TRACE_A, id: A.a8, parent: A.a7, service: 'payments', name: 'POST /pay', kind: 'SERVER', at: 95, ms: 120 },
  { trace: TRACE_A, id: A.a9, parent: A.a8, service: 'payments', name: 'POST /charge', kind: 'CLIENT', at: 100, ms: 100, attrs: { 'peer.service': 'bank-api', 'http.method': 'POST' } },
  {
    trace: TRACE_A, id: A.a10, parent: A.a3, service: 'orders', name: 'INSERT orders', kind: 'CLIENT', at: 245, ms: 15,
    attrs: { 'db.system': 'postgresql', 'db.name': 'ordersdb', 'server.address': 'pg-primary' },
  },
  { trace: TRACE_A, id: A.a11, parent: A.a3, service: 'orders', name: 'orders publish', kind: 'PRODUCER', at: 260, ms: 5, attrs: { 'messaging.system': 'kafka' } },
  { trace: TRACE_A, id: A.a12, parent: A.a11, service: 'shipping', name: 'orders process', kind: 'CONSUMER', at: 300, ms: 40, attrs: { 'messaging.system': 'kafka' } },

  { trace: TRACE_B, id: B.b1, service: 'gateway', name: 'GET /checkout', kind: 'SERVER', at: 7000, ms: 2500, error: true },
  { trace: TRACE_B, id: B.b2, parent: B.b1, service: 'gateway', name: 'POST /orders', kind: 'CLIENT', at: 7010, ms: 2400, error: true },
  { trace: TRACE_B, id: B.b3, parent: B.b2, service: 'orders', name: 'POST /orders', kind: 'SERVER', at: 7020, ms: 2300, error: true },
  { trace: TRACE_B, id: B.b4, parent: B.b3, service: 'orders', name: 'POST /pay', kind: 'CLIENT', at: 7030, ms: 2100 },
  { trace: TRACE_B, id: B.b5, parent: B.b4, service: 'payments', name: 'POST /pay', kind: 'SERVER', at: 7040, ms: 2000 },
  { trace: TRACE_B, id: B.b6, parent: B.b5, service: 'payments', name: 'POST /charge', kind: 'CLIENT', at: 7050, ms: 1900, error: true, attrs: { 'peer.service': 'bank-api', 'http.method': 'GET' } },

  { trace: TRACE_C, id: C.c1, parent: '00000000000000ff', service: 'notifier', name: 'POST /notify', kind: 'SERVER', at: 12000, ms: 20 },
  { trace: TRACE_C, id: C.c2, parent: C.c1, service: 'notifier', name: 'GET /templates', kind: 'CLIENT', at: 12005, ms: 5 },
  { trace: TRACE_C, id: C.c3, service: undefined, name: 'orphan', kind: 'SERVER', at: 12010, ms: 1 },
];

function attrValue(v: string | number | boolean): Json {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

/** The protobufjs plain object of one span. */
export function spanObject(s: SpanSpec): Record<string, unknown> {
  const start = T0 + BigInt(Math.round(s.at * 1e6));
  const end = start + BigInt(Math.round(s.ms * 1e6));
  return {
    traceId: b64(s.trace),
    spanId: b64(s.id),
    ...(s.parent ? { parentSpanId: b64(s.parent) } : {}),
    name: s.name,
    kind: `SPAN_KIND_${s.kind}`,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    attributes: Object.entries(s.attrs ?? {}).map(([k, v]) => kv(k, attrValue(v))),
    ...(s.error ? { status: { code: 'STATUS_CODE_ERROR', message: 'failed' } } : {}),
  };
}

const SpanType = root.lookupType('opentelemetry.proto.trace.v1.Span');

/** The protobuf size of a span as tracebox stores it (Tempo's span.Size()). */
export function spanSize(s: SpanSpec): number {
  return SpanType.encode(SpanType.fromObject(spanObject(s))).finish().length;
}

/**
 * One ExportTraceServiceRequest holding `spans` in the given order (a resource per run of
 * the same service, so arrival order is exactly the list order).
 */
export function exportRequest(spans: readonly SpanSpec[], resourceAttrs: Record<string, Record<string, string>> = {}): Uint8Array {
  const resourceSpans: Json[] = [];
  let current: { service: string | undefined; spans: Json[] } | undefined;
  for (const s of spans) {
    if (current === undefined || current.service !== s.service) {
      current = { service: s.service, spans: [] };
      const attributes = s.service === undefined ? [] : [kv('service.name', { stringValue: s.service })];
      for (const [k, v] of Object.entries(resourceAttrs[s.service ?? ''] ?? {})) attributes.push(kv(k, { stringValue: v }));
      resourceSpans.push({ resource: { attributes }, scopeSpans: [{ scope: { name: 'test' }, spans: current.spans }] });
    }
    current.spans.push(spanObject(s) as Json);
  }
  return encode(ExportTraceServiceRequest, { resourceSpans });
}
