/**
 * The StreamingQuerier codec against protobufjs and the proto file: requests become the
 * HTTP API requests Tempo's frontend builds from them, answers too big for one message are
 * cut into several that carry every trace once and the metrics each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MESSAGE_BYTES, queryRangeTarget, searchResponseMessages, searchTagValuesTarget, searchTarget } from '../../src/api/tempopb.ts';
import { parseLogfmt } from '../../src/api/search-params.ts';
import type { SearchResponse } from '../../src/query/index.ts';
import { encode, PLAIN, root } from '../helpers/proto.ts';

const SearchRequest = root.lookupType('tempopb.SearchRequest');
const SearchTagValuesRequest = root.lookupType('tempopb.SearchTagValuesRequest');
const QueryRangeRequest = root.lookupType('tempopb.QueryRangeRequest');
const SearchResponseType = root.lookupType('tempopb.SearchResponse');

function params(target: string): [string, Record<string, string>] {
  const url = new URL(target, 'http://x');
  return [url.pathname, Object.fromEntries(url.searchParams)];
}

test('SearchRequest: the parameters that are set, as Tempo 2.7 builds them', () => {
  assert.deepEqual(params(searchTarget(encode(SearchRequest, { Query: '{ status = error }', Limit: 5, start: 100, end: 200, SpansPerSpanSet: 2 }))), [
    '/api/search',
    { start: '100', end: '200', limit: '5', spss: '2', q: '{ status = error }' },
  ]);
  // Zero values stay out, so the HTTP API's defaults apply (spss 3, limit 20, no window).
  assert.deepEqual(params(searchTarget(encode(SearchRequest, { Query: '{}' }))), ['/api/search', { q: '{}' }]);
  const [, legacy] = params(searchTarget(encode(SearchRequest, { Tags: { 'service.name': 'a b', 'http.status_code': '500' }, MinDurationMs: 10, MaxDurationMs: 2000 })));
  assert.equal(legacy.minDuration, '10ms');
  assert.equal(legacy.maxDuration, '2000ms');
  // The HTTP API reads the pairs back as they were sent.
  assert.deepEqual(parseLogfmt(legacy.tags).sort(), [['http.status_code', '500'], ['service.name', 'a b']]);
});

test('SearchTagValuesRequest: the tag reaches the route as it is, whatever it holds', () => {
  const target = searchTagValuesTarget(encode(SearchTagValuesRequest, { tagName: 'span.a/b %41+c', query: '{ x = 1 }', maxTagValues: 7 }), true);
  const url = new URL(target, 'http://x');
  const segment = /^\/api\/v2\/search\/tag\/([^/]+)\/values$/.exec(url.pathname)![1];
  // The route unescapes twice, the second time as a query string (`+` is a space).
  assert.equal(decodeURIComponent(decodeURIComponent(segment).replace(/\+/g, ' ')), 'span.a/b %41+c');
  assert.deepEqual(Object.fromEntries(url.searchParams), { q: '{ x = 1 }', limit: '7' });
});

test('QueryRangeRequest: nanosecond times, the step as a duration, none when zero', () => {
  const request = { query: '{ } | rate()', start: '1700000000000000000', end: '1700000600000000000', step: '30000000000' };
  assert.deepEqual(params(queryRangeTarget(encode(QueryRangeRequest, request))), [
    '/api/metrics/query_range',
    { q: '{ } | rate()', start: '1700000000000000000', end: '1700000600000000000', step: '30s' },
  ]);
  assert.deepEqual(params(queryRangeTarget(encode(QueryRangeRequest, { query: '{ } | rate()' }))), ['/api/metrics/query_range', { q: '{ } | rate()' }]);
});

test('a search answer over the message size goes out as several messages, each trace once', () => {
  const body: SearchResponse = {
    traces: Array.from({ length: 300 }, (_, i) => ({
      traceID: i.toString(16).padStart(32, '0'),
      rootServiceName: 'svc',
      startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
      durationMs: i + 1,
      spanSets: [
        {
          matched: 1,
          spans: [{ spanID: '00000000000000a1', name: 'op', startTimeUnixNano: '1', durationNanos: '2', attributes: [{ key: 'blob', value: { stringValue: 'x'.repeat(20_000) } }] }],
        },
      ],
    })),
    metrics: { inspectedTraces: 300, completedJobs: 1, totalJobs: 1 },
  };
  const messages = searchResponseMessages(body);
  assert.ok(messages.length >= 3, `${messages.length} messages`);
  const decoded = messages.map((m) => {
    assert.ok(m.length <= MAX_MESSAGE_BYTES, `${m.length} bytes`);
    return SearchResponseType.toObject(SearchResponseType.decode(m), PLAIN) as { traces: Array<Record<string, unknown>>; metrics: unknown };
  });
  for (const d of decoded) assert.deepEqual(d.metrics, { inspectedTraces: 300, completedJobs: 1, totalJobs: 1 });
  const whole = decoded.flatMap((d) => d.traces);
  const expected = SearchResponseType.toObject(SearchResponseType.fromObject(body), PLAIN) as { traces: unknown[] };
  assert.deepEqual(whole, expected.traces);
});
