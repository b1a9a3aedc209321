/**
 * Acceptance: property-based fuzzing of every input kind (OTLP protobuf and JSON,
 * through the ingest function and the real HTTP and gRPC receivers; TraceQL strings and
 * regexes; random parameters on every GET endpoint). Nothing answers 5xx or throws
 * anything but a bad-request error, the process keeps serving, and what was stored
 * before is unchanged (PRAGMA integrity_check, a reference trace byte for byte).
 * Longer runs: `node --import tsx scripts/fuzz.ts --seconds 600`.
 */
import { after, before, describe, test } from 'node:test';
import { TARGETS, startFuzzEnvironment, type FuzzEnvironment } from './helpers/fuzz.ts';

/** FUZZ_SEED=n replays a run; a failing run prints its seed. */
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
let env: FuzzEnvironment;

before(async () => {
  env = await startFuzzEnvironment(256 * 1024);
});

after(() => env?.close());

describe('fuzzing', () => {
  for (const target of TARGETS) {
    test(`${target.name} (${target.runs} cases)`, { todo: target.todo }, async () => {
      await env.settle();
      await target.run(env.ctx, { numRuns: target.runs, seed });
    });
  }

  test('afterwards: the process serves and stored data is intact', () => env.check());
});
