/**
 * `tracebox diff`: what changed between two runs (or two TraceQL selections, or two trace
 * files), per service and operation, as a table, Markdown or JSON; the exit code follows
 * the --fail-on thresholds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import { compareProfiles, DEFAULT_NOISE, diffMarkdown, diffText, FAIL_ON_HELP, failures, parseFailOn, profileTraces, type FailRule, type NoiseBound, type RunDiff } from '../analysis/index.ts';
import { TraceboxApiError } from '../testing/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { parse } from './options.ts';
import { STORE_FLAGS, STORE_HELP, withRuns } from './local-store.ts';
import { readTraceFile } from './trace-files.ts';

const USAGE = `Usage: tracebox diff [runA] [runB] [flags]
       tracebox diff --a '<TraceQL>' --b '<TraceQL>' [flags]
       tracebox diff <fileA> <fileB> [flags]
Compares two runs per service and operation (span name and kind, with http.route or
db.operation): calls per trace, p50/p95 durations and their samples, errors and their
messages, operations and calls between them that appeared or vanished, and what moved
on the critical path of each root operation. Runs are named by id or label; by default
B is the newest run and A the one before it. Two trace files (as tracebox export, Tempo,
Grafana or Jaeger write them) are compared without a server.
${STORE_HELP}
  --a QUERY, --b QUERY  compare the traces these TraceQL selections match instead
  --markdown            print Markdown (for a CI step summary) instead of a table
  --json                print JSON
  --fail-on RULE        exit 1 when the diff breaks RULE (repeatable):
                        ${FAIL_ON_HELP}
  --min-change PCT      noise bound: a duration change counts from this (default ${DEFAULT_NOISE.minChangePct}%)
  --min-delta DURATION  … and from this much (default 1ms)
  --min-samples N       … with this many spans on each side (default ${DEFAULT_NOISE.minSamples})
  --limit N             traces compared per side, newest first (default 5000; a side with
                        more says so)
Exit status: 0 when no --fail-on rule is broken, 1 when one is, 2 for bad arguments.`;

const FLAGS = {
  ...STORE_FLAGS,
  a: { type: 'string' },
  b: { type: 'string' },
  markdown: { type: 'boolean' },
  json: { type: 'boolean' },
  'fail-on': { type: 'string', multiple: true },
  'min-change': { type: 'string' },
  'min-delta': { type: 'string' },
  'min-samples': { type: 'string' },
  limit: { type: 'string' },
} as const;

function noise(values: { 'min-change'?: string; 'min-delta'?: string; 'min-samples'?: string }): NoiseBound {
  const pct = values['min-change'] === undefined ? DEFAULT_NOISE.minChangePct : Number(values['min-change'].replace(/%$/, ''));
  if (!Number.isFinite(pct) || pct < 0) throw new ConfigError(`--min-change: expected a percentage such as 10%, got "${values['min-change']}"`);
  const delta = values['min-delta'];
  const ns = delta === undefined ? DEFAULT_NOISE.minDeltaNs : delta === '0' ? 0 : parseDuration(delta);
  if (ns === null || ns < 0) throw new ConfigError(`--min-delta: expected a duration such as 1ms, got "${delta}"`);
  const samples = values['min-samples'] === undefined ? DEFAULT_NOISE.minSamples : Number(values['min-samples']);
  if (!Number.isInteger(samples) || samples < 0) throw new ConfigError(`--min-samples: expected a whole number, got "${values['min-samples']}"`);
  return { minChangePct: pct, minDeltaNs: ns, minSamples: samples };
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export async function diff(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length > 2) throw new ConfigError(`expected at most two runs or files\n${USAGE}`);
  if ((values.a === undefined) !== (values.b === undefined)) throw new ConfigError('--a and --b go together: give both TraceQL selections');
  if (values.a !== undefined && positionals.length > 0) throw new ConfigError('give either runs (or files) or --a/--b selections, not both');
  if (values.markdown && values.json) throw new ConfigError('--markdown and --json: choose one');
  let rules: FailRule[];
  try {
    rules = (values['fail-on'] ?? []).map(parseFailOn);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const bound = noise(values);

  let result: RunDiff;
  const files = positionals.filter(isFile);
  if (files.length > 0 && files.length !== 2) throw new ConfigError(`"${files[0]}" is a file: give two trace files to compare, or two runs`);
  if (files.length === 2) {
    const [a, b] = await Promise.all(positionals.map(readTraceFile));
    result = compareProfiles(profileTraces(a), profileTraces(b), { a: { name: path.basename(positionals[0]) }, b: { name: path.basename(positionals[1]) } }, bound);
  } else {
    try {
      result = await withRuns(values, (client) =>
        client.diff({
          a: positionals[0],
          b: positionals[1],
          queryA: values.a,
          queryB: values.b,
          minChangePct: bound.minChangePct,
          minDelta: `${bound.minDeltaNs}ns`,
          minSamples: bound.minSamples,
          ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
        }),
      );
    } catch (err) {
      // An unknown run or a bad query is a usage error, as for a bad flag.
      if (err instanceof TraceboxApiError && err.status === 400) throw new ConfigError(err.message.replace(/^the diff failed: 400 /, ''));
      throw err;
    }
  }

  const failed = failures(result, rules);
  if (values.json) process.stdout.write(JSON.stringify({ ...result, failed }, null, 2) + '\n');
  else if (values.markdown) process.stdout.write(diffMarkdown(result, failed));
  else {
    process.stdout.write(diffText(result));
    if (failed.length > 0) process.stderr.write(`tracebox diff: ${failed.length} threshold(s) broken:\n${failed.map((f) => `  ${f}`).join('\n')}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}
