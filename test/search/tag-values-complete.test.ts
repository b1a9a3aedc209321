/**
 * Tag-value listings are whole (no per-key cap) and their time windows exact: a value is
 * listed when a span that started in the window has it, whether the dictionary's
 * first/last times tell or the window's spans must be looked at.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JSON_TYPE, postTraces } from '../helpers/http.ts';
import { getPath, queryString, text } from '../helpers/search.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';

const NOW_S = Math.floor(Date.now() / 1000);
const MIN = 60;

interface Sighting {
  /** Span start, unix seconds. */
  readonly at: number;
  readonly attrs: Record<string, string>;
  readonly service?: string;
}

function request(sightings: readonly Sighting[]): string {
  const byService = new Map<string, Sighting[]>();
  for (const s of sightings) {
    const list = byService.get(s.service ?? 'svc') ?? [];
    list.push(s);
    byService.set(s.service ?? 'svc', list);
  }
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 's' },
          spans: list.map((s) => ({
            traceId: randomTraceId(),
            spanId: randomSpanId(),
            name: 'op',
            kind: 2,
            startTimeUnixNano: String(BigInt(s.at) * 1_000_000_000n),
            endTimeUnixNano: String(BigInt(s.at) * 1_000_000_000n + 1_000_000n),
            attributes: Object.entries(s.attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
          })),
        },
      ],
    })),
  });
}

let tb: TestTracebox;

async function values(path: string, params: Record<string, number | string> = {}): Promise<string[]> {
  const a = await getPath(tb.apiUrl, `${path}${queryString(params)}`);
  assert.equal(a.status, 200, text(a));
  assert.equal(a.headers.get('x-tracebox-incomplete'), null);
  const body = JSON.parse(text(a)) as { tagValues: Array<string | { value: string }> };
  return body.tagValues.map((v) => (typeof v === 'string' ? v : v.value)).sort();
}

before(async () => {
  tb = await startTestTracebox();
  const sightings: Sighting[] = [];
  for (let i = 0; i < 3000; i++) sightings.push({ at: i < 2500 ? NOW_S - 120 * MIN : NOW_S, attrs: { 'user.id': `u${String(i).padStart(4, '0')}` } });
  // Seen before and after the window [-60 min, -30 min] only, seen inside it too, and seen just
  // before it: none of these is decided by its first/last times alone.
  sightings.push({ at: NOW_S - 70 * MIN, attrs: { phase: 'around' } }, { at: NOW_S - 20 * MIN, attrs: { phase: 'around' } });
  sightings.push({ at: NOW_S - 70 * MIN, attrs: { phase: 'inside' } }, { at: NOW_S - 45 * MIN, attrs: { phase: 'inside' } }, { at: NOW_S - 20 * MIN, attrs: { phase: 'inside' } });
  sightings.push({ at: NOW_S - 62 * MIN, attrs: { phase: 'edge' } });
  sightings.push({ at: NOW_S - 40 * MIN, attrs: { phase: 'plain' } });
  // Resource attributes: `service.name` of a service seen before and after the window only.
  sightings.push({ at: NOW_S - 70 * MIN, attrs: {}, service: 'gap' }, { at: NOW_S - 20 * MIN, attrs: {}, service: 'gap' });
  sightings.push({ at: NOW_S - 70 * MIN, attrs: {}, service: 'busy' }, { at: NOW_S - 50 * MIN, attrs: {}, service: 'busy' }, { at: NOW_S - 20 * MIN, attrs: {}, service: 'busy' });
  const a = await postTraces(tb.otlpHttpUrl, request(sightings), { contentType: JSON_TYPE });
  assert.equal(a.status, 200, text(a));
});
after(() => tb?.close());

describe('3,000 values of one key, 2,500 two hours old and 500 now', () => {
  const recent = Array.from({ length: 500 }, (_, i) => `u${String(2500 + i).padStart(4, '0')}`);
  const window = { start: NOW_S - 30 * MIN, end: NOW_S + MIN };

  test('v2 lists all 3,000 without a window, exactly the 500 recent ones in the last 30 minutes', async () => {
    assert.equal((await values('/api/v2/search/tag/span.user.id/values')).length, 3000);
    assert.deepEqual(await values('/api/v2/search/tag/span.user.id/values', window), recent);
  });

  test('v1 too', async () => {
    assert.equal((await values('/api/search/tag/user.id/values')).length, 3000);
    assert.deepEqual(await values('/api/search/tag/user.id/values', window), recent);
  });
});

describe('values a window cannot tell from their first and last sightings', () => {
  const window = { start: NOW_S - 60 * MIN, end: NOW_S - 30 * MIN };

  test('span attributes: listed only when a span in the window has them', async () => {
    assert.deepEqual(await values('/api/v2/search/tag/span.phase/values'), ['around', 'edge', 'inside', 'plain']);
    assert.deepEqual(await values('/api/v2/search/tag/span.phase/values', window), ['inside', 'plain']);
    assert.deepEqual(await values('/api/search/tag/phase/values', window), ['inside', 'plain']);
  });

  test('resource attributes too', async () => {
    // svc's spans with `phase` are in the window too.
    assert.deepEqual(await values('/api/v2/search/tag/resource.service.name/values', window), ['busy', 'svc']);
    const all = await values('/api/v2/search/tag/resource.service.name/values');
    assert.deepEqual(all, ['busy', 'gap', 'svc']);
  });
});
