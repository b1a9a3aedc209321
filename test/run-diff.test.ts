/**
 * The run comparison on its own (src/analysis/run-*.ts, fail-on.ts), over made-up traces:
 * what a profile counts, where the noise bound draws the line, thresholds, and the
 * Markdown's escaping.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareProfiles, DEFAULT_NOISE, diffMarkdown, failures, parseFailOn, profileTraces, type NoiseBound, type SpanJson, type TraceJson } from '../src/analysis/index.ts';

let ids = 0;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

interface SpanSpec {
  name: string;
  service?: string;
  kind?: SpanJson['kind'];
  ms: number;
  error?: string;
  attributes?: SpanJson['attributes'];
  children?: SpanSpec[];
}

/** A trace from a tree of spans; children start one after another inside their parent. */
function trace(root: SpanSpec): TraceJson {
  const traceId = hex(++ids, 32);
  const spans: SpanJson[] = [];
  const add = (s: SpanSpec, parent: string, startNs: bigint): void => {
    const spanId = hex(++ids, 16);
    spans.push({
      traceId,
      spanId,
      parentSpanId: parent,
      name: s.name,
      service: s.service ?? 'shop',
      kind: s.kind ?? 'client',
      status: s.error === undefined ? 'unset' : 'error',
      statusMessage: s.error ?? '',
      startTimeUnixNano: String(startNs),
      endTimeUnixNano: String(startNs + BigInt(Math.round(s.ms * 1e6))),
      durationNanos: String(Math.round(s.ms * 1e6)),
      attributes: s.attributes ?? {},
      resource: {},
      scope: { name: '', version: '' },
      events: [],
      links: [],
    });
    let at = startNs + 100_000n;
    for (const c of s.children ?? []) {
      add(c, spanId, at);
      at += BigInt(Math.round(c.ms * 1e6)) + 100_000n;
    }
  };
  add(root, '', 1_700_000_000_000_000_000n);
  return { traceId, rootServiceName: null, rootName: null, startTimeUnixNano: '0', durationNanos: '0', spans };
}

/** `n` requests: GET /cart with `queries` item queries of `queryMs` each. */
function requests(n: number, queries: number, queryMs = 2, extra: Partial<SpanSpec> = {}): TraceJson[] {
  return Array.from({ length: n }, () =>
    trace({
      name: 'GET /cart',
      kind: 'server',
      ms: 5 + queries * (queryMs + 0.1),
      attributes: { 'http.route': '/cart' },
      children: Array.from({ length: queries }, () => ({ name: 'SELECT items', ms: queryMs, attributes: { 'db.operation': 'SELECT' }, ...extra })),
    }),
  );
}

const diffOf = (a: TraceJson[], b: TraceJson[], noise: NoiseBound = DEFAULT_NOISE) => compareProfiles(profileTraces(a), profileTraces(b), { a: { name: 'A' }, b: { name: 'B' } }, noise);

describe('run profiles and their comparison', () => {
  test('a profile counts calls per trace, percentiles, errors and who calls whom', () => {
    const busiest = requests(1, 5, 2, { error: 'timeout' });
    const p = profileTraces([...requests(3, 2), ...busiest]);
    assert.equal(p.traces, 4);
    const items = p.operations.find((o) => o.name === 'SELECT items')!;
    assert.deepEqual([items.traces, items.calls, items.maxCallsPerTrace, items.detail, items.errors], [4, 11, 5, 'SELECT', 5]);
    assert.deepEqual(items.errorMessages, [{ message: 'timeout', count: 5 }]);
    assert.equal(items.p50Ns, 2e6);
    // The example is the trace with most calls of the operation.
    assert.equal(items.example, busiest[0].traceId);
    assert.deepEqual(p.edges.map((e) => e.calls), [11]);
    assert.equal(p.roots.length, 1);
    assert.equal(p.roots[0].traces, 4);
  });

  test('the noise bound: a change counts past 10% and 1 ms with 5 samples a side, not before', () => {
    const base = requests(10, 1, 20);
    assert.equal(diffOf(base, requests(10, 1, 21.8)).changed, false, '9% slower is noise');
    assert.equal(diffOf(requests(10, 1, 2), requests(10, 1, 2.8)).changed, false, '+40% but 0.8 ms is noise');
    assert.equal(diffOf(requests(4, 1, 20), requests(4, 1, 40)).changed, false, 'four samples are too few');
    const slower = diffOf(base, requests(10, 1, 25));
    assert.equal(slower.changed, true);
    const items = slower.operations.find((o) => o.name === 'SELECT items')!;
    assert.equal(Math.round(items.p95!.pct), 25);
    assert.equal(items.p95!.deltaNs, 5e6);
    assert.equal(items.calls, undefined);
    const custom = diffOf(base, requests(10, 1, 25), { minChangePct: 30, minDeltaNs: 0, minSamples: 1 });
    assert.equal(custom.operations.find((o) => o.name === 'SELECT items'), undefined);
  });

  test('calls per trace and errors are exact; operations and calls between them appear and vanish', () => {
    const d = diffOf(requests(10, 1), requests(10, 4));
    const items = d.operations.find((o) => o.name === 'SELECT items')!;
    assert.deepEqual(items.calls, { a: 1, b: 4, delta: 3 });
    assert.deepEqual(d.edges.changed.map((e) => [e.childLabel, e.a, e.b]), [['shop: SELECT items [client]', 1, 4]]);
    const gone = diffOf(requests(10, 1), requests(10, 0));
    assert.equal(gone.operations.find((o) => o.name === 'SELECT items')?.status, 'removed');
    assert.equal(gone.edges.removed.length, 1);
    const failing = diffOf(requests(10, 1), requests(10, 1, 2, { error: 'deadlock' }));
    assert.deepEqual(failing.operations[0].errors, { a: 0, b: 10, newMessages: ['deadlock'], goneMessages: [] });
  });

  test('--fail-on rules', () => {
    assert.deepEqual(parseFailOn(' p95 > +20% '), { text: 'p95>+20%', metric: 'p95', unit: '%', amount: 20 });
    assert.deepEqual(parseFailOn('p50>5ms'), { text: 'p50>5ms', metric: 'p50', unit: 'ns', amount: 5e6 });
    assert.deepEqual(parseFailOn('calls>+0'), { text: 'calls>+0', metric: 'calls', unit: 'count', amount: 0 });
    assert.deepEqual(parseFailOn('new-errors'), { text: 'new-errors', metric: 'new-errors' });
    for (const bad of ['p99>+1%', 'calls<+1', 'calls>+1ms', 'p95>+soon', 'errors>', '']) assert.throws(() => parseFailOn(bad), /--fail-on/, bad);

    const d = diffOf(requests(10, 1, 20), requests(10, 3, 30, { error: 'deadlock' }));
    const lines = failures(d, ['calls>+1', 'calls>+200%', 'p95>+60%', 'p95>+40%', 'p50>+9ms', 'errors>+5', 'new-errors'].map(parseFailOn));
    assert.deepEqual(
      lines.map((l) => l.split(':')[0]),
      // 1 → 3 calls is +200%, not more; the items query is 50% slower, the request 280%.
      ['calls>+1', 'p95>+60%', 'p95>+40%', 'p95>+40%', 'p50>+9ms', 'p50>+9ms', 'errors>+5', 'new-errors'],
    );
    assert.equal(lines[0], 'calls>+1: shop: SELECT items [client] 1 → 3 calls per trace');
    assert.equal(failures(diffOf(requests(10, 1), requests(10, 1)), ['calls>+0', 'p95>+0%', 'new-errors'].map(parseFailOn)).length, 0);
  });

  test('Markdown escapes what would format a table cell or open HTML', () => {
    const md = diffMarkdown(diffOf(requests(5, 0), requests(5, 1, 2, { name: 'SELECT <b>|x|</b>' })));
    assert.match(md, /\| shop \| SELECT &lt;b>\\\|x\\\|&lt;\/b> \\\[client\\\] \| added \|/);
  });
});
