/**
 * Acceptance: TraceQL search over real HTTP. The spans of dataset.ts are sent by the real
 * OpenTelemetry JS SDK (trace F as hand-built OTLP), and every expected answer below was
 * worked out by hand from the table at the top of dataset.ts: for each query, the spans
 * that must come back (and so the traces, newest first), plus matched counts, spanset
 * counts and the attributes Tempo attaches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getPath, queryString, searchOk, spanSetsOf, text, tracesOf, type SearchBody, type SearchSpanset, type SearchTrace } from '../helpers/search.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import {
  loadDataset,
  NEWEST_FIRST,
  SEARCH_IDS,
  SPAN_BY_ID,
  SPAN_IDS,
  SPAN_KEYS,
  T,
  TRACE_IDS,
  type SpanKey,
  type TraceKey,
} from './dataset.ts';

let tb: TestTracebox;

before(async () => {
  tb = await startTestTracebox();
  await loadDataset(tb);
});
after(() => tb?.close());

/** A window Grafana would send that holds the whole dataset. */
const WINDOW = { start: T, end: T + 3600 };

function keys(list: string): SpanKey[] {
  return list.split(/\s+/).filter((k) => k !== '') as SpanKey[];
}

function allExcept(list: string): string {
  const out = new Set(keys(list));
  return SPAN_KEYS.filter((k) => !out.has(k)).join(' ');
}

const ALL = SPAN_KEYS.join(' ');

function spanKeyOf(spanID: string): string {
  return SPAN_BY_ID.get(spanID) ?? `<unknown span ${spanID}>`;
}

/** Which spans of which traces an answer holds: trace key → sorted span keys over all spansets. */
function answerSpans(traces: SearchTrace[]): Array<[string, string[]]> {
  return traces.map((t) => {
    const key = (Object.keys(SEARCH_IDS) as TraceKey[]).find((k) => SEARCH_IDS[k] === t.traceID) ?? `<unknown trace ${t.traceID}>`;
    return [key, spanSetsOf(t).flatMap((s) => s.spans.map((sp) => spanKeyOf(sp.spanID))).sort()];
  });
}

function expectedSpans(list: string): Array<[string, string[]]> {
  const want = keys(list);
  return NEWEST_FIRST.filter((t) => want.some((k) => k[0] === t)).map((t) => [t, want.filter((k) => k[0] === t).sort()]);
}

async function search(q: string, params: Record<string, string | number | undefined> = {}): Promise<SearchBody> {
  return searchOk(tb.apiUrl, { q, limit: 100, spss: 100, ...WINDOW, ...params });
}

/** Runs `q` and checks exactly which spans come back, trace by trace, newest trace first. */
async function expectSpans(q: string, list: string): Promise<SearchTrace[]> {
  const traces = tracesOf(await search(q));
  assert.deepStrictEqual(answerSpans(traces), expectedSpans(list), `spans matched by ${q}`);
  for (const t of traces) {
    for (const s of spanSetsOf(t)) assert.equal(s.matched, s.spans.length, `matched of a spanset of ${t.traceID} for ${q}`);
    assert.deepStrictEqual(t.spanSet, spanSetsOf(t)[0], 'spanSet repeats the first of spanSets');
  }
  return traces;
}

function traceOf(traces: SearchTrace[], key: TraceKey): SearchTrace {
  const t = traces.find((x) => x.traceID === SEARCH_IDS[key]);
  assert.ok(t, `trace ${key} is in the answer`);
  return t;
}

/** A spanset's spans as sorted span keys. */
function setKeys(s: SearchSpanset): string[] {
  return s.spans.map((sp) => spanKeyOf(sp.spanID)).sort();
}

type Cases = ReadonlyArray<readonly [query: string, spans: string]>;

function table(name: string, cases: Cases): void {
  describe(name, () => {
    for (const [q, spans] of cases) {
      test(`${q}  →  ${spans === '' ? '(nothing)' : spans}`, async () => {
        await expectSpans(q, spans);
      });
    }
  });
}

// --------------------------------------------------------------------------- intrinsics

table('intrinsics', [
  ['{ name = "SELECT cart" }', 'A4'],
  ['{ span:name = "tick" }', 'E1'],
  ['{ status = error }', 'A3 B2 F2'],
  ['{ span:status = ok }', 'A5 B1 D1'],
  ['{ status = unset }', 'A1 A2 A4 B3 C1 C2 D2 D3 E1 F1'],
  ['{ status != unset }', 'A3 A5 B1 B2 D1 F2'],
  ['{ statusMessage = "card declined" }', 'A3'],
  ['{ span:statusMessage =~ "dead.*" }', 'B2'],
  ['{ kind = server }', 'A1 A3 D1 F1'],
  ['{ span:kind = consumer }', 'B1'],
  ['{ kind = producer }', 'B3'],
  ['{ kind = internal }', 'C1 C2 D2 E1 F2'],
  ['{ kind = client }', 'A2 A4 A5 B2 D3'],
  ['{ kind != client }', 'A1 A3 B1 B3 C1 C2 D1 D2 E1 F1 F2'],
  ['{ duration > 300ms }', 'A1 A2 A3 F1'],
  ['{ span:duration >= 250ms }', 'A1 A2 A3 B1 F1'],
  ['{ duration < 1ms }', 'D2 E1'],
  ['{ duration <= 1ms }', 'D2 D3 E1'],
  ['{ duration = 10ms }', 'A5 C2'],
  ['{ duration > 1.2s }', 'F1'],
  ['{ rootName = "GET /cart" }', 'A1 A2 A3 A4 A5'],
  ['{ trace:rootName = "consume order" }', 'B1 B2 B3'],
  // C has no root: its rootName is nil and matches nothing, not even `=~ ".*"`.
  ['{ rootName =~ ".*" }', allExcept('C1 C2')],
  ['{ rootServiceName = "frontend" }', 'A1 A2 A3 A4 A5 D1 D2 D3'],
  ['{ trace:rootService = "checkout" }', 'B1 B2 B3'],
  ['{ rootServiceName != "frontend" }', 'B1 B2 B3 E1 F1 F2'],
  ['{ traceDuration > 400ms }', 'A1 A2 A3 A4 A5 F1 F2'],
  ['{ trace:duration < 1ms }', 'E1'],
  ['{ traceDuration = 2ms }', 'D1 D2 D3'],
  [`{ trace:id = "${TRACE_IDS.A}" }`, 'A1 A2 A3 A4 A5'],
  // Ids compare as bytes: leading zeros and case do not matter.
  ['{ trace:id = "e5e5e5e5e5e5e5" }', 'E1'],
  [`{ trace:id = "${TRACE_IDS.E.toUpperCase()}" }`, 'E1'],
  [`{ trace:id != "${TRACE_IDS.A}" }`, allExcept('A1 A2 A3 A4 A5')],
  [`{ span:id = "${SPAN_IDS.A3}" }`, 'A3'],
  [`{ span:id = "${SPAN_IDS.A3.toUpperCase()}" }`, 'A3'],
  // Roots only; C's first span has a parent id (never received) and D2 is an orphan.
  ['{ nestedSetParent < 0 }', 'A1 B1 D1 E1 F1'],
  ['{ nestedSetParent < 0 && true }', 'A1 B1 D1 E1 F1'],
  ['{ event:name = "exception" }', 'A3'],
  ['{ event:name = "nothing" }', ''],
  ['{ event.exception.type = "CardError" }', 'A3'],
  ['{ event.attempt >= 2 }', 'A3'],
  // A3 starts at 20 ms; its events are at 120 ms (exception) and 200 ms (retry).
  ['{ event:timeSinceStart > 150ms }', 'A3'],
  ['{ event:timeSinceStart < 101ms }', 'A3'],
  ['{ event:timeSinceStart > 1s }', ''],
  [`{ link:traceID = "${TRACE_IDS.B}" }`, 'A4'],
  [`{ link:spanID = "${SPAN_IDS.B1}" }`, 'A4'],
  ['{ link.link.kind = "follows" }', 'A4'],
  ['{ instrumentation:name = "kafka-js" }', 'B1 B3'],
  ['{ instrumentation:version = "0.9.1" }', 'A3 A4 A5 C1 C2'],
  ['{ instrumentation:name = "legacy-lib" && instrumentation:version = "3.1" }', 'F1 F2'],
  ['{ instrumentation.scope.attr = "lib-x" }', 'F1 F2'],
]);

// --------------------------------------------------------------------------- attributes

table('attributes in every scope', [
  ['{ span.http.method = "GET" }', 'A1 D1'],
  ['{ resource.deployment.environment = "staging" }', 'A3 A4 A5 B1 B3 C1 C2'],
  ['{ resource.service.name = "postgres" }', 'B2'],
  ['{ resource.host.cpus > 4 }', 'A1 A2 D1 D2 D3'],
  // Unscoped: the span's attribute OR its resource's.
  ['{ .deployment.environment = "prod" }', 'A1 A2 D1 D2 D3'],
  ['{ .service.name = "batch" }', 'E1'],
  ['{ span.service.name = "batch" }', ''],
  // `.tier`: resource postgres=bronze, batch=gold, legacy=gold; span F1 tier=silver.
  ['{ .tier = "gold" }', 'E1 F1 F2'],
  ['{ .tier = "silver" }', 'F1'],
  ['{ span.tier = "gold" }', ''],
  ['{ resource.tier = "gold" }', 'E1 F1 F2'],
  ['{ .tier != "gold" }', 'B2 F1'],
  // `span.name` is an attribute called "name", not the span name.
  ['{ span.name = "GET /cart" }', ''],
  ['{ .name = "GET /cart" }', ''],
  // Quoted names: spaces, and dots that are part of one key.
  ['{ span."user agent" = "curl/8.0" }', 'A1'],
  ['{ ."user agent" =~ "curl/.*" }', 'A1'],
  ['{ span."http.route" = "/cart" }', 'A1'],
  ['{ span.http."route" = "/cart" }', 'A1'],
  ['{ span.http.url = "https://shop.example/cart?id=1" }', 'A1'],
]);

// --------------------------------------------------------------------------- comparisons

table('comparisons, nil and types', [
  ['{ span.http.status_code >= 500 }', 'A3'],
  ['{ span.http.status_code < 300 }', 'A1 D1 F1'],
  ['{ span.http.status_code > 200 }', 'A3 C2'],
  ['{ span.http.status_code <= 200 }', 'A1 D1 F1'],
  ['{ span.http.status_code != 200 }', 'A3 C2'],
  // int 200 and the double 200.0 of F1 are equal (deliberately unlike Tempo 2.7).
  ['{ .http.status_code = 200 }', 'A1 D1 F1'],
  ['{ span.http.status_code = 200.0 }', 'A1 D1 F1'],
  // Regexes are fully anchored.
  ['{ span.http.route =~ "/ca" }', ''],
  ['{ span.http.route =~ "/ca.*" }', 'A1'],
  ['{ span.http.route !~ "/ca" }', 'A1'],
  ['{ span.http.route !~ "/ca.*" }', ''],
  ['{ name =~ "SELECT.*" }', 'A4 A5'],
  ['{ name =~ "(?i)get.*" }', 'A1 D1'],
  ['{ span.http.url =~ ".*cart.*" }', 'A1'],
  // Byte-wise string order: upper case sorts before lower case.
  ['{ name > "publish" }', 'B3 E1'],
  ['{ name <= "GET /health" }', 'A1 D1'],
  ['{ span.payment.approved = false }', 'A3'],
  ['{ span.job.enabled }', 'E1'],
  ['{ span.job.enabled = true }', 'E1'],
  ['{ !span.payment.approved }', 'A3'],
  ['{ !span.job.enabled }', ''],
  ['{ span.payment.amount > 99 }', 'A3'],
  ['{ span.payment.amount = 99.5 }', 'A3'],
  ['{ span.ratio < 1 }', 'F1'],
  ['{ span.db.system != nil }', 'A4 A5 B2 D3'],
  // A missing attribute makes `!=` false but `!(… = …)` true.
  ['{ span.db.system != "postgresql" }', 'D3'],
  ['{ !(span.db.system = "postgresql") }', allExcept('A4 A5 B2')],
  ['{ span.messaging.system != "kafka" }', ''],
  ['{ !(span.messaging.system = "kafka") }', allExcept('B1 B3')],
  ['{ span.http.method != "GET" }', 'A2 A3'],
  ['{ span.nothing > 1 }', ''],
  ['{ span.nothing =~ ".*" }', ''],
  // Type mismatches are false, not errors.
  ['{ span.http.status_code = "200" }', ''],
  ['{ span.http.method = 200 }', ''],
  // Arrays: true when any element satisfies the comparison.
  ['{ span.items = "pear" }', 'A3'],
  ['{ span.items =~ "ap.*" }', 'A3'],
  ['{ span.items != "apple" }', 'A3'],
  ['{ span.item.ids = 7 }', 'A3'],
  ['{ span.item.ids > 5 }', 'A3'],
  ['{ span.item.ids > 10 }', ''],
  ['{ span.weights > 0.5 }', 'E1'],
  ['{ span.flags = false }', 'E1'],
]);

table('arithmetic', [
  ['{ span.db.rows * 10 = 30 }', 'A4'],
  ['{ span.db.rows + 1 > 2 }', 'A4'],
  ['{ duration - 5ms > 380ms }', 'A1 A2 F1'],
  ['{ span.http.status_code / 100 = 5 }', 'A3'],
  ['{ span.http.status_code % 100 = 4 }', 'C2'],
  // 3^2, computed the right way round (Tempo 2.7 swaps int operands of ^).
  ['{ span.db.rows ^ 2 = 9 }', 'A4'],
  ['{ -span.db.rows < -2 }', 'A4'],
  ['{ span.db.rows * 1ms > 2ms }', 'A4'],
  // Integer division by zero matches nothing.
  ['{ span.db.rows / 0 = 0 }', ''],
]);

table('&& and || (equal precedence, left to right) and parentheses', [
  // (rows=1 || rows=3) && kind=server: no server span has db.rows.
  ['{ span.db.rows = 1 || span.db.rows = 3 && kind = server }', ''],
  ['{ span.db.rows = 1 || (span.db.rows = 3 && kind = server) }', 'A5 B2'],
  // (server && 200) || error
  ['{ kind = server && span.http.status_code = 200 || status = error }', 'A1 A3 B2 D1 F1 F2'],
  ['{ kind = server && (span.http.status_code = 200 || status = error) }', 'A1 A3 D1 F1'],
  ['{ kind = client && span.db.system = "postgresql" }', 'A4 A5 B2'],
  ['{ ((span.db.rows = 1)) }', 'A5 B2'],
  // `!` binds tighter than `=`: (!approved) = true.
  ['{ !span.payment.approved = true }', 'A3'],
]);

// --------------------------------------------------------------------------- structure

table('structural operators', [
  ['{ kind = server } > { kind = client }', 'A2 A4 A5 D3'],
  ['{ name = "GET /cart" } >> { span.db.system = "postgresql" }', 'A4 A5'],
  ['{ span.db.system != nil } < { kind = server }', 'A3 D1'],
  ['{ span.db.system != nil } << { }', 'A1 A2 A3 B1 D1'],
  ['{ name = "SELECT cart" } ~ { }', 'A5'],
  ['{ kind = client } ~ { kind = client }', 'A4 A5'],
  // Orphans (D2) and spans of a rootless trace (C) never satisfy a positive relation.
  ['{ name = "orphan work" } ~ { }', ''],
  ['{ } > { name = "orphan work" }', ''],
  ['{ } > { name = "late grandchild" }', ''],
  ['{ } > { }', 'A2 A3 A4 A5 B2 B3 D3 F2'],
  ['{ } >> { }', 'A2 A3 A4 A5 B2 B3 D3 F2'],
  ['{ } < { }', 'A1 A2 A3 B1 D1 F1'],
  ['{ kind = server } > { kind = client } > { }', 'A3'],
  // {a} && {b} > {c} is {a} && ({b} > {c}).
  ['{ name = "GET /health" } && { kind = server } > { kind = client }', 'D1 D3'],
  // Negated forms keep right-hand spans related to no left-hand span (unknown position → unrelated).
  ['{ kind = server } !> { kind = client }', 'B2'],
  ['{ kind = server } !> { name = "orphan work" }', 'D2'],
  ['{ } !> { kind = internal }', 'C1 C2 D2 E1'],
  ['{ kind = server } !>> { span.db.system != nil }', 'B2'],
  ['{ span.db.system != nil } !< { kind = server }', 'A1 F1'],
  ['{ span.db.system != nil } !<< { nestedSetParent < 0 }', 'E1 F1'],
  ['{ kind = client } !~ { kind = client }', 'A2 B2 D3'],
  // A left side that matches nothing in a trace relates to nothing: every right-hand span stays
  // (Tempo 2.10 and later; 2.7 returned nothing for such a trace).
  ['{ name = "no such span" } !> { kind = client }', 'A2 A4 A5 B2 D3'],
  ['{ name = "no such span" } !>> { status = error }', 'A3 B2 F2'],
  ['{ name = "no such span" } !< { kind = server }', 'A1 A3 D1 F1'],
  ['{ name = "no such span" } !~ { name = "SELECT price" }', 'A5'],
  // Union forms return the related spans of both sides.
  ['{ kind = server } &> { kind = client }', 'A1 A2 A3 A4 A5 D1 D3'],
  ['{ name = "GET /cart" } &>> { span.db.system = "postgresql" }', 'A1 A4 A5'],
  ['{ span.db.system != nil } &< { kind = server }', 'A3 A4 A5 D1 D3'],
  ['{ name = "SELECT price" } &<< { }', 'A1 A2 A3 A5'],
  ['{ name = "SELECT cart" } &~ { }', 'A4 A5'],
  // Spanset && and ||.
  ['{ name = "GET /cart" } && { status = error }', 'A1 A3'],
  ['{ name = "GET /health" } && { status = error }', ''],
  ['{ name = "GET /health" } || { status = error }', 'A3 B2 D1 F2'],
]);

// --------------------------------------------------------------------------- pipelines

table('pipelines', [
  ['{ resource.service.name = "checkout" } | count() > 2', 'A3 A4 A5'],
  ['{ } | count() = 1', 'E1'],
  // A: (390 + 30 + 10) / 3 ≈ 143 ms; B: 200 ms; D: 1 ms.
  ['{ kind = client } | avg(duration) > 100ms', 'A2 A4 A5 B2'],
  ['{ kind = client } | max(duration) >= 390ms', 'A2 A4 A5'],
  ['{ kind = client } | min(duration) < 5ms', 'D3'],
  ['{ span.db.rows != nil } | sum(span.db.rows) = 4', 'A4 A5'],
  ['{ span.db.system != nil } | avg(span.db.rows) = 2', 'A4 A5'],
  // Over the spans that have the attribute (A2 has no db.rows): Tempo 2.7's answer depends on
  // span order here; 2.8 and later skip the missing values too.
  ['{ kind = client } | avg(span.db.rows) = 2', 'A2 A4 A5'],
  ['{ } | max(span.http.status_code) > 200', 'A1 A2 A3 A4 A5 C1 C2'],
  // A pipeline may start with a scalar filter.
  ['count() > 2', 'A1 A2 A3 A4 A5 B1 B2 B3 D1 D2 D3'],
  ['{ } | { kind = client }', 'A2 A4 A5 B2 D3'],
  ['{ } | count() > 1 | { status = error }', 'A3 B2 F2'],
  ['({ kind = server } | count() > 1) && ({ status = error })', 'A1 A3'],
  ['{ status = error } with(exemplars=true)', 'A3 B2 F2'],
  ['{ } with(most_recent=true, sample=0.5)', ALL],
  ['{ false }', ''],
  ['{ 1 = 2 }', ''],
  ['{ true }', ALL],
  ['{ 1 = 1 }', ALL],
  ['{ }', ALL],
]);

describe('pipeline details', () => {
  test('a duration average is a whole number of nanoseconds, printed as Go prints a Duration', async () => {
    // A: (390 + 30 + 10) / 3 ms = 143333333.3 ns → 143333333 ns.
    const traces = await expectSpans('{ kind = client } | avg(duration) > 100ms', 'A2 A4 A5 B2');
    assert.deepStrictEqual(spanSetsOf(traceOf(traces, 'A'))[0].attributes, [{ key: 'avg(duration)', value: { stringValue: '143.333333ms' } }]);
    assert.deepStrictEqual(spanSetsOf(traceOf(traces, 'B'))[0].attributes, [{ key: 'avg(duration)', value: { stringValue: '200ms' } }]);
  });

  test('count() and sum() results are attached to the spanset', async () => {
    const traces = await expectSpans('{ resource.service.name = "checkout" } | count() > 2', 'A3 A4 A5');
    const [set] = spanSetsOf(traceOf(traces, 'A'));
    assert.deepStrictEqual(set.attributes, [{ key: 'count()', value: { intValue: '3' } }]);
    const sums = await expectSpans('{ span.db.rows != nil } | sum(span.db.rows) = 4', 'A4 A5');
    assert.deepStrictEqual(spanSetsOf(traceOf(sums, 'A'))[0].attributes, [{ key: 'sum(span.db.rows)', value: { intValue: '4' } }]);
  });

  test('by() yields one spanset per group, each labelled', async () => {
    const traces = await expectSpans('{ } | by(resource.service.name)', ALL);
    const groups = (key: TraceKey): Array<[unknown, string[]]> =>
      spanSetsOf(traceOf(traces, key))
        .map((s): [unknown, string[]] => [s.attributes, setKeys(s)])
        .sort((a, b) => (a[1][0] < b[1][0] ? -1 : 1));
    const label = (v: string): unknown => [{ key: 'by(resource.service.name)', value: { stringValue: v } }];
    assert.deepStrictEqual(groups('A'), [[label('frontend'), ['A1', 'A2']], [label('checkout'), ['A3', 'A4', 'A5']]]);
    assert.deepStrictEqual(groups('B'), [[label('checkout'), ['B1', 'B3']], [label('postgres'), ['B2']]]);
    assert.deepStrictEqual(groups('D'), [[label('frontend'), ['D1', 'D2', 'D3']]]);
    for (const s of spanSetsOf(traceOf(traces, 'A'))) assert.equal(s.matched, s.spans.length);
  });

  test('stages after by() act per group', async () => {
    const traces = await expectSpans('{ } | by(resource.service.name) | count() > 2', 'A3 A4 A5 D1 D2 D3');
    const [a] = spanSetsOf(traceOf(traces, 'A'));
    assert.equal(spanSetsOf(traceOf(traces, 'A')).length, 1);
    assert.deepStrictEqual(
      [...(a.attributes ?? [])].sort((x, y) => (x.key < y.key ? -1 : 1)),
      [
        { key: 'by(resource.service.name)', value: { stringValue: 'checkout' } },
        { key: 'count()', value: { intValue: '3' } },
      ],
    );
  });

  test('a missing by() value is a group of its own', async () => {
    const traces = await expectSpans('{ rootServiceName = "frontend" } | by(span.http.method)', 'A1 A2 A3 A4 A5 D1 D2 D3');
    const sets = (key: TraceKey): string[][] => spanSetsOf(traceOf(traces, key)).map(setKeys).sort();
    assert.deepStrictEqual(sets('A'), [['A1'], ['A2', 'A3'], ['A4', 'A5']]);
    assert.deepStrictEqual(sets('D'), [['D1'], ['D2', 'D3']]);
  });

  test('coalesce() merges the groups back into one spanset', async () => {
    const traces = await expectSpans('{ } | by(resource.service.name) | coalesce()', ALL);
    for (const t of traces) assert.equal(spanSetsOf(t).length, 1, `one spanset for ${t.traceID}`);
    assert.equal(spanSetsOf(traceOf(traces, 'A'))[0].matched, 5);
  });

  test('select() adds the named fields to each span, scope prefixes dropped', async () => {
    const traces = await expectSpans('{ name = "SELECT cart" } | select(span.db.rows, resource.service.name, kind)', 'A4');
    const [span] = spanSetsOf(traceOf(traces, 'A'))[0].spans;
    assert.equal(span.name, 'SELECT cart');
    assert.deepStrictEqual(
      [...(span.attributes ?? [])].sort((x, y) => (x.key < y.key ? -1 : 1)),
      [
        { key: 'db.rows', value: { intValue: '3' } },
        { key: 'kind', value: { stringValue: 'client' } },
        { key: 'service.name', value: { stringValue: 'checkout' } },
      ],
    );
  });

  test('spanset operators after by() are refused (400), as they cannot apply to several spansets', async () => {
    const q = '({ } | by(resource.service.name)) && ({ })';
    const a = await getPath(tb.apiUrl, `/api/search${queryString({ q, ...WINDOW })}`);
    assert.equal(a.status, 400, text(a));
    assert.equal(
      text(a),
      'invalid TraceQL query: spanset operators are not supported for multiple spansets per trace. consider using coalesce()',
    );
  });
});

// --------------------------------------------------------------------------- span attributes in answers

describe('attributes shown on matched spans', () => {
  async function attrsOf(q: string, trace: TraceKey, span: SpanKey): Promise<unknown> {
    const traces = tracesOf(await search(q));
    const found = spanSetsOf(traceOf(traces, trace))
      .flatMap((s) => s.spans)
      .find((s) => s.spanID === SPAN_IDS[span]);
    assert.ok(found, `${span} matched ${q}`);
    return found.attributes;
  }

  const cases: ReadonlyArray<readonly [string, TraceKey, SpanKey, unknown]> = [
    ['{ span.http.status_code >= 500 }', 'A', 'A3', [{ key: 'http.status_code', value: { intValue: '500' } }]],
    ['{ span.http.status_code = 200 }', 'F', 'F1', [{ key: 'http.status_code', value: { doubleValue: 200 } }]],
    ['{ span.payment.amount > 0 }', 'A', 'A3', [{ key: 'payment.amount', value: { doubleValue: 99.5 } }]],
    ['{ span.job.enabled }', 'E', 'E1', [{ key: 'job.enabled', value: { boolValue: true } }]],
    // An array matched by some elements shows those elements (one as a plain value), as
    // Tempo's storage keeps array elements as values of their own; select() shows them all.
    ['{ span.items = "pear" }', 'A', 'A3', [{ key: 'items', value: { stringValue: 'pear' } }]],
    ['{ span.item.ids > 2 }', 'A', 'A3', [{ key: 'item.ids', value: { arrayValue: { values: [{ intValue: '3' }, { intValue: '7' }] } } }]],
    ['{ span.item.ids != 3 }', 'A', 'A3', [{ key: 'item.ids', value: { intValue: '7' } }]],
    [
      '{ span.items = "pear" } | select(span.items)',
      'A',
      'A3',
      [{ key: 'items', value: { arrayValue: { values: [{ stringValue: 'apple' }, { stringValue: 'pear' }] } } }],
    ],
    // select() of what a filter already reads lists it once; intrinsics with fields of their own are not listed.
    ['{ status = error } | select(status)', 'B', 'B2', [{ key: 'status', value: { stringValue: 'error' } }]],
    [
      '{ span.db.system = "postgresql" && status = error } | select(span.db.system, status, resource.service.name)',
      'B',
      'B2',
      [
        { key: 'db.system', value: { stringValue: 'postgresql' } },
        { key: 'status', value: { stringValue: 'error' } },
        { key: 'service.name', value: { stringValue: 'postgres' } },
      ],
    ],
    ['{ status = error } | select(name, duration, status)', 'B', 'B2', [{ key: 'status', value: { stringValue: 'error' } }]],
    // A value compared with a literal shows where it satisfies the comparison: the other side
    // of a structural operator or of || does not list its own non-matching values.
    ['{ resource.service.name = "frontend" } >> { status = error }', 'A', 'A3', [{ key: 'status', value: { stringValue: 'error' } }]],
    [
      '{ resource.service.name = "legacy" } >> { status = error }',
      'F',
      'F2',
      [
        { key: 'service.name', value: { stringValue: 'legacy' } },
        { key: 'status', value: { stringValue: 'error' } },
      ],
    ],
    ['{ name = "GET /health" } || { status = error }', 'D', 'D1', undefined],
    ['{ name = "GET /health" || status = error }', 'D', 'D1', undefined],
    ['{ span.http.method = "GET" || span.http.status_code >= 500 }', 'A', 'A3', [{ key: 'http.status_code', value: { intValue: '500' } }]],
    // Read without a literal (by(), aggregates, two attributes compared): shown whatever it holds.
    [
      '{ status = error } | by(resource.service.name)',
      'B',
      'B2',
      [
        { key: 'status', value: { stringValue: 'error' } },
        { key: 'service.name', value: { stringValue: 'postgres' } },
      ],
    ],
    ['{ kind = client } | avg(span.db.rows) = 2', 'A', 'A4', [{ key: 'kind', value: { stringValue: 'client' } }, { key: 'db.rows', value: { intValue: '3' } }]],
    [
      '{ span.http.status_code > span.payment.amount }',
      'A',
      'A3',
      [
        { key: 'http.status_code', value: { intValue: '500' } },
        { key: 'payment.amount', value: { doubleValue: 99.5 } },
      ],
    ],
    ['{ status = error }', 'B', 'B2', [{ key: 'status', value: { stringValue: 'error' } }]],
    ['{ kind = consumer }', 'B', 'B1', [{ key: 'kind', value: { stringValue: 'consumer' } }]],
    ['{ statusMessage = "deadlock" }', 'B', 'B2', [{ key: 'statusMessage', value: { stringValue: 'deadlock' } }]],
    ['{ resource.service.name = "postgres" }', 'B', 'B2', [{ key: 'service.name', value: { stringValue: 'postgres' } }]],
    // Unscoped reads prefer the span's own attribute.
    ['{ .tier = "silver" }', 'F', 'F1', [{ key: 'tier', value: { stringValue: 'silver' } }]],
    ['{ resource.tier = "gold" }', 'F', 'F1', [{ key: 'tier', value: { stringValue: 'gold' } }]],
    // Not listed: duration, name (it has its own field), trace-level intrinsics, ids.
    ['{ duration > 1s }', 'F', 'F1', undefined],
    ['{ name = "tick" }', 'E', 'E1', undefined],
    ['{ rootServiceName = "batch" && traceDuration < 1ms }', 'E', 'E1', undefined],
    [`{ span:id = "${SPAN_IDS.E1}" }`, 'E', 'E1', undefined],
  ];
  for (const [q, trace, span, want] of cases) {
    test(`${q} shows ${JSON.stringify(want)} on ${span}`, async () => {
      assert.deepStrictEqual(await attrsOf(q, trace, span), want);
    });
  }

  test('{ status = error } | select(status): each span lists status once', async () => {
    const traces = tracesOf(await search('{ status = error } | select(status)'));
    const spans = traces.flatMap((t) => spanSetsOf(t).flatMap((s) => s.spans));
    assert.deepStrictEqual(spans.map((sp) => spanKeyOf(sp.spanID)).sort(), ['A3', 'B2', 'F2']);
    for (const sp of spans) assert.deepStrictEqual(sp.attributes, [{ key: 'status', value: { stringValue: 'error' } }], spanKeyOf(sp.spanID));
  });

  test('every matched span carries its id, name, start and duration', async () => {
    const traces = tracesOf(await search('{ kind = client }'));
    const d3 = spanSetsOf(traceOf(traces, 'D'))[0].spans[0];
    assert.deepStrictEqual(
      { ...d3, attributes: undefined },
      { spanID: SPAN_IDS.D3, name: 'check db', startTimeUnixNano: '1750000400000500000', durationNanos: '1000000', attributes: undefined },
    );
  });
});

// --------------------------------------------------------------------------- trace metadata

describe('trace metadata in search results', () => {
  test('root name and service, start, duration (omitted below 1 ms) and serviceStats describe the whole trace', async () => {
    const body = await search('{ }');
    const meta = tracesOf(body).map((t) => ({ ...t, spanSet: undefined, spanSets: undefined }));
    assert.deepStrictEqual(meta, [
      {
        traceID: SEARCH_IDS.F, rootServiceName: 'legacy', rootTraceName: 'legacy op', startTimeUnixNano: '1750000600000000000',
        durationMs: 1500, serviceStats: { legacy: { spanCount: 2, errorCount: 1 } }, spanSet: undefined, spanSets: undefined,
      },
      {
        traceID: 'e5e5e5e5e5e5e5', rootServiceName: 'batch', rootTraceName: 'tick', startTimeUnixNano: '1750000500000000000',
        serviceStats: { batch: { spanCount: 1 } }, spanSet: undefined, spanSets: undefined,
      },
      {
        traceID: SEARCH_IDS.D, rootServiceName: 'frontend', rootTraceName: 'GET /health', startTimeUnixNano: '1750000400000000000',
        durationMs: 2, serviceStats: { frontend: { spanCount: 3 } }, spanSet: undefined, spanSets: undefined,
      },
      {
        traceID: SEARCH_IDS.C, rootServiceName: '<root span not yet received>', startTimeUnixNano: '1750000300000000000',
        durationMs: 40, serviceStats: { checkout: { spanCount: 2 } }, spanSet: undefined, spanSets: undefined,
      },
      {
        traceID: SEARCH_IDS.B, rootServiceName: 'checkout', rootTraceName: 'consume order', startTimeUnixNano: '1750000200000000000',
        durationMs: 250, serviceStats: { checkout: { spanCount: 2 }, postgres: { spanCount: 1, errorCount: 1 } }, spanSet: undefined,
        spanSets: undefined,
      },
      {
        traceID: SEARCH_IDS.A, rootServiceName: 'frontend', rootTraceName: 'GET /cart', startTimeUnixNano: '1750000100000000000',
        durationMs: 500, serviceStats: { frontend: { spanCount: 2 }, checkout: { spanCount: 3, errorCount: 1 } }, spanSet: undefined,
        spanSets: undefined,
      },
    ]);
  });

  test('metadata stays whole-trace when only one span matched', async () => {
    const [a] = tracesOf(await search('{ name = "SELECT price" }'));
    assert.equal(a.traceID, SEARCH_IDS.A);
    assert.equal(a.durationMs, 500);
    assert.deepStrictEqual(a.serviceStats, { frontend: { spanCount: 2 }, checkout: { spanCount: 3, errorCount: 1 } });
    assert.equal(a.rootTraceName, 'GET /cart');
  });

  test('JSON types: int64 as strings, durationMs and matched as numbers, span ids 16 hex chars', async () => {
    const raw = text(await getPath(tb.apiUrl, `/api/search${queryString({ q: '{ name = "tick" }', ...WINDOW })}`));
    assert.match(raw, /"traceID":"e5e5e5e5e5e5e5"/);
    assert.match(raw, /"startTimeUnixNano":"1750000500000000000"/);
    assert.match(raw, /"spanID":"ee00000000000001"/);
    assert.match(raw, /"durationNanos":"400000"/);
    assert.match(raw, /"matched":1[,}]/);
    assert.doesNotMatch(raw, /durationMs/);
  });
});

// --------------------------------------------------------------------------- limit / spss / window

describe('limit, spss, start and end', () => {
  test('results are the newest traces first, cut at limit', async () => {
    const ids = async (params: Record<string, number | undefined>): Promise<string[]> =>
      tracesOf(await searchOk(tb.apiUrl, { q: '{ }', ...params })).map((t) => t.traceID);
    assert.deepStrictEqual(await ids({}), NEWEST_FIRST.map((k) => SEARCH_IDS[k]));
    assert.deepStrictEqual(await ids({ limit: 2 }), [SEARCH_IDS.F, SEARCH_IDS.E]);
    assert.deepStrictEqual(await ids({ limit: 3, ...WINDOW }), [SEARCH_IDS.F, SEARCH_IDS.E, SEARCH_IDS.D]);
    // Only traces that match count towards the limit.
    const errors = tracesOf(await searchOk(tb.apiUrl, { q: '{ status = error }', limit: 2 })).map((t) => t.traceID);
    assert.deepStrictEqual(errors, [SEARCH_IDS.F, SEARCH_IDS.B]);
  });

  test('spss caps the spans of each spanset; matched counts them all', async () => {
    const traces = tracesOf(await searchOk(tb.apiUrl, { q: '{ resource.service.name = "checkout" }', spss: 2 }));
    const a = spanSetsOf(traceOf(traces, 'A'))[0];
    assert.equal(a.matched, 3);
    assert.equal(a.spans.length, 2);
    for (const s of a.spans) assert.ok(['A3', 'A4', 'A5'].includes(spanKeyOf(s.spanID)));
    const b = spanSetsOf(traceOf(traces, 'B'))[0];
    assert.equal(b.matched, 2);
    assert.equal(b.spans.length, 2);
    // The default spss is 3.
    const all = tracesOf(await searchOk(tb.apiUrl, { q: '{ }' }));
    const whole = spanSetsOf(traceOf(all, 'A'))[0];
    assert.equal(whole.matched, 5);
    assert.equal(whole.spans.length, 3);
  });

  test('start/end select traces overlapping the window, bounds included', async () => {
    const ids = async (start: number, end: number): Promise<string[]> =>
      tracesOf(await searchOk(tb.apiUrl, { q: '{ }', start, end })).map((t) => t.traceID);
    // B runs T+200.000–200.250 s, C T+300.000–300.040 s.
    assert.deepStrictEqual(await ids(T + 150, T + 350), [SEARCH_IDS.C, SEARCH_IDS.B]);
    // A ends at T+100.5 s (≥ start T+100), B starts exactly at end T+200.
    assert.deepStrictEqual(await ids(T + 100, T + 200), [SEARCH_IDS.B, SEARCH_IDS.A]);
    // A ends before T+101, B starts after T+199.
    assert.deepStrictEqual(await ids(T + 101, T + 199), []);
    assert.deepStrictEqual(await ids(T - 3600, T), []);
    // The window filters traces, not matched spans: F2 starts at T+600.1 s, outside [T+599, T+600].
    const f = tracesOf(await searchOk(tb.apiUrl, { q: '{ name = "legacy child" }', start: T + 599, end: T + 600 }));
    assert.deepStrictEqual(answerSpans(f), [['F', ['F2']]]);
  });

  test('no match: 200 with no traces', async () => {
    const body = await searchOk(tb.apiUrl, { q: '{ name = "no such span" }', ...WINDOW });
    assert.deepStrictEqual(tracesOf(body), []);
    assert.equal(typeof body.metrics, 'object');
  });
});

// --------------------------------------------------------------------------- errors

describe('400 answers for bad queries and parameters', () => {
  async function expect400(params: Record<string, string | number | undefined>, want: string | RegExp): Promise<void> {
    const a = await getPath(tb.apiUrl, `/api/search${queryString(params)}`);
    assert.equal(a.status, 400, `${JSON.stringify(params)} → ${a.status} ${text(a)}`);
    assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
    if (typeof want === 'string') assert.equal(text(a), want);
    else assert.match(text(a), want);
  }

  const badQueries: ReadonlyArray<readonly [string, string | RegExp]> = [
    ['status = error', /^invalid TraceQL query: parse error at line 1, col 1: syntax error: unexpected /],
    ['{ .a == 1 }', /^invalid TraceQL query: parse error at line 1, col \d+: syntax error: unexpected =/],
    ['{ foo = 4 }', /^invalid TraceQL query: parse error at line 1, col 3: syntax error: unexpected IDENTIFIER/],
    ['{ .a | .b }', 'invalid TraceQL query: parse error at line 1, col 6: syntax error: unexpected |'],
    ['{ } | avg(duration)', /^invalid TraceQL query: parse error /],
    ['coalesce()', /^invalid TraceQL query: parse error at line 1, col 1: /],
    ['{ .a } - { .b }', /^invalid TraceQL query: parse error /],
    ['{ resource. }', /^invalid TraceQL query: parse error /],
    ["{ span.http.method = 'GET' }", /^invalid TraceQL query: parse error /],
    ['{ status = "error" }', /^invalid TraceQL query: binary operations must operate on the same type: /],
    ['{ kind = "server" }', /^invalid TraceQL query: binary operations must operate on the same type: /],
    ['{ status > ok }', /^invalid TraceQL query: illegal operation for the given types: /],
    ['{ span.a =~ "(" }', 'invalid TraceQL query: invalid regex: "("'],
    ['{ span.a = nil }', /^invalid TraceQL query: .* not yet supported$/],
    ['{ childCount > 1 }', 'invalid TraceQL query: intrinsic (childCount) not yet supported'],
    ['{ parent.a = 1 }', 'invalid TraceQL query: parent not yet supported'],
  ];
  for (const [q, want] of badQueries) test(`q=${q}`, () => expect400({ q, ...WINDOW }, want));

  test('parameters', async () => {
    await expect400({ q: '{ }', limit: 0 }, 'invalid limit: must be a positive number');
    await expect400({ q: '{ }', limit: -3 }, 'invalid limit: must be a positive number');
    await expect400({ q: '{ }', limit: 'ten' }, 'invalid limit: strconv.Atoi: parsing "ten": invalid syntax');
    await expect400({ q: '{ }', spss: 0 }, 'invalid spss: must be a positive number');
    await expect400({ q: '{ }', spss: 'x' }, /^invalid spss: /);
    await expect400({ q: '{ }', spss: 101 }, 'spans per span set exceeds 100. received 101');
    await expect400({ q: '{ }', start: T + 10 }, `http parameter start must be before end. received start=${T + 10} end=0`);
    await expect400({ q: '{ }', start: T + 10, end: T + 10 }, `http parameter start must be before end. received start=${T + 10} end=${T + 10}`);
    await expect400({ q: '{ }', start: T + 10, end: T }, `http parameter start must be before end. received start=${T + 10} end=${T}`);
    await expect400({ q: '{ }', start: T * 1000, end: T * 1000 + 1 }, /^invalid start: \d+ is outside the times tracebox can hold .* not milliseconds$/);
    await expect400({ q: '{ }', start: 'yesterday', end: T }, /^invalid start: strconv.ParseInt: parsing "yesterday": invalid syntax/);
    await expect400(
      { q: '{ }', start: T, end: T + 168 * 3600 + 1 },
      `range specified by start and end exceeds 168h0m0s. received start=${T} end=${T + 168 * 3600 + 1}`,
    );
    await expect400({ q: '{ }', tags: 'service.name=frontend' }, "invalid request: can't specify tags and q in the same query");
  });

  test('a window of exactly 168 h and empty parameters are accepted', async () => {
    const a = await getPath(tb.apiUrl, `/api/search${queryString({ q: '{ }', start: T, end: T + 168 * 3600 })}`);
    assert.equal(a.status, 200, text(a));
    const b = await getPath(tb.apiUrl, '/api/search?q=%7B%7D&limit=&spss=&start=&end=');
    assert.equal(b.status, 200, text(b));
    assert.equal(tracesOf(JSON.parse(text(b)) as SearchBody).length, 6);
  });
});
