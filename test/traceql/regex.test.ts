/**
 * The linear-time regex matcher (src/traceql/regex.ts): RE2 syntax and anchoring, the
 * same answers as JavaScript's RegExp where both languages agree, and bounded time on
 * patterns that make a backtracking engine run for hours.
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
];

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
