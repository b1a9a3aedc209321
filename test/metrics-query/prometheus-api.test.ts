/**
 * Acceptance: the Prometheus API on tracebox's API port answers the queries Grafana's
 * service map and APM table send (as in Tempo 2.7) with the same numbers as `/metrics`
 * over the same window, and refuses what it does not support with Prometheus' error JSON.
 *
 * Workload (S = 1_700_010_000 s, offsets in seconds), sent as OTLP/JSON for exact times:
 *   trace  frontend server "GET /checkout"  → frontend client "POST /pay" → payments server "POST /pay"
 *          → payments client "INSERT payment" (db.system=postgresql, db.name=paydb)
 *   s1  +10: GET 500ms, client 200ms, server 150ms, db 20ms
 *   s2  +20: GET 600ms, client 300ms, server 250ms (error), db 40ms
 *   s3  +30: GET 300ms, client 100ms, server  80ms (no db call)
 *   s4  +2000 (a second batch, sent later): GET 400ms, client 120ms, server 90ms
 * Edges: frontend→payments ×3 (1 failed) in the first batch; payments→paydb (database) ×2.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTracebox, type TestTracebox } from '../../src/testing/index.ts';

const S = 1_700_010_000;
const NS = 1_000_000_000n;

interface Span {
  trace: string;
  id: string;
  parent?: string;
  service: 'frontend' | 'payments';
  name: string;
  kind: number;
  startMs: number;
  durationMs: number;
  error?: boolean;
  attributes?: Record<string, string>;
}

function chain(n: number, offsetS: number, ms: { root: number; client: number; server: number; db?: number; error?: boolean }): Span[] {
  const trace = `${n}`.repeat(32);
  const id = (k: number): string => `${n}${k}`.padEnd(16, '0');
  const base = offsetS * 1000;
  const spans: Span[] = [
    { trace, id: id(1), service: 'frontend', name: 'GET /checkout', kind: 2, startMs: base, durationMs: ms.root },
    { trace, id: id(2), parent: id(1), service: 'frontend', name: 'POST /pay', kind: 3, startMs: base + 100, durationMs: ms.client },
    { trace, id: id(3), parent: id(2), service: 'payments', name: 'POST /pay', kind: 2, startMs: base + 120, durationMs: ms.server, error: ms.error },
  ];
  if (ms.db !== undefined) {
    spans.push({ trace, id: id(4), parent: id(3), service: 'payments', name: 'INSERT payment', kind: 3, startMs: base + 150, durationMs: ms.db, attributes: { 'db.system': 'postgresql', 'db.name': 'paydb' } });
  }
  return spans;
}

const BATCH1 = [
  ...chain(1, 10, { root: 500, client: 200, server: 150, db: 20 }),
  ...chain(2, 20, { root: 600, client: 300, server: 250, db: 40, error: true }),
  ...chain(3, 30, { root: 300, client: 100, server: 80 }),
];
const BATCH2 = chain(4, 2000, { root: 400, client: 120, server: 90 });

function nanos(ms: number): string {
  return (BigInt(S) * NS + BigInt(ms) * 1_000_000n).toString();
}

function otlpJson(spans: readonly Span[]): string {
  const services = [...new Set(spans.map((s) => s.service))];
  return JSON.stringify({
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        spans: spans.filter((s) => s.service === service).map((s) => ({
          traceId: s.trace,
          spanId: s.id,
          ...(s.parent ? { parentSpanId: s.parent } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: nanos(s.startMs),
          endTimeUnixNano: nanos(s.startMs + s.durationMs),
          attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: { stringValue: v } })),
          status: s.error ? { code: 2 } : {},
        })),
      }],
    })),
  });
}

let tb: TestTracebox;

async function send(spans: readonly Span[]): Promise<void> {
  const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
  assert.equal(res.status, 200, await res.text());
}

before(async () => {
  tb = await startTracebox({ log: () => {} });
  await send(BATCH1);
});
after(() => tb?.close());

type Metric = Record<string, string>;
interface PromResponse {
  status: string;
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

/** One /metrics scrape: every sample line as [labels with __name__, value]. */
async function scrape(): Promise<Array<[Metric, number]>> {
  const text = await (await fetch(`${tb.apiUrl}/metrics`)).text();
  const out: Array<[Metric, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const metric: Metric = { __name__: m[1] };
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) metric[l[1]] = JSON.parse(`"${l[2]}"`) as string;
    out.push([metric, Number(m[3])]);
  }
  return out;
}

/** Sum of a scraped metric's samples by some labels (as `sum by (…)` would). */
function sumBy(scraped: Array<[Metric, number]>, name: string, by: readonly string[], filter: (m: Metric) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  for (const [m, v] of scraped) {
    if (m.__name__ !== name || !filter(m)) continue;
    const key = JSON.stringify(Object.fromEntries(by.filter((k) => m[k] !== undefined && m[k] !== '').map((k) => [k, m[k]])));
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}

/** Grafana's Prometheus data source: POST, form-encoded (its default http method). */
async function promPost(path: string, params: Record<string, string | number>): Promise<{ status: number; body: PromResponse }> {
  const body = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const res = await fetch(`${tb.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return { status: res.status, body: (await res.json()) as PromResponse };
}

async function promGet(path: string, params: Record<string, string | number | string[]> = {}): Promise<{ status: number; body: PromResponse }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, String(x));
  const res = await fetch(`${tb.apiUrl}${path}?${qs}`);
  return { status: res.status, body: (await res.json()) as PromResponse };
}

/** An instant query's vector as {labels → value}. */
async function vector(query: string, time: number): Promise<Map<string, number>> {
  const { status, body } = await promPost('/api/v1/query', { query, time });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.data?.resultType, 'vector');
  const out = new Map<string, number>();
  for (const r of body.data!.result as Array<{ metric: Metric; value: [number, string] }>) {
    assert.equal(r.value[0], time);
    out.set(JSON.stringify(Object.fromEntries(Object.entries(r.metric).sort())), Number(r.value[1]));
  }
  return out;
}

const SG = ['traces_service_graph_request_server_seconds_sum', 'traces_service_graph_request_total', 'traces_service_graph_request_failed_total', 'traces_service_graph_request_server_seconds_bucket'];
/** Only the edges these tests pin down (root spans become user→frontend edges once their wait expires). */
const PINNED = (m: Metric): boolean => (m.client === 'frontend' && m.server === 'payments') || (m.client === 'payments' && m.server === 'paydb');
const RANGE_S = 600;
const AT = S + 300; // window (S−300, S+300] holds the first batch

function pinned(v: Map<string, number>): Map<string, number> {
  return new Map([...v].filter(([k]) => PINNED(JSON.parse(k) as Metric)));
}

describe('Grafana service map over the Prometheus API', () => {
  test('sum by (client, server) (rate(M[$__range])) equals the /metrics increase over the window', async () => {
    const scraped = await scrape();
    for (const metric of SG) {
      const by = metric.endsWith('_bucket') ? ['client', 'server', 'le'] : ['client', 'server'];
      const expected = sumBy(scraped, metric, by, PINNED);
      assert.ok(expected.size > 0, `${metric} not in /metrics`);
      const byText = by.join(', ');
      const increase = pinned(await vector(`sum by (${byText}) (increase(${metric}[${RANGE_S}s]))`, AT));
      assert.deepEqual(increase, new Map([...expected].map(([k, v]) => [JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(k) as Metric).sort())), v])));
      const rate = pinned(await vector(`sum by (${byText}) (rate(${metric}{ }[${RANGE_S}s]))`, AT));
      for (const [k, v] of increase) assert.ok(Math.abs((rate.get(k) ?? NaN) * RANGE_S - v) < 1e-9, `${metric} ${k}`);
    }
    // The numbers themselves, from the workload table.
    const total = await vector(`sum by (client, server) (rate(traces_service_graph_request_total[${RANGE_S}s]))`, AT);
    assert.equal(total.get('{"client":"frontend","server":"payments"}'), 3 / RANGE_S);
    assert.equal(total.get('{"client":"payments","server":"paydb"}'), 2 / RANGE_S);
    const failed = await vector(`sum by (client, server) (rate(traces_service_graph_request_failed_total[${RANGE_S}s]))`, AT);
    assert.equal(failed.get('{"client":"frontend","server":"payments"}'), 1 / RANGE_S);
    const seconds = await vector(`sum by (client, server) (increase(traces_service_graph_request_server_seconds_sum{client="frontend"}[${RANGE_S}s]))`, AT);
    assert.ok(Math.abs(seconds.get('{"client":"frontend","server":"payments"}')! - 0.48) < 1e-9);
  });

  test('group by (client, connection_type, server) (M) names the database edge', async () => {
    const groups = pinned(await vector('group by (client, connection_type, server) (traces_service_graph_request_total)', AT));
    assert.deepEqual([...groups], [
      ['{"client":"frontend","server":"payments"}', 1],
      ['{"client":"payments","connection_type":"database","server":"paydb"}', 1],
    ]);
  });

  test('user selectors joined with OR, as Grafana sends several', async () => {
    const q = (sel: string) => `sum by (client, server) (rate(traces_service_graph_request_total${sel}[${RANGE_S}s]))`;
    const both = pinned(await vector(`${q('{client="frontend"}')} OR ${q('{ server=~"pay.+" }')}`, AT));
    assert.deepEqual([...both.keys()], ['{"client":"frontend","server":"payments"}', '{"client":"payments","server":"paydb"}']);
  });

  test('edge link: histogram_quantile(0.9, …server_seconds_bucket… by (le, client, server))', async () => {
    // frontend→payments server durations 0.15, 0.25, 0.08 s; buckets 0.1:1 0.2:2 0.4:3. Rank 2.7 → 0.2 + 0.2 × 0.7.
    const p90 = await vector(`histogram_quantile(0.9, sum(rate(traces_service_graph_request_server_seconds_bucket{client="frontend",server="payments"}[${RANGE_S}s])) by (le, client, server))`, AT);
    assert.ok(Math.abs(p90.get('{"client":"frontend","server":"payments"}')! - 0.34) < 1e-9);
  });

  test('APM table: topk rates by span name, error rates, p90 per span name', async () => {
    const rate = await vector(`topk(5, sum(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}[${RANGE_S}s])) by (span_name))`, AT);
    assert.deepEqual([...rate], [
      ['{"span_name":"GET /checkout"}', 3 / RANGE_S],
      ['{"span_name":"POST /pay"}', 3 / RANGE_S],
    ]);
    const errors = await vector(`topk(5, sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR",span_name=~"GET /checkout|POST /pay"}[${RANGE_S}s])) by (span_name))`, AT);
    assert.deepEqual([...errors], [['{"span_name":"POST /pay"}', 1 / RANGE_S]]);
    // "POST /pay" (client and server): 0.08 0.1 0.15 0.2 0.25 0.3 → le 0.128:2 0.256:5 0.512:6; rank 5.4 → 0.256 + 0.256 × 0.4.
    const pay = await vector(`histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{span_name=~"POST /pay"}[${RANGE_S}s])) by (le))`, AT);
    assert.ok(Math.abs(pay.get('{}')! - 0.3584) < 1e-9, String(pay.get('{}')));
    // "GET /checkout": 0.3 0.5 0.6 → le 0.512:2 1.024:3; rank 2.7 → 0.512 + 0.512 × 0.7.
    const checkout = await vector(`histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{span_name=~"GET /checkout"}[${RANGE_S}s])) by (le))`, AT);
    assert.ok(Math.abs(checkout.get('{}')! - 0.8704) < 1e-9);
  });

  test('windows: later spans change /metrics and later windows, not the earlier window', async () => {
    const before1 = await scrape();
    const early = pinned(await vector(`sum by (client, server) (increase(traces_service_graph_request_total[${RANGE_S}s]))`, AT));
    await send(BATCH2);
    const after2 = await scrape();
    assert.deepEqual(pinned(await vector(`sum by (client, server) (increase(traces_service_graph_request_total[${RANGE_S}s]))`, AT)), early);
    // The window around the second batch holds exactly what /metrics gained.
    const gained = sumBy(after2, 'traces_service_graph_request_total', ['client', 'server'], PINNED);
    for (const [k, v] of sumBy(before1, 'traces_service_graph_request_total', ['client', 'server'], PINNED)) gained.set(k, (gained.get(k) ?? 0) - v);
    const late = pinned(await vector(`sum by (client, server) (increase(traces_service_graph_request_total[${RANGE_S}s]))`, S + 2300));
    // An edge that did not move is there with 0, as Prometheus has it from scraping the counter.
    assert.deepEqual(late, gained);
    assert.deepEqual([...late], [['{"client":"frontend","server":"payments"}', 1], ['{"client":"payments","server":"paydb"}', 0]]);
  });
});

describe('Prometheus API endpoints', () => {
  test('data source health check: instant 1+1 (POST), buildinfo', async () => {
    const { status, body } = await promPost('/api/v1/query', { query: '1+1', time: 4 });
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'success', data: { resultType: 'scalar', result: [4, '2'] } });
    const info = await promGet('/api/v1/status/buildinfo');
    assert.equal(info.body.status, 'success');
    assert.match((info.body.data as unknown as { version: string }).version, /^\d+\.\d+\.\d+$/);
  });

  test('query_range: a matrix evaluated at every step', async () => {
    const { status, body } = await promGet('/api/v1/query_range', {
      query: 'sum by (client) (increase(traces_service_graph_request_total{server="payments"}[10s]))',
      start: S + 10,
      end: S + 40,
      step: '10s',
    });
    assert.equal(status, 200, JSON.stringify(body));
    // Windows (S, S+10] (S+10, S+20] (S+20, S+30] (S+30, S+40]: the requests start at +10.1, +20.1, +30.1.
    assert.deepEqual(body.data, {
      resultType: 'matrix',
      result: [{ metric: { client: 'frontend' }, values: [[S + 20, '1'], [S + 30, '1'], [S + 40, '1']] }],
    });
  });

  test('labels, label values and series', async () => {
    const labels = await promGet('/api/v1/labels');
    for (const l of ['__name__', 'client', 'server', 'connection_type', 'le', 'service', 'span_name', 'span_kind', 'status_code']) {
      assert.ok((labels.body.data as unknown as string[]).includes(l), l);
    }
    const names = await promGet('/api/v1/label/__name__/values');
    assert.ok((names.body.data as unknown as string[]).includes('traces_spanmetrics_calls_total'));
    assert.ok((names.body.data as unknown as string[]).includes('traces_service_graph_request_server_seconds_bucket'));
    const clients = await promGet('/api/v1/label/client/values', { 'match[]': 'traces_service_graph_request_total{server="payments"}' });
    assert.deepEqual(clients.body.data, ['frontend']);
    const series = await promGet('/api/v1/series', { 'match[]': ['traces_service_graph_request_failed_total', 'traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}'] });
    assert.deepEqual(
      (series.body.data as unknown as Metric[]).map((m) => m.__name__ + (m.client ?? m.span_name)).sort(),
      ['traces_service_graph_request_failed_totalfrontend', 'traces_spanmetrics_calls_totalPOST /pay'],
    );
    const windowed = await promGet('/api/v1/label/span_name/values', { start: S, end: S + 100 });
    assert.deepEqual(windowed.body.data, ['GET /checkout', 'INSERT payment', 'POST /pay']);
  });

  test('metadata: the type and help of every derived metric, one entry per name as Prometheus lists them', async () => {
    const all = await promGet('/api/v1/metadata');
    assert.equal(all.status, 200);
    const data = all.body.data as unknown as Record<string, Array<{ type: string; help: string; unit: string }>>;
    assert.deepEqual(data.traces_service_graph_request_total, [{ type: 'counter', help: data.traces_service_graph_request_total[0].help, unit: '' }]);
    assert.match(data.traces_service_graph_request_total[0].help, /Requests between two nodes/);
    assert.equal(data.traces_service_graph_request_server_seconds[0].type, 'histogram');
    assert.equal(data.traces_spanmetrics_latency[0].type, 'histogram');
    assert.equal(data.traces_spanmetrics_calls_total[0].type, 'counter');
    const one = await promGet('/api/v1/metadata', { metric: 'traces_spanmetrics_latency' });
    assert.deepEqual(Object.keys(one.body.data as object), ['traces_spanmetrics_latency']);
    const limited = await promGet('/api/v1/metadata', { limit: 2 });
    assert.equal(Object.keys(limited.body.data as object).length, 2);
    const bad = await promGet('/api/v1/metadata', { limit: 'many' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'limit must be a number');
  });

  test('what tracebox does not evaluate is a 400 in Prometheus error JSON, never an answer', async () => {
    const cases: Array<[string, Record<string, string | number>, RegExp]> = [
      ['/api/v1/query', { query: 'irate(traces_service_graph_request_total[5m])' }, /^invalid parameter "query": the function irate\(\) is not supported/],
      ['/api/v1/query', { query: 'sum(rate(x[5m] offset 1h))' }, /offset modifier is not supported/],
      ['/api/v1/query', { query: 'sum(rate(x[5m])' }, /^invalid parameter "query": 1:16: parse error: unexpected end of input/],
      ['/api/v1/query', { query: 'nope(x)' }, /unknown function with name "nope"/],
      ['/api/v1/query', { query: 'up', time: 'yesterday' }, /^invalid parameter "time": cannot parse "yesterday" to a valid timestamp$/],
      ['/api/v1/query_range', { query: 'up', start: 10, end: 20 }, /^invalid parameter "step"/],
      ['/api/v1/query_range', { query: 'up', start: 20, end: 10, step: 1 }, /end timestamp must not be before start time/],
      ['/api/v1/query_range', { query: 'up', start: 0, end: 100000, step: 1 }, /exceeded maximum resolution of 11,000 points/],
      ['/api/v1/series', {}, /^no match\[\] parameter provided$/],
    ];
    for (const [path, params, message] of cases) {
      for (const res of [await promGet(path, params), await promPost(path, params)]) {
        assert.equal(res.status, 400, `${path} ${JSON.stringify(params)}`);
        assert.deepEqual(Object.keys(res.body).sort(), ['error', 'errorType', 'status']);
        assert.equal(res.body.status, 'error');
        assert.equal(res.body.errorType, 'bad_data');
        assert.match(res.body.error!, message);
      }
    }
  });
});
