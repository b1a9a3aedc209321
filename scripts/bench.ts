/**
 * `npm run bench`: every benchmark in one go, each printing its own table —
 * ingest (server spans/s against the in-process floor, RSS, bytes per span), stalls (probe
 * latencies during a huge export and unprunable searches), queries at 1M spans (p50/p99,
 * cost and plans), start-up, idle memory and export-to-searchable, and the viewer in
 * Chromium (time to interactive, frame times while scrolling 10,000 spans).
 * Extra arguments go to every benchmark that knows them (e.g. `-- --spans 200000`).
 */
import { spawnSync } from 'node:child_process';

const SCRIPTS = ['scripts/bench-ingest.ts', 'scripts/bench-stall.ts', 'scripts/bench-query.ts', 'scripts/bench-startup.ts', 'scripts/bench-viewer.ts'];

let failed = false;
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
for (const script of SCRIPTS) {
  console.log(`\n=== ${script} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
