/**
 * TraceQL metrics (`/api/metrics/query_range`, `/api/metrics/query`) over the hand-made
 * workload of workload.ts. Every expected number is worked out by hand from that table
 * (rates per step, Tempo's power-of-two quantiles), never by running tracebox's code.
 *
 * Range queries: start=T, end=T+60, step=15s → intervals (T−15,T] … (T+45,T+60],
 * stamped at their end (the v2.9+ time model). Per interval (index 0…4):
 *   frontend spans: a | b d | e | h i | –        backend spans: – | c | f g | – | j
 * k (T−20) and l (T+61) start outside every window and never count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTracebox, type TestTracebox } from '../../src/testing/index.ts';
import { ms, sendSpans, SPAN_IDS, T, TRACE_IDS } from './workload.ts';

interface KV {
  key: string;
  value: Record<string, unknown>;
}
interface Sample {
  timestampMs: string;
  value: number;
}
interface Exemplar {
  labels: KV[];
  value: number;
  timestampMs: string;
}
interface RangeSeries {
  labels: KV[];
  samples: Sample[];
  exemplars?: Exemplar[];
}
interface RangeBody {
  series: RangeSeries[];
  metrics: Record<string, unknown>;
}
interface InstantBody {
  series: Array<{ labels: KV[]; value: number }>;
  metrics: Record<string, unknown>;
}

let tb: TestTracebox;

before(async () => {
  tb = await startTracebox({ log: () => {} });
  await sendSpans(tb.otlpHttpUrl);
});
after(() => tb?.close());

async function get(path: string, params: Record<string, string | number>): Promise<{ status: number; text: string }> {
  const qs = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
  const res = await fetch(`${tb.apiUrl}${path}?${qs}`);
  return { status: res.status, text: await res.text() };
}

async function range(q: string, params: Record<string, string | number> = {}): Promise<RangeBody> {
  const res = await get('/api/metrics/query_range', { q, start: T, end: T + 60, step: '15s', ...params });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text) as RangeBody;
  checkStrictShape(body);
  return body;
}

async function instant(q: string, start = T - 5, end = T + 60): Promise<InstantBody> {
  const res = await get('/api/metrics/query', { q, start, end });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text) as InstantBody;
  for (const s of body.series) assert.deepEqual(Object.keys(s).sort(), ['labels', 'value']);
  return body;
}

/** Grafana decodes these with a strict protobuf-JSON decoder: only the proto's fields. */
function checkStrictShape(body: RangeBody): void {
  assert.deepEqual(Object.keys(body).sort(), ['metrics', 'series']);
  for (const key of Object.keys(body.metrics)) {
    assert.ok(['inspectedTraces', 'inspectedBytes', 'totalBlocks', 'completedJobs', 'totalJobs', 'totalBlockBytes', 'inspectedSpans'].includes(key), key);
  }
  for (const s of body.series) {
    for (const key of Object.keys(s)) assert.ok(['labels', 'samples', 'exemplars'].includes(key), `unexpected series field ${key}`);
    for (const sample of s.samples) {
      assert.deepEqual(Object.keys(sample).sort(), ['timestampMs', 'value']);
      assert.equal(typeof sample.timestampMs, 'string');
    }
    for (const e of s.exemplars ?? []) assert.deepEqual(Object.keys(e).sort(), ['labels', 'timestampMs', 'value']);
  }
}

const STAMPS = [0, 15, 30, 45, 60].map(ms);

/** The samples of a series as [offset-stamp, value] pairs. */
function samples(s: RangeSeries | undefined): Array<[string, number]> {
  assert.ok(s !== undefined, 'series missing');
  return s.samples.map((x) => [x.timestampMs, x.value]);
}

function at(values: readonly (number | undefined)[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  values.forEach((v, i) => {
    if (v !== undefined) out.push([STAMPS[i], v]);
  });
  return out;
}

function str(s: string): Record<string, unknown> {
  return { stringValue: s };
}

function byLabel(body: { series: Array<{ labels: KV[] }> }, key: string, value: Record<string, unknown>): RangeSeries {
  const s = body.series.find((x) => x.labels.some((l) => l.key === key && JSON.stringify(l.value) === JSON.stringify(value)));
  assert.ok(s !== undefined, `no series with ${key}=${JSON.stringify(value)}`);
  return s as RangeSeries;
}

function approx(actual: Array<[string, number]>, expected: Array<[string, number]>): void {
  assert.equal(actual.length, expected.length, `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
  actual.forEach(([t, v], i) => {
    assert.equal(t, expected[i][0]);
    assert.ok(Math.abs(v - expected[i][1]) < 1e-12, `at ${t}: ${v} ≠ ${expected[i][1]}`);
  });
}

describe('TraceQL metrics: range queries', () => {
  test('rate() by service: spans per second per step, stamped at the end of each interval', async () => {
    const body = await range('{ } | rate() by (resource.service.name)');
    assert.deepEqual(body.series.map((s) => s.labels), [
      [{ key: 'resource.service.name', value: str('backend') }],
      [{ key: 'resource.service.name', value: str('frontend') }],
    ]);
    // a lands at exactly T (right-closed interval), i at exactly T+45.
    assert.deepEqual(samples(body.series[1]), at([1 / 15, 2 / 15, 1 / 15, 2 / 15, 0]));
    assert.deepEqual(samples(body.series[0]), at([0, 1 / 15, 2 / 15, 0, 1 / 15]));
    assert.equal(body.metrics.inspectedTraces, 7);
  });

  test('count_over_time() without by() is one series named after the function', async () => {
    const body = await range('{ } | count_over_time()');
    assert.equal(body.series.length, 1);
    assert.deepEqual(body.series[0].labels, [{ key: '__name__', value: str('count_over_time') }]);
    assert.deepEqual(samples(body.series[0]), at([1, 3, 3, 2, 1]));
  });

  test('p90 per service: Tempo power-of-two buckets; empty intervals are 0', async () => {
    const body = await range('{ } | quantile_over_time(duration, .9) by (resource.service.name)');
    assert.deepEqual(body.series.map((s) => s.labels), [
      [{ key: 'resource.service.name', value: str('backend') }, { key: 'p', value: { doubleValue: 0.9 } }],
      [{ key: 'resource.service.name', value: str('frontend') }, { key: 'p', value: { doubleValue: 0.9 } }],
    ]);
    // frontend: 5ms → 2^23ns; {100ms, 200ms} → 2^27, 2^28 (p90 of 2 = the 2nd); 300ms → 2^29; {1s, 50ms} → 2^30.
    assert.deepEqual(samples(body.series[1]), at([0.008388608, 0.268435456, 0.536870912, 1.073741824, 0]));
    // backend: 10ms → 2^24; {20ms, 30ms} both → 2^25; 3s → 2^32.
    assert.deepEqual(samples(body.series[0]), at([0, 0.016777216, 0.033554432, 0, 4.294967296]));
  });

  test('min/max/avg/sum_over_time(duration) in seconds; empty intervals have no sample', async () => {
    const max = await range('{ } | max_over_time(duration) by (resource.service.name)');
    assert.deepEqual(samples(byLabel(max, 'resource.service.name', str('frontend'))), at([0.005, 0.2, 0.3, 1, undefined]));
    assert.deepEqual(samples(byLabel(max, 'resource.service.name', str('backend'))), at([undefined, 0.01, 0.03, undefined, 3]));
    const min = await range('{ } | min_over_time(duration) by (resource.service.name)');
    assert.deepEqual(samples(byLabel(min, 'resource.service.name', str('frontend'))), at([0.005, 0.1, 0.3, 0.05, undefined]));
    const avg = await range('{ } | avg_over_time(duration) by (resource.service.name)');
    approx(samples(byLabel(avg, 'resource.service.name', str('backend'))), at([undefined, 0.01, 0.025, undefined, 3]));
    const sum = await range('{ } | sum_over_time(duration) by (resource.service.name)');
    approx(samples(byLabel(sum, 'resource.service.name', str('frontend'))), at([0.005, 0.3, 0.3, 1.05, undefined]));
    const ungrouped = await range('{ } | max_over_time(duration)');
    assert.deepEqual(ungrouped.series[0].labels, [{ key: '__name__', value: str('max_over_time') }]);
    assert.deepEqual(samples(ungrouped.series[0]), at([0.005, 0.2, 0.3, 1, 3]));
  });

  test('histogram_over_time(duration): span counts per power-of-two bucket, in seconds', async () => {
    const body = await range('{ resource.service.name = "frontend" } | histogram_over_time(duration)');
    const buckets = body.series.map((s) => s.labels.map((l) => `${l.key}=${JSON.stringify(l.value)}`).join(','));
    assert.deepEqual(buckets, [
      '__bucket={"doubleValue":0.008388608}',
      '__bucket={"doubleValue":0.067108864}',
      '__bucket={"doubleValue":0.134217728}',
      '__bucket={"doubleValue":0.268435456}',
      '__bucket={"doubleValue":0.536870912}',
      '__bucket={"doubleValue":1.073741824}',
    ]);
    assert.deepEqual(samples(body.series[2]), at([0, 1, 0, 0, 0])); // b, 100ms
    assert.deepEqual(samples(body.series[1]), at([0, 0, 0, 1, 0])); // i, 50ms
  });

  test('by() with a missing value: the label is left out, an all-missing group keeps it as nil', async () => {
    const body = await range('{ } | count_over_time() by (span.http.route)');
    assert.deepEqual(samples(byLabel(body, 'span.http.route', str('/cart'))), at([0, 2, 0, 0, 0]));
    assert.deepEqual(samples(byLabel(body, 'span.http.route', str('/'))), at([1, 0, 0, 1, 0]));
    // backend spans have no route: Tempo's series {span.http.route=nil}.
    assert.deepEqual(samples(byLabel(body, 'span.http.route', str('nil'))), at([0, 1, 2, 0, 1]));
    const two = await range('{ } | count_over_time() by (resource.service.name, .http.route)');
    const backend = two.series.find((s) => s.labels.length === 1);
    assert.deepEqual(backend?.labels, [{ key: 'resource.service.name', value: str('backend') }]);
    assert.ok(two.series.some((s) => s.labels.some((l) => l.key === '.http.route' && l.value.stringValue === '/slow')));
  });

  test('filters and structural pipelines decide which spans count', async () => {
    const errors = await range('{ resource.service.name = "backend" && status = error } | count_over_time()');
    assert.deepEqual(samples(errors.series[0]), at([0, 0, 0, 0, 1]));
    // backend spans under a frontend span: c, f, g, j (l is under k but starts after the window).
    const nested = await range('{ resource.service.name = "frontend" } >> { resource.service.name = "backend" } | count_over_time()');
    assert.deepEqual(samples(nested.series[0]), at([0, 1, 2, 0, 1]));
    const never = await range('{ false } | rate()');
    assert.deepEqual(never.series, []);
  });

  test('| topk(1) and | bottomk(1) keep, per step, the highest / lowest series', async () => {
    const top = await range('{ } | rate() by (resource.service.name) | topk(1)');
    assert.deepEqual(samples(byLabel(top, 'resource.service.name', str('frontend'))), at([1 / 15, 2 / 15, undefined, 2 / 15, undefined]));
    assert.deepEqual(samples(byLabel(top, 'resource.service.name', str('backend'))), at([undefined, undefined, 2 / 15, undefined, 1 / 15]));
    const bottom = await range('{ } | rate() by (resource.service.name) | bottomk(1)');
    assert.deepEqual(samples(byLabel(bottom, 'resource.service.name', str('frontend'))), at([undefined, undefined, 1 / 15, undefined, 0]));
    assert.deepEqual(samples(byLabel(bottom, 'resource.service.name', str('backend'))), at([0, 1 / 15, undefined, 0, undefined]));
  });

  test('exemplars: one per trace (its first counted span), trace:id, the value of its step for rate()', async () => {
    const body = await range('{ } | rate() by (resource.service.name)');
    const frontend = byLabel(body, 'resource.service.name', str('frontend'));
    const got = (frontend.exemplars ?? []).map((e) => [e.timestampMs, e.labels.find((l) => l.key === 'trace:id')?.value.stringValue, e.labels.find((l) => l.key === 'span:id')?.value.stringValue, e.value]);
    assert.deepEqual(got, [
      [ms(0), TRACE_IDS.t1, SPAN_IDS.a, 1 / 15],
      [ms(1), TRACE_IDS.t2, SPAN_IDS.b, 2 / 15],
      [ms(2), TRACE_IDS.t3, SPAN_IDS.d, 2 / 15],
      [ms(16), TRACE_IDS.t4, SPAN_IDS.e, 1 / 15],
      [ms(31), TRACE_IDS.t5, SPAN_IDS.h, 2 / 15],
      [ms(45), TRACE_IDS.t6, SPAN_IDS.i, 2 / 15],
    ]);
    // Duration functions carry the span's own value.
    const max = await range('{ resource.service.name = "backend" } | max_over_time(duration)');
    assert.deepEqual((max.series[0].exemplars ?? []).map((e) => [e.timestampMs, e.value]), [[ms(5), 0.01], [ms(20), 0.02], [ms(50), 3]]);
    // exemplars=2 caps them; with(exemplars=false) turns them off.
    const two = await range('{ } | rate()', { exemplars: 2 });
    assert.equal(two.series[0].exemplars?.length, 2);
    const none = await range('{ } | rate() with(exemplars=false)');
    assert.equal(none.series[0].exemplars, undefined);
  });

  test('time formats: nanoseconds, fractional seconds and RFC 3339 mean the same; the default step is 1s here', async () => {
    const base = await range('{ } | count_over_time()');
    const ns = await range('{ } | count_over_time()', { start: `${T}000000000`, end: `${T + 60}000000000` });
    const iso = await range('{ } | count_over_time()', { start: new Date(T * 1000).toISOString(), end: `${T + 60}.000` });
    assert.deepEqual(ns.series, base.series);
    assert.deepEqual(iso.series, base.series);
    const noStep = await get('/api/metrics/query_range', { q: '{ } | count_over_time()', start: T, end: T + 60 });
    const body = JSON.parse(noStep.text) as RangeBody;
    assert.equal(body.series[0].samples.length, 61); // (T−1, T+60] in 1 s steps
    assert.equal(body.series[0].samples[0].timestampMs, ms(0));
  });
});

describe('TraceQL metrics: the newest interval', () => {
  test('spans sent just now count in the still-open interval, stamped at its end (step=300, end=now+5m)', async () => {
    const sentNs = BigInt(Date.now()) * 1_000_000n;
    const spans = [1, 2, 3].map((n) => ({
      traceId: `f${n}`.padEnd(32, '0'),
      spanId: `f${n}`.padEnd(16, '0'),
      name: 'fresh',
      startTimeUnixNano: String(sentNs - 1_000_000n),
      endTimeUnixNano: String(sentNs),
    }));
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'just-now' } }] }, scopeSpans: [{ spans }] }] });
    const sent = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(sent.status, 200);

    const nowS = Math.floor(Date.now() / 1000);
    const res = await range('{ resource.service.name = "just-now" } | count_over_time()', { start: nowS - 3600, end: nowS + 300, step: 300 });
    assert.equal(res.series.length, 1, JSON.stringify(res));
    const counted = res.series[0].samples.filter((x) => x.value !== 0);
    assert.equal(counted.length, 1, JSON.stringify(res.series[0].samples));
    assert.equal(counted[0].value, 3);
    // The interval (t − 300 s, t] that holds the spans: the last one, still open, unless a step
    // boundary passed since they were sent.
    const stepNs = 300n * 1_000_000_000n;
    const t = ((sentNs - 1_000_000n + stepNs - 1n) / stepNs) * stepNs;
    assert.equal(counted[0].timestampMs, String(t / 1_000_000n));
  });
});

describe('TraceQL metrics: instant queries', () => {
  test('rate() over the whole window (start, end]', async () => {
    const body = await instant('{ } | rate() by (resource.service.name)');
    assert.deepEqual(body.series, [
      { labels: [{ key: 'resource.service.name', value: str('backend') }], value: 4 / 65 },
      { labels: [{ key: 'resource.service.name', value: str('frontend') }], value: 6 / 65 },
    ]);
  });

  test('p90 and p50 per service with Tempo’s exponential interpolation', async () => {
    const body = await instant('{ } | quantile_over_time(duration, .9, .5) by (resource.service.name)');
    const value = (service: string, p: number): number => {
      const s = body.series.find((x) => x.labels[0].value.stringValue === service && x.labels[1].value.doubleValue === p);
      assert.ok(s !== undefined);
      return s.value;
    };
    // frontend: six spans in six buckets 2^23, 2^26 … 2^30 ns. p90 reads ceil(5.4) = 6 samples → top bucket;
    // p50 reads 3 → the third bucket, 2^27 ns.
    assert.equal(value('frontend', 0.9), 1.073741824);
    assert.equal(value('frontend', 0.5), 0.134217728);
    // backend: 2^24 ×1, 2^25 ×2, 2^32 ×1. p90 reads 4 → 2^32 ns. p50 reads 2: one from 2^24, then half of
    // the 2^25 bucket → 2^(log2(2^24 ns) + 0.5).
    assert.equal(value('backend', 0.9), 4.294967296);
    assert.ok(Math.abs(value('backend', 0.5) - 0.016777216 * Math.SQRT2) < 1e-15);
  });

  test('compare(): attribute values of the selection vs the baseline', async () => {
    const body = await instant('{ } | compare({ status = error })');
    const find = (type: string, key: string, value: Record<string, unknown>): number | undefined =>
      body.series.find((s) => s.labels[0].value.stringValue === type && s.labels[1].key === key && JSON.stringify(s.labels[1].value) === JSON.stringify(value))?.value;
    assert.equal(find('selection', 'resource.service.name', str('backend')), 1);
    assert.equal(find('baseline', 'resource.service.name', str('backend')), 3);
    assert.equal(find('baseline', 'resource.service.name', str('frontend')), 6);
    assert.equal(find('selection', 'name', str('charge')), 1);
    assert.equal(find('baseline', 'kind', str('client')), 1);
    assert.equal(find('baseline', 'span.http.route', str('/cart')), 2);
    assert.equal(find('selection_total', 'name', str('nil')), 1);
    assert.equal(find('baseline_total', 'name', str('nil')), 9);
    assert.equal(find('selection', 'resource.service.name', str('frontend')), undefined);
  });
});

describe('TraceQL metrics: errors', () => {
  const cases: Array<[string, Record<string, string | number>, RegExp]> = [
    ['/api/metrics/query_range', { q: '{ }', start: T, end: T + 60 }, /^not a metrics query$/],
    ['/api/metrics/query_range', { q: '{ .a = } | rate()', start: T, end: T + 60 }, /^compiling query: parse error at line 1, col/],
    ['/api/metrics/query_range', { q: '{ } | rate()', start: T + 60, end: T }, /^end must be greater than start$/],
    ['/api/metrics/query_range', { q: '{ } | rate()', start: T, end: T + 60, step: 'abc' }, /^cannot parse "abc" to a valid duration$/],
    ['/api/metrics/query_range', { q: '{ } | rate()', start: T, end: T + 60, step: '1ms' }, /^step of 1ms is too small, minimum step for given range is 6ms$/],
    ['/api/metrics/query_range', { q: '{ } | rate()', start: 'yesterday', end: T + 60 }, /^could not parse 'start' parameter: strconv.ParseInt: parsing "yesterday": invalid syntax$/],
    ['/api/metrics/query', { q: '{ } | quantile_over_time(duration, 2)', start: T, end: T + 60 }, /quantile must be between 0 and 1: 2/],
  ];
  for (const [path, params, message] of cases) {
    test(`${path} ${JSON.stringify(params)} → 400`, async () => {
      const res = await get(path, params);
      assert.equal(res.status, 400);
      assert.match(res.text, message);
    });
  }
});
