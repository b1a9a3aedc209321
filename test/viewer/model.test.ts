/**
 * The viewer's pure modules (web/src/model, web/src/editor/complete.ts), without a
 * browser: trace building, waterfall rows, critical path, hints, compare, trace files,
 * search results, the search form, completion contexts, links, and the service map's
 * layout. The trace page's other views are in trace-views.test.ts, drawing in looks.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrace, selfTime, type SpanJson, type TraceJson } from '../../web/src/model/trace.ts';
import { MS, span, T0, trace } from './spans.ts';
import { buildRows, collapseBelow, type Row } from '../../web/src/model/rows.ts';
import { criticalPath, onPath } from '../../web/src/model/critical-path.ts';
import { findHints } from '../../web/src/model/hints.ts';
import { diffOperations, diffSummary, diffTraces } from '../../web/src/model/diff.ts';
import { idToHex, parseTraceFile, tempoToOtlpJson, traceJsonToOtlp } from '../../web/src/model/otlp.ts';
import { EMPTY_FORM, formToTraceQL, traceqlToForm, durationText } from '../../web/src/model/query-builder.ts';
import { sortRows, toRow } from '../../web/src/model/search-results.ts';
import { completionContext } from '../../web/src/editor/complete.ts';
import { logsUrl, DEFAULT_LOGS_TEMPLATE } from '../../web/src/model/logs-link.ts';
import { codeLocation, editorUrl, parseMappings, splitFrame } from '../../web/src/model/source.ts';
import { graphFromTraces, layoutGraph } from '../../web/src/model/service-graph.ts';

/** Rows drawn as text: indentation by depth, "[n hidden]" for markers. */
function draw(t: ReturnType<typeof buildTrace>, rows: Row[]): string {
  return rows.map((r) => '  '.repeat(r.depth) + (r.type === 'span' ? t.spans[r.idx].name : `[${r.count} hidden]`)).join('\n');
}

//   root 0..100
//   ├─ a 10..40      (svc A)
//   │  └─ a1 12..13  (1 ms)
//   └─ b 50..90      (svc B)
//      └─ b1 60..80  (svc A)
//   orphan x (parent missing) 5..6
const SHOP = trace([
  span('b1', 'b', 'A', 'b1', 60, 80),
  span('root', '', 'A', 'root', 0, 100),
  span('a', 'root', 'A', 'a', 10, 40),
  span('b', 'root', 'B', 'b', 50, 90),
  span('a1', 'a', 'A', 'a1', 12, 13),
  span('x', 'gone', 'C', 'x', 5, 6),
  span('a', 'root', 'A', 'duplicate of a', 10, 40),
]);

describe('model/trace', () => {
  test('pre-order with children by start, depths, orphans as roots, first copy of a duplicate', () => {
    const t = buildTrace(SHOP);
    assert.deepEqual(
      t.spans.map((s) => `${'.'.repeat(s.depth)}${s.name}`),
      ['root', '.a', '..a1', '.b', '..b1', 'x'],
    );
    assert.equal(t.spans[5].orphan, true);
    assert.equal(t.spans[0].descendants, 4);
    assert.equal(t.dur, 100 * MS);
    assert.deepEqual(t.services, ['A', 'B', 'C']);
    assert.equal(selfTime(t, 0), 100 * MS - 30 * MS - 40 * MS);
  });

  test('a parent cycle does not lose spans', () => {
    const t = buildTrace(trace([span('p', 'q', 'A', 'p', 0, 10), span('q', 'p', 'A', 'q', 1, 5)]));
    assert.equal(t.spans.length, 2);
  });
});

describe('model/rows', () => {
  const t = buildTrace(SHOP);
  const none = { collapsed: new Set<number>(), minDur: 0, hiddenServices: new Set<string>(), revealed: new Set<number>() };

  test('collapsing hides the subtree', () => {
    assert.equal(draw(t, buildRows(t, { ...none, collapsed: new Set([1]) })), 'root\n  a\n  b\n    b1\nx');
    assert.deepEqual([...collapseBelow(t, 1)], [1, 3]);
  });

  test('short spans collapse into an "n hidden" row under their shown parent', () => {
    assert.equal(draw(t, buildRows(t, { ...none, minDur: 2 * MS })), 'root\n  a\n    [1 hidden]\n  b\n    b1\n[1 hidden]');
  });

  test("a hidden service's descendants stay, one level up; revealing brings them back", () => {
    const hidden = { ...none, hiddenServices: new Set(['B']) };
    assert.equal(draw(t, buildRows(t, hidden)), 'root\n  a\n    a1\n  b1\n  [1 hidden]\nx');
    assert.equal(draw(t, buildRows(t, { ...hidden, revealed: new Set([0]) })), 'root\n  a\n    a1\n  b\n    b1\nx');
  });
});

describe('model/critical-path', () => {
  test('walks back from the end through the last-finishing children', () => {
    const t = buildTrace(SHOP);
    const cp = criticalPath(t);
    // root waits for b (50..90), b for b1 (60..80); a ends before b starts: also on the path.
    assert.deepEqual(cp.get(4), [[60 * MS, 80 * MS]]);
    assert.deepEqual(cp.get(3), [
      [50 * MS, 60 * MS],
      [80 * MS, 90 * MS],
    ]);
    assert.equal(onPath(cp.get(0)) + onPath(cp.get(1)) + onPath(cp.get(2)) + onPath(cp.get(3)) + onPath(cp.get(4)), 100 * MS);
  });
});

describe('model/hints', () => {
  test('n+1, retries, sequential calls and gaps', () => {
    const spans = [span('r', '', 'api', 'GET /cart', 0, 400)];
    for (let i = 0; i < 6; i++) spans.push(span(`q${i}`, 'r', 'api', 'SELECT item', 1 + i * 3, 3 + i * 3, { kind: 'client', attributes: { 'db.statement': 'SELECT * FROM item WHERE id = ?' } }));
    for (let i = 0; i < 3; i++) spans.push(span(`p${i}`, 'r', 'api', 'POST /pay', 30 + i * 10, 38 + i * 10, { kind: 'client', status: i < 2 ? 'error' : 'unset' }));
    spans.push(span('s1', 'r', 'api', 'GET /stock', 60, 120, { kind: 'client', attributes: { 'peer.service': 'stock' } }));
    spans.push(span('s2', 'r', 'api', 'GET /price', 125, 200, { kind: 'client', attributes: { 'peer.service': 'price' } }));
    const kinds = findHints(buildTrace(trace(spans)))
      .map((h) => h.kind)
      .sort();
    assert.deepEqual(kinds, ['gap', 'n+1', 'retries', 'sequential']);
  });
});

describe('model/diff', () => {
  test('matches spans by path and occurrence; reports the rest as only in one trace', () => {
    const a = buildTrace(trace([span('r', '', 'A', 'root', 0, 100), span('c1', 'r', 'A', 'call', 0, 10), span('c2', 'r', 'A', 'call', 10, 20)]));
    const b = buildTrace(trace([span('r', '', 'A', 'root', 0, 300), span('c1', 'r', 'A', 'call', 0, 10), span('d', 'r', 'B', 'db', 10, 290)]));
    const rows = diffTraces(a, b);
    assert.deepEqual(
      rows.map((r) => `${r.name}:${r.a !== undefined ? 'A' : '-'}${r.b !== undefined ? 'B' : '-'}`),
      ['root:AB', 'call:AB', 'call:A-', 'db:-B'],
    );
    assert.equal(diffOperations(a, b)[0].name, 'db');
  });

  test('besides time: new failures, fixed ones, message changes, added and missing spans by operation', () => {
    const a = buildTrace(
      trace([
        span('r', '', 'A', 'root', 0, 100),
        span('p', 'r', 'A', 'pay', 0, 10, { status: 'error', statusMessage: 'declined' }),
        span('q', 'r', 'A', 'query', 10, 20, { status: 'error', statusMessage: 'timeout' }),
        span('s', 'r', 'A', 'stock', 20, 30),
        span('old', 'r', 'C', 'cache', 30, 40),
      ]),
    );
    const b = buildTrace(
      trace([
        span('r', '', 'A', 'root', 0, 100, { status: 'error', statusMessage: 'boom' }),
        span('p', 'r', 'A', 'pay', 0, 10, { status: 'ok' }),
        span('q', 'r', 'A', 'query', 10, 20, { status: 'error', statusMessage: 'refused' }),
        span('s', 'r', 'A', 'stock', 20, 30),
        span('n1', 'r', 'B', 'retry', 30, 40, { status: 'error' }),
        span('n2', 'r', 'B', 'retry', 40, 50),
      ]),
    );
    const sum = diffSummary(a, b, diffTraces(a, b));
    const names = (l: typeof sum.newErrors) => l.map((c) => `${c.row.name}:${c.statusA}>${c.statusB}`);
    assert.deepEqual(names(sum.newErrors), ['root:unset>error']);
    assert.deepEqual(names(sum.fixed), ['pay:error>ok']);
    assert.deepEqual(names(sum.otherChanges), ['query:error>error']);
    assert.equal(sum.otherChanges[0].messageB, 'refused');
    assert.deepEqual(sum.added, [{ service: 'B', name: 'retry', count: 2, errors: 1 }]);
    assert.deepEqual(sum.missing, [{ service: 'C', name: 'cache', count: 1, errors: 0 }]);
    const ops = diffOperations(a, b);
    assert.deepEqual(
      ops.filter((o) => o.errorsA !== o.errorsB).map((o) => `${o.name} ${o.errorsA}>${o.errorsB}`).sort(),
      ['pay 1>0', 'retry 0>1', 'root 0>1'],
    );
  });
});

describe('model/otlp', () => {
  const otlp = (ids: 'hex' | 'base64') => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
        scopeSpans: [
          {
            scope: { name: 'lib', version: '1' },
            spans: [
              {
                traceId: ids === 'hex' ? '0102030405060708090a0b0c0d0e0f10' : 'AQIDBAUGBwgJCgsMDQ4PEA==',
                spanId: ids === 'hex' ? '0102030405060708' : 'AQIDBAUGBwg=',
                name: 'GET /',
                kind: ids === 'hex' ? 2 : 'SPAN_KIND_SERVER',
                startTimeUnixNano: '1000',
                endTimeUnixNano: '5000',
                attributes: [
                  { key: 'n', value: { intValue: '7' } },
                  { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, { boolValue: true }] } } },
                ],
                status: { code: ids === 'hex' ? 2 : 'STATUS_CODE_ERROR', message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  });

  test('OTLP/JSON with hex or base64 ids and numeric or named enums read the same', () => {
    for (const ids of ['hex', 'base64'] as const) {
      const [t] = parseTraceFile(JSON.stringify(otlp(ids)));
      assert.equal(t.traceId, '0102030405060708090a0b0c0d0e0f10');
      const s = t.spans[0];
      assert.deepEqual([s.spanId, s.kind, s.status, s.statusMessage, s.service, s.durationNanos], ['0102030405060708', 'server', 'error', 'boom', 'shop', '4000']);
      assert.deepEqual(s.attributes, { n: 7, list: ['x', true] });
    }
  });

  test('Tempo downloads, JSON lines, Jaeger and tracebox span JSON', () => {
    assert.equal(parseTraceFile(JSON.stringify({ trace: otlp('base64') }))[0].spans.length, 1);
    assert.equal(parseTraceFile(JSON.stringify({ batches: otlp('base64').resourceSpans }))[0].spans.length, 1);
    assert.equal(parseTraceFile(`${JSON.stringify(otlp('hex'))}\n${JSON.stringify(otlp('hex'))}\n`)[0].spans.length, 2);
    const jaeger = {
      data: [
        {
          traceID: 'abc',
          spans: [{ traceID: 'abc', spanID: 'def', operationName: 'op', references: [], startTime: 10, duration: 5, tags: [{ key: 'error', value: true }], processID: 'p1' }],
          processes: { p1: { serviceName: 'legacy', tags: [] } },
        },
      ],
    };
    const [j] = parseTraceFile(JSON.stringify(jaeger));
    assert.deepEqual([j.traceId.length, j.spans[0].service, j.spans[0].status, j.spans[0].durationNanos], [32, 'legacy', 'error', '5000']);
    assert.equal(parseTraceFile(JSON.stringify(SHOP))[0].spans.length, 7);
    assert.throws(() => parseTraceFile('not json'), /not JSON/);
    assert.throws(() => parseTraceFile('{"resourceSpans": []}'), /no spans/);
  });

  test("Tempo's protobuf-JSON becomes OTLP/JSON: hex ids, enum numbers, attribute values untouched", () => {
    const out = tempoToOtlpJson({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==', spanId: 'AQIDBAUGBwg=', kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_OK' }, attributes: [{ key: 'traceId', value: { stringValue: 'AQID' } }] }] }] }],
    }) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
    const s = out.resourceSpans[0].scopeSpans[0].spans[0];
    assert.deepEqual([s.traceId, s.spanId, s.kind, s.status], ['0102030405060708090a0b0c0d0e0f10', '0102030405060708', 3, { code: 1 }]);
    assert.deepEqual(s.attributes, [{ key: 'traceId', value: { stringValue: 'AQID' } }]);
    assert.equal(idToHex('0102030405060708', 8), '0102030405060708');
    const back = parseTraceFile(JSON.stringify(traceJsonToOtlp(parseTraceFile(JSON.stringify(otlp('hex')))[0])))[0];
    assert.deepEqual(back.spans[0].attributes, { n: 7, list: ['x', true] });
  });
});

describe('model/search-results', () => {
  test("a search hit becomes a row (id padded back to 32 digits); rows sort by a column, newest first among equals", () => {
    const hit = (id: string, startMs: number, durationMs: number, errors = 0) => ({
      traceID: id,
      rootServiceName: '',
      startTimeUnixNano: String(BigInt(startMs) * 1_000_000n),
      durationMs,
      serviceStats: { api: { spanCount: 3, errorCount: errors }, db: { spanCount: 5 } },
    });
    const r = toRow(hit('ABC', 1000, 12, 1));
    assert.equal(r.id, '0'.repeat(29) + 'abc');
    assert.equal(r.service, '<root span not yet received>');
    assert.deepEqual([r.spans, r.errors, r.dur, r.startMs], [8, 1, 12e6, 1000]);
    assert.deepEqual(r.services, [['db', 5, 0], ['api', 3, 1]]);
    const rows = [hit('1', 1000, 5), hit('2', 2000, 50), hit('3', 3000, 5)].map(toRow);
    assert.deepEqual(sortRows(rows, 'duration', 'desc').map((x) => x.id.slice(-1)), ['2', '3', '1']);
    assert.deepEqual(sortRows(rows, 'start', 'asc').map((x) => x.id.slice(-1)), ['1', '2', '3']);
  });
});

describe('model/query-builder', () => {
  test('the form writes TraceQL, and such TraceQL reads back into the form', () => {
    const form = { ...EMPTY_FORM, service: 'checkout', name: 'POST "x"', minDuration: '1s', status: 'error' as const, attrs: [{ key: 'http.route', op: '=' as const, value: '/cart' }, { key: 'span.retries', op: '>' as const, value: '2' }] };
    const q = formToTraceQL(form);
    assert.equal(q, '{ resource.service.name = "checkout" && name = "POST \\"x\\"" && duration > 1s && status = error && .http.route = "/cart" && span.retries > 2 }');
    assert.deepEqual(traceqlToForm(q), form);
    assert.equal(formToTraceQL(EMPTY_FORM), '{ }');
    assert.deepEqual(traceqlToForm('{ }'), EMPTY_FORM);
    assert.equal(traceqlToForm('{ a } | count() > 1'), undefined);
    assert.equal(traceqlToForm('{ .a = 1 || .b = 2 }'), undefined);
    assert.equal(durationText(1_500_000_000), '1500ms');
    assert.equal(durationText(2 * 60e9), '2m');
  });
});

describe('editor/complete', () => {
  test('what to offer where', () => {
    assert.deepEqual(completionContext(''), { kind: 'start', from: 0 });
    assert.deepEqual(completionContext('{ '), { kind: 'field', from: 2, partial: '' });
    assert.deepEqual(completionContext('{ dur'), { kind: 'field', from: 2, partial: 'dur' });
    assert.deepEqual(completionContext('{ resource.ser'), { kind: 'tag', scope: 'resource.', from: 2, partial: 'resource.ser' });
    assert.deepEqual(completionContext('{ .http.ro'), { kind: 'tag', scope: '.', from: 2, partial: '.http.ro' });
    assert.deepEqual(completionContext('{ resource.service.name = "che'), { kind: 'value', tag: 'resource.service.name', from: 26, quoted: true, partial: 'che' });
    assert.deepEqual(completionContext('{ status = '), { kind: 'value', tag: 'status', from: 11, quoted: false, partial: '' });
    assert.deepEqual(completionContext('{ a = "}" && '), { kind: 'field', from: 13, partial: '' });
    assert.deepEqual(completionContext('{ .a = 1 } '), { kind: 'operator', from: 10 });
  });
});

describe('model/logs-link and model/source', () => {
  const sp = { traceId: 'abc', spanId: 'def', service: 'pay ment', name: 'x', startMs: 1_000_000, endMs: 1_000_100 };

  test('a logs link fills in the span, URL-encoded; only http(s) templates make one', () => {
    assert.equal(logsUrl('https://logs/?t={traceId}&s={spanId}&svc={service}', sp), 'https://logs/?t=abc&s=def&svc=pay%20ment');
    assert.equal(logsUrl('javascript:alert({traceId})', sp), undefined);
    const grafana = logsUrl(DEFAULT_LOGS_TEMPLATE, sp) ?? '';
    const panes = JSON.parse(new URL(grafana).searchParams.get('panes') ?? '{}');
    assert.equal(panes.logs.queries[0].expr, '{service_name="pay ment"} | trace_id="abc" | span_id="def"');
    assert.equal(panes.logs.range.from, String(1_000_000 - 60_000));
  });

  test('code attributes and stack frames become editor links after the path mapping', () => {
    const maps = parseMappings('# comment\n/srv/app=/home/me/app\n');
    const loc = codeLocation({ 'code.filepath': '/srv/app/x.js', 'code.lineno': 12, 'code.function': 'f' });
    assert.deepEqual(loc, { path: '/srv/app/x.js', line: 12, col: undefined, fn: 'f' });
    assert.equal(editorUrl('vscode://file{path}:{line}:{col}', '/srv/app/a b#.js', 3, 4, maps), 'vscode://file/home/me/app/a%20b%23.js:3:4');
    assert.equal(editorUrl('javascript:{path}', '/x', 1, 1, []), undefined);
    assert.deepEqual(splitFrame('    at charge (/srv/app/pay.js:42:13)').loc, { path: '/srv/app/pay.js', line: 42, col: 13 });
    assert.deepEqual(splitFrame('  File "/srv/app/x.py", line 7, in run').loc, { path: '/srv/app/x.py', line: 7, col: undefined });
    assert.equal(splitFrame('Error: nothing here').loc, undefined);
  });
});

describe('model/service-graph', () => {
  const tj = (spans: SpanJson[]): TraceJson => trace(spans);
  const shop = tj([
    span('f', '', 'frontend', 'GET /', 0, 100, { kind: 'server' }),
    span('fc', 'f', 'frontend', 'call', 1, 90, { kind: 'client' }),
    span('c', 'fc', 'checkout', 'POST /c', 2, 88, { kind: 'server', status: 'error' }),
    span('db', 'c', 'checkout', 'SELECT', 3, 10, { kind: 'client', attributes: { 'db.system': 'postgresql' } }),
  ]);

  test("Tempo's rules from whole traces: user → root service, client → server, client → database", () => {
    const g = graphFromTraces([shop], Number(T0 / 1_000_000_000n) - 10, Number(T0 / 1_000_000_000n) + 10);
    assert.deepEqual(g.edges.map((e) => e.id).sort(), ['checkout->postgresql', 'frontend->checkout', 'user->frontend']);
    assert.equal(g.edges.find((e) => e.id === 'frontend->checkout')?.errorRate, 1);
    assert.equal(g.nodes.find((n) => n.id === 'postgresql')?.type, 'database');
  });

  test('layers follow the edges; a long edge is routed through the layers it crosses', () => {
    const g = graphFromTraces([shop], 0, 4e9);
    g.edges.push({ ...g.edges[0], id: 'user->postgresql', source: 'user', target: 'postgresql' });
    const layout = layoutGraph(g);
    const layer = (id: string) => layout.nodes.get(id)?.layer;
    assert.deepEqual(['user', 'frontend', 'checkout', 'postgresql'].map(layer), [0, 1, 2, 3]);
    assert.equal(layout.routes.get('user->postgresql')?.length, 4);
  });
});
