/** The viewer's log model without a browser: levels, records placed on a trace, the Logs page's URL, the histogram's bars. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrace } from '../../web/src/model/trace.ts';
import { logQuery, logSearchFrom, logSearchParams, placeLogs, severityLevel, volumeBars } from '../../web/src/model/logs.ts';
import { MS, span, trace } from './spans.ts';

describe('model/logs', () => {
  test('a severity number gives its level; without one, the severity text does', () => {
    assert.deepEqual([1, 4, 5, 9, 12, 13, 17, 20, 21, 24].map((n) => severityLevel(n)), ['trace', 'trace', 'debug', 'info', 'info', 'warn', 'error', 'error', 'fatal', 'fatal']);
    assert.equal(severityLevel(0, 'Warning'), 'warn');
    assert.equal(severityLevel(0, 'ERROR'), 'error');
    assert.equal(severityLevel(0, 'loud'), 'unspecified');
    assert.equal(severityLevel(17, 'info'), 'error', 'the number wins');
  });

  test('records land on their spans and the time line, in time order; other traces are left out', () => {
    const t = buildTrace(trace([span('r', '', 'api', 'GET /', 0, 100), span('c', 'r', 'api', 'SELECT', 10, 20)]));
    const at = (ms: number) => (t.startUnixNano + BigInt(ms * MS)).toString();
    const logs = [
      { id: 1, timeUnixNano: at(15), traceId: t.traceId, spanId: 'c' },
      { id: 2, timeUnixNano: at(5), traceId: t.traceId, spanId: 'r' },
      { id: 3, timeUnixNano: at(50), traceId: t.traceId, spanId: 'gone' },
      { id: 4, timeUnixNano: at(1), traceId: 'f'.repeat(32), spanId: 'r' },
    ];
    const placed = placeLogs(t, logs);
    assert.deepEqual(placed.list.map((l) => [l.log.id, l.span, l.t / MS]), [
      [2, 0, 5],
      [1, 1, 15],
      [3, -1, 50],
    ]);
    assert.deepEqual(placed.bySpan.get(1)?.map((l) => l.log.id), [1]);
  });

  test("the Logs page's URL round-trips; the API gets only what is valid", () => {
    const s = logSearchFrom(new URLSearchParams('q=card declined&level=warn&service=pay&attr=order.id%3D7&trace=ABC'));
    assert.deepEqual(s, { text: 'card declined', level: 'warn', service: 'pay', attr: 'order.id=7', traceId: 'abc', spanId: '' });
    assert.deepEqual(logSearchFrom(new URLSearchParams(new URLSearchParams(logSearchParams(s) as Record<string, string>).toString().replace(/&?\w+=undefined/g, ''))), s);
    assert.deepEqual(logQuery(s), { q: 'card declined', minSeverity: '13', service: 'pay', attr: 'order.id=7', traceId: undefined, spanId: undefined });
    assert.equal(logSearchFrom(new URLSearchParams('level=loud')).level, '');
  });

  test('stacked bars: least severe at the bottom, the tallest total', () => {
    const { bars, max } = volumeBars({ startUnixNano: '60000000000', stepNanos: '1000000000', buckets: 2, levels: { error: [1, 0], info: [2, 1] }, exact: true });
    assert.equal(max, 3);
    assert.deepEqual(bars[0].segments, [
      { level: 'info', count: 2, below: 0 },
      { level: 'error', count: 1, below: 2 },
    ]);
    assert.deepEqual([bars[1].startMs, bars[1].endMs, bars[1].total], [61_000, 62_000, 1]);
  });
});
