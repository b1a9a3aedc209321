/**
 * GET /api/logs/volume: records counted per time bucket and severity level, with the same
 * filters as /api/logs, from records the OpenTelemetry logs SDK sent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { createLoggerProvider } from '../helpers/logs-sdk.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';

let tb: TestTracebox;
before(async () => {
  tb = await startTestTracebox();
});
after(() => tb?.close());

interface Volume {
  startUnixNano: string;
  stepNanos: string;
  buckets: number;
  levels: Record<string, number[]>;
  exact: boolean;
}

async function volume(query: Record<string, string>): Promise<{ status: number; body: Volume | string }> {
  const res = await fetch(`${tb.apiUrl}/api/logs/volume?${new URLSearchParams(query)}`);
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as Volume) : await res.text() };
}

test('counts per bucket and level, filtered as the listing is', async () => {
  const provider = createLoggerProvider('http/protobuf', tb, { 'service.name': 'volume-shop' });
  const logger = provider.getLogger('volume');
  const t0 = 1_700_000_000_000;
  // Minute 0: two INFO, one ERROR; minute 2: one WARN, one ERROR; minute 3: a FATAL of another word.
  const emit = (minute: number, severityNumber: SeverityNumber, body: string) => logger.emit({ timestamp: t0 + minute * 60_000 + 1000, severityNumber, body });
  emit(0, SeverityNumber.INFO, 'cart opened');
  emit(0, SeverityNumber.INFO2, 'cart opened again');
  emit(0, SeverityNumber.ERROR, 'payment declined');
  emit(2, SeverityNumber.WARN, 'stock low');
  emit(2, SeverityNumber.ERROR3, 'payment declined twice');
  emit(3, SeverityNumber.FATAL, 'process exits');
  emit(5, SeverityNumber.UNSPECIFIED, 'outside the window');
  await provider.shutdown();

  const start = String((t0 / 1000) | 0);
  const end = String(t0 / 1000 + 240);
  const all = await volume({ service: 'volume-shop', start, end, buckets: '4' });
  assert.equal(all.status, 200, String(all.body));
  const v = all.body as Volume;
  assert.equal(v.stepNanos, String(60n * 1_000_000_000n));
  assert.deepStrictEqual(v.levels, { info: [2, 0, 0, 0], error: [1, 0, 1, 0], warn: [0, 0, 1, 0], fatal: [0, 0, 0, 1] });
  assert.equal(v.exact, true);

  const words = (await volume({ service: 'volume-shop', start, end, buckets: '4', q: 'payment', minSeverity: 'ERROR' })).body as Volume;
  assert.deepStrictEqual(words.levels, { error: [1, 0, 1, 0] });

  assert.equal((await volume({ start })).status, 400);
  assert.equal((await volume({ start: end, end: start })).status, 400);
  assert.equal((await volume({ start, end, buckets: '0' })).status, 400);
});
