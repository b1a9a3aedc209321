/**
 * Derived metrics (Tempo's service-graphs and span-metrics processors) over a hand-built
 * workload: every edge, counter and histogram bucket against numbers worked out by hand,
 * the wait window, time windows, caching, late spans and deletion.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/store/index.ts';
import { createIngest } from '../../src/otlp/index.ts';
import { createDerivedMetrics, GRAPH_BOUNDS, SPAN_BOUNDS, type DerivedMetricsEngine, type HistogramSeries, type Labels, type MetricsIncrease } from '../../src/metrics/index.ts';
import { A, SLOT, T0, TRACE_A, WORKLOAD, exportRequest, spanSize, type SpanSpec } from './workload.ts';

const ALL: [bigint, bigint] = [0n, (1n << 63n) - 1n];
const ms = (n: number): bigint => BigInt(n) * 1_000_000n;

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function counter(m: MetricsIncrease, name: string, labels: Labels): number | undefined {
  return m.counters.find((c) => c.name === name && sameLabels(c.labels, labels))?.value;
}

function histogram(m: MetricsIncrease, name: string, labels: Labels): HistogramSeries | undefined {
  return m.histograms.find((h) => h.name === name && sameLabels(h.labels, labels));
}

function labelSets(m: MetricsIncrease, name: string): Labels[] {
  return m.counters.filter((c) => c.name === name).map((c) => c.labels);
}

/** Cumulative bucket counts from the bucket ("le") each observation falls in, worked out by hand. */
function cumulativeFrom(bounds: readonly number[], les: readonly (number | '+Inf')[]): number[] {
  return [...bounds, Infinity].map((b) => les.filter((le) => (le === '+Inf' ? Infinity : le) <= b).length);
}

interface EdgeExpectation {
  readonly labels: Labels;
  readonly total: number;
  readonly failed: number;
  /** Per observation, the bucket it belongs in (worked out by hand), and the sum in seconds. */
  readonly server: { le: number[]; sum: number };
  readonly client: { le: number[]; sum: number };
}

const edge = (client: string, server: string, connectionType?: string): Labels =>
  connectionType === undefined ? { client, server } : { client, server, connection_type: connectionType };

// Buckets: 0.1 0.2 0.4 0.8 1.6 3.2 6.4 12.8 +Inf.
const COMPLETE_EDGES: EdgeExpectation[] = [
  // a2→a3 (0.3 s client, 0.25 s server), b2→b3 (2.4 / 2.3, both failed)
  { labels: edge('gateway', 'orders'), total: 2, failed: 1, server: { le: [0.4, 3.2], sum: 2.55 }, client: { le: [0.4, 3.2], sum: 2.7 } },
  { labels: edge('orders', 'inventory'), total: 1, failed: 0, server: { le: [0.1], sum: 0.03 }, client: { le: [0.1], sum: 0.05 } },
  // a7→a8 (0.15 / 0.12), b4→b5 (2.1 / 2.0)
  { labels: edge('orders', 'payments'), total: 2, failed: 0, server: { le: [0.2, 3.2], sum: 2.12 }, client: { le: [0.2, 3.2], sum: 2.25 } },
  // a10: db.system + db.name + server.address → named by server.address at once; server latency = client span's.
  { labels: edge('orders', 'pg-primary', 'database'), total: 1, failed: 0, server: { le: [0.1], sum: 0.015 }, client: { le: [0.1], sum: 0.015 } },
  // a11 (producer, 5 ms) ⇒ a12 (consumer, 40 ms)
  { labels: edge('orders', 'shipping', 'messaging_system'), total: 1, failed: 0, server: { le: [0.1], sum: 0.04 }, client: { le: [0.1], sum: 0.005 } },
];

const EXPIRED_EDGES: EdgeExpectation[] = [
  // Root server spans a1 (0.4 s) and b1 (2.5 s, error) expire with client "user"; no client latency.
  { labels: edge('user', 'gateway', 'virtual_node'), total: 2, failed: 1, server: { le: [0.4, 3.2], sum: 2.9 }, client: { le: [0.1, 0.1], sum: 0 } },
  // a6 has db.system only: no server name, so it waits, then expires to its db.system peer attribute.
  { labels: edge('inventory', 'postgresql', 'virtual_node'), total: 1, failed: 0, server: { le: [0.1], sum: 0.01 }, client: { le: [0.1], sum: 0.01 } },
  // a9 (0.1 s) and b6 (1.9 s, error) carry peer.service=bank-api; no server latency.
  { labels: edge('payments', 'bank-api', 'virtual_node'), total: 2, failed: 1, server: { le: [0.1, 0.1], sum: 0 }, client: { le: [0.1, 3.2], sum: 2.0 } },
];

function checkEdges(m: MetricsIncrease, expected: readonly EdgeExpectation[]): void {
  const got = labelSets(m, 'traces_service_graph_request_total');
  assert.equal(got.length, expected.length, `edges: ${JSON.stringify(got)}`);
  for (const e of expected) {
    const what = JSON.stringify(e.labels);
    assert.equal(counter(m, 'traces_service_graph_request_total', e.labels), e.total, `request_total ${what}`);
    assert.equal(counter(m, 'traces_service_graph_request_failed_total', e.labels), e.failed === 0 ? undefined : e.failed, `failed_total ${what}`);
    for (const [side, exp] of [['server', e.server], ['client', e.client]] as const) {
      const h = histogram(m, `traces_service_graph_request_${side}_seconds`, e.labels);
      assert.ok(h, `${side} histogram ${what}`);
      assert.deepEqual(h.bounds, GRAPH_BOUNDS);
      assert.deepEqual(h.cumulative, cumulativeFrom(GRAPH_BOUNDS, exp.le), `${side} buckets ${what}`);
      assert.equal(h.count, e.total);
      assert.equal(h.sum, exp.sum, `${side} sum ${what}`);
    }
  }
}

interface SpanSeriesExpectation {
  readonly labels: Labels;
  /** Hand-worked bucket per span; buckets 0.002 0.004 0.008 0.016 0.032 0.064 0.128 0.256 0.512 1.024 2.048 4.096 8.192 16.384 +Inf. */
  readonly le: number[];
  readonly sum: number;
  readonly spans: readonly string[];
}

const sm = (service: string | undefined, name: string, kind: string, status: string): Labels => ({
  ...(service === undefined ? {} : { service }),
  span_name: name,
  span_kind: `SPAN_KIND_${kind}`,
  status_code: `STATUS_CODE_${status}`,
});

const SPAN_SERIES: SpanSeriesExpectation[] = [
  { labels: sm('gateway', 'GET /checkout', 'SERVER', 'UNSET'), le: [0.512], sum: 0.4, spans: ['a1'] },
  { labels: sm('gateway', 'GET /checkout', 'SERVER', 'ERROR'), le: [4.096], sum: 2.5, spans: ['b1'] },
  { labels: sm('gateway', 'POST /orders', 'CLIENT', 'UNSET'), le: [0.512], sum: 0.3, spans: ['a2'] },
  { labels: sm('gateway', 'POST /orders', 'CLIENT', 'ERROR'), le: [4.096], sum: 2.4, spans: ['b2'] },
  { labels: sm('orders', 'POST /orders', 'SERVER', 'UNSET'), le: [0.256], sum: 0.25, spans: ['a3'] },
  { labels: sm('orders', 'POST /orders', 'SERVER', 'ERROR'), le: [4.096], sum: 2.3, spans: ['b3'] },
  { labels: sm('orders', 'GET /stock', 'CLIENT', 'UNSET'), le: [0.064], sum: 0.05, spans: ['a4'] },
  { labels: sm('inventory', 'GET /stock', 'SERVER', 'UNSET'), le: [0.032], sum: 0.03, spans: ['a5'] },
  { labels: sm('inventory', 'SELECT stock', 'CLIENT', 'UNSET'), le: [0.016], sum: 0.01, spans: ['a6'] },
  { labels: sm('orders', 'POST /pay', 'CLIENT', 'UNSET'), le: [0.256, 4.096], sum: 2.25, spans: ['a7', 'b4'] },
  { labels: sm('payments', 'POST /pay', 'SERVER', 'UNSET'), le: [0.128, 2.048], sum: 2.12, spans: ['a8', 'b5'] },
  { labels: sm('payments', 'POST /charge', 'CLIENT', 'UNSET'), le: [0.128], sum: 0.1, spans: ['a9'] },
  { labels: sm('payments', 'POST /charge', 'CLIENT', 'ERROR'), le: [2.048], sum: 1.9, spans: ['b6'] },
  { labels: sm('orders', 'INSERT orders', 'CLIENT', 'UNSET'), le: [0.016], sum: 0.015, spans: ['a10'] },
  { labels: sm('orders', 'orders publish', 'PRODUCER', 'UNSET'), le: [0.008], sum: 0.005, spans: ['a11'] },
  { labels: sm('shipping', 'orders process', 'CONSUMER', 'UNSET'), le: [0.064], sum: 0.04, spans: ['a12'] },
  { labels: sm('notifier', 'POST /notify', 'SERVER', 'UNSET'), le: [0.032], sum: 0.02, spans: ['c1'] },
  { labels: sm('notifier', 'GET /templates', 'CLIENT', 'UNSET'), le: [0.008], sum: 0.005, spans: ['c2'] },
  // No service.name: the service label is empty, so left out.
  { labels: sm(undefined, 'orphan', 'SERVER', 'UNSET'), le: [0.002], sum: 0.001, spans: ['c3'] },
];

const byLetterId = new Map(WORKLOAD.map((s) => [s.name === 'orphan' ? 'c3' : letterOf(s), s]));
function letterOf(s: SpanSpec): string {
  const n = parseInt(s.id, 16);
  const prefix = { 0xa: 'a', 0xb: 'b', 0xc: 'c' }[n >> 4]!;
  return prefix + String(n & 0xf);
}
// a10…a12 are 0xaa…0xac.
for (const [name, hex] of [['a10', A.a10], ['a11', A.a11], ['a12', A.a12]] as const) byLetterId.set(name, WORKLOAD.find((s) => s.id === hex)!);

function checkSpanMetrics(m: MetricsIncrease, expected: readonly SpanSeriesExpectation[]): void {
  assert.equal(labelSets(m, 'traces_spanmetrics_calls_total').length, expected.length);
  for (const e of expected) {
    const what = JSON.stringify(e.labels);
    assert.equal(counter(m, 'traces_spanmetrics_calls_total', e.labels), e.spans.length, `calls ${what}`);
    const size = e.spans.reduce((n, id) => n + spanSize(byLetterId.get(id)!), 0);
    assert.equal(counter(m, 'traces_spanmetrics_size_total', e.labels), size, `size ${what}`);
    const h = histogram(m, 'traces_spanmetrics_latency', e.labels);
    assert.ok(h, `latency ${what}`);
    assert.deepEqual(h.bounds, SPAN_BOUNDS);
    assert.deepEqual(h.cumulative, cumulativeFrom(SPAN_BOUNDS, e.le), `latency buckets ${what}`);
    assert.equal(h.sum, e.sum, `latency sum ${what}`);
    assert.equal(h.count, e.spans.length);
  }
}

function insert(store: Store, spans: readonly SpanSpec[], resourceAttrs?: Record<string, Record<string, string>>): void {
  const answer = createIngest(store)({ body: exportRequest(spans, resourceAttrs), format: 'protobuf' });
  assert.ok(answer.ok);
}

describe('derived metrics over a hand-built workload', () => {
  let store: Store;
  let clock: number;
  let metrics: DerivedMetricsEngine;

  beforeEach(() => {
    store = Store.open();
    clock = 1_000_000;
    metrics = createDerivedMetrics(store, { now: () => clock });
    insert(store, WORKLOAD);
  });
  afterEach(() => {
    metrics.dispose();
    store.close();
  });

  test('within the wait window only paired and database edges count; open halves are pending', () => {
    const m = metrics.totals();
    checkEdges(m, COMPLETE_EDGES);
    assert.deepEqual(labelSets(m, 'traces_service_graph_unpaired_spans_total'), []);
    // The span without service.name is left out of the graph at once.
    assert.equal(counter(m, 'traces_service_graph_dropped_spans_total', {}), 1);
    checkSpanMetrics(m, SPAN_SERIES);
    clock += 9_999;
    checkEdges(metrics.totals(), COMPLETE_EDGES);
  });

  test('after the wait window: every edge, counter and bucket by hand', () => {
    clock += 10_000;
    const m = metrics.totals();
    checkEdges(m, [...COMPLETE_EDGES, ...EXPIRED_EDGES]);
    // c1's parent never arrived (not a root): unpaired; c2 has no peer attribute: unpaired.
    assert.deepEqual(
      labelSets(m, 'traces_service_graph_unpaired_spans_total').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [{ client: 'notifier' }, { server: 'notifier' }],
    );
    assert.equal(counter(m, 'traces_service_graph_unpaired_spans_total', { client: 'notifier' }), 1);
    assert.equal(counter(m, 'traces_service_graph_unpaired_spans_total', { server: 'notifier' }), 1);
    assert.equal(counter(m, 'traces_service_graph_dropped_spans_total', {}), 1);
    checkSpanMetrics(m, SPAN_SERIES);
    // History over the whole store is the same numbers.
    assert.deepEqual(metrics.increase(...ALL), m);
  });

  test('increase() counts spans by start time, edges at their client span', () => {
    clock += 10_000;
    const a = metrics.increase(T0, T0 + SLOT);
    assert.equal(counter(a, 'traces_service_graph_request_total', edge('gateway', 'orders')), 1);
    assert.equal(counter(a, 'traces_service_graph_request_failed_total', edge('gateway', 'orders')), undefined);
    assert.equal(counter(a, 'traces_service_graph_request_total', edge('payments', 'bank-api', 'virtual_node')), 1);
    assert.equal(a.counters.filter((c) => c.name === 'traces_spanmetrics_calls_total').reduce((n, c) => n + c.value, 0), 12);
    const b = metrics.increase(T0 + SLOT, T0 + 2n * SLOT);
    assert.equal(counter(b, 'traces_service_graph_request_failed_total', edge('gateway', 'orders')), 1);
    assert.equal(counter(b, 'traces_service_graph_request_total', edge('orders', 'inventory')), undefined);
    assert.equal(b.counters.filter((c) => c.name === 'traces_spanmetrics_calls_total').reduce((n, c) => n + c.value, 0), 6);

    // Unaligned: [20 ms, 7020 ms) holds a3…a12 and b1, b2. gateway→orders of trace A counts at
    // a2 (10 ms), outside; that of trace B at b2 (7010 ms), inside.
    const w = metrics.increase(T0 + ms(20), T0 + ms(7020));
    assert.equal(w.counters.filter((c) => c.name === 'traces_spanmetrics_calls_total').reduce((n, c) => n + c.value, 0), 12);
    assert.equal(counter(w, 'traces_service_graph_request_total', edge('gateway', 'orders')), 1);
    assert.equal(counter(w, 'traces_service_graph_request_failed_total', edge('gateway', 'orders')), 1);
    assert.equal(counter(w, 'traces_service_graph_request_total', edge('user', 'gateway', 'virtual_node')), 1);
    assert.equal(counter(w, 'traces_service_graph_request_total', edge('orders', 'payments')), 1);
    assert.equal(histogram(w, 'traces_service_graph_request_server_seconds', edge('orders', 'payments'))!.sum, 0.12);

    // Windows add up, however they are cut.
    const whole = metrics.increase(T0, T0 + 3n * SLOT);
    const parts = [metrics.increase(T0, T0 + ms(3001)), metrics.increase(T0 + ms(3001), T0 + ms(11_999)), metrics.increase(T0 + ms(11_999), T0 + 3n * SLOT)];
    for (const c of whole.counters) {
      const sum = parts.reduce((n, p) => n + (counter(p, c.name, c.labels) ?? 0), 0);
      assert.equal(sum, c.value, `${c.name} ${JSON.stringify(c.labels)}`);
    }
    assert.deepEqual(metrics.increase(T0 - SLOT, T0), { counters: [], histograms: [] });
    assert.deepEqual(metrics.increase(T0 + ms(5), T0 + ms(5)), { counters: [], histograms: [] });
  });

  test('windows are cached; new spans invalidate the slots their trace reaches', () => {
    clock += 10_000;
    const hour: [bigint, bigint] = [T0 - 1800n * 1_000_000_000n, T0 + 1800n * 1_000_000_000n];
    const first = metrics.increase(...hour);
    const totals = metrics.totals();
    const computed = metrics.stats.computations;
    assert.deepEqual(metrics.increase(...hour), first);
    assert.equal(metrics.totals(), totals);
    assert.equal(metrics.stats.computations, computed, 'a repeated query recomputes nothing');
    // A late server span for the open client span a9 (slot 0) arrives in another slot.
    insert(store, [{ trace: TRACE_A, id: '00000000000000d1', parent: A.a9, service: 'bank-api', name: 'POST /charge', kind: 'SERVER', at: 20_000, ms: 80 }]);
    const after = metrics.increase(...hour);
    assert.ok(metrics.stats.computations > computed);
    assert.equal(counter(after, 'traces_service_graph_request_total', edge('payments', 'bank-api')), 1);
    assert.equal(counter(after, 'traces_service_graph_request_total', edge('payments', 'bank-api', 'virtual_node')), 1);
    assert.equal(histogram(after, 'traces_service_graph_request_server_seconds', edge('payments', 'bank-api'))!.sum, 0.08);
  });

  test('totals never go down: re-paired edges and deleted traces stay counted', () => {
    clock += 10_000;
    const before = metrics.totals();
    assert.equal(counter(before, 'traces_service_graph_request_total', edge('payments', 'bank-api', 'virtual_node')), 2);
    // b6's server half arrives after b6 expired: the history pairs them, the counter keeps both.
    insert(store, [{ trace: '0b0000000000000000000000000000b1', id: '00000000000000d2', parent: '00000000000000b6', service: 'bank-api', name: 'GET', kind: 'SERVER', at: 7060, ms: 1800 }]);
    const history = metrics.increase(...ALL);
    assert.equal(counter(history, 'traces_service_graph_request_total', edge('payments', 'bank-api', 'virtual_node')), 1);
    assert.equal(counter(history, 'traces_service_graph_request_total', edge('payments', 'bank-api')), 1);
    const after = metrics.totals();
    assert.equal(counter(after, 'traces_service_graph_request_total', edge('payments', 'bank-api', 'virtual_node')), 2);
    assert.equal(counter(after, 'traces_service_graph_request_total', edge('payments', 'bank-api')), 1);

    // Retention deletes trace A: history loses it, the counters do not.
    const rowid = store.search.rowidOf(Buffer.from(TRACE_A, 'hex'))!;
    store.deleteTraces([rowid]);
    const gone = metrics.increase(...ALL);
    assert.equal(counter(gone, 'traces_service_graph_request_total', edge('orders', 'inventory')), undefined);
    assert.equal(counter(gone, 'traces_service_graph_request_total', edge('gateway', 'orders')), 1);
    const kept = metrics.totals();
    for (const c of after.counters) assert.ok((counter(kept, c.name, c.labels) ?? 0) >= c.value, `${c.name} ${JSON.stringify(c.labels)} went down`);
    for (const h of after.histograms) {
      const k = histogram(kept, h.name, h.labels)!;
      assert.ok(k.count >= h.count && k.sum >= h.sum && k.cumulative.every((n, i) => n >= h.cumulative[i]));
    }
    store.clear();
    assert.deepEqual(metrics.totals(), { counters: [], histograms: [] });
  });
});

describe('the wait window', () => {
  test('a half stays pending while its trace gets spans, pairs when the other half lands, else expires', () => {
    const store = Store.open();
    let clock = 5_000_000;
    const metrics = createDerivedMetrics(store, { now: () => clock });
    const trace = '0d0000000000000000000000000000d1';
    insert(store, [{ trace, id: '00000000000000e1', service: 'web', name: 'GET /api', kind: 'CLIENT', at: 0, ms: 100 }]);
    const webToApi = edge('web', 'api');
    assert.equal(counter(metrics.totals(), 'traces_service_graph_request_total', webToApi), undefined);
    clock += 6_000;
    assert.equal(counter(metrics.totals(), 'traces_service_graph_unpaired_spans_total', { client: 'web' }), undefined);
    insert(store, [{ trace, id: '00000000000000e2', parent: '00000000000000e1', service: 'api', name: 'GET /api', kind: 'SERVER', at: 10, ms: 80 }]);
    assert.equal(counter(metrics.totals(), 'traces_service_graph_request_total', webToApi), 1);
    // Another client span in the same trace: the trace was touched at 6 s, so it waits until 16 s.
    insert(store, [{ trace, id: '00000000000000e3', parent: '00000000000000e2', service: 'api', name: 'GET /cache', kind: 'CLIENT', at: 20, ms: 1 }]);
    clock += 9_999;
    assert.equal(counter(metrics.totals(), 'traces_service_graph_unpaired_spans_total', { client: 'api' }), undefined);
    clock += 1;
    const m = metrics.totals();
    assert.equal(counter(m, 'traces_service_graph_unpaired_spans_total', { client: 'api' }), 1);
    assert.equal(counter(m, 'traces_service_graph_request_total', webToApi), 1);
    metrics.dispose();
    store.close();
  });
});

describe('dimensions', () => {
  test('span metrics and service-graph labels from resource, then span attributes', () => {
    const store = Store.open();
    let clock = 0;
    const metrics = createDerivedMetrics(store, { now: () => clock, dimensions: ['http.method', 'deployment.environment', 'service'], clientServerPrefix: true });
    insert(store, WORKLOAD, { payments: { 'deployment.environment': 'prod', 'http.method': 'RESOURCE', service: 'team-pay' } });
    clock += 10_000;
    const m = metrics.totals();
    // Resource attributes win over span attributes, as in Tempo; a dimension named like an
    // intrinsic label gets a "__" prefix.
    const charge = { ...sm('payments', 'POST /charge', 'CLIENT', 'UNSET'), http_method: 'RESOURCE', deployment_environment: 'prod', __service: 'team-pay' };
    assert.equal(counter(m, 'traces_spanmetrics_calls_total', charge), 1);
    // Span attributes where the resource has none; absent values leave the label out.
    const pay = sm('orders', 'POST /pay', 'CLIENT', 'UNSET');
    assert.equal(counter(m, 'traces_spanmetrics_calls_total', pay), 2);
    const stock = sm('orders', 'GET /stock', 'CLIENT', 'UNSET');
    assert.equal(counter(m, 'traces_spanmetrics_calls_total', stock), 1);
    const bank = { ...edge('payments', 'bank-api', 'virtual_node'), client_http_method: 'RESOURCE', client_deployment_environment: 'prod', client_service: 'team-pay' };
    assert.equal(counter(m, 'traces_service_graph_request_total', bank), 2);
    const toPayments = { ...edge('orders', 'payments'), server_http_method: 'RESOURCE', server_deployment_environment: 'prod', server_service: 'team-pay' };
    assert.equal(counter(m, 'traces_service_graph_request_total', toPayments), 2);
    metrics.dispose();
    store.close();
  });
});
