/**
 * Long runs of the planner's differential check that `npm test` runs briefly
 * (test/search/planner-diff.test.ts): generated traces and queries, the indexed search
 * against a full scan evaluated by the same evaluator.
 *
 *   node --import tsx scripts/planner-diff.ts [--queries N] [--seed S] [--traces T] [--per-set Q]
 *
 * --queries N   valid queries to check (default 20000)
 * --seed S      replay a run (a failure prints its seed and the replay command)
 * --traces T    traces per generated data set (default 300)
 * --per-set Q   queries per data set before a new one is generated (default 500)
 * Exits 1 on the first difference, after printing the query, its plan and a missed trace.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runPlannerDiff } from '../test/helpers/planner-diff.ts';

const { values } = parseArgs({
  options: {
    queries: { type: 'string' },
    seed: { type: 'string' },
    traces: { type: 'string' },
    'per-set': { type: 'string' },
  },
  strict: true,
});

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got "${text}"`);
  return n;
}

const seed = count('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
const queries = count('queries', values.queries, 20_000);
const traces = count('traces', values.traces, 300);
const queriesPerDataset = Math.max(1, count('per-set', values['per-set'], 500));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-planner-diff-'));

console.log(`planner-diff: seed ${seed}, ${queries} queries, ${traces} traces per data set, ${queriesPerDataset} queries per set`);
const started = Date.now();
try {
  const stats = await runPlannerDiff({ seed, queries, traces, queriesPerDataset, dir, log: (line) => console.log(line) });
  console.log(
    `ok: ${stats.checked} queries checked (${stats.matching} matching something; plans ${JSON.stringify(stats.plans)}), ` +
      `${stats.invalid} generated queries refused by the validator, ${stats.evaluationErrors} not evaluable, ` +
      `${stats.spans} spans, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
