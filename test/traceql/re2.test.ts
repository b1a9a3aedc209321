/**
 * RE2 syntax check used by the validator for `=~` / `!~`. Go's regexp and JS
 * RegExp disagree in both directions, so each side of the difference is here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { re2SyntaxError } from '../../src/traceql/re2.ts';

const VALID = [
  '', 'abc', '.*foo.*', '(?i)foo', '(?i:a)b', '(?-i)a', '(?sm-U:x)', '(?P<n>x)', '(?<n>x)', '\\z', '\\A', '\\b\\B',
  '[[:alpha:]]', '[[:^digit:]x]', '\\pL', '\\p{Greek}', '\\p{^Greek}', '\\PL', '[\\d\\s\\pN]', 'a{2,3}', 'a{2,}',
  'a{,3}', 'x{1000}', 'a*?', 'a+?', 'a??', '\\Qa.b*\\E', '[a-z]', '[]a]', '[^]a]', '[a-]', '\\x41\\x{1F600}',
  '\\077', '\\0', '^*', 'a|b|', '()', '\\.', '\\_', '\\ ', '[\\]]', '(a)(b)(?:c)', 'é+',
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
];

test('valid RE2 patterns pass', () => {
  for (const pattern of VALID) assert.equal(re2SyntaxError(pattern), null, pattern);
});

test('invalid RE2 patterns report Go\'s error code', () => {
  for (const [pattern, error] of INVALID) assert.equal(re2SyntaxError(pattern), error, pattern);
});
