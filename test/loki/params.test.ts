import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../src/shared/errors.ts';
import { parseLimit, parseStep, parseTime, parseWindow } from '../../src/loki/params.ts';

test('times as Loki reads them: nanoseconds, seconds (ten digits or fewer), fractional seconds, RFC 3339', () => {
  assert.equal(parseTime('start', '1796617059226000000', 0n), 1796617059226000000n);
  assert.equal(parseTime('start', '1796617059', 0n), 1796617059000000000n);
  assert.equal(parseTime('start', '1796617059.2264', 0n), 1796617059226000000n, 'fractions kept to the millisecond');
  assert.equal(parseTime('start', '2026-12-07T09:00:00.5Z', 0n), 1796634000500000000n);
  assert.equal(parseTime('start', '2026-12-07T10:00:00+01:00', 0n), 1796634000000000000n);
  assert.equal(parseTime('start', '', 42n), 42n);
  assert.throws(() => parseTime('start', 'yesterday', 0n), (e: unknown) => e instanceof BadRequestError && e.message === 'invalid start parameter: cannot parse "yesterday" as a timestamp (nanoseconds, seconds or RFC 3339)');
  assert.throws(() => parseWindow('2000000000', '1000000000'), /end timestamp must not be before or equal to start time/);
});

test('steps, limits', () => {
  const window = { startNs: 0n, endNs: 3600n * 1_000_000_000n };
  assert.equal(parseStep('60000ms', window), 60_000_000_000n);
  assert.equal(parseStep('15', window), 15_000_000_000n);
  assert.equal(parseStep('0.5', window), 500_000_000n);
  assert.equal(parseStep(undefined, window), 14_000_000_000n, 'the window / 250, whole seconds');
  assert.throws(() => parseStep('0s', window), /zero or negative query resolution step widths are not accepted/);
  assert.equal(parseLimit(undefined), 100);
  assert.throws(() => parseLimit('0'), /limit must be a positive value/);
});
