/**
 * The PromQL subset on its own: grammar, type checks, refusals, and evaluation against a
 * small in-test DerivedMetrics whose counters and histograms are a list of timed events,
 * so every expected number is worked out by hand.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DerivedMetrics, HistogramSeries, Labels, MetricsIncrease } from '../../src/metrics/types.ts';
import {
  bucketQuantile,
  instantQuery,
  MetricsSource,
  parsePromQL,
  PromQLEvaluationError,
  PromQLSyntaxError,
  PromQLUnsupportedError,
  rangeQuery,
  type QueryData,
} from '../../src/promql/index.ts';

const S = 1_000_000n; // event times below are whole seconds from 1e6 s
const NS = 1_000_000_000n;

interface CounterEvent {
  readonly t: number;
  readonly name: string;
  readonly labels: Labels;
  readonly inc: number;
}
interface Observation {
  readonly t: number;
  readonly name: string;
  readonly labels: Labels;
  readonly seconds: number;
}

/** DerivedMetrics over timed events: increase(start, end) adds the events with start ≤ t < end. */
class EventMetrics implements DerivedMetrics {
  constructor(
    private readonly counters: readonly CounterEvent[],
    private readonly observations: readonly Observation[] = [],
    private readonly bounds: readonly number[] = [0.1, 0.2, 0.4, 0.8],
  ) {}

  private static ns(t: number): bigint {
    return (S + BigInt(t)) * NS;
  }

  increase(startNs: bigint, endNs: bigint): MetricsIncrease {
    const inWindow = (t: number): boolean => EventMetrics.ns(t) >= startNs && EventMetrics.ns(t) < endNs;
    const counters = new Map<string, { name: string; labels: Labels; value: number }>();
    for (const e of this.counters) {
      if (!inWindow(e.t)) continue;
      const key = e.name + JSON.stringify(e.labels);
      const c = counters.get(key) ?? { name: e.name, labels: e.labels, value: 0 };
      c.value += e.inc;
      counters.set(key, c);
    }
    const histograms = new Map<string, { name: string; labels: Labels; values: number[] }>();
    for (const o of this.observations) {
      if (!inWindow(o.t)) continue;
      const key = o.name + JSON.stringify(o.labels);
      const h = histograms.get(key) ?? { name: o.name, labels: o.labels, values: [] };
      h.values.push(o.seconds);
      histograms.set(key, h);
    }
    return {
      counters: [...counters.values()],
      histograms: [...histograms.values()].map((h): HistogramSeries => ({
        name: h.name,
        labels: h.labels,
        bounds: this.bounds,
        cumulative: [...this.bounds.map((b) => h.values.filter((v) => v <= b).length), h.values.length],
        sum: h.values.reduce((a, b) => a + b, 0),
        count: h.values.length,
      })),
    };
  }

  totals(): MetricsIncrease {
    return this.increase(-(1n << 62n), 1n << 62n);
  }
}

const REQ = 'traces_service_graph_request_total';
const FAILED = 'traces_service_graph_request_failed_total';
const SECONDS = 'traces_service_graph_request_server_seconds';
const fp = { client: 'frontend', server: 'payments' };
const pd = { client: 'payments', server: 'paydb', connection_type: 'database' };

// frontend→payments: requests at +100, +160, +200 (the one at +160 failed); payments→paydb at +190.
const METRICS = new EventMetrics(
  [
    { t: 100, name: REQ, labels: fp, inc: 1 },
    { t: 160, name: REQ, labels: fp, inc: 1 },
    { t: 160, name: FAILED, labels: fp, inc: 1 },
    { t: 200, name: REQ, labels: fp, inc: 1 },
    { t: 190, name: REQ, labels: pd, inc: 1 },
  ],
  [
    { t: 100, name: SECONDS, labels: fp, seconds: 0.05 },
    { t: 160, name: SECONDS, labels: fp, seconds: 0.3 },
    { t: 200, name: SECONDS, labels: fp, seconds: 0.15 },
    { t: 190, name: SECONDS, labels: pd, seconds: 0.5 },
  ],
);

/** Unix ms of 1e6 s + t. */
function time(t: number): number {
  return Number((S + BigInt(t)) * 1000n);
}

function run(query: string, t: number, metrics: DerivedMetrics = METRICS): QueryData {
  const { expr, type } = parsePromQL(query);
  return instantQuery(expr, type, time(t), new MetricsSource(metrics, (S + 10_000n) * NS));
}

/** An instant vector as sorted `{labels} value` lines. */
function lines(data: QueryData): string[] {
  assert.equal(data.resultType, 'vector');
  return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>)
    .map((r) => `${JSON.stringify(Object.fromEntries(Object.entries(r.metric).sort()))} ${r.value[1]}`)
    .sort();
}

/** An instant vector as {labels → value}, labels sorted. */
function values(data: QueryData): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines(data)) {
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

function near(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
}

describe('PromQL grammar', () => {
  const grafana = [
    // Service map (as in Tempo 2.7).
    'sum by (client, server) (rate(traces_service_graph_request_server_seconds_sum{ foo="bar" }[3600s]))',
    'group by (client, connection_type, server) (traces_service_graph_request_total{ foo="bar" })',
    'sum by (client, server) (rate(traces_service_graph_request_total[1h])) OR sum by (client, server) (rate(traces_service_graph_request_total{client="a"}[1h]))',
    'sum by (client, server, client_service_namespace, server_service_namespace) (rate(traces_service_graph_request_failed_total[60s]))',
    'histogram_quantile(0.9, sum(rate(traces_service_graph_request_server_seconds_bucket{client="a",server="b"}[1m0s])) by (le, client, server))',
    'sum by (client, server)(rate(traces_service_graph_request_total{server="b"}[$__rate_interval]))'.replace('$__rate_interval', '4m'),
    // APM table.
    'topk(5, sum(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}[3600s])) by (span_name))',
    'topk(5, sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR",span_name=~"GET /a|POST \\\\.b"}[3600s])) by (span_name))',
    'histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{span_name=~"GET /a"}[3600s])) by (le))',
    'histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{}[3600s])) by (le))',
    // Data-source health check, and the Tempo docs' examples.
    '1+1',
    'sum(increase(traces_service_graph_request_server_seconds_count{}[7d])) by (server, client) > 0',
  ];
  for (const q of grafana) {
    test(`parses ${q}`, () => {
      assert.equal(parsePromQL(q).type, q === '1+1' ? 'scalar' : 'vector');
    });
  }

  test('keywords are case-insensitive, comments and trailing commas are allowed', () => {
    assert.equal(parsePromQL('SUM BY (a,) (x{b="c",}) # comment').type, 'vector');
    assert.equal(parsePromQL('x or y AND z unless w').type, 'vector');
  });

  test('precedence: ^ is right-associative and binds tighter than unary minus', () => {
    assert.deepEqual(run('-2 ^ 2', 0).result, [time(0) / 1000, '-4']);
    assert.deepEqual(run('2 ^ 3 ^ 2', 0).result, [time(0) / 1000, '512']);
    assert.deepEqual(run('1 + 2 * 3 - 4 / 2', 0).result, [time(0) / 1000, '5']);
    assert.deepEqual(run('(1 + 2) * 3 > bool 8', 0).result, [time(0) / 1000, '1']);
  });

  const refused: Array<[string, typeof PromQLSyntaxError | typeof PromQLUnsupportedError, RegExp]> = [
    ['irate(x[5m])', PromQLUnsupportedError, /the function irate\(\) is not supported/],
    ['label_replace(x, "a", "b", "c", "d")', PromQLUnsupportedError, /label_replace\(\)/],
    ['rate(x[5m] offset 1m)', PromQLUnsupportedError, /offset modifier/],
    ['rate(x[5m:1m])', PromQLUnsupportedError, /subquery/],
    ['x / on (a) group_left y', PromQLUnsupportedError, /many-to-one matching/],
    ['count_values("v", x)', PromQLUnsupportedError, /count_values aggregation/],
    ['nosuchfn(x)', PromQLSyntaxError, /^1:1: parse error: unknown function with name "nosuchfn"$/],
    ['sum(rate(x[5m]) by (a)', PromQLSyntaxError, /^1:17: parse error: unexpected <by> in aggregation; expected "\)"$/],
    ['rate(x)', PromQLSyntaxError, /expected type range vector in call to function "rate", got instant vector/],
    ['sum(x[5m])', PromQLSyntaxError, /expected type instant vector in aggregation expression, got range vector/],
    ['x[5m]', PromQLSyntaxError, /.^/], // parses; refused only when evaluated (see below)
    ['1 > 2', PromQLSyntaxError, /comparisons between scalars must use BOOL modifier/],
    ['1 or 2', PromQLSyntaxError, /set operator "or" not allowed in binary scalar expression/],
    ['{}', PromQLSyntaxError, /vector selector must contain at least one non-empty matcher/],
    ['x{a=~"("}', PromQLSyntaxError, /invalid regular expression/],
    ['x{a="b"', PromQLSyntaxError, /unexpected end of input in label matching/],
    ['rate(x[5x])', PromQLSyntaxError, /bad number or duration syntax: "5x"/],
    ['', PromQLSyntaxError, /no expression found in input/],
  ];
  for (const [q, kind, message] of refused) {
    if (q === 'x[5m]') {
      test('a bare range vector is refused at evaluation', () => {
        assert.throws(() => run(q, 0), PromQLEvaluationError);
      });
      continue;
    }
    test(`refuses ${JSON.stringify(q)}`, () => {
      assert.throws(() => parsePromQL(q), (err: Error) => err instanceof kind && message.test(err.message));
    });
  }
});

describe('PromQL evaluation over derived metrics', () => {
  test('m[r] at t covers events in (t − r, t]; rate = increase / r', () => {
    // Window (100, 200]: +160 and +200 count, +100 does not.
    assert.deepEqual(lines(run(`increase(${REQ}{client="frontend"}[100s])`, 200)), ['{"client":"frontend","server":"payments"} 2']);
    assert.deepEqual(lines(run(`rate(${REQ}{client="frontend"}[100s])`, 200)), ['{"client":"frontend","server":"payments"} 0.02']);
    // Window (99, 199]: +100 and +160.
    assert.deepEqual(lines(run(`increase(${REQ}{server="payments"}[100s])`, 199)), ['{"client":"frontend","server":"payments"} 2']);
    // Nothing in the window: the series that exist by then are 0, as scraped counters would be…
    assert.deepEqual(lines(run(`rate(${REQ}[10s])`, 150)), ['{"client":"frontend","server":"payments"} 0']);
    // …and before any exists there is no series at all.
    assert.deepEqual(lines(run(`rate(${REQ}[10s])`, 50)), []);
  });

  test('a bare selector is the cumulative counter at t, with its name', () => {
    assert.deepEqual(lines(run(REQ, 150)), [`{"__name__":"${REQ}","client":"frontend","server":"payments"} 1`]);
    assert.deepEqual(lines(run(REQ, 9_999_999)), [
      `{"__name__":"${REQ}","client":"frontend","server":"payments"} 3`,
      `{"__name__":"${REQ}","client":"payments","connection_type":"database","server":"paydb"} 1`,
    ]);
  });

  test('service-map queries: sum by, group by, OR of selectors', () => {
    assert.deepEqual(lines(run(`sum by (client, server) (rate(${REQ}[1000s]))`, 500)), [
      '{"client":"frontend","server":"payments"} 0.003',
      '{"client":"payments","server":"paydb"} 0.001',
    ]);
    assert.deepEqual(lines(run(`group by (client, connection_type, server) (${REQ})`, 500)), [
      '{"client":"frontend","server":"payments"} 1',
      '{"client":"payments","connection_type":"database","server":"paydb"} 1',
    ]);
    assert.deepEqual(lines(run(`sum by (client, server) (rate(${REQ}{client="frontend"}[1000s])) OR sum by (client, server) (rate(${REQ}{server=~"pay.*"}[1000s]))`, 500)), [
      '{"client":"frontend","server":"payments"} 0.003',
      '{"client":"payments","server":"paydb"} 0.001',
    ]);
    assert.deepEqual(lines(run(`sum by (client, server) (increase(${FAILED}[1000s])) / sum by (client, server) (increase(${REQ}[1000s]))`, 500)), [
      '{"client":"frontend","server":"payments"} 0.3333333333333333',
    ]);
  });

  test('histograms: _bucket (with +Inf), _sum, _count; histogram_quantile interpolates linearly', () => {
    // frontend→payments observed 0.05, 0.3, 0.15: cumulative le 0.1:1 0.2:2 0.4:3 0.8:3 +Inf:3.
    assert.deepEqual(lines(run(`increase(${SECONDS}_bucket{client="frontend"}[1000s])`, 500)), [
      '{"client":"frontend","le":"+Inf","server":"payments"} 3',
      '{"client":"frontend","le":"0.1","server":"payments"} 1',
      '{"client":"frontend","le":"0.2","server":"payments"} 2',
      '{"client":"frontend","le":"0.4","server":"payments"} 3',
      '{"client":"frontend","le":"0.8","server":"payments"} 3',
    ]);
    assert.deepEqual(lines(run(`increase(${SECONDS}_sum[1000s]) and increase(${SECONDS}_count{client="frontend"}[1000s])`, 500)), [
      '{"client":"frontend","server":"payments"} 0.5',
    ]);
    // p90: rank 2.7 lies in (0.2, 0.4] holding 1 → 0.2 + 0.2 × 0.7 = 0.34. p50: rank 1.5 in (0.1, 0.2] → 0.15.
    const p90 = values(run(`histogram_quantile(0.9, sum(rate(${SECONDS}_bucket[1000s])) by (le, client, server))`, 500));
    assert.deepEqual(Object.keys(p90), ['{"client":"frontend","server":"payments"}', '{"client":"payments","server":"paydb"}']);
    near(p90['{"client":"frontend","server":"payments"}'], 0.34);
    // payments→paydb: one observation of 0.5 in (0.4, 0.8]; p90 → 0.4 + 0.4 × 0.9 = 0.76.
    near(p90['{"client":"payments","server":"paydb"}'], 0.76);
    near(values(run(`histogram_quantile(0.5, sum(rate(${SECONDS}_bucket{client="frontend"}[1000s])) by (le))`, 500))['{}'], 0.15);
  });

  test('idle series are kept as Prometheus keeps them: 0 for a counter, NaN for a quantile', () => {
    // At +400 with a 10 s window nothing moved; both edges exist since +100 and +190.
    assert.deepEqual(lines(run(`sum by (client, server) (rate(${REQ}[10s]))`, 400)), [
      '{"client":"frontend","server":"payments"} 0',
      '{"client":"payments","server":"paydb"} 0',
    ]);
    assert.deepEqual(lines(run(`sum by (client, server) (rate(${FAILED}[10s]))`, 400)), ['{"client":"frontend","server":"payments"} 0']);
    assert.deepEqual(lines(run(`histogram_quantile(0.9, sum(rate(${SECONDS}_bucket[10s])) by (le, client, server))`, 400)), [
      '{"client":"frontend","server":"payments"} NaN',
      '{"client":"payments","server":"paydb"} NaN',
    ]);
    // A comparison drops them, as in Prometheus.
    assert.deepEqual(lines(run(`sum by (client, server) (increase(${REQ}[10s])) > 0`, 400)), []);
  });

  test('Prometheus bucketQuantile edge cases', () => {
    const b = (upper: number, count: number) => ({ upper, count });
    assert.ok(Number.isNaN(bucketQuantile(0.5, [b(1, 1), b(2, 2)]))); // no +Inf bucket
    assert.ok(Number.isNaN(bucketQuantile(0.5, [b(1, 0), b(Infinity, 0)]))); // no observations
    assert.equal(bucketQuantile(0.99, [b(1, 1), b(2, 2), b(Infinity, 10)]), 2); // in +Inf: the highest finite bound
    assert.equal(bucketQuantile(0.5, [b(1, 2), b(Infinity, 2)]), 0.5); // first bucket starts at 0
    assert.equal(bucketQuantile(-1, [b(1, 2), b(Infinity, 2)]), -Infinity);
    assert.equal(bucketQuantile(2, [b(1, 2), b(Infinity, 2)]), Infinity);
  });

  test('aggregations: avg, min, max, count, without; topk / bottomk keep full label sets', () => {
    const calls = 'traces_spanmetrics_calls_total';
    const m = new EventMetrics([
      { t: 10, name: calls, labels: { service: 'a', span_name: 'x' }, inc: 5 },
      { t: 10, name: calls, labels: { service: 'a', span_name: 'y' }, inc: 1 },
      { t: 10, name: calls, labels: { service: 'b', span_name: 'z' }, inc: 3 },
    ]);
    assert.deepEqual(lines(run(`avg(increase(${calls}[1m]))`, 20, m)), ['{} 3']);
    assert.deepEqual(lines(run(`max without (span_name) (increase(${calls}[1m]))`, 20, m)), ['{"service":"a"} 5', '{"service":"b"} 3']);
    assert.deepEqual(lines(run(`min by (service) (increase(${calls}[1m]))`, 20, m)), ['{"service":"a"} 1', '{"service":"b"} 3']);
    assert.deepEqual(lines(run(`count(${calls})`, 20, m)), ['{} 3']);
    const top = run(`topk(2, increase(${calls}[1m]))`, 20, m);
    assert.deepEqual((top.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => [r.metric.span_name, r.value[1]]), [['x', '5'], ['z', '3']]);
    assert.deepEqual(lines(run(`bottomk by (service) (1, increase(${calls}[1m]))`, 20, m)), [
      '{"service":"a","span_name":"y"} 1',
      '{"service":"b","span_name":"z"} 3',
    ]);
    assert.deepEqual(lines(run(`increase(${calls}[1m]) > 2`, 20, m)), ['{"service":"a","span_name":"x"} 5', '{"service":"b","span_name":"z"} 3']);
    assert.deepEqual(lines(run(`${calls} > bool 2`, 20, m)), ['{"service":"a","span_name":"x"} 1', '{"service":"a","span_name":"y"} 0', '{"service":"b","span_name":"z"} 1']);
    assert.deepEqual(lines(run(`increase(${calls}{service="a"}[1m]) unless increase(${calls}{span_name="y"}[1m])`, 20, m)), ['{"service":"a","span_name":"x"} 5']);
  });

  test('vector matching errors are execution errors, not wrong answers', () => {
    assert.throws(() => run(`rate(${REQ}[1000s]) / on () rate(${REQ}[1000s])`, 500), /many-to-many matching not allowed/);
    assert.throws(() => run(`rate({__name__=~"traces_service_graph_request_.*"}[1000s])`, 500), /vector cannot contain metrics with the same labelset/);
  });

  test('range queries evaluate at every step', () => {
    const { expr, type } = parsePromQL(`sum by (client) (increase(${REQ}[60s]))`);
    const data = rangeQuery(expr, type, time(60), time(240), 60_000, new MetricsSource(METRICS));
    assert.equal(data.resultType, 'matrix');
    // Steps 60, 120, 180, 240 with windows (0,60] (60,120] (120,180] (180,240]:
    // frontend 0, 1 (+100), 1 (+160), 1 (+200); payments 1 (+190) at 240.
    assert.deepEqual(data.result, [
      { metric: { client: 'frontend' }, values: [[time(120) / 1000, '1'], [time(180) / 1000, '1'], [time(240) / 1000, '1']] },
      { metric: { client: 'payments' }, values: [[time(240) / 1000, '1']] },
    ]);
    const scalar = parsePromQL('2 * 3');
    assert.deepEqual(rangeQuery(scalar.expr, scalar.type, time(0), time(60), 30_000, new MetricsSource(METRICS)).result, [
      { metric: {}, values: [[time(0) / 1000, '6'], [time(30) / 1000, '6'], [time(60) / 1000, '6']] },
    ]);
  });
});
