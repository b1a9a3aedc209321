/**
 * Fuzzing the logs decode stage: mutated and random ExportLogsServiceRequest bytes (and
 * OTLP/JSON) never throw past the decode stage, a request is stored or refused with 400,
 * and every stored record reads back (its fields, its body's text, its attributes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createIngest, decodeLogRecord } from '../../src/otlp/index.ts';
import { LogRecord, decodePlain } from '../helpers/proto.ts';
import { Store } from '../../src/store/index.ts';
import { generateLogRequests } from '../../scripts/lib/log-generator.ts';

let store: Store;
let ingest: ReturnType<typeof createIngest>;
const seeds = [...generateLogRequests({ records: 40, recordsPerRequest: 8, seed: 5 })].map((r) => r.bytes);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

before(() => {
  store = Store.open();
  ingest = createIngest(store);
});
after(() => store?.close());

/** Every record stored after `since` reads back. */
function checkStored(since: number): void {
  const rows = store.db.prepare('SELECT raw FROM logs WHERE id > ?').pluck().all(since) as Buffer[];
  for (const raw of rows) {
    decodeLogRecord(raw);
    decodePlain(LogRecord, raw);
  }
}

const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat()))
  .map(([bytes, flips, cut]) => {
    const out = Uint8Array.from(bytes);
    for (const [at, value] of flips) out[at % out.length] = value;
    return cut === null ? out : out.subarray(0, cut % (out.length + 1));
  });

describe('fuzzing /v1/logs decoding', () => {
  for (const [name, arb] of [
    ['mutated requests', mutated],
    ['random bytes', fc.uint8Array({ maxLength: 512 })],
  ] as const) {
    test(name, () => {
      fc.assert(
        fc.property(arb, (bytes) => {
          const before = store.logs.maxId();
          const answer = ingest({ body: bytes, format: 'protobuf', signal: 'logs' });
          if (!answer.ok) assert.equal(answer.status, 400);
          checkStored(before);
        }),
        { numRuns: 1500, seed },
      );
    });
  }

  test('random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [value, { body: value }] }] }] }));
        const answer = ingest({ body, format: 'json', signal: 'logs' });
        if (!answer.ok) assert.equal(answer.status, 400);
      }),
      { numRuns: 1500, seed },
    );
  });
});
