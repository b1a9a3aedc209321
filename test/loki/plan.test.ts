import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogQL, type LogExpr } from '../../src/logql/index.ts';
import { planLog, wholeWords } from '../../src/loki/plan.ts';

test('whole words of a line filter: only runs with a separator on both sides', () => {
  assert.deepEqual(wholeWords('declined'), []);
  assert.deepEqual(wholeWords('payment declined for'), ['declined']);
  assert.deepEqual(wholeWords('order 9: insufficient funds'), ['9', 'insufficient']);
  assert.deepEqual(wholeWords('a Déclin b'), [], 'a run next to a non-ASCII letter may be part of a longer word');
  assert.deepEqual(wholeWords(' ID_42 '), ['id', '42']);
});

test('what a log query pushes into the store', () => {
  const plan = planLog(parseLogQL(
    '{a="b"} |= "x y z" != "no" | trace_id="0123456789abcdef0123456789abcdef" | severity_number >= 13 and severity_text="WARN" | detected_level="warn" | json | span_id="0123456789abcdef"',
  ) as LogExpr);
  assert.equal(plan.empty, false);
  assert.deepEqual([plan.bodyContains, plan.bodyExcludes, plan.words], [['x y z'], ['no'], ['y']]);
  assert.equal(plan.traceId?.length, 16);
  assert.equal(plan.spanId, undefined, 'after a parser, span_id could be a parsed label');
  assert.deepEqual([plan.minSeverity, plan.maxSeverity, plan.severityTexts], [13, undefined, ['WARN']]);
  assert.deepEqual(plan.level, { minSeverity: 13, maxSeverity: 16, texts: ['warn', 'warning'] });
  assert.equal(planLog(parseLogQL('{a="b"} | trace_id="ABC"') as LogExpr).empty, true, 'stored ids are lower-case hex');
  assert.equal(planLog(parseLogQL('{a="b"} | severity_number > 20 | severity_number < 5') as LogExpr).empty, true);
  assert.equal(planLog(parseLogQL('{a="b"} | trace_id=""') as LogExpr).traceId, undefined);
  assert.deepEqual(planLog(parseLogQL('{a="b"} | line_format "x" |= "y"') as LogExpr).bodyContains, []);
});
