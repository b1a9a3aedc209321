/**
 * The hand-made span workload the metrics tests query, sent as OTLP/JSON so that every
 * start time is exact. Expected answers in the tests are worked out by hand from this
 * table, never by running tracebox's code.
 *
 * T = 1_700_000_100 s (a multiple of 60 and of 15). Offsets in seconds from T.
 *
 * trace  span  service   name          kind     start    duration  parent  notes
 * t1     a     frontend  "GET /"       server   +0       5 ms      -       http.route="/"
 * t2     b     frontend  "GET /cart"   server   +1       100 ms    -       http.route="/cart"
 * t2     c     backend   "SELECT cart" client   +5       10 ms     b
 * t3     d     frontend  "GET /cart"   server   +2       200 ms    -       http.route="/cart"
 * t4     e     frontend  "POST /pay"   server   +16      300 ms    -       http.route="/pay"
 * t4     f     backend   "charge"      server   +20      20 ms     e
 * t4     g     backend   "charge"      server   +20.5    30 ms     e
 * t5     h     frontend  "GET /slow"   server   +31      1000 ms   -       http.route="/slow"
 * t6     i     frontend  "GET /"       server   +45      50 ms     -       http.route="/"
 * t6     j     backend   "charge"      server   +50      3000 ms   i       status error
 * t7     k     frontend  "cron"        internal −20      25 s      -       starts before any window
 * t7     l     backend   "tick"        internal +61      1 ms      k       starts after the window
 *
 * Range queries use start=T, end=T+60, step=15s: aligned to (T−15, T+60], intervals
 * (T−15,T] (T,T+15] (T+15,T+30] (T+30,T+45] (T+45,T+60] stamped T, T+15, …, T+60.
 */
import assert from 'node:assert/strict';

export const T = 1_700_000_100;
const NS = 1_000_000_000n;

export interface WorkSpan {
  readonly id: string;
  readonly trace: string;
  readonly parent?: string;
  readonly service: 'frontend' | 'backend';
  readonly name: string;
  /** SPAN_KIND_* number. */
  readonly kind: number;
  /** Offset from T in milliseconds. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly error?: boolean;
  readonly route?: string;
}

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

export const TRACE_IDS: Record<string, string> = {
  t1: '10000000000000000000000000000001',
  t2: '20000000000000000000000000000002',
  t3: '30000000000000000000000000000003',
  t4: '40000000000000000000000000000004',
  t5: '50000000000000000000000000000005',
  t6: '60000000000000000000000000000006',
  t7: '70000000000000000000000000000007',
};

export const SPAN_IDS: Record<string, string> = Object.fromEntries(
  'abcdefghijkl'.split('').map((c, i) => [c, `${(i + 1).toString(16).padStart(2, '0')}00000000000${c.charCodeAt(0).toString(16)}0`]),
);

export const SPANS: readonly WorkSpan[] = [
  { id: 'a', trace: 't1', service: 'frontend', name: 'GET /', kind: SERVER, startMs: 0, durationMs: 5, route: '/' },
  { id: 'b', trace: 't2', service: 'frontend', name: 'GET /cart', kind: SERVER, startMs: 1000, durationMs: 100, route: '/cart' },
  { id: 'c', trace: 't2', parent: 'b', service: 'backend', name: 'SELECT cart', kind: CLIENT, startMs: 5000, durationMs: 10 },
  { id: 'd', trace: 't3', service: 'frontend', name: 'GET /cart', kind: SERVER, startMs: 2000, durationMs: 200, route: '/cart' },
  { id: 'e', trace: 't4', service: 'frontend', name: 'POST /pay', kind: SERVER, startMs: 16000, durationMs: 300, route: '/pay' },
  { id: 'f', trace: 't4', parent: 'e', service: 'backend', name: 'charge', kind: SERVER, startMs: 20000, durationMs: 20 },
  { id: 'g', trace: 't4', parent: 'e', service: 'backend', name: 'charge', kind: SERVER, startMs: 20500, durationMs: 30 },
  { id: 'h', trace: 't5', service: 'frontend', name: 'GET /slow', kind: SERVER, startMs: 31000, durationMs: 1000, route: '/slow' },
  { id: 'i', trace: 't6', service: 'frontend', name: 'GET /', kind: SERVER, startMs: 45000, durationMs: 50, route: '/' },
  { id: 'j', trace: 't6', parent: 'i', service: 'backend', name: 'charge', kind: SERVER, startMs: 50000, durationMs: 3000, error: true },
  { id: 'k', trace: 't7', service: 'frontend', name: 'cron', kind: INTERNAL, startMs: -20000, durationMs: 25000 },
  { id: 'l', trace: 't7', parent: 'k', service: 'backend', name: 'tick', kind: INTERNAL, startMs: 61000, durationMs: 1 },
];

function nanos(offsetMs: number): string {
  return (BigInt(T) * NS + BigInt(Math.round(offsetMs * 1000)) * 1000n).toString();
}

/** OTLP/JSON (hex ids, as the OTLP/HTTP spec writes them) for some spans, one resource per service. */
export function otlpJson(spans: readonly WorkSpan[]): string {
  const services = [...new Set(spans.map((s) => s.service))];
  return JSON.stringify({
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'metrics-test' },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId: TRACE_IDS[s.trace],
              spanId: SPAN_IDS[s.id],
              ...(s.parent ? { parentSpanId: SPAN_IDS[s.parent] } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.startMs + s.durationMs),
              attributes: s.route ? [{ key: 'http.route', value: { stringValue: s.route } }] : [],
              status: s.error ? { code: 2, message: 'declined' } : {},
            })),
        },
      ],
    })),
  });
}

export async function sendSpans(otlpHttpUrl: string, spans: readonly WorkSpan[] = SPANS): Promise<void> {
  const res = await fetch(`${otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
  assert.equal(res.status, 200, await res.text());
}

/** Unix ms of T + offset seconds, as the string Tempo writes `timestampMs` as. */
export function ms(offsetS: number): string {
  return String(T * 1000 + offsetS * 1000);
}
