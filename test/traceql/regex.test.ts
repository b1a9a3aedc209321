/**
 * The regex engine (src/traceql/re2.ts parses, src/traceql/regex.ts matches): RE2 syntax
 * with Go's error codes (Go's regexp and JS RegExp disagree in both directions, so each
 * side of the difference is here), anchoring, the same answers as JavaScript's RegExp
 * where both languages agree, and bounded time on patterns that make a backtracking
 * engine run for hours.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileLinear, regexError, withRegexDeadline, RegexDeadlineError } from '../../src/traceql/regex.ts';

const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['abc', 'abc', true],
  ['abc', 'abcd', false],
  ['.*foo.*', 'xxfooyy', true],
  ['foo.*', 'foox', true],
  ['.*foo', 'xfoo', true],
  ['.*foo', 'foox', false],
  ['a|b', 'b', true],
  ['a|b', 'ab', false],
  ['(?i)abc', 'ABC', true],
  ['(?i:a)b', 'Ab', true],
  ['(?i:a)b', 'AB', false],
  ['[[:alpha:]]+', 'abcXYZ', true],
  ['[[:alpha:]]+', 'ab1', false],
  ['[[:^digit:]x]+', 'ax', true],
  ['\\d{2,3}', '123', true],
  ['\\d{2,3}', '1234', false],
  ['\\pL+', 'héllo', true],
  ['\\PL', '1', true],
  ['\\p{Greek}+', 'αβγ', true],
  ['\\p{^Greek}', 'a', true],
  ['a.c', 'a\nc', true], // Tempo anchors with (?s:…)
  ['(?-s)a.c', 'a\nc', false],
  ['(?m)^a$\\n^b$', 'a\nb', true],
  ['^a$', 'a', true],
  ['\\bfoo\\b', 'foo', true],
  ['a\\Bb', 'ab', true],
  ['\\Aab\\z', 'ab', true],
  ['x\\Q.*\\E', 'x.*', true],
  ['x\\Q.*\\E', 'xab', false],
  ['a{,3}', 'a{,3}', true],
  ['[]a]+', ']a', true],
  ['[^]a]', 'b', true],
  ['[a-]+', '-a', true],
  ['é+', 'éé', true],
  ['\\x41\\x{1F600}', 'A😀', true],
  ['\\077', '?', true],
  ['(?P<n>x)(?<m>y)', 'xy', true],
  ['', '', true],
  ['', 'a', false],
  ['a*?', 'aaa', true],
  ['(a|ab)(c|bcd)(d*)', 'abcd', true],
  ['^*a', 'a', true],
  ['a(?i)*', 'aaa', true],
  ['a(?i)*b', 'AB', false], // the a before (?i) stays case-sensitive
  ['a(?i)*b', 'aB', true],
  ['a{01}', 'a{01}', true],
  ['a{01}', 'a', false],
];

const VALID = [
  '', 'abc', '.*foo.*', '(?i)foo', '(?i:a)b', '(?-i)a', '(?sm-U:x)', '(?P<n>x)', '(?<n>x)', '\\z', '\\A', '\\b\\B',
  '[[:alpha:]]', '[[:^digit:]x]', '\\pL', '\\p{Greek}', '\\p{^Greek}', '\\PL', '[\\d\\s\\pN]', 'a{2,3}', 'a{2,}',
  'a{,3}', 'x{1000}', 'a*?', 'a+?', 'a??', '\\Qa.b*\\E', '[a-z]', '[]a]', '[^]a]', '[a-]', '\\x41\\x{1F600}',
  '\\077', '\\0', '^*', 'a|b|', '()', '\\.', '\\_', '\\ ', '[\\]]', '(a)(b)(?:c)', 'é+',
  // A repetition applies to the item before a flag group or an empty \Q\E; a count has no leading zeros.
  'a(?i)*', 'a*(?i)*', 'a\\Q\\E*', 'a{01}',
];

const INVALID: ReadonlyArray<readonly [string, string]> = [
  ['[', 'missing closing ]'],
  ['[a', 'missing closing ]'],
  ['(', 'missing closing )'],
  [')', 'unexpected )'],
  ['*', 'missing argument to repetition operator'],
  ['|*', 'missing argument to repetition operator'],
  ['(*)', 'missing argument to repetition operator'],
  ['(?i)*', 'missing argument to repetition operator'],
  ['a**', 'invalid nested repetition operator'],
  ['a*+', 'invalid nested repetition operator'],
  ['a{2}{3}', 'invalid nested repetition operator'],
  ['x{1001}', 'invalid repeat count'],
  ['x{3,2}', 'invalid repeat count'],
  ['(?=a)', 'invalid or unsupported Perl syntax'],
  ['(?!a)', 'invalid or unsupported Perl syntax'],
  ['(?<=a)', 'invalid named capture'],
  ['(?P=n)', 'invalid or unsupported Perl syntax'],
  ['(?i', 'invalid or unsupported Perl syntax'],
  ['(?-)', 'invalid or unsupported Perl syntax'],
  ['(?P<>x)', 'invalid named capture'],
  ['(?P<a-b>x)', 'invalid named capture'],
  ['\\1', 'invalid escape sequence'],
  ['\\e', 'invalid escape sequence'],
  ['\\Z', 'invalid escape sequence'],
  ['\\xZZ', 'invalid escape sequence'],
  ['[\\b]', 'invalid escape sequence'],
  ['\\', 'trailing backslash at end of expression'],
  ['[z-a]', 'invalid character class range'],
  ['\\p{Foo}', 'invalid character class range'],
  ['\\p{Letter}', 'invalid character class range'],
  ['[[:foo:]]', 'invalid character class range'],
  [`${'('.repeat(1001)}${')'.repeat(1001)}`, 'expression nests too deeply'],
  ['\\Q\\E*', 'missing argument to repetition operator'],
  ['[a-\\d]', 'invalid escape sequence'],
  ['a{2}*', 'invalid nested repetition operator'],
  ['a??*', 'invalid nested repetition operator'],
];

test('valid RE2 patterns compile', () => {
  for (const pattern of VALID) {
    assert.equal(regexError(pattern), null, pattern);
    assert.notEqual(compileLinear(pattern), null, pattern);
  }
});

test('invalid RE2 patterns report Go\'s error code and do not compile', () => {
  for (const [pattern, error] of INVALID) {
    assert.equal(regexError(pattern), error, pattern);
    assert.equal(compileLinear(pattern), null, pattern);
  }
});

test('RE2 syntax, fully anchored', () => {
  for (const [pattern, input, expected] of CASES) {
    assert.equal(compileLinear(pattern)?.test(input), expected, `${JSON.stringify(pattern)} on ${JSON.stringify(input)}`);
  }
});

test('patterns that are not RE2, or too large, do not compile', () => {
  for (const pattern of ['(?=a)', '(?!a)', '\\1', 'a{1001}', '[b-a]', '(', '[a', '\\p{Nope}']) assert.equal(compileLinear(pattern), null, pattern);
  assert.equal(regexError('((a{1000}){1000}){1000}'), 'expression too large');
});

test('catastrophic patterns finish on long inputs', () => {
  const long = 'a'.repeat(65_536);
  for (const pattern of ['(a+)+b', '(a|a)*b', '(a|aa)+b', '(.*a){20}b', '.*a.*a.*a.*a.*a.*b', '((a*)*)*b', '(\\w|\\d)+!', '(?i)(A+)+B']) {
    assert.equal(compileLinear(pattern)!.test(long), false, pattern);
  }
});

test('a deadline stops a long match', () => {
  const matcher = compileLinear('(.*a){500}b')!;
  assert.throws(() => withRegexDeadline(Date.now() - 1, () => matcher.test('a'.repeat(65_536))), RegexDeadlineError);
  assert.equal(withRegexDeadline(Date.now() + 60_000, () => matcher.test('ab')), false);
});

/** Patterns over a, b, digits and newline built from constructs RE2 and JavaScript read alike. */
const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string }>((tie) => ({
  re: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '\\w', '\\s', '\\n', '^', '$', '\\b'),
    fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
    fc.tuple(tie('re'), tie('re')).map(([x, y]) => `(?:${x}|${y})`),
    fc.tuple(tie('re'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{2,}', '*?')).map(([x, op]) => `(?:${x})${op}`),
  ),
})).re;

test('agrees with JavaScript RegExp where RE2 and JavaScript agree', () => {
  fc.assert(
    fc.property(pattern, fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '1', '\n', ' '), maxLength: 8 }), { minLength: 1, maxLength: 5 }), (p, inputs) => {
      const ours = compileLinear(p);
      const theirs = new RegExp(`^(?:${p})$`, 's');
      assert.notEqual(ours, null, p);
      for (const input of inputs) assert.equal(ours!.test(input), theirs.test(input), `${JSON.stringify(p)} on ${JSON.stringify(input)}`);
    }),
    { numRuns: 1500 },
  );
});
