/**
 * The trace page's pure parts beyond the waterfall, without a browser: statistics, span
 * filters and find, the trace graph and how a graph is drawn (curves, label placement),
 * what the stored history may call usual, "show matches only" rows, and the row a zoom
 * brings into view.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrace } from '../../web/src/model/trace.ts';
import { MS, span, trace } from './spans.ts';
import { sortStats, traceStats } from '../../web/src/model/stats.ts';
import { applyFilters, compileFilter, filterKeys, filterValues, filtersParam, findText, parseFilters } from '../../web/src/model/span-filter.ts';
import { traceGraph } from '../../web/src/model/trace-graph.ts';
import { centredBox, edgeCurve, overlap, placeLabels } from '../../web/src/model/graph-geometry.ts';
import { band, historyFrom, MIN_HISTORY, slowness, usualFor } from '../../web/src/model/history.ts';
import { buildRows, firstRowInWindow, NO_FILTER } from '../../web/src/model/rows.ts';
import { parseDuration } from '../../web/src/model/query-builder.ts';

//   api GET /cart 0..100
//   ├─ api SELECT 10..20   (db.statement, rows 3)
//   ├─ api SELECT 20..30   (rows 12)
//   └─ pay POST /pay 40..90 (error, http.status_code 502)
//      └─ pay INSERT 50..60
const SHOP = buildTrace(
  trace([
    span('r', '', 'api', 'GET /cart', 0, 100, { kind: 'server', attributes: { 'http.route': '/cart' } }),
    span('s1', 'r', 'api', 'SELECT', 10, 20, { kind: 'client', attributes: { 'db.statement': 'SELECT * FROM cart', 'db.rows': 3 } }),
    span('s2', 'r', 'api', 'SELECT', 20, 30, { kind: 'client', attributes: { 'db.statement': 'SELECT * FROM cart', 'db.rows': 12, tags: ['a', 'b'] } }),
    span('p', 'r', 'pay', 'POST /pay', 40, 90, { kind: 'server', status: 'error', statusMessage: 'declined', attributes: { 'http.status_code': 502 }, resource: { 'service.name': 'pay', region: 'eu' } }),
    span('i', 'p', 'pay', 'INSERT', 50, 60, { kind: 'client' }),
  ]),
);

describe('model/stats', () => {
  test('per operation: count, errors, total, min, max and self time', () => {
    const rows = traceStats(SHOP, 'operation');
    const select = rows.find((r) => r.name === 'SELECT');
    assert.deepEqual(
      select && [select.count, select.total, select.avg, select.min, select.max, select.self],
      [2, 20 * MS, 10 * MS, 10 * MS, 10 * MS, 20 * MS],
    );
    const root = rows.find((r) => r.name === 'GET /cart');
    // 100 ms minus the children's 10 + 10 + 50 ms.
    assert.equal(root?.self, 30 * MS);
    assert.equal(root?.selfShare, 0.3);
    assert.equal(rows.find((r) => r.name === 'POST /pay')?.errors, 1);
    // The most self time first.
    assert.deepEqual(rows.map((r) => r.name), ['POST /pay', 'GET /cart', 'SELECT', 'INSERT']);
  });

  test('per service, and sorted by any column', () => {
    const rows = traceStats(SHOP, 'service');
    assert.deepEqual(
      rows.map((r) => [r.service, r.name, r.count, r.self / MS]),
      [
        ['api', '', 3, 50],
        ['pay', '', 2, 50],
      ],
    );
    assert.deepEqual(sortStats(rows, 'name', 'asc').map((r) => r.service), ['api', 'pay']);
    assert.deepEqual(sortStats(traceStats(SHOP, 'operation'), 'count', 'desc')[0].name, 'SELECT');
  });
});

describe('model/span-filter', () => {
  const names = (f: Parameters<typeof applyFilters>[1]) => [...(applyFilters(SHOP, f).matches ?? [])].map((i) => SHOP.spans[i].spanId).sort();

  test('intrinsics, scoped and bare attribute keys, every operator', () => {
    assert.deepEqual(names([{ key: 'name', op: '=', value: 'SELECT' }]), ['s1', 's2']);
    assert.deepEqual(names([{ key: 'service', op: '!=', value: 'api' }]), ['i', 'p']);
    assert.deepEqual(names([{ key: 'status', op: '=', value: 'error' }]), ['p']);
    assert.deepEqual(names([{ key: 'kind', op: '=', value: 'client' }, { key: 'service', op: '=', value: 'pay' }]), ['i']);
    assert.deepEqual(names([{ key: 'duration', op: '>=', value: '50ms' }]), ['p', 'r']);
    assert.deepEqual(names([{ key: 'span.db.rows', op: '>', value: '5' }]), ['s2']);
    assert.deepEqual(names([{ key: 'db.rows', op: '<=', value: '3' }]), ['s1']);
    assert.deepEqual(names([{ key: 'http.status_code', op: '=', value: '502' }]), ['p']);
    assert.deepEqual(names([{ key: 'resource.region', op: '=', value: 'eu' }]), ['p']);
    assert.deepEqual(names([{ key: 'region', op: '=', value: 'eu' }]), ['p'], 'a bare key falls back to the resource');
    assert.deepEqual(names([{ key: 'span.region', op: '=', value: 'eu' }]), []);
    assert.deepEqual(names([{ key: 'db.statement', op: '=~', value: 'SELECT.*' }]), ['s1', 's2']);
    assert.deepEqual(names([{ key: 'db.statement', op: '=~', value: 'SELECT' }]), [], 'a pattern matches the whole value');
    assert.deepEqual(names([{ key: 'name', op: '!~', value: 'SEL.*|INS.*' }]), ['p', 'r']);
    assert.deepEqual(names([{ key: 'tags', op: '=', value: 'b' }]), ['s2'], 'an array matches when one element does');
    assert.deepEqual(names([{ key: 'status.message', op: '=', value: 'declined' }]), ['p']);
  });

  test('!= and !~ hold only where the key is; an empty value asks whether it is there', () => {
    assert.deepEqual(names([{ key: 'db.rows', op: '!=', value: '3' }]), ['s2']);
    assert.deepEqual(names([{ key: 'db.statement', op: '=', value: '' }]), ['s1', 's2']);
    assert.deepEqual(names([{ key: 'db.statement', op: '!=', value: '' }]), ['i', 'p', 'r']);
  });

  test('filters being written are left out; invalid ones say why', () => {
    const r = applyFilters(SHOP, [{ key: '', op: '=', value: 'x' }]);
    assert.equal(r.matches, undefined);
    const bad = applyFilters(SHOP, [
      { key: 'duration', op: '>', value: 'soon' },
      { key: 'name', op: '=~', value: '(' },
      { key: 'db.rows', op: '>', value: 'many' },
      { key: 'name', op: '=', value: 'INSERT' },
    ]);
    assert.match(bad.errors[0] ?? '', /not a duration/);
    assert.match(bad.errors[1] ?? '', /invalid regular expression/);
    assert.match(bad.errors[2] ?? '', /compares numbers/);
    assert.equal(bad.errors[3], undefined);
    assert.deepEqual([...(bad.matches ?? [])].map((i) => SHOP.spans[i].spanId), ['i']);
    assert.ok('error' in compileFilter({ key: 'duration', op: '=~', value: '1ms' }));
  });

  test('keys and values offered come from the trace; the URL form round-trips and ignores junk', () => {
    const keys = filterKeys(SHOP);
    assert.deepEqual(keys.slice(0, 6), ['name', 'service', 'kind', 'status', 'status.message', 'duration']);
    assert.ok(keys.includes('span.db.rows') && keys.includes('resource.region'));
    assert.deepEqual(filterValues(SHOP, 'name'), ['SELECT', 'GET /cart', 'INSERT', 'POST /pay']);
    assert.deepEqual(filterValues(SHOP, 'tags'), ['a', 'b']);
    const f = [{ key: 'span.x', op: '>=' as const, value: '3' }, { key: '', op: '=' as const, value: '' }];
    assert.deepEqual(parseFilters(filtersParam(f) ?? null), f);
    assert.equal(filtersParam([]), undefined);
    assert.deepEqual(parseFilters('not json'), []);
    assert.deepEqual(parseFilters('[["a","~~","b"],["c","=","d"],[1,2,3]]'), [{ key: 'c', op: '=', value: 'd' }]);
  });

  test('find: name, service, id, attribute keys and values, any case', () => {
    const found = (q: string) => [...(findText(SHOP, q) ?? [])].map((i) => SHOP.spans[i].spanId).sort();
    assert.equal(findText(SHOP, '  '), undefined);
    assert.deepEqual(found('insert'), ['i']);
    assert.deepEqual(found('PAY'), ['i', 'p']);
    assert.deepEqual(found('from cart'), ['s1', 's2']);
    assert.deepEqual(found('s2'), ['s2']);
  });

  test('durations: units, or milliseconds when bare', () => {
    assert.equal(parseDuration('1.5s'), 1.5e9);
    assert.equal(parseDuration('250us'), 250e3);
    assert.equal(parseDuration('5'), 5e6);
    assert.equal(parseDuration('soon'), undefined);
  });
});

describe('model/trace-graph', () => {
  test('a node per operation, an edge per caller → callee with call counts; self-calls stay on the node', () => {
    const t = buildTrace(
      trace([
        span('r', '', 'api', 'GET /', 0, 100),
        span('a', 'r', 'api', 'SELECT', 1, 5),
        span('b', 'r', 'api', 'SELECT', 6, 9, { status: 'error' }),
        span('c', 'r', 'pay', 'POST', 10, 50),
        span('d', 'c', 'pay', 'POST', 11, 40),
      ]),
    );
    const g = traceGraph(t, 'operation');
    assert.deepEqual(
      g.edges.map((e) => [e.source.replace('\u0000', ':'), e.target.replace('\u0000', ':'), e.calls, e.errors]),
      [
        ['api:GET /', 'api:SELECT', 2, 1],
        ['api:GET /', 'pay:POST', 1, 0],
      ],
    );
    const post = g.nodes.find((n) => n.name === 'POST');
    assert.deepEqual(post && [post.count, post.selfCalls, post.total / MS, post.root], [2, 1, 69, false]);
    assert.equal(g.nodes.find((n) => n.name === 'GET /')?.root, true);
    const bySvc = traceGraph(t, 'service');
    assert.deepEqual(bySvc.edges.map((e) => [e.source, e.target, e.calls]), [['api', 'pay', 1]]);
    assert.deepEqual(bySvc.nodes.map((n) => [n.id, n.count, n.selfCalls]), [
      ['api', 3, 2],
      ['pay', 2, 1],
    ]);
  });
});

describe('model/graph-geometry', () => {
  test('a forward edge runs from side to side; a back edge dips under both nodes', () => {
    const fwd = edgeCurve([{ x: 0, y: 0 }, { x: 200, y: 100 }], { rx: 20, ry: 10 }, { rx: 30, ry: 10 });
    assert.deepEqual(fwd.at(0), { x: 20, y: 0 });
    assert.deepEqual(fwd.at(1), { x: 170, y: 100 });
    assert.match(fwd.d, /^M20,0 C/);
    const back = edgeCurve([{ x: 200, y: 0 }, { x: 0, y: 0 }], { rx: 20, ry: 10 }, { rx: 20, ry: 12 });
    assert.deepEqual(back.at(0), { x: 200, y: 10 });
    assert.ok(back.at(0.5).y > 50);
  });

  test('labels go where they overlap no node, node label or other label', () => {
    // Two nodes side by side, their labels below them, joined by a straight edge: the
    // middle of the edge is free above the line; a second edge on the same line takes
    // the next free spot.
    const nodes = [centredBox(0, 0, 40, 40), centredBox(600, 0, 40, 40)];
    const nodeLabels = [centredBox(0, 40, 160, 14), centredBox(600, 40, 160, 14)];
    const line = edgeCurve([{ x: 0, y: 0 }, { x: 600, y: 0 }], { rx: 20, ry: 20 }, { rx: 20, ry: 20 });
    const obstacles = [...nodes, ...nodeLabels];
    const [a, b, c] = placeLabels(
      [
        { at: line.at, w: 120, h: 14 },
        { at: line.at, w: 120, h: 14 },
        { at: line.at, w: 120, h: 14 },
      ],
      obstacles,
    );
    const boxes = [a, b, c].map((p) => centredBox(p.x, p.y, 120, 14));
    for (const box of boxes) for (const o of obstacles) assert.equal(overlap(box, o), 0, JSON.stringify({ box, o }));
    assert.equal(overlap(boxes[0], boxes[1]) + overlap(boxes[0], boxes[2]) + overlap(boxes[1], boxes[2]), 0);
    assert.ok(a.y < 0, 'the first label sits above the line');
  });
});

describe('model/history', () => {
  const t = buildTrace(trace([span('r', '', 'api', 'GET /', 0, 100), span('q', 'r', 'api', 'SELECT', 0, 40)]));
  const h = (count: number) =>
    historyFrom(
      [
        { service: 'api', name: 'SELECT', p: 0.5, value: 0.005 },
        { service: 'api', name: 'SELECT', p: 0.95, value: 0.01 },
        { service: 'api', name: 'GET /', p: 0.95, value: Number.NaN },
      ],
      [{ service: 'api', name: 'SELECT', value: count }],
    );

  test(`nothing is usual with fewer than ${MIN_HISTORY} spans of the operation`, () => {
    const q = t.spans[1];
    assert.equal(usualFor(q, h(1)), undefined);
    assert.equal(slowness(q, h(MIN_HISTORY - 1)), undefined);
    assert.equal(band(q, h(1)), 'unknown');
    assert.deepEqual(usualFor(q, h(MIN_HISTORY)), { p50: 5 * MS, p95: 10 * MS, count: MIN_HISTORY });
    assert.equal(slowness(q, h(MIN_HISTORY)), 4);
    assert.equal(band(q, h(500)), 'very-slow');
    assert.equal(band(t.spans[0], h(500)), 'unknown');
    assert.equal(usualFor(q, null), undefined);
  });
});

describe('model/rows', () => {
  test('"show matches only" keeps the matches, at the depth of their nearest shown ancestor', () => {
    const only = new Set([SHOP.byId.get('s2') as number, SHOP.byId.get('i') as number]);
    const rows = buildRows(SHOP, { ...NO_FILTER, only });
    assert.deepEqual(
      rows.map((r) => (r.type === 'span' ? `${r.depth}:${SHOP.spans[r.idx].spanId}` : `${r.depth}:[${r.count} hidden]`)),
      ['0:s2', '0:i', '0:[3 hidden]'],
    );
  });

  test('a zoom brings the first span starting inside the window into view', () => {
    const rows = buildRows(SHOP, NO_FILTER);
    const at = (a: number, b: number) => {
      const r = rows[firstRowInWindow(SHOP, rows, [a * MS, b * MS])];
      return r?.type === 'span' ? SHOP.spans[r.idx].spanId : undefined;
    };
    assert.equal(at(0, 100), 'r');
    assert.equal(at(45, 70), 'i');
    assert.equal(at(41, 49), 'p', 'no start inside: the span covering the window');
    assert.equal(at(15, 19), 's1');
    assert.equal(firstRowInWindow(SHOP, rows, [200 * MS, 300 * MS]), -1);
  });
});
