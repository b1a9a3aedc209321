/**
 * @module analysis/run-render
 * A diff as people read it: a table for terminals and test failures, Markdown for CI
 * step summaries (`$GITHUB_STEP_SUMMARY`). Both say "no change" when nothing moved
 * beyond the noise bound, and name the bound.
 */
import { humanDuration, textTable } from './format.ts';
import type { DurationChange, OperationChange, OperationSide, PathChange, RunDiff, SideSummary } from './run-compare.ts';

/** What a run's name is made of (a recorded run has more). */
export interface RunNaming {
  readonly id: string;
  readonly label: string;
  readonly gitCommit: string | null;
  readonly gitBranch: string | null;
}

/** "run 4 (feature; 1a2b3c4 on main)". */
export function runName(run: RunNaming): string {
  const git = run.gitCommit === null ? '' : `${run.gitCommit.slice(0, 7)}${run.gitBranch === null ? '' : ` on ${run.gitBranch}`}`;
  const about = [run.label, git].filter((s) => s !== '').join('; ');
  return `run ${run.id}${about === '' ? '' : ` (${about})`}`;
}

const pctText = (pct: number): string => (pct === Infinity ? 'from 0' : `${pct >= 0 ? '+' : ''}${Math.round(pct)}%`);
const num = (n: number): string => String(Math.round(n * 100) / 100);

/** "10% and 1.00 ms, with 5+ samples each side". */
export function noiseText(diff: RunDiff): string {
  const n = diff.noise;
  return `${n.minChangePct}% and ${humanDuration(n.minDeltaNs)}, with ${n.minSamples}+ samples each side`;
}

function sideLine(s: SideSummary): string {
  return `${s.name}: ${s.traces} trace(s), ${s.spans} span(s)${s.partial === undefined ? '' : ` (${s.partial})`}`;
}

function duration(c: OperationChange, which: 'p50' | 'p95'): string {
  const d: DurationChange | undefined = c[which];
  if (d !== undefined) return `${humanDuration(d.aNs)} → ${humanDuration(d.bNs)} (${pctText(d.pct)})`;
  const ns = (s: OperationSide | undefined): number | undefined => (s === undefined ? undefined : which === 'p50' ? s.p50Ns : s.p95Ns);
  const [a, b] = [ns(c.a), ns(c.b)];
  // Both shown when they differ within the noise bound (no percentage: not a change).
  if (a !== undefined && b !== undefined && humanDuration(a) !== humanDuration(b)) return `${humanDuration(a)} → ${humanDuration(b)}`;
  const v = b ?? a;
  return v === undefined ? '' : humanDuration(v);
}

function calls(c: OperationChange): string {
  if (c.calls !== undefined) {
    const delta = c.calls.delta;
    return `${num(c.calls.a)} → ${num(c.calls.b)} (${delta >= 0 ? '+' : ''}${num(delta)})`;
  }
  const s = c.b ?? c.a;
  return s === undefined ? '' : num(s.callsPerTrace);
}

function errors(c: OperationChange): string {
  if (c.errors === undefined) return String(c.b?.errors ?? c.a?.errors ?? 0);
  const fresh = c.errors.newMessages.filter((m) => m !== '').map((m) => `new: ${m}`);
  return [`${c.errors.a} → ${c.errors.b}`, ...fresh].join('; ');
}

/** Samples behind the durations: spans on each side. */
const samples = (c: OperationChange): string => `${c.a?.calls ?? 0}/${c.b?.calls ?? 0}`;

function rows(diff: RunDiff): string[][] {
  const out = [['SERVICE', 'OPERATION', 'CHANGE', 'CALLS/TRACE', 'P50', 'P95', 'SAMPLES A/B', 'ERRORS', 'EXAMPLE TRACE (B, else A)']];
  for (const c of diff.operations) {
    out.push([c.service, c.label, c.status, calls(c), duration(c, 'p50'), duration(c, 'p95'), samples(c), errors(c), c.b?.example ?? c.a?.example ?? '']);
  }
  return out;
}

/** Calls between operations that appeared, vanished or changed, each line starting with its mark (`+ - ~` for terminals, words for Markdown). */
function edgeLines(diff: RunDiff, marks: readonly [string, string, string] = ['+', '-', '~']): string[] {
  const lines: string[] = [];
  for (const e of diff.edges.added) lines.push(`${marks[0]} ${e.parentLabel} → ${e.childLabel} (${num(e.b)} per call)`);
  for (const e of diff.edges.removed) lines.push(`${marks[1]} ${e.parentLabel} → ${e.childLabel} (was ${num(e.a)} per call)`);
  for (const e of diff.edges.changed) lines.push(`${marks[2]} ${e.parentLabel} → ${e.childLabel}: ${num(e.a)} → ${num(e.b)} per call`);
  return lines;
}

function pathLines(diff: RunDiff): string[] {
  const lines: string[] = [];
  for (const r of diff.roots) {
    lines.push(`${r.label} (${r.traces.a}/${r.traces.b} traces):`);
    for (const p of r.path) {
      lines.push(`  ${p.label}: ${pathChangeText(p)}`);
    }
  }
  return lines;
}

/** "now on the path, 9.01 ms per trace", "time on the path, 20.0 ms → 35.2 ms per trace". */
export function pathChangeText(p: PathChange): string {
  if (p.status === 'entered') return `now on the path, ${humanDuration(p.bNs)} per trace`;
  if (p.status === 'left') return `no longer on the path (was ${humanDuration(p.aNs)} per trace)`;
  return `time on the path, ${humanDuration(p.aNs)} → ${humanDuration(p.bNs)} per trace`;
}

function headline(diff: RunDiff): string {
  if (!diff.changed) return `no change (${diff.unchanged} operation(s) compared; durations within ${noiseText(diff)})`;
  return `${diff.operations.length} operation(s) changed, ${diff.unchanged} unchanged (durations count beyond ${noiseText(diff)})`;
}

/** The diff as a terminal table. */
export function diffText(diff: RunDiff): string {
  const out = [`A  ${sideLine(diff.a)}`, `B  ${sideLine(diff.b)}`, headline(diff)];
  if (diff.operations.length > 0) out.push('', textTable(rows(diff)).trimEnd());
  const edges = edgeLines(diff);
  if (edges.length > 0) out.push('', 'calls between operations:', ...edges.map((l) => `  ${l}`));
  const path = pathLines(diff);
  if (path.length > 0) out.push('', 'critical path:', ...path.map((l) => `  ${l}`));
  return out.join('\n') + '\n';
}

/** Text in a Markdown table cell or list item: what would format or open HTML is escaped. */
const md = (s: string): string => s.replace(/[|\\`*_[\]]/g, (c) => `\\${c}`).replace(/</g, '&lt;').replace(/\n/g, ' ');

/** The diff as Markdown: a heading, the sides, a table of changed operations, calls between operations, the critical path. */
export function diffMarkdown(diff: RunDiff, failed: readonly string[] = []): string {
  const out = ['### tracebox diff', '', `- **A** ${md(sideLine(diff.a))}`, `- **B** ${md(sideLine(diff.b))}`, '', `**${md(headline(diff))}**`];
  if (failed.length > 0) out.push('', '**Failed thresholds:**', '', ...failed.map((f) => `- ${md(f)}`));
  if (diff.operations.length > 0) {
    const [head, ...body] = rows(diff);
    out.push('', `| ${head.map(md).join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...body.map((r) => `| ${r.map(md).join(' | ')} |`));
  }
  const edges = edgeLines(diff, ['new:', 'gone:', 'changed:']);
  if (edges.length > 0) out.push('', '**Calls between operations**', '', ...edges.map((l) => `- ${md(l)}`));
  const path = pathLines(diff);
  if (path.length > 0) out.push('', '**Critical path**', '', ...path.map((l) => (l.startsWith('  ') ? `  - ${md(l.trim())}` : `- ${md(l)}`)));
  return out.join('\n') + '\n';
}
