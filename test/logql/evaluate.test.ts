import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePipeline, evaluateMetric, LogQLEvaluationError, newLabels, parseLogQL, parseSelector, selects,
  type EntrySource, type Labels, type LogExpr, type MetricExpr, type PipelineEntry,
} from '../../src/logql/index.ts';

const labels = (o: Record<string, string>): Labels => Object.assign(newLabels(), o);

interface Entry {
  readonly tsNs: bigint;
  readonly line: string;
  readonly stream: Labels;
  readonly metadata: Labels;
}

const entries: Entry[] = [
  { tsNs: 10_000_000_000n, line: 'payment declined for order 9', stream: labels({ service_name: 'shop' }), metadata: labels({ severity_text: 'ERROR', trace_id: 'aa' }) },
  { tsNs: 20_000_000_000n, line: '{"event":"cart.updated","items":3,"user":{"id":"u1"},"tags":["x"]}', stream: labels({ service_name: 'shop' }), metadata: labels({ severity_text: 'INFO', trace_id: 'bb' }) },
  { tsNs: 30_000_000_000n, line: 'level=warn msg="slow query" duration=1.5s size=2KB status=503', stream: labels({ service_name: 'db' }), metadata: labels({ severity_text: 'WARN' }) },
  { tsNs: 40_000_000_000n, line: 'status=abc', stream: labels({ service_name: 'db' }), metadata: labels({}) },
];

function run(q: string): PipelineEntry[] {
  const expr = parseLogQL(q) as LogExpr;
  const p = compilePipeline(expr);
  return entries.map((e) => p(e.line, e.stream, e.metadata)).filter((e): e is PipelineEntry => e !== null);
}

const lines = (q: string): string[] => run(q).map((e) => e.line);

test('selectors and line filters select exactly', () => {
  assert.equal(lines('{service_name=~".+"}').length, 4);
  assert.deepEqual(lines('{service_name="shop"} |= "declined"'), ['payment declined for order 9']);
  assert.equal(lines('{service_name="shop"} != "declined"').length, 1);
  assert.deepEqual(lines('{service_name=~".+"} |~ "order [0-9]+$"'), ['payment declined for order 9']);
  assert.deepEqual(lines('{service_name=~".+"} |= "declined" or "slow"').length, 2);
  assert.equal(selects(parseSelector('{service_name!="shop", service_name=~"d.*"}'), labels({ service_name: 'db' })), true);
});

test('structured metadata filters and parsers', () => {
  assert.deepEqual(lines('{service_name=~".+"} | severity_text="ERROR"'), ['payment declined for order 9']);
  assert.deepEqual(lines('{service_name=~".+"} | trace_id="bb"').length, 1);
  assert.equal(lines('{service_name=~".+"} | trace_id=""').length, 2, 'a missing label compares as ""');
  const json = run('{service_name="shop"} | json | event="cart.updated"');
  assert.equal(json.length, 1);
  assert.deepEqual({ ...json[0].parsed }, { event: 'cart.updated', items: '3', user_id: 'u1' });
  const errors = run('{service_name="shop"} | json');
  assert.deepEqual({ ...errors[0].parsed }.__error__, 'JSONParserErr');
  assert.equal(run('{service_name="shop"} | json | __error__=""').length, 1);
  const logfmt = run('{service_name="db"} | logfmt | duration > 1s and size >= 2000 and status == 503');
  assert.equal(logfmt.length, 1);
  assert.equal(logfmt[0].parsed.msg, 'slow query');
  const bad = run('{service_name="db"} | logfmt | status > 500');
  assert.deepEqual(bad.map((e) => e.parsed.__error__), [undefined, 'LabelFilterErr']);
  assert.deepEqual(lines('{service_name="db"} | logfmt | line_format "{{.level}}: {{.msg}}"'), ['warn: slow query', ': ']);
  const pattern = run('{service_name="db"} | pattern "level=<level> msg=\\"<msg>\\" <_>"');
  assert.deepEqual(pattern.map((e) => ({ ...e.parsed })), [{ level: 'warn', msg: 'slow query' }, {}], 'a line that does not match keeps no labels');
  const anchored = run('{service_name="db"} | pattern "msg=<msg> "');
  assert.deepEqual(anchored.map((e) => ({ ...e.parsed })), [{}, {}], 'a pattern starting with a literal is anchored at the start');
  const unanchored = run('{service_name="db"} | pattern "<_>msg=<msg> duration"');
  assert.deepEqual(unanchored.map((e) => ({ ...e.parsed })), [{ msg: '"slow query"' }, {}]);
  const colours = compilePipeline(parseLogQL('{a="b"} | decolorize') as LogExpr);
  assert.equal(colours('\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[m', labels({ a: 'b' }), labels({}))?.line, 'red and green');
  const formatted = run('{service_name="db"} | logfmt | label_format lvl=level, what="{{.level}}:{{.service_name}}" | lvl="warn"');
  assert.deepEqual(formatted.map((e) => [e.parsed.lvl, e.parsed.level, e.parsed.what]), [['warn', undefined, 'warn:db']], 'a rename moves the value');
  const dropped = run('{service_name="shop"} | json | drop __error__, __error_details__, severity_text="INFO" | keep service_name, event, trace_id');
  assert.deepEqual(dropped.map((e) => [{ ...e.stream }, { ...e.metadata }, { ...e.parsed }]), [
    [{ service_name: 'shop' }, { trace_id: 'aa' }, {}],
    [{ service_name: 'shop' }, { trace_id: 'bb' }, { event: 'cart.updated' }],
  ]);
});

const source: EntrySource = (log, from, to, visit) => {
  const p = compilePipeline(log);
  for (const e of entries) {
    if (e.tsNs <= from || e.tsNs > to) continue;
    const out = p(e.line, e.stream, e.metadata);
    if (out !== null) visit(e.tsNs, out);
  }
};

const steps = { startNs: 10_000_000_000n, endNs: 40_000_000_000n, stepNs: 10_000_000_000n };

test('range and vector aggregations step by step', () => {
  const r = evaluateMetric(parseLogQL('sum by (service_name) (count_over_time({service_name=~".+"}[15s]))') as MetricExpr, steps, source);
  assert.equal(r.kind, 'vector');
  const byService = Object.fromEntries((r.kind === 'vector' ? r.series : []).map((s) => [s.metric.service_name, [...s.values]]));
  assert.deepEqual(byService, { shop: [1, 2, 1, NaN], db: [NaN, NaN, 1, 2] });
  const rate = evaluateMetric(parseLogQL('sum(rate({service_name=~".+"}[20s]))') as MetricExpr, steps, source);
  assert.deepEqual(rate.kind === 'vector' && [...rate.series[0].values], [0.05, 0.1, 0.1, 0.1]);
  const plain = evaluateMetric(parseLogQL('count_over_time({service_name="shop"}[1m])') as MetricExpr, steps, source);
  assert.equal(plain.kind === 'vector' && plain.series.length, 2, 'one series per full label set');
  const top = evaluateMetric(parseLogQL('topk(1, sum by (service_name) (count_over_time({service_name=~".+"}[1m])))') as MetricExpr, steps, source);
  assert.deepEqual((top.kind === 'vector' ? top.series : []).map((s) => [s.metric.service_name, [...s.values]]), [
    ['shop', [1, 2, 2, 2]],
  ], 'db never beats shop (a tie keeps the first)');
  const health = evaluateMetric(parseLogQL('vector(1)+vector(1)') as MetricExpr, { startNs: 4n, endNs: 4n, stepNs: 1n }, source);
  assert.deepEqual(health.kind === 'vector' && health.series.map((s) => [{ ...s.metric }, [...s.values]]), [[{}, [2]]]);
  const bytes = evaluateMetric(parseLogQL('sum(bytes_over_time({service_name="db"}[1m])) * 2') as MetricExpr, steps, source);
  assert.deepEqual(bytes.kind === 'vector' && [...bytes.series[0].values], [NaN, NaN, 2 * 61, 2 * (61 + 10)]);
  assert.throws(
    () => evaluateMetric(parseLogQL('sum(count_over_time({service_name="shop"} | json [1m]))') as MetricExpr, steps, source),
    (err: unknown) => err instanceof LogQLEvaluationError && err.message.startsWith("pipeline error: 'JSONParserErr' for series: "),
  );
});
