import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogQLSyntaxError, LogQLUnsupportedError, parseLogQL, parseSelector, type LogExpr, type MetricExpr } from '../../src/logql/index.ts';

const log = (q: string): LogExpr => {
  const r = parseLogQL(q);
  assert.equal(r.kind, 'log');
  return r as LogExpr;
};

function syntaxError(q: string, message: string): void {
  assert.throws(() => parseLogQL(q), (err: unknown) => err instanceof LogQLSyntaxError && err.message === message, q);
}

function unsupported(q: string, what: string): void {
  assert.throws(
    () => parseLogQL(q),
    (err: unknown) => err instanceof LogQLUnsupportedError && err.message.startsWith(`${what} is not supported by tracebox's LogQL subset; supported: `),
    q,
  );
}

test('stream selectors with every matcher operator', () => {
  const q = log('{service_name="shop", env!="prod", k8s_pod_name=~"web-.+", region!~"eu.*",}');
  assert.deepEqual(q.selector.map((m) => [m.name, m.op, m.value]), [
    ['service_name', '=', 'shop'], ['env', '!=', 'prod'], ['k8s_pod_name', '=~', 'web-.+'], ['region', '!~', 'eu.*'],
  ]);
  assert.equal(q.selector[2].re?.test('web-1'), true);
  assert.equal(q.selector[2].re?.test('xweb-1'), false, 'selector regexes are anchored');
  assert.deepEqual(parseSelector('{a=`raw\\n`}').map((m) => m.value), ['raw\\n']);
});

test('line filters, chained and with or', () => {
  const q = log('{a="b"} |= "x" != "y" |~ "or.er [0-9]+" !~ "(?i)DEBUG" |= "p" or "q"');
  assert.deepEqual(q.stages.map((s) => (s.kind === 'line' ? [s.op, ...s.values] : s.kind)), [
    ['|=', 'x'], ['!=', 'y'], ['|~', 'or.er [0-9]+'], ['!~', '(?i)DEBUG'], ['|=', 'p', 'q'],
  ]);
  const re = q.stages[2].kind === 'line' ? q.stages[2].res?.[0] : undefined;
  assert.equal(re?.test('payment for order 12 failed'), true, 'line regexes match anywhere');
  assert.equal(re?.test('order x'), false);
});

test('parsers, label filters, line_format, drop and keep', () => {
  const q = log('{a="b"} | json | logfmt | status >= 400 and duration > 1.5s or size <= 10KB, level=~"err.*" (x="1" or y!="2") | line_format "{{.level}}: {{ .msg }}" | drop __error__, b="c" | keep a');
  assert.deepEqual(q.stages.map((s) => s.kind), ['parser', 'parser', 'labelFilter', 'lineFormat', 'drop', 'keep']);
  const f = q.stages[2];
  assert.equal(f.kind, 'labelFilter');
  // `or` binds loosest: (status >= 400 and duration > 1.5s) or (size <= 10KB and level =~ … and (x or y))
  assert.equal(f.kind === 'labelFilter' && f.predicate.kind, 'or');
  const fmt = q.stages[3];
  assert.deepEqual(fmt.kind === 'lineFormat' && fmt.parts, [{ label: 'level' }, { text: ': ' }, { label: 'msg' }]);
  const eq = log('{a="b"} | status=200 | trace_id="abc"').stages;
  assert.deepEqual(eq[0].kind === 'labelFilter' && eq[0].predicate, { kind: 'number', name: 'status', op: '==', value: 200, unit: 'number' });
  assert.deepEqual(eq[1].kind === 'labelFilter' && eq[1].predicate.kind === 'string' && eq[1].predicate.matcher, { name: 'trace_id', op: '=', value: 'abc' });
});

test('pattern and decolorize', () => {
  const q = log('{a="b"} | pattern `<ip> - <_> "<method> <path> <_>" <status>` | decolorize');
  assert.deepEqual(q.stages[0], {
    kind: 'pattern',
    parts: [{ capture: 'ip' }, { literal: ' - ' }, { capture: '_' }, { literal: ' "' }, { capture: 'method' }, { literal: ' ' }, { capture: 'path' }, { literal: ' ' }, { capture: '_' }, { literal: '" ' }, { capture: 'status' }],
  });
  assert.equal(q.stages[1].kind, 'decolorize');
  const lf = log('{a="b"} | label_format svc=service_name, both="{{.a}}/{{.b}}"').stages[0];
  assert.deepEqual(lf, { kind: 'labelFormat', items: [{ dst: 'svc', src: 'service_name' }, { dst: 'both', template: [{ label: 'a' }, { text: '/' }, { label: 'b' }] }] });
  syntaxError('{a="b"} | pattern "<a><b>"', 'parse error at line 1, col 19: invalid pattern "<a><b>": consecutive captures are not allowed');
  syntaxError('{a="b"} | pattern "<_> x"', 'parse error at line 1, col 19: invalid pattern "<_> x": at least one named capture is required');
});

test('metric queries Grafana sends', () => {
  const volume = parseLogQL('sum by (level, detected_level) (count_over_time({service_name="shop"} | drop __error__[1m]))') as MetricExpr;
  assert.equal(volume.kind, 'aggregate');
  assert.deepEqual(volume.kind === 'aggregate' && volume.grouping, { without: false, labels: ['level', 'detected_level'] });
  const inner = volume.kind === 'aggregate' ? volume.inner : undefined;
  assert.equal(inner?.kind === 'range' && inner.rangeNs, 60e9);
  const post = parseLogQL('sum(rate({a="b"}[5m] |= "x")) without (pod)') as MetricExpr;
  assert.deepEqual(post.kind === 'aggregate' && post.grouping, { without: true, labels: ['pod'] });
  const top = parseLogQL('topk(3, sum by (service_name) (bytes_over_time({a="b"}[1h] offset 5m)))') as MetricExpr;
  assert.equal(top.kind === 'aggregate' && top.param, 3);
  const health = parseLogQL('vector(1)+vector(1)') as MetricExpr;
  assert.deepEqual(health, { kind: 'binary', op: '+', left: { kind: 'vector', value: 1 }, right: { kind: 'vector', value: 1 } });
  const paren = parseLogQL('count_over_time(({a="b"} |= "x")[5m]) / 2 ^ 2') as MetricExpr;
  assert.equal(paren.kind === 'binary' && paren.op, '/');
});

test('syntax errors in Loki wording, with line and column', () => {
  syntaxError('{service_name=', 'parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING');
  syntaxError('{}', 'parse error at line 1, col 2: syntax error: unexpected }, expecting IDENTIFIER');
  syntaxError('{a="b"', 'parse error at line 1, col 7: syntax error: unexpected $end, expecting , or }');
  syntaxError('{a="b"} |= ', 'parse error at line 1, col 12: syntax error: unexpected $end, expecting STRING');
  syntaxError('{a="b"}\n| x >', 'parse error at line 2, col 6: syntax error: unexpected $end, expecting STRING or NUMBER');
  syntaxError('{a="b"} | x > "s"', 'parse error at line 1, col 15: syntax error: unexpected STRING, expecting STRING or NUMBER');
  syntaxError('count_over_time({a="b"})', 'parse error at line 1, col 24: syntax error: unexpected ), expecting RANGE');
  syntaxError('{a="b"}[5m]', 'parse error at line 1, col 8: syntax error: unexpected RANGE: a range needs a function such as count_over_time around it');
  syntaxError('{a=~"(x"}', 'parse error at line 1, col 5: error parsing regexp: missing closing ): `(x`');
  syntaxError('{a="b"} |~ "a)("', 'parse error at line 1, col 12: error parsing regexp: unexpected ): `a)(`');
  syntaxError('{a="b"} |= "unterminated', 'parse error at line 1, col 12: literal not terminated');
  syntaxError('{a="b"} $', 'parse error at line 1, col 9: syntax error: unexpected character "$"');
  syntaxError('sum(count_over_time({a="b"}[0s]))', 'parse error at line 1, col 29: syntax error: the range must be greater than zero');
  syntaxError(
    '{a=~".*"}',
    'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
  );
  syntaxError(`${'('.repeat(300)}vector(1)${')'.repeat(300)}`, 'parse error at line 1, col 202: syntax error: expressions nested deeper than 200 levels');
  syntaxError(`{a="b"} | ${'('.repeat(300)}x="1"${')'.repeat(300)}`, 'parse error at line 1, col 212: syntax error: expressions nested deeper than 200 levels');
  syntaxError('{a=""}', 'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will');
});

test('valid LogQL outside the subset is refused by name', () => {
  unsupported('{a="b"} | regexp "(?P<x>.*)"', '| regexp');
  unsupported('{a="b"} | unwrap latency', '| unwrap');
  unsupported('{a="b"} | label_format a="{{ .b | lower }}"', 'the label_format template action {{ .b | lower }} (only {{.label}} is)');
  unsupported('{a="b"} | json a="b.c"', '| json with expressions');
  unsupported('{a="b"} | logfmt --strict', '| logfmt with flags or expressions');
  unsupported('{a="b"} |> "<_> x"', 'the pattern line filter |>');
  unsupported('{a="b"} |= ip("1.2.3.4")', 'the ip() line filter');
  unsupported('{a="b"} | line_format "{{ .a | upper }}"', 'the line_format template action {{ .a | upper }} (only {{.label}} is)');
  unsupported('avg_over_time({a="b"} | unwrap x [5m])', 'avg_over_time');
  unsupported('quantile_over_time(0.9, {a="b"}[5m])', 'quantile_over_time');
  unsupported('stddev(count_over_time({a="b"}[5m]))', 'stddev');
  unsupported('count_over_time({a="b"}[5m:1m])', 'subqueries');
  unsupported('count_over_time({a="b"}[5m]) > 2', 'the comparison operator >');
  unsupported('count_over_time({a="b"}[5m]) or vector(0)', 'the set operator or');
  unsupported('label_replace(rate({a="b"}[1m]), "x", "$1", "a", "(.*)")', 'label_replace');
});
