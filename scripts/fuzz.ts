/**
 * Long fuzz runs of the properties test/fuzz.test.ts runs briefly in CI.
 *
 *   node --import tsx scripts/fuzz.ts [--runs N] [--seconds S] [--seed N] [--only TEXT] [--max-body SIZE]
 *
 * --runs N      cases per target (default: 10x the CI count)
 * --seconds S   spread S seconds over the targets instead (each stops when its share is up)
 * --seed N      replay a run (a failure prints its seed and the shrunk counterexample)
 * --only TEXT   only targets whose name contains TEXT
 * Exits 1 on the first failing target, after checking that stored data is intact.
 */
import { parseArgs } from 'node:util';
import { TARGETS, startFuzzEnvironment } from '../test/helpers/fuzz.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
    'max-body': { type: 'string' },
  },
  strict: true,
});

const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got "${text}"`);
  return n;
};

const runs = number('runs', values.runs);
const seconds = number('seconds', values.seconds);
const seed = values.seed === undefined ? undefined : Number(values.seed);
const targets = TARGETS.filter((t) => values.only === undefined || t.name.includes(values.only));
if (targets.length === 0) throw new Error(`no target matches "${values.only}"; targets: ${TARGETS.map((t) => t.name).join(', ')}`);

const env = await startFuzzEnvironment(number('max-body', values['max-body']) ?? 256 * 1024);
let failed = false;
try {
  for (const target of targets) {
    const share = seconds === undefined ? undefined : (seconds * 1000 * target.runs) / targets.reduce((a, t) => a + t.runs, 0);
    const numRuns = share === undefined ? (runs ?? target.runs * 10) : Number.MAX_SAFE_INTEGER;
    const started = Date.now();
    const targetSeed = seed ?? Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`${target.name} (seed ${targetSeed}): `);
    await env.settle();
    try {
      await target.run(env.ctx, { numRuns, seed: targetSeed, interruptAfterTimeLimit: share, markInterruptAsFailure: false });
      // Checked after every target, so a failure names the input kind that caused it.
      await env.check();
      process.stdout.write(`ok (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    } catch (err) {
      process.stdout.write(`FAILED${target.todo === undefined ? '' : ` (known: ${target.todo})`}\n${(err as Error).message}\n`);
      if (target.todo === undefined) {
        failed = true;
        break;
      }
    }
  }
  process.stdout.write('stored data: ');
  await env.check();
  process.stdout.write('intact\n');
} catch (err) {
  process.stdout.write(`FAILED\n${(err as Error).stack}\n`);
  failed = true;
} finally {
  await env.close();
}
process.exitCode = failed ? 1 : 0;
