/**
 * Tempo's own query corpus (pkg/traceql/test_examples.yaml, v2.7.2), shared at
 * ../shared/traceql-examples.yaml next to the repo:
 *  - valid: parse and validate, and survive print → parse unchanged;
 *  - parse_fails: TraceQLSyntaxError;
 *  - validate_fails: TraceQLValidationError that is not "not yet supported";
 *  - unsupported: parse fine, then TraceQLValidationError "… not yet supported"
 *    (what Tempo 2.7 answers for them: a 400 naming the missing feature).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  TraceQLSyntaxError,
  TraceQLValidationError,
  parse,
  parseUnvalidated,
  print,
} from '../../src/traceql/index.ts';
import { stripLoc } from './strip-loc.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const examplesFile = path.resolve(repoRoot, '..', 'shared', 'traceql-examples.yaml');

type Sections = Map<string, string[]>;

/**
 * Reader for the corpus' YAML subset: top-level `key:` lines opening a list,
 * `- item` entries as single-quoted ('' escapes a quote) or plain scalars,
 * `#` comments and blank lines. Anything else is an error, so a format change
 * fails loudly instead of silently dropping queries.
 */
function readExamples(text: string): Sections {
  const sections: Sections = new Map();
  let current: string[] | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const key = /^([A-Za-z_]+):\s*(#.*)?$/.exec(line);
    if (key) {
      current = [];
      sections.set(key[1], current);
      return;
    }
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (!item || current === null) throw new Error(`examples line ${index + 1}: cannot read ${JSON.stringify(line)}`);
    current.push(readScalar(item[1], index + 1));
  });
  return sections;
}

function readScalar(text: string, lineNo: number): string {
  if (!text.startsWith("'")) return text.replace(/\s+#.*$/, '').trim();
  let value = '';
  let i = 1;
  for (;;) {
    if (i >= text.length) throw new Error(`examples line ${lineNo}: unterminated quoted scalar`);
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      break;
    }
    value += text[i++];
  }
  const rest = text.slice(i + 1).trim();
  if (rest !== '' && !rest.startsWith('#')) throw new Error(`examples line ${lineNo}: text after quoted scalar`);
  return value;
}

function section(sections: Sections, name: string): string[] {
  const list = sections.get(name);
  assert.ok(list && list.length > 0, `section ${name} is missing or empty`);
  return list;
}

test('Tempo example corpus', async (t) => {
  if (!existsSync(examplesFile)) {
    t.skip(`${examplesFile} not present`);
    return;
  }
  const sections = readExamples(readFileSync(examplesFile, 'utf8'));

  await t.test('valid queries parse, validate and round-trip through print', () => {
    for (const query of section(sections, 'valid')) {
      const ast = parse(query);
      const printed = print(ast);
      assert.deepStrictEqual(stripLoc(parse(printed)), stripLoc(ast), `round trip of ${query} via ${printed}`);
      const explicit = print(ast, { explicit: true });
      assert.deepStrictEqual(stripLoc(parse(explicit)), stripLoc(ast), `round trip of ${query} via ${explicit}`);
    }
  });

  await t.test('parse_fails are syntax errors', () => {
    for (const query of section(sections, 'parse_fails')) {
      assert.throws(() => parseUnvalidated(query), TraceQLSyntaxError, query);
    }
  });

  await t.test('validate_fails parse but fail validation', () => {
    for (const query of section(sections, 'validate_fails')) {
      assert.doesNotThrow(() => parseUnvalidated(query), query);
      assert.throws(
        () => parse(query),
        (e: unknown) => e instanceof TraceQLValidationError && !e.unsupported,
        query,
      );
    }
  });

  await t.test('unsupported parse but are rejected as not yet supported', () => {
    for (const query of section(sections, 'unsupported')) {
      assert.doesNotThrow(() => parseUnvalidated(query), query);
      assert.throws(
        () => parse(query),
        (e: unknown) => e instanceof TraceQLValidationError && e.unsupported && e.message.endsWith(' not yet supported'),
        query,
      );
    }
  });
});
