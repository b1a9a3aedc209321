/**
 * The fixed dataset the search tests query. Every expected answer in the tests is
 * worked out by hand from the table below, never by running tracebox's own code.
 *
 * Times are offsets from T (unix seconds 1_750_000_000); each trace starts at its own
 * whole second so the newest-first order is F, E, D, C, B, A.
 *
 * Trace A  a1a1…  T+100s  (frontend → checkout; 500 ms)
 *   A1 frontend fe-http/1.2.0 "GET /cart"      server   unset   0–500 ms  root
 *        http.method="GET" http.status_code=200 http.route="/cart" "user agent"="curl/8.0"
 *        http.url="https://shop.example/cart?id=1"
 *   A2 frontend fe-http/1.2.0 "call checkout"  client   unset  10–400 ms  parent A1
 *        http.method="POST" peer.service="checkout"
 *   A3 checkout co-lib/0.9.1 "POST /checkout"  server   error "card declined"  20–390 ms  parent A2
 *        http.method="POST" http.status_code=500 payment.amount=99.5 payment.approved=false
 *        items=["apple","pear"] item.ids=[3,7]
 *        events: "exception" @120 ms {exception.type="CardError", exception.message="declined"}
 *                "retry"     @200 ms {attempt=2}
 *   A4 checkout co-lib/0.9.1 "SELECT cart"     client   unset  30–60 ms   parent A3
 *        db.system="postgresql" db.rows=3; link → B/B1 {link.kind="follows"}
 *   A5 checkout co-lib/0.9.1 "SELECT price"    client   ok     70–80 ms   parent A3
 *        db.system="postgresql" db.rows=1
 * Trace B  b2b2…  T+200s  (250 ms)
 *   B1 checkout kafka-js/2.0.0 "consume order" consumer ok      0–250 ms  root
 *        messaging.system="kafka" queue.depth=12 "app/tier"="backend"
 *   B2 postgres pg-instr (no version) "INSERT order" client error "deadlock" 10–210 ms parent B1
 *        db.system="postgresql" db.rows=1
 *   B3 checkout kafka-js/2.0.0 "publish receipt" producer unset 220–240 ms parent B1
 *        messaging.system="kafka"
 * Trace C  c3c3…  T+300s  (40 ms) — its root never arrives
 *   C1 checkout co-lib/0.9.1 "late child"      internal unset  0–40 ms   parent deadbeefdeadbeef (absent)
 *   C2 checkout co-lib/0.9.1 "late grandchild" internal unset 10–20 ms   parent C1
 *        http.status_code=404
 * Trace D  d4d4…  T+400s  (2 ms) — with an orphan
 *   D1 frontend fe-http/1.2.0 "GET /health"    server   ok     0–2 ms     root
 *        http.method="GET" http.status_code=200
 *   D3 frontend fe-http/1.2.0 "check db"       client   unset  0.5–1.5 ms parent D1
 *        db.system="redis"
 *   D2 frontend fe-http/1.2.0 "orphan work"    internal unset  0.6–1.1 ms parent 0badc0de0badc0de (absent)
 * Trace E  0000000000000000 00e5e5e5e5e5e5e5  T+500s  (0.4 ms: no durationMs)
 *   E1 batch cron/1.0.0 "tick" internal unset 0–0.4 ms root
 *        job.enabled=true weights=[0.25,0.75] flags=[true,false]
 * Trace F  f6f6…  T+600s  (1500 ms) — hand-built OTLP: the SDK cannot send 200.0 as a
 *          double, nor instrumentation-scope attributes
 *   F1 legacy legacy-lib/3.1 {scope.attr="lib-x"} "legacy op"    server   unset 0–1500 ms root
 *        http.status_code=200.0 (double) tier="silver" ratio=0.5
 *   F2 legacy legacy-lib/3.1 "legacy child" internal error (no message) 100–200 ms parent F1
 *
 * Resources: frontend {service.name, deployment.environment="prod", host.cpus=8}
 *            checkout {service.name, deployment.environment="staging", host.cpus=4}
 *            postgres {service.name, tier="bronze"}
 *            batch    {service.name, tier="gold"}
 *            legacy   {service.name, tier="gold"} (hand-built)
 */
import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { postTraces } from '../helpers/http.ts';
import { b64, encodeRequest, kv } from '../helpers/requests.ts';
import { sendScriptedSpans, type ScriptedSpan } from '../helpers/scripted-sdk.ts';
import type { Endpoints } from '../helpers/sdk.ts';

export const T = 1_750_000_000;

export const TRACE_IDS = {
  A: 'a1'.repeat(16),
  B: 'b2'.repeat(16),
  C: 'c3'.repeat(16),
  D: 'd4'.repeat(16),
  E: '0000000000000000' + '00e5e5e5e5e5e5e5',
  F: 'f6'.repeat(16),
} as const;

export type TraceKey = keyof typeof TRACE_IDS;
export const TRACE_KEYS: readonly TraceKey[] = ['A', 'B', 'C', 'D', 'E', 'F'];
/** Newest first by trace start: the order search answers in. */
export const NEWEST_FIRST: readonly TraceKey[] = ['F', 'E', 'D', 'C', 'B', 'A'];

/** The traceID search prints: hex without leading zeros. */
export const SEARCH_IDS: Record<TraceKey, string> = {
  A: TRACE_IDS.A,
  B: TRACE_IDS.B,
  C: TRACE_IDS.C,
  D: TRACE_IDS.D,
  E: 'e5e5e5e5e5e5e5',
  F: TRACE_IDS.F,
};

/** Trace start (s) of each trace. */
export const TRACE_START_S: Record<TraceKey, number> = { A: T + 100, B: T + 200, C: T + 300, D: T + 400, E: T + 500, F: T + 600 };

function sid(key: string): string {
  return key[0].toLowerCase().repeat(2) + '0'.repeat(13) + key[1];
}

export const SPAN_KEYS = ['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B3', 'C1', 'C2', 'D1', 'D2', 'D3', 'E1', 'F1', 'F2'] as const;
export type SpanKey = (typeof SPAN_KEYS)[number];
/** Span ids: "aa00000000000003" for A3 and so on. */
export const SPAN_IDS = Object.fromEntries(SPAN_KEYS.map((k) => [k, sid(k)])) as Record<SpanKey, string>;
export const SPAN_BY_ID = new Map<string, SpanKey>(SPAN_KEYS.map((k) => [SPAN_IDS[k], k]));

/** Unix ns of `ms` milliseconds after the start of trace `key`. */
export function at(key: TraceKey, ms: number): bigint {
  return BigInt(TRACE_START_S[key]) * 1_000_000_000n + BigInt(Math.round(ms * 1_000_000));
}

export const RESOURCES: Record<string, Attributes> = {
  frontend: { 'service.name': 'frontend', 'deployment.environment': 'prod', 'host.cpus': 8 },
  checkout: { 'service.name': 'checkout', 'deployment.environment': 'staging', 'host.cpus': 4 },
  postgres: { 'service.name': 'postgres', tier: 'bronze' },
  batch: { 'service.name': 'batch', tier: 'gold' },
};

const FE = { name: 'fe-http', version: '1.2.0' };
const CO = { name: 'co-lib', version: '0.9.1' };
const KAFKA = { name: 'kafka-js', version: '2.0.0' };

export const SDK_SPANS: readonly ScriptedSpan[] = [
  {
    key: 'A1', traceId: TRACE_IDS.A, spanId: SPAN_IDS.A1, service: 'frontend', scope: FE, name: 'GET /cart', kind: SpanKind.SERVER,
    startNs: at('A', 0), endNs: at('A', 500),
    attributes: {
      'http.method': 'GET', 'http.status_code': 200, 'http.route': '/cart', 'user agent': 'curl/8.0',
      'http.url': 'https://shop.example/cart?id=1',
    },
  },
  {
    key: 'A2', traceId: TRACE_IDS.A, spanId: SPAN_IDS.A2, parentId: SPAN_IDS.A1, service: 'frontend', scope: FE, name: 'call checkout',
    kind: SpanKind.CLIENT, startNs: at('A', 10), endNs: at('A', 400), attributes: { 'http.method': 'POST', 'peer.service': 'checkout' },
  },
  {
    key: 'A3', traceId: TRACE_IDS.A, spanId: SPAN_IDS.A3, parentId: SPAN_IDS.A2, service: 'checkout', scope: CO, name: 'POST /checkout',
    kind: SpanKind.SERVER, status: { code: SpanStatusCode.ERROR, message: 'card declined' }, startNs: at('A', 20), endNs: at('A', 390),
    attributes: {
      'http.method': 'POST', 'http.status_code': 500, 'payment.amount': 99.5, 'payment.approved': false,
      items: ['apple', 'pear'], 'item.ids': [3, 7],
    },
    events: [
      { name: 'exception', timeNs: at('A', 120), attributes: { 'exception.type': 'CardError', 'exception.message': 'declined' } },
      { name: 'retry', timeNs: at('A', 200), attributes: { attempt: 2 } },
    ],
  },
  {
    key: 'A4', traceId: TRACE_IDS.A, spanId: SPAN_IDS.A4, parentId: SPAN_IDS.A3, service: 'checkout', scope: CO, name: 'SELECT cart',
    kind: SpanKind.CLIENT, startNs: at('A', 30), endNs: at('A', 60), attributes: { 'db.system': 'postgresql', 'db.rows': 3 },
    links: [{ traceId: TRACE_IDS.B, spanId: SPAN_IDS.B1, attributes: { 'link.kind': 'follows' } }],
  },
  {
    key: 'A5', traceId: TRACE_IDS.A, spanId: SPAN_IDS.A5, parentId: SPAN_IDS.A3, service: 'checkout', scope: CO, name: 'SELECT price',
    kind: SpanKind.CLIENT, status: { code: SpanStatusCode.OK }, startNs: at('A', 70), endNs: at('A', 80),
    attributes: { 'db.system': 'postgresql', 'db.rows': 1 },
  },
  {
    key: 'B1', traceId: TRACE_IDS.B, spanId: SPAN_IDS.B1, service: 'checkout', scope: KAFKA, name: 'consume order', kind: SpanKind.CONSUMER,
    status: { code: SpanStatusCode.OK }, startNs: at('B', 0), endNs: at('B', 250),
    attributes: { 'messaging.system': 'kafka', 'queue.depth': 12, 'app/tier': 'backend' },
  },
  {
    key: 'B2', traceId: TRACE_IDS.B, spanId: SPAN_IDS.B2, parentId: SPAN_IDS.B1, service: 'postgres', scope: { name: 'pg-instr' },
    name: 'INSERT order', kind: SpanKind.CLIENT, status: { code: SpanStatusCode.ERROR, message: 'deadlock' },
    startNs: at('B', 10), endNs: at('B', 210), attributes: { 'db.system': 'postgresql', 'db.rows': 1 },
  },
  {
    key: 'B3', traceId: TRACE_IDS.B, spanId: SPAN_IDS.B3, parentId: SPAN_IDS.B1, service: 'checkout', scope: KAFKA, name: 'publish receipt',
    kind: SpanKind.PRODUCER, startNs: at('B', 220), endNs: at('B', 240), attributes: { 'messaging.system': 'kafka' },
  },
  {
    key: 'C1', traceId: TRACE_IDS.C, spanId: SPAN_IDS.C1, parentId: 'deadbeefdeadbeef', service: 'checkout', scope: CO, name: 'late child',
    kind: SpanKind.INTERNAL, startNs: at('C', 0), endNs: at('C', 40),
  },
  {
    key: 'C2', traceId: TRACE_IDS.C, spanId: SPAN_IDS.C2, parentId: SPAN_IDS.C1, service: 'checkout', scope: CO, name: 'late grandchild',
    kind: SpanKind.INTERNAL, startNs: at('C', 10), endNs: at('C', 20), attributes: { 'http.status_code': 404 },
  },
  {
    key: 'D1', traceId: TRACE_IDS.D, spanId: SPAN_IDS.D1, service: 'frontend', scope: FE, name: 'GET /health', kind: SpanKind.SERVER,
    status: { code: SpanStatusCode.OK }, startNs: at('D', 0), endNs: at('D', 2), attributes: { 'http.method': 'GET', 'http.status_code': 200 },
  },
  {
    key: 'D3', traceId: TRACE_IDS.D, spanId: SPAN_IDS.D3, parentId: SPAN_IDS.D1, service: 'frontend', scope: FE, name: 'check db',
    kind: SpanKind.CLIENT, startNs: at('D', 0.5), endNs: at('D', 1.5), attributes: { 'db.system': 'redis' },
  },
  {
    key: 'D2', traceId: TRACE_IDS.D, spanId: SPAN_IDS.D2, parentId: '0badc0de0badc0de', service: 'frontend', scope: FE, name: 'orphan work',
    kind: SpanKind.INTERNAL, startNs: at('D', 0.6), endNs: at('D', 1.1),
  },
  {
    key: 'E1', traceId: TRACE_IDS.E, spanId: SPAN_IDS.E1, service: 'batch', scope: { name: 'cron', version: '1.0.0' }, name: 'tick',
    kind: SpanKind.INTERNAL, startNs: at('E', 0), endNs: at('E', 0.4),
    attributes: { 'job.enabled': true, weights: [0.25, 0.75], flags: [true, false] },
  },
];

/** Trace F as an OTLP request (protobufjs plain object). */
export function traceFRequest(): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'legacy' }), kv('tier', { stringValue: 'gold' })] },
        scopeSpans: [
          {
            scope: { name: 'legacy-lib', version: '3.1', attributes: [kv('scope.attr', { stringValue: 'lib-x' })] },
            spans: [
              {
                traceId: b64(TRACE_IDS.F), spanId: b64(SPAN_IDS.F1), name: 'legacy op', kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: at('F', 0).toString(), endTimeUnixNano: at('F', 1500).toString(),
                attributes: [
                  kv('http.status_code', { doubleValue: 200 }),
                  kv('tier', { stringValue: 'silver' }),
                  kv('ratio', { doubleValue: 0.5 }),
                ],
                status: {},
              },
              {
                traceId: b64(TRACE_IDS.F), spanId: b64(SPAN_IDS.F2), parentSpanId: b64(SPAN_IDS.F1), name: 'legacy child',
                kind: 'SPAN_KIND_INTERNAL', startTimeUnixNano: at('F', 100).toString(), endTimeUnixNano: at('F', 200).toString(),
                status: { code: 'STATUS_CODE_ERROR' },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Sends the whole dataset: traces A–E through the SDK, F as hand-built OTLP/protobuf. */
export async function loadDataset(tb: Endpoints): Promise<void> {
  await sendScriptedSpans(tb, RESOURCES, SDK_SPANS);
  const res = await postTraces(tb.otlpHttpUrl, encodeRequest(traceFRequest()));
  if (res.status !== 200) throw new Error(`trace F was refused: ${res.status} ${res.body.toString()}`);
}
