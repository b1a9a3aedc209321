/** `tracebox runs`: the recorded runs, newest first, as a table or JSON. */
import { humanDuration, textTable } from '../analysis/index.ts';
import { ConfigError } from '../config.ts';
import { parse } from './options.ts';
import { STORE_FLAGS, STORE_HELP, withRuns } from './local-store.ts';

const USAGE = `Usage: tracebox runs [--json]
Lists the runs tracebox run recorded, newest first: id, label, git commit and branch,
start, duration, exit code, spans, command. tracebox diff compares two of them.
${STORE_HELP}
  --json             print JSON instead of a table`;

export async function runs(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  const list = await withRuns(values, (client) => client.runs());
  if (values.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write('no runs recorded; record one with: tracebox run --data DIR -- <command>\n');
    return 0;
  }
  const rows = [['ID', 'LABEL', 'COMMIT', 'BRANCH', 'STARTED', 'TOOK', 'EXIT', 'SPANS', 'COMMAND']];
  for (const r of list) {
    rows.push([
      r.id,
      r.label,
      r.gitCommit?.slice(0, 7) ?? '',
      r.gitBranch ?? '',
      new Date(r.startedMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      r.endedMs === null ? 'running' : humanDuration((r.endedMs - r.startedMs) * 1e6),
      r.exitCode === null ? '' : String(r.exitCode),
      r.spans === null ? '' : String(r.spans),
      r.command.length > 60 ? `${r.command.slice(0, 59)}…` : r.command,
    ]);
  }
  process.stdout.write(textTable(rows));
  return 0;
}
