/**
 * Parser, validator and printer, table-driven. Every VALID query must parse,
 * validate, print, and parse back to the same tree (offsets aside); where a
 * second column is given it is the fully parenthesised print, which shows how
 * the query was grouped (precedence, associativity); the third is the
 * canonical print when it differs from the input. INVALID queries name the
 * error class and, for many, the exact Tempo-style message and position.
 * Syntax error texts and positions were checked against Tempo 2.7.2's own
 * parser tables.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_AST_DEPTH,
  MAX_NESTING,
  MAX_QUERY_BYTES,
  TraceQLSyntaxError,
  TraceQLValidationError,
  parse,
  parseUnvalidated,
  print,
} from '../../src/traceql/index.ts';
import type { BinaryOperation, FieldExpression, Root, SpansetFilter } from '../../src/traceql/index.ts';
import { stripLoc } from './strip-loc.ts';

/** [query, fully parenthesised print (or undefined), canonical print if not the query]. */
const VALID: ReadonlyArray<readonly [string, string?, string?]> = [
  ['{ }'],
  ['{}', undefined, '{ }'],
  ['{ true }'],
  ['{ false }'],
  ['{ !true }'],
  ['{ .a = 1 || .b = 2 && .c = 3 }', '{ ((.a = 1) || (.b = 2)) && (.c = 3) }'],
  ['{ .a = 1 && .b = 2 || .c = 3 }', '{ ((.a = 1) && (.b = 2)) || (.c = 3) }'],
  ['{ .a = 1 || (.b = 2 && .c = 3) }', '{ (.a = 1) || ((.b = 2) && (.c = 3)) }'],
  ['{ !.a = 2 }', '{ (!.a) = 2 }'],
  ['{ !(.a = 2) }'],
  ['{ !.a && .b }', '{ (!.a) && .b }'],
  ['{ -.a * 2 + 1 = 0 }', '{ ((-(.a * 2)) + 1) = 0 }', '{ -(.a * 2) + 1 = 0 }'],
  ['{ 2 ^ 3 ^ 2 = .a }', '{ (2 ^ (3 ^ 2)) = .a }'],
  ['{ (2 ^ 3) ^ 2 = .a }', '{ ((2 ^ 3) ^ 2) = .a }'],
  ['{ .a + .b * .c = .d }', '{ (.a + (.b * .c)) = .d }'],
  ['{ (.a + .b) * .c = .d }', '{ ((.a + .b) * .c) = .d }'],
  ['{ .a - .b - .c = 0 }', '{ ((.a - .b) - .c) = 0 }'],
  ['{ .a - (.b - .c) = 0 }', '{ (.a - (.b - .c)) = 0 }'],
  ['{ .a / .b % .c = 0 }', '{ ((.a / .b) % .c) = 0 }'],
  ['{ .a * 2 ^ 2 = 8 }', '{ (.a * (2 ^ 2)) = 8 }'],
  ['{ !.a + 1 = 1 }', '{ ((!.a) + 1) = 1 }'],
  ['{ .a = 1 = true }', '{ (.a = 1) = true }'],
  ['{ .a > 1 && .a < 10 || .b }', '{ ((.a > 1) && (.a < 10)) || .b }'],
  ['{ -1 = .a }', '{ (-1) = .a }'],
  ['{ .a = -1.5 }', '{ .a = (-1.5) }'],
  ['{ .a > -2s }', '{ .a > (-2s) }'],
  ['{ .a = - 3 }', '{ .a = (-3) }', '{ .a = -3 }'],
  ['{ .a - -1 = 0 }', '{ (.a - (-1)) = 0 }', '{ .a - (-1) = 0 }'],
  ['{ - -1 = 1 }', undefined, '{ 1 = 1 }'],
  ['{ -(1) = .a }', '{ (-1) = .a }', '{ -1 = .a }'],
  ['{ -(.a) = 1 }', '{ (-.a) = 1 }', '{ -.a = 1 }'],
  ['{ -.a ^ 2 = 1 }', '{ (-(.a ^ 2)) = 1 }', '{ -(.a ^ 2) = 1 }'],
  ['{ (-.a) ^ 2 = 1 }', '{ ((-.a) ^ 2) = 1 }'],
  ['{ .a =~ "^GET .*" }'],
  ['{ .a !~ "x|y" }'],
  ['{ .a =~ "(?i)error" }'],
  ["{ .a =~ \"(?P<code>[45]\\\\d\\\\d)\" }"],
  ['{ span.a+1 = 2 }'],
  ['{ span.a + 1 = 2 }', '{ (span.a + 1) = 2 }'],
  ['{ .foo-bar = 1 }'],
  ['{ span.http.url = "/x" }'],
  ['{ resource.service.name = "api" }'],
  ['{ event.exception.type = "X" }'],
  ['{ link.foo = 1 }'],
  ['{ instrumentation.name = "x" }'],
  ['{ span."attr with space" = 1 }'],
  ['{ span.a."b c".d = 1 }', undefined, '{ span."a.b c.d" = 1 }'],
  ['{ ."foo.bar" = 1 }', undefined, '{ .foo.bar = 1 }'],
  ["{ span.\"a\\\"b\\\\c\" = 1 }"],
  ['{ .名前 = "値" }'],
  ['{ span.café = 1 }'],
  ['{ resource.Ñandú = true }'],
  ['{ .count = 1 }'],
  ['{ .name = "x" }'],
  ['{ span.name = "x" }'],
  ['{ .a.b/c:d = 1 }'],
  ['{ span.a/*b*/ = 1 }'],
  ['{ span.3xx = 1 }'],
  ['{ ."3xx" = 1 }'],
  ['{ span."=" = 1 }'],
  ['{ resource.k8s.pod.name =~ "api-.*" && span.http.status_code >= 500 }', '{ (resource.k8s.pod.name =~ "api-.*") && (span.http.status_code >= 500) }'],
  ['{ duration > 1s }'],
  ['{ span:duration > 1s }', undefined, '{ duration > 1s }'],
  ['{ name = "GET /" }'],
  ['{ span:name = "x" }', undefined, '{ name = "x" }'],
  ['{ status = error }'],
  ['{ span:status != ok }', undefined, '{ status != ok }'],
  ['{ status = unset }'],
  ['{ statusMessage =~ "timeout.*" }'],
  ['{ span:statusMessage = "x" }', undefined, '{ statusMessage = "x" }'],
  ['{ kind = server }'],
  ['{ span:kind = consumer }', undefined, '{ kind = consumer }'],
  ['{ kind != unspecified }'],
  ['{ kind = internal || kind = producer || kind = client }', '{ ((kind = internal) || (kind = producer)) || (kind = client) }'],
  ['{ traceDuration > 5s }'],
  ['{ trace:duration < 1m }', undefined, '{ traceDuration < 1m }'],
  ['{ rootName = "a" }'],
  ['{ trace:rootName = "a" }', undefined, '{ rootName = "a" }'],
  ['{ rootServiceName = "a" }'],
  ['{ trace:rootService = "a" }', undefined, '{ rootServiceName = "a" }'],
  ['{ trace:id = "abc" }'],
  ['{ span:id = "abc" }'],
  ['{ event:name = "exception" }'],
  ['{ event:timeSinceStart > 10ms }'],
  ['{ link:traceID = "x" }'],
  ['{ link:spanID = "y" }'],
  ['{ instrumentation:name = "grpc" }'],
  ['{ instrumentation:version = "1" }'],
  ['{ nestedSetParent < 0 }'],
  ['{ nestedSetLeft > 1 && nestedSetRight > 2 }', '{ (nestedSetLeft > 1) && (nestedSetRight > 2) }'],
  ['{ trace: duration > 1s }', undefined, '{ traceDuration > 1s }'],
  ['{ .a != nil }'],
  ['{ nil != .a }'],
  ["{ .a = \"a\\\"b\" }"],
  ["{ .a = \"tab\\there\\nnewline\" }"],
  ["{ .a = \"\\u00e9\\x41\\101\" }", undefined, '{ .a = "éAA" }'],
  ["{ .a = \"\\U0001F600\" }", undefined, '{ .a = "😀" }'],
  ["{ .a = `raw \\n \"quoted\"` }", undefined, "{ .a = \"raw \\\\n \\\"quoted\\\"\" }"],
  ['{ .a = "" }'],
  ["{ .a = \"\\xc3\\xa9\" }", undefined, '{ .a = "é" }'],
  ["{ .a = \"a\\\\b\" }"],
  ['{ .a = 0 }'],
  ['{ .a = 007 }', undefined, '{ .a = 7 }'],
  ['{ .a = 1.5 }'],
  ['{ .a = .5 }', undefined, '{ .a = 0.5 }'],
  ['{ .a = 1. }', undefined, '{ .a = 1.0 }'],
  ['{ .a = 1e3 }', undefined, '{ .a = 1000.0 }'],
  ['{ .a = 2.5E-3 }', undefined, '{ .a = 0.0025 }'],
  ['{ duration > 1h30m }'],
  ['{ duration > 1.5s }', undefined, '{ duration > 1s500ms }'],
  ['{ duration > 2d }', undefined, '{ duration > 48h }'],
  ['{ duration > 1w }', undefined, '{ duration > 168h }'],
  ['{ duration > 1y }', undefined, '{ duration > 8760h }'],
  ['{ duration > 500ms }'],
  ['{ duration > 1µs }', undefined, '{ duration > 1us }'],
  ['{ duration > 1us }'],
  ['{ duration > 10ns }'],
  ['{ duration > 1h15m30.5s }', undefined, '{ duration > 1h15m30s500ms }'],
  ['{ duration > 90s }', undefined, '{ duration > 1m30s }'],
  ['{ duration > 0s }'],
  ['{ duration > 1.5h }', undefined, '{ duration > 1h30m }'],
  ['{ duration > .5s }', undefined, '{ duration > 500ms }'],
  ['{ duration > 2 * 1ms }', '{ duration > (2 * 1ms) }'],
  ['{ .a } > { .b }'],
  ['{ .a } < { .b }'],
  ['{ .a } >> { .b }'],
  ['{ .a } << { .b }'],
  ['{ .a } ~ { .b }'],
  ['{ .a } !> { .b }'],
  ['{ .a } !< { .b }'],
  ['{ .a } !>> { .b }'],
  ['{ .a } !<< { .b }'],
  ['{ .a } !~ { .b }'],
  ['{ .a } &> { .b }'],
  ['{ .a } &< { .b }'],
  ['{ .a } &>> { .b }'],
  ['{ .a } &<< { .b }'],
  ['{ .a } &~ { .b }'],
  ['{ .a } && { .b }'],
  ['{ .a } || { .b }'],
  ['{ .a } && { .b } > { .c }', '{ .a } && ({ .b } > { .c })'],
  ['{ .a } > { .b } > { .c }', '({ .a } > { .b }) > { .c }'],
  ['{ .a } || { .b } && { .c }', '({ .a } || { .b }) && { .c }'],
  ['({ .a } || { .b }) > { .c }'],
  ['{ .a } >> ({ .b } && { .c })'],
  ['{ .a } !>> { .b } &~ { .c }', '({ .a } !>> { .b }) &~ { .c }'],
  ['{ }>>{ }', undefined, '{ } >> { }'],
  ['{ } >> { kind = server } | select(nestedSetLeft, nestedSetRight, nestedSetParent)'],
  ['{ .a } | { .b }'],
  ['{ .a } | count() > 2'],
  ['{ .a } | count() = 1'],
  ['{ .a } | avg(duration) > 20ms'],
  ['{ .a } | min(duration) < 1s'],
  ['{ .a } | max(span.n) >= 10'],
  ['{ .a } | sum(.bytes) > 1000'],
  ['{ .a } | avg(duration * 2) <= 1s'],
  ['{ .a } | count() != 0'],
  ['count() > 10'],
  ['count() > 1 | { .a }'],
  ['{ .a } | by(resource.service.name)'],
  ['{ .a } | by(resource.service.name) | count() > 1'],
  ['{ .a } | by(.x) | coalesce()'],
  ['{ .a } | by(.x) | coalesce() | count() > 2'],
  ['{ .a } | by(.x + 1)'],
  ['{ .a } | select(span.http.url, duration, resource.service.name)'],
  ['by(.a) | { true }'],
  ['select(.a) | { true }'],
  ['{ .a } | (count()) > 1', undefined, '{ .a } | count() > 1'],
  ['{ .a } | count() > -1'],
  ['{ .a } | count() > 1 | avg(duration) > 1s | { .b }'],
  ['({ .a } | count() > 1) && ({ .b })'],
  ['({ .a } | by(.x) | count() > 1) >> ({ .b } | { .c })'],
  ['(({ .a } | { .b }) && ({ .c } | { .d })) > ({ .e } | { .f })'],
  ['({ .a } | { .b }) && ({ .c } | { .d }) > ({ .e } | { .f })', '({ .a } | { .b }) && (({ .c } | { .d }) > ({ .e } | { .f }))'],
  ['({ .a }) && ({ .b })', undefined, '{ .a } && { .b }'],
  ['({ .a } | { .b })', undefined, '{ .a } | { .b }'],
  ['({ .a } && { .b }) | count() > 1', undefined, '{ .a } && { .b } | count() > 1'],
  ['{ .a } | ({ .b } && { .c }) | count() > 1', undefined, '{ .a } | { .b } && { .c } | count() > 1'],
  ['{ .a } | ({ .b }) > { .c }', undefined, '{ .a } | { .b } > { .c }'],
  ['((({ .a })))', undefined, '{ .a }'],
  ['{ .a = 1 } // trailing comment', undefined, '{ .a = 1 }'],
  ['/* lead */ { .a = 1 }', undefined, '{ .a = 1 }'],
  ['{ .a /* mid */ = 1 }', undefined, '{ .a = 1 }'],
  ["{ .a = 1 /* multi\nline */ }", undefined, '{ .a = 1 }'],
  ["{ .a = 1 }\n| count() > 1", undefined, '{ .a = 1 } | count() > 1'],
  ['{ } | rate()'],
  ['{ } | rate() by (resource.service.name)'],
  ['{ } | count_over_time()'],
  ['{ } | count_over_time() by (name, span.http.route)'],
  ['{ } | min_over_time(duration)'],
  ['{ } | max_over_time(span.x) by (resource.service.name)'],
  ['{ } | avg_over_time(duration)'],
  ['{ } | sum_over_time(duration)'],
  ['{ } | quantile_over_time(duration, .5, .9, .99)', undefined, '{ } | quantile_over_time(duration, 0.5, 0.9, 0.99)'],
  ['{ } | quantile_over_time(duration, 0, 1)'],
  ['{ } | histogram_over_time(duration) by (name)'],
  ['{ status = error } | compare({ status = error })', undefined, '{ status = error } | compare({ status = error }, 10)'],
  ['{ } | compare({ status = error }, 5)'],
  ['{ } | compare({ status = error }, 5, 1700000000000000000, 1700000001000000000)'],
  ['{ nestedSetParent < 0 && true } | compare({ status = error }, 10)', '{ (nestedSetParent < 0) && true } | compare({ status = error }, 10)'],
  ['{ } | rate() | topk(5)'],
  ['{ } | rate() by (name) | bottomk(3)'],
  ['{ status = error } | by(.a) | rate()'],
  ['{ } | rate() with(exemplars=true)'],
  ['{ } with(sample=0.1)'],
  ['{ } | rate() with (sample = 0.1, exemplars = 5)', undefined, '{ } | rate() with(sample=0.1, exemplars=5)'],
  ['{ } with(a=1) with(b=2)', undefined, '{ } with(b=2)'],
  ['{ } | count_over_time() by (name) with(sample=0.1)'],
  ['{ } with(job_size=1000, time_overlap_cutoff=0.2, x="y", d=1s, e=error, f=nil)'],
];

test(`${VALID.length} valid queries parse, validate and round-trip`, () => {
  assert.ok(VALID.length >= 150);
  for (const [query, explicit, canonical] of VALID) {
    const ast = parse(query);
    const printed = print(ast);
    assert.equal(printed, canonical ?? query, `canonical print of ${JSON.stringify(query)}`);
    const grouped = print(ast, { explicit: true });
    if (explicit !== undefined) assert.equal(grouped, explicit, `grouping of ${JSON.stringify(query)}`);
    assert.deepStrictEqual(stripLoc(parse(printed)), stripLoc(ast), `round trip via ${printed}`);
    assert.deepStrictEqual(stripLoc(parse(grouped)), stripLoc(ast), `round trip via ${grouped}`);
  }
});

/** The first spanset filter's expression, which these tables' queries all start with. */
function firstCondition(root: Root): BinaryOperation {
  const stage = root.pipeline.stages[0] as SpansetFilter;
  const expr = stage.expression as FieldExpression;
  assert.equal(expr.kind, 'BinaryOperation');
  return expr as BinaryOperation;
}

test('attribute names: scopes, attribute-name lexing, quoted segments, unicode', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean, string]> = [
    ['{ span.a+1 = 2 }', 'span', false, 'a+1'],
    ['{ span.a=1 }', 'span', false, 'a'],
    ['{ span.a!=1 }', 'span', false, 'a'],
    ['{ span.a-b*c/d%e = 1 }', 'span', false, 'a-b*c/d%e'],
    ['{ .foo-bar = 1 }', 'none', false, 'foo-bar'],
    ['{ span.http.url = 1 }', 'span', false, 'http.url'],
    ['{ resource.service.name = 1 }', 'resource', false, 'service.name'],
    ['{ event.exception.type = 1 }', 'event', false, 'exception.type'],
    ['{ link.a = 1 }', 'link', false, 'a'],
    ['{ instrumentation.a = 1 }', 'instrumentation', false, 'a'],
    ['{ span."attr with space" = 1 }', 'span', false, 'attr with space'],
    ['{ span.a."b c".d = 1 }', 'span', false, 'a.b c.d'],
    ['{ ."foo.bar" = 1 }', 'none', false, 'foo.bar'],
    ['{ span."a\\"b\\\\c" = 1 }', 'span', false, 'a"b\\c'],
    ['{ span."{}()=~!<>&|^," = 1 }', 'span', false, '{}()=~!<>&|^,'],
    ['{ .名前 = 1 }', 'none', false, '名前'],
    ['{ resource.Ñandú = 1 }', 'resource', false, 'Ñandú'],
    ['{ .count = 1 }', 'none', false, 'count'],
    ['{ span.name = 1 }', 'span', false, 'name'],
    ['{ .a.b/c:d = 1 }', 'none', false, 'a.b/c:d'],
    ['{ span.a/*b*/ = 1 }', 'span', false, 'a/*b*/'],
    ['{ span.3xx = 1 }', 'span', false, '3xx'],
    ['{ parent.a = 1 }', 'none', true, 'a'],
    ['{ parent.span.a = 1 }', 'span', true, 'a'],
    ['{ parent.resource.a = 1 }', 'resource', true, 'a'],
    ['{ parent.event.a = 1 }', 'none', true, 'event.a'],
  ];
  for (const [query, scope, parent, name] of cases) {
    const lhs = firstCondition(parseUnvalidated(query)).lhs;
    assert.deepStrictEqual(stripLoc(lhs), { kind: 'Attribute', scope, parent, name }, query);
    // and the printer writes something that reads back as the same attribute
    const again = firstCondition(parseUnvalidated(print(parseUnvalidated(query)))).lhs;
    assert.deepStrictEqual(stripLoc(again), stripLoc(lhs), query);
  }
});

test('literals: strings, numbers, durations, negatives', () => {
  const MS = 1e6;
  const S = 1e9;
  const cases: ReadonlyArray<readonly [string, string, unknown]> = [
    ['"a\\"b"', 'string', 'a"b'],
    ['"tab\\there\\nnl"', 'string', 'tab\there\nnl'],
    ['"\\u00e9\\x41\\101\\a"', 'string', 'éAA\x07'],
    ['"\\U0001F600"', 'string', '😀'],
    ['"\\xc3\\xa9"', 'string', 'é'],
    ['"\\xff"', 'string', '\ufffd'],
    ['`raw \\n "q"`', 'string', 'raw \\n "q"'],
    ['`multi\nline`', 'string', 'multi\nline'],
    ['""', 'string', ''],
    ['0', 'int', 0],
    ['007', 'int', 7],
    ['-42', 'int', -42],
    ['- 42', 'int', -42],
    ['9007199254740993', 'int', 9007199254740992],
    ['1.5', 'float', 1.5],
    ['.5', 'float', 0.5],
    ['1.', 'float', 1],
    ['1e3', 'float', 1000],
    ['2.5E-3', 'float', 0.0025],
    ['-0.25', 'float', -0.25],
    ['1h30m', 'duration', 5400 * S],
    ['1.5s', 'duration', 1.5 * S],
    ['2d', 'duration', 2 * 86400 * S],
    ['1w', 'duration', 7 * 86400 * S],
    ['1y', 'duration', 365 * 86400 * S],
    ['1d12h', 'duration', 36 * 3600 * S],
    ['500ms', 'duration', 500 * MS],
    ['1µs', 'duration', 1000],
    ['1us', 'duration', 1000],
    ['10ns', 'duration', 10],
    ['1h15m30.918273645s', 'duration', 4530 * S + 918273645],
    ['30m1h', 'duration', 5400 * S],
    ['.5s', 'duration', 500 * MS],
    ['0s', 'duration', 0],
    ['-2s', 'duration', -2 * S],
    ['true', 'bool', true],
    ['false', 'bool', false],
    ['nil', 'nil', null],
    ['error', 'status', 'error'],
    ['unset', 'status', 'unset'],
    ['producer', 'kind', 'producer'],
  ];
  for (const [literal, type, value] of cases) {
    const query = `{ .a = ${literal} }`;
    const rhs = firstCondition(parseUnvalidated(query)).rhs;
    assert.deepStrictEqual(stripLoc(rhs), { kind: 'Static', type, value }, query);
  }
});

test('intrinsics: legacy and scoped spellings map to one intrinsic', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['duration', 'duration'], ['span:duration', 'duration'], ['name', 'name'], ['span:name', 'name'],
    ['status', 'status'], ['span:status', 'status'], ['statusMessage', 'statusMessage'],
    ['span:statusMessage', 'statusMessage'], ['kind', 'kind'], ['span:kind', 'kind'], ['span:id', 'span:id'],
    ['traceDuration', 'traceDuration'], ['trace:duration', 'traceDuration'], ['rootName', 'rootName'],
    ['trace:rootName', 'rootName'], ['rootServiceName', 'rootServiceName'], ['trace:rootService', 'rootServiceName'],
    ['trace:id', 'trace:id'], ['event:name', 'event:name'], ['event:timeSinceStart', 'event:timeSinceStart'],
    ['link:traceID', 'link:traceID'], ['link:spanID', 'link:spanID'], ['instrumentation:name', 'instrumentation:name'],
    ['instrumentation:version', 'instrumentation:version'], ['nestedSetLeft', 'nestedSetLeft'],
    ['nestedSetRight', 'nestedSetRight'], ['nestedSetParent', 'nestedSetParent'], ['childCount', 'childCount'],
    ['parent', 'parent'], ['trace: duration', 'traceDuration'],
  ];
  for (const [text, name] of cases) {
    const lhs = firstCondition(parseUnvalidated(`{ ${text} = 1 }`)).lhs;
    assert.deepStrictEqual(stripLoc(lhs), { kind: 'Intrinsic', name }, text);
  }
});

type Expected = 'syntax' | 'invalid' | 'unsupported';

/**
 * [query, error class, exact message, line, col]. Syntax messages are the full
 * text after "parse error at line L, col C: ". Tempo itself reports line 0 for
 * tokens it lexes in more than one step (`&&`, `span.`); we report real lines.
 */
const INVALID: ReadonlyArray<readonly [string, Expected, string?, number?, number?]> = [
  // grammar errors with Tempo's exact text and position
  ['', 'syntax', 'syntax error: unexpected $end', 1, 1],
  ['{ .a } | { .b', 'syntax', 'syntax error: unexpected $end', 1, 14],
  ['{ .a | .b }', 'syntax', 'syntax error: unexpected |', 1, 6],
  ['({ .a } | { .b }', 'syntax', 'syntax error: unexpected $end, expecting ) or |', 1, 17],
  ['({ .a } | { .b }) + ({ .a } | { .b })', 'syntax', 'syntax error: unexpected +, expecting with', 1, 19],
  ['by(.a) && { .b }', 'syntax', 'syntax error: unexpected &&, expecting with', 1, 8],
  ['coalesce()', 'syntax', 'syntax error: unexpected coalesce', 1, 1],
  ['coalesce() | { true }', 'syntax', 'syntax error: unexpected coalesce', 1, 1],
  ['{ true } &&', 'syntax', 'syntax error: unexpected $end, expecting { or (', 1, 12],
  ['count(avg)', 'syntax', 'syntax error: unexpected avg, expecting )', 1, 7],
  ['count(.thing)', 'syntax', 'syntax error: unexpected ., expecting )', 1, 7],
  ['wharblgarbl', 'syntax', 'syntax error: unexpected IDENTIFIER', 1, 1],
  ['{ 2 <> 3}', 'syntax', 'syntax error: unexpected >', 1, 6],
  ['{ . foo }', 'syntax', 'syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER', 1, 3],
  ['{ resource. }', 'syntax', 'syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER', 1, 3],
  ['{ parent. }', 'syntax', 'syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER or resource. or span.', 1, 3],
  ['{ trace:status = error }', 'syntax', 'syntax error: unexpected status, expecting duration or rootName or rootService or id', 1, 9],
  ['{ span:rootName = "x" }', 'syntax', 'syntax error: unexpected rootName', 1, 8],
  ['({ .a }) && ({ .b } | { .c })', 'syntax', 'syntax error: unexpected |', 1, 21],
  ['{ .a } && ({ .b } | count() > 1)', 'syntax', 'syntax error: unexpected |', 1, 19],
  ['{ .a } | ({ .b } | { .c })', 'syntax', 'syntax error: unexpected |', 1, 18],
  ['({ .a } | count() > 1) | { .b }', 'syntax', 'syntax error: unexpected |, expecting with', 1, 24],
  ['{ .a = 1 }\n  | { .b = }', 'syntax', 'syntax error: unexpected }', 2, 12],
  ['{ foo = 4 }', 'syntax', 'syntax error: unexpected IDENTIFIER', 1, 3],
  ['{ .a == 4 }', 'syntax', 'syntax error: unexpected =', 1, 7],
  ['status = error', 'syntax', 'syntax error: unexpected status', 1, 1],
  ['{ } | avg(duration)', 'syntax', 'syntax error: unexpected $end', 1, 20],
  ['{ .a } - { .b }', 'syntax', 'syntax error: unexpected -, expecting with', 1, 8],
  ['{ .3xx = 1 }', 'syntax', 'syntax error: unexpected IDENTIFIER', 1, 5],
  ['{ .a = 1h1y }', 'syntax', 'syntax error: unexpected IDENTIFIER', 1, 9],
  ["{ .a = 'G' }", 'syntax', 'syntax error: unexpected IDENTIFIER', 1, 8],
  ['{ } | rate() by ()', 'syntax', 'syntax error: unexpected )', 1, 18],
  ['{ } | quantile_over_time(duration)', 'syntax', 'syntax error: unexpected ), expecting ,', 1, 34],
  ['{ } | compare({ .a }, 1, 2)', 'syntax', 'syntax error: unexpected ), expecting ,', 1, 27],
  ['{ } with(name=1)', 'syntax', 'syntax error: unexpected name, expecting IDENTIFIER', 1, 10],
  ['{ } with(a=-1)', 'syntax', 'syntax error: unexpected -', 1, 12],
  ['{ } | rate() | topk(-1)', 'syntax', 'syntax error: unexpected -, expecting INTEGER', 1, 21],
  ['({ .a } | count()) > -1', 'syntax', 'syntax error: unexpected -', 1, 22],
  ['({ .a } | count()) * 2 > 1', 'syntax', 'syntax error: unexpected INTEGER, expecting (', 1, 22],
  ['{ .a } | select()', 'syntax', 'syntax error: unexpected )', 1, 17],
  ['{ .a } | by()', 'syntax', 'syntax error: unexpected )', 1, 13],
  ['select(1 + "string")', 'syntax', 'syntax error: unexpected INTEGER', 1, 8],
  ['{ .a } | count = 1', 'syntax', 'syntax error: unexpected =, expecting (', 1, 16],
  ['{ .a }}', 'syntax', 'syntax error: unexpected }, expecting with', 1, 7],
  ['{ .a = 1 } | max() > 1', 'syntax', 'syntax error: unexpected )', 1, 18],
  ['{ .a } | count() > 1 && { .b }', 'syntax', 'syntax error: unexpected &&, expecting with', 1, 22],
  ['{ .a } | rate() | foo', 'syntax', 'syntax error: unexpected IDENTIFIER, expecting topk or bottomk', 1, 19],
  // lexical errors
  ['{ .a = "unterminated }', 'syntax', 'literal not terminated', 1, 8],
  ['{ .a = "line\nbreak" }', 'syntax', 'literal not terminated', 1, 8],
  ["{ .a = 'GET' }", 'syntax', 'invalid char literal', 1, 8],
  ['{ .a = "\\q" }', 'syntax', 'invalid char escape', 1, 9],
  ['{ .a = "\\400" }', 'syntax', 'invalid syntax', 1, 8],
  ['{ .a = "\\uD800" }', 'syntax', 'invalid syntax', 1, 8],
  ['{ span."a\\qb" = 1 }', 'syntax', 'invalid escape sequence', 1, 10],
  ['{ ."foo = 1 }', 'syntax', 'unexpected EOF, expecting "', 1, 4],
  ['{ .a = 1 } /* open', 'syntax', 'comment not terminated', 1, 12],
  ['{ .a = 08 }', 'syntax', "invalid digit '8' in octal literal", 1, 8],
  ['{ .a = 1e }', 'syntax', 'exponent has no digits', 1, 8],
  ['{ .a = 99999999999999999999 }', 'syntax', 'strconv.Atoi: parsing "99999999999999999999": value out of range', 1, 8],
  ['{ .名前 = 1 } &&\n\t{ . }', 'syntax', 'syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER', 2, 4],
  // more grammar errors (message not pinned)
  ['true', 'syntax'],
  ['[ true ]', 'syntax'],
  ['{ .a = 1 } | count() > "x"', 'syntax'],
  ['{ .a } | avg(duration) > 1 > 2', 'syntax'],
  ['count() > 3 && { true }', 'syntax'],
  ['{ true } | notAnAggregate() = 1', 'syntax'],
  ['(count())', 'syntax'],
  ['{ .a } | (count())', 'syntax'],
  ['({ .a } | count())', 'syntax'],
  ['{ .a } | rate() by (name) | topk(5) | bottomk(1)', 'syntax'],
  ['{ } | compare({ .a } && { .b })', 'syntax'],
  ['{ } | quantile_over_time(duration, -0.5)', 'syntax'],
  ['{ } | rate() with()', 'syntax'],
  ['{ .a ~ 1 }', 'syntax'],
  ['{ .a } ! { .b }', 'syntax'],
  ['{ .a } & { .b }', 'syntax'],
  ['{ .a =\u00a01 }', 'syntax'],
  // static type errors
  ['{ status = "error" }', 'invalid', 'binary operations must operate on the same type: status = "error"'],
  ['{ kind = "server" }', 'invalid', 'binary operations must operate on the same type: kind = "server"'],
  ['{ duration = "1s" }', 'invalid', 'binary operations must operate on the same type: duration = "1s"'],
  ['{ 1 + 1 = "2" }', 'invalid', 'binary operations must operate on the same type: 1 + 1 = "2"'],
  ['{ status > ok }', 'invalid', 'illegal operation for the given types: status > ok'],
  ['{ .a && 1 }', 'invalid', 'illegal operation for the given types: .a && 1'],
  ['{ "foo" }', 'invalid', 'span filter field expressions must resolve to a boolean: { "foo" }'],
  ['{ .a + 1 }', 'invalid', 'span filter field expressions must resolve to a boolean: { .a + 1 }'],
  ['{ !1 }', 'invalid', 'illegal operation for the given type: !1'],
  ['{ -"a" = "b" }', 'invalid', 'illegal operation for the given type: -"a"'],
  ['{ .a =~ "(" }', 'invalid', 'invalid regex: "("'],
  ['{ .a =~ "a**" }', 'invalid', 'invalid regex: "a**"'],
  ['{ .a !~ "(?=x)" }', 'invalid', 'invalid regex: "(?=x)"'],
  ['sum(3) > 1', 'invalid', 'aggregate field expressions must reference the span: sum(3)'],
  ['{ .a = 1 } | avg(name) > 1', 'invalid', 'aggregate field expressions must resolve to a number type: avg(name)'],
  ['{ .a } | max(.b = 1) > 1', 'invalid', 'aggregate field expressions must resolve to a number type: max(.b = 1)'],
  ['{ .a } | by(1 + 2)', 'invalid', 'grouping field expressions must reference the span: by(1 + 2)'],
  ['{ } | quantile_over_time(duration, 1.5)', 'invalid', 'quantile must be between 0 and 1: 1.5'],
  ['{ } | compare({ .a }, 0)', 'invalid', 'compare() top number of values must be integer greater than 0'],
  ['{ } | compare({ .a }, 5, 10, 5)', 'invalid', 'compare() end timestamp must be greater than start timestamp'],
  ['{ } | compare({ "x" })', 'invalid', 'span filter field expressions must resolve to a boolean: { "x" }'],
  ['{ } | rate() | topk(0)', 'invalid', 'limit must be greater than 0'],
  // valid syntax, feature not in Tempo 2.7
  ['{ parent.a = 1 }', 'unsupported', 'parent not yet supported'],
  ['{ .a } | select(parent.x)', 'unsupported', 'parent not yet supported'],
  ['{ .a = nil }', 'unsupported', '{.a = nil} not yet supported'],
  ['{ childCount > 1 }', 'unsupported', 'intrinsic (childCount) not yet supported'],
  ['{ parent = nil }', 'unsupported', 'intrinsic (parent) not yet supported'],
  ['{ } | rate() by (.a, .b, .c, .d, .e, .f)', 'unsupported', 'metrics group by 6 values not yet supported'],
  ['{ } | quantile_over_time(duration, .5) by (.a, .b, .c, .d, .e)', 'unsupported', 'metrics group by 5 values not yet supported'],
  ['count() > count()', 'unsupported', 'scalar filter rhs of type (%v) not yet supported'],
  ['{ .a } | count() > 1 + 1', 'unsupported', 'scalar filter rhs of type (%v) not yet supported'],
  ['{ .a } | count() + 1 > 2', 'unsupported', 'scalar filter lhs of type (%v) not yet supported'],
  ['({ .a } | count()) > 2', 'unsupported', 'scalar filter lhs of type (%v) not yet supported'],
];

test(`${INVALID.length} invalid queries fail with the right error`, () => {
  assert.ok(INVALID.length >= 60);
  for (const [query, expected, message, line, col] of INVALID) {
    assert.throws(() => parse(query), (e: unknown) => {
      if (expected === 'syntax') {
        assert.ok(e instanceof TraceQLSyntaxError, `${JSON.stringify(query)}: ${String(e)}`);
        if (message !== undefined) {
          assert.equal(e.reason, message, JSON.stringify(query));
          const where = query === '' ? 'parse error : ' : `parse error at line ${line}, col ${col}: `;
          assert.equal(e.message, where + message);
          assert.equal(String(e), e.message);
          assert.equal(e.line, line, `line of ${JSON.stringify(query)}`);
          assert.equal(e.col, col, `col of ${JSON.stringify(query)}`);
        }
      } else {
        assert.ok(e instanceof TraceQLValidationError, `${JSON.stringify(query)}: ${String(e)}`);
        assert.equal(e.unsupported, expected === 'unsupported', JSON.stringify(query));
        if (message !== undefined) assert.equal(e.message, message);
      }
      return true;
    });
  }
});

test('errors carry source ranges', () => {
  const syntax = catchError(() => parse('{ .a = 1 } | { span.b =~ }'));
  assert.ok(syntax instanceof TraceQLSyntaxError);
  assert.deepStrictEqual([syntax.from, syntax.to], [25, 26]);

  const typed = catchError(() => parse('{ .a = 1 && status = "x" }'));
  assert.ok(typed instanceof TraceQLValidationError);
  assert.equal('{ .a = 1 && status = "x" }'.slice(typed.from, typed.to), 'status = "x"');

  const regex = catchError(() => parse('{ .a =~ "[" }'));
  assert.ok(regex instanceof TraceQLValidationError);
  assert.deepStrictEqual([regex.from, regex.to], [8, 11]);
});

test('nodes record their offsets', () => {
  const query = '{ span.a = -1 } | count() > 2';
  const root = parse(query);
  const cond = firstCondition(root);
  assert.equal(query.slice(cond.from, cond.to), 'span.a = -1');
  assert.equal(query.slice(cond.lhs.from, cond.lhs.to), 'span.a');
  assert.equal(query.slice(cond.rhs.from, cond.rhs.to), '-1');
  const filter = root.pipeline.stages[1];
  assert.equal(query.slice(filter.from, filter.to), 'count() > 2');
  assert.deepStrictEqual([root.from, root.to], [0, query.length]);
});

test('hostile input is refused with a clear error, quickly', () => {
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    ['('.repeat(100_000), new RegExp(`nesting too deep \\(more than ${MAX_NESTING} levels\\)`)],
    [`{ ${'!'.repeat(50_000)}true }`, /nesting too deep/],
    [`{ ${'('.repeat(40_000)}.a${')'.repeat(40_000)} }`, /nesting too deep/],
    [`{ 1${' ^ 1'.repeat(20_000)} = 1 }`, /nesting too deep/],
    [`{ ${Array(MAX_AST_DEPTH + 5).fill('.a = 1').join(' || ')} }`, new RegExp(`more than ${MAX_AST_DEPTH} levels`)],
    [`{ .a = "${'x'.repeat(MAX_QUERY_BYTES)}" }`, /exceeds the maximum size of 131072 bytes/],
    [`{ .a = "${'é'.repeat(MAX_QUERY_BYTES / 2)}" }`, /exceeds the maximum size/],
  ];
  for (const [query, pattern] of cases) {
    const e = catchError(() => parse(query));
    assert.ok(e instanceof TraceQLSyntaxError, String(e));
    assert.match(e.message, pattern);
  }
  // long but flat pipelines are fine
  assert.equal(parse(Array(5000).fill('{ }').join(' | ')).pipeline.stages.length, 5000);
});

test('only the last with(...) counts, as in Tempo', () => {
  const root = parse('{ } with(a=1) with(b=2, c="x")');
  assert.deepStrictEqual(root.hints?.hints.map((h) => h.name), ['b', 'c']);
});

test('parse() validates, parseUnvalidated() does not', () => {
  assert.doesNotThrow(() => parseUnvalidated('{ status = "error" }'));
  assert.throws(() => parse('{ status = "error" }'), TraceQLValidationError);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return assert.fail('expected an error');
}
