/**
 * Time parameters past 2038: search, tag values and trace by id read `start`/`end` as
 * 64-bit unix seconds (plus fractional seconds and RFC 3339), the metrics and Prometheus
 * endpoints their own forms, and a time the store cannot hold is refused with its unit named.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { sendScriptedSpans } from '../helpers/scripted-sdk.ts';
import { getPath, queryString, text } from '../helpers/search.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';

/** 2100-01-01T00:00:00Z: past 2^31 seconds (2038) and 2^32 (2106 is not needed to show it). */
const FUTURE = 4_102_444_800;
const TRACE = '2100'.repeat(8);

let tb: TestTracebox;

before(async () => {
  tb = await startTestTracebox();
  await sendScriptedSpans(tb, { later: { 'service.name': 'later' } }, [
    {
      key: 'L1', traceId: TRACE, spanId: '2100000000000001', service: 'later', scope: { name: 'time-test' }, name: 'new year',
      kind: SpanKind.SERVER, startNs: BigInt(FUTURE + 60) * 1_000_000_000n, endNs: BigInt(FUTURE + 61) * 1_000_000_000n,
    },
  ]);
});
after(() => tb?.close());

async function get(path: string, params: Record<string, string | number>): Promise<{ status: number; body: string }> {
  const a = await getPath(tb.apiUrl, `${path}${queryString(params)}`);
  return { status: a.status, body: text(a) };
}

async function ok(path: string, params: Record<string, string | number>): Promise<Record<string, unknown>> {
  const a = await get(path, params);
  assert.equal(a.status, 200, `${path}${queryString(params)} → ${a.status} ${a.body}`);
  return JSON.parse(a.body) as Record<string, unknown>;
}

const traceIds = (body: Record<string, unknown>): string[] => ((body.traces ?? []) as Array<{ traceID: string }>).map((t) => t.traceID);

describe('an end after 2038', () => {
  test('search finds the trace in a window in 2100, by seconds and by RFC 3339', async () => {
    assert.deepEqual(traceIds(await ok('/api/search', { q: '{ }', start: FUTURE, end: FUTURE + 3600 })), [TRACE]);
    assert.deepEqual(traceIds(await ok('/api/search', { tags: 'service.name=later', start: FUTURE, end: FUTURE + 3600 })), [TRACE]);
    assert.deepEqual(traceIds(await ok('/api/search', { q: '{ }', start: '2100-01-01T00:00:00Z', end: '2100-01-01T01:00:00Z' })), [TRACE]);
    assert.deepEqual(traceIds(await ok('/api/search', { q: '{ }', start: `${FUTURE}.5`, end: `${FUTURE + 3600}.5` })), [TRACE]);
    assert.deepEqual(traceIds(await ok('/api/search', { q: '{ }', start: FUTURE + 3600, end: FUTURE + 7200 })), []);
  });

  test('tag names and values', async () => {
    const window = { start: FUTURE, end: FUTURE + 3600 };
    assert.deepEqual((await ok('/api/v2/search/tag/resource.service.name/values', window)).tagValues, [{ type: 'string', value: 'later' }]);
    assert.deepEqual((await ok('/api/search/tag/service.name/values', window)).tagValues, ['later']);
    assert.ok(((await ok('/api/search/tags', window)).tagNames as string[]).includes('service.name'));
  });

  test('trace by id with an end after 2038 (and after 2106)', async () => {
    for (const end of [FUTURE + 3600, 2 ** 32 + 1]) {
      const v2 = await ok(`/api/v2/traces/${TRACE}`, { start: FUTURE, end });
      assert.ok(JSON.stringify(v2).includes('new year'));
      assert.equal((await get(`/api/traces/${TRACE}`, { start: FUTURE, end })).status, 200);
    }
    // A window that ends before the trace still finds it: it arrived in the last 30 minutes,
    // and Tempo answers recent traces from its ingesters whatever the window.
    assert.equal((await get(`/api/traces/${TRACE}`, { start: 1, end: FUTURE })).status, 200, 'a recent trace outside the window');
  });

  test('TraceQL metrics and the Prometheus API take such an end (clamped to now where they stop at now)', async () => {
    const series = await ok('/api/metrics/query_range', { q: '{ } | rate()', end: FUTURE + 3600 });
    assert.ok(Array.isArray(series.series));
    assert.ok(Array.isArray((await ok('/api/metrics/query', { q: '{ } | count_over_time()', end: `${FUTURE}000000000` })).series));
    assert.equal((await ok('/api/v1/query_range', { query: 'traces_spanmetrics_calls_total', start: FUTURE, end: FUTURE + 3600, step: 60 })).status, 'success');
    assert.equal((await ok('/api/v1/series', { 'match[]': 'traces_spanmetrics_calls_total', start: 0, end: FUTURE })).status, 'success');
  });

  test('a time the store cannot hold is refused, naming the unit', async () => {
    const ms = FUTURE * 1000;
    for (const path of ['/api/search', '/api/v2/search/tags', `/api/v2/traces/${TRACE}`]) {
      const a = await get(path, { start: ms, end: ms + 1000 });
      assert.equal(a.status, 400, `${path}: ${a.body}`);
      assert.match(a.body, /^invalid start: \d+ is outside the times tracebox can hold .*start is in seconds, not milliseconds$/);
    }
    const huge = await get('/api/search', { start: 1, end: '9223372036854775808' });
    assert.equal(huge.body, 'invalid end: strconv.ParseInt: parsing "9223372036854775808": value out of range');
  });
});
