/**
 * @module pages/RunsPage
 * The runs `tracebox run` recorded, newest first, with two picked (A and B, by default
 * the newest and the one before it) and their diff below (ui/RunDiffView); a run's span
 * count searches its traces. Data from data/runs. URL: /runs?a=<run id>&b=<run id>
 */
import type { JSX } from 'preact';
import type { RunRecord } from '../api.ts';
import { useRuns } from '../data/runs.ts';
import { fmtDur, fmtTime } from '../format.ts';
import { setParams, type Route } from '../router.ts';
import { ErrorBox, Spinner } from '../ui/common.tsx';
import { RunDiffView } from '../ui/RunDiffView.tsx';

function NoRuns(): JSX.Element {
  return (
    <section class="panel no-results" data-testid="no-runs">
      <h2>No runs recorded</h2>
      <p>Record a run of your tests (or any command) in a data directory, change the code, and record another:</p>
      <pre class="mono small">
        tracebox run --data .tracebox --label main -- npm test{'\n'}tracebox run --data .tracebox --label my-change -- npm test{'\n'}tracebox diff --data .tracebox
      </pre>
      <p class="muted small">Then serve that directory (tracebox --data .tracebox) and come back here.</p>
    </section>
  );
}

function RunRow({ run, a, b }: { run: RunRecord; a: string; b: string }): JSX.Element {
  const pick = (side: 'a' | 'b') => (
    <input
      type="radio"
      name={`run-${side}`}
      checked={(side === 'a' ? a : b) === run.id}
      onChange={() => setParams({ a, b, [side]: run.id }, true)}
      aria-label={`Run ${run.id} as ${side.toUpperCase()}`}
      data-testid={`pick-${side}-${run.id}`}
    />
  );
  const failed = run.exitCode !== null && run.exitCode !== 0;
  return (
    <tr class={run.id === a || run.id === b ? 'cursor' : ''} data-run={run.id}>
      <td>{pick('a')}</td>
      <td>{pick('b')}</td>
      <td class="mono">{run.id}</td>
      <td>
        <b>{run.label}</b>
      </td>
      <td class="mono small">{run.gitCommit?.slice(0, 7) ?? ''}</td>
      <td class="small">{run.gitBranch ?? ''}</td>
      <td class="small">{fmtTime(run.startedMs)}</td>
      <td class="num small">{run.endedMs === null ? 'running' : fmtDur((run.endedMs - run.startedMs) * 1e6)}</td>
      <td class={`num${failed ? ' err-text' : ''}`}>{run.exitCode ?? ''}</td>
      <td class="num">
        <a href={`/search?range=7d&q=${encodeURIComponent(`{ resource.tracebox.run = ${JSON.stringify(run.id)} }`)}`} title="Search this run's traces" data-testid={`run-traces-${run.id}`}>
          {run.spans ?? 'traces'}
        </a>
      </td>
      <td class="mono small run-command" title={run.command}>
        {run.command}
      </td>
    </tr>
  );
}

export function RunsPage({ route }: { route: Route }): JSX.Element {
  const { runs, a, b, diff, error } = useRuns(route);
  if (runs === undefined && error === undefined) return <div class="page"><Spinner label="Loading runs" /></div>;
  if (runs !== undefined && runs.length === 0) return <div class="page"><NoRuns /></div>;
  return (
    <div class="page runs-page" data-testid="runs">
      <section class="panel">
        <h2>Runs</h2>
        <p class="muted small">Pick two to compare: A, the run before the change; B, the run after it.</p>
        <table class="results ops runs-table">
          <thead>
            <tr>
              <th>A</th>
              <th>B</th>
              <th>Run</th>
              <th>Label</th>
              <th>Commit</th>
              <th>Branch</th>
              <th>Started</th>
              <th class="num">Took</th>
              <th class="num">Exit</th>
              <th class="num">Spans</th>
              <th>Command</th>
            </tr>
          </thead>
          <tbody>
            {(runs ?? []).map((r) => (
              <RunRow key={r.id} run={r} a={a} b={b} />
            ))}
          </tbody>
        </table>
      </section>
      {error !== undefined ? <ErrorBox error={error} /> : null}
      {diff === undefined && error === undefined ? <Spinner label="Comparing runs" /> : null}
      {diff === null ? <p class="muted">Record another run to compare it with this one.</p> : null}
      {diff ? <RunDiffView diff={diff} /> : null}
    </div>
  );
}
