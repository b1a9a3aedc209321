/**
 * Runs and diffs over HTTP: record a run's start and end (`tracebox run`, tests), list
 * runs, and compare two runs (or two TraceQL selections) with analysis/run-compare. Everything here
 * runs on a query thread; the records are written by the writer thread.
 */
import { Hono } from 'hono';
import { compareProfiles, DEFAULT_NOISE, Profiler, runName, type NoiseBound, type RunDiff, type SideSummary } from '../analysis/index.ts';
import { RUN_ATTRIBUTE } from '../otlp/index.ts';
import { parseQuery, traceJson, type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { RunRecord, StoreReader, StoreWrites } from '../store/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { jsonBody } from './test-routes.ts';


/** Traces compared per side at most; a side with more says so (`partial`). */
export const MAX_DIFF_TRACES = 5000;
const RUNS_LISTED = 200;

function text(body: Record<string, unknown>, name: string, max = 4096): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new BadRequestError(`"${name}" must be a string of at most ${max} characters`);
  return v;
}

function noiseOf(q: (name: string) => string | undefined): NoiseBound {
  const number = (name: string, fallback: number, integer: boolean): number => {
    const v = q(name);
    if (v === undefined || v === '') return fallback;
    const n = Number(v.replace(/%$/, ''));
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new BadRequestError(`${name}: expected a ${integer ? 'whole ' : ''}number from 0, got "${v}"`);
    return n;
  };
  const delta = q('minDelta');
  let minDeltaNs = DEFAULT_NOISE.minDeltaNs;
  if (delta !== undefined && delta !== '') {
    const ns = delta === '0' ? 0 : parseDuration(delta);
    if (ns === null || ns < 0) throw new BadRequestError(`minDelta: expected a duration such as 1ms, got "${delta}"`);
    minDeltaNs = ns;
  }
  return { minChangePct: number('minChange', DEFAULT_NOISE.minChangePct, false), minDeltaNs, minSamples: number('minSamples', DEFAULT_NOISE.minSamples, true) };
}

export function createRunRoutes(store: StoreReader, writes: StoreWrites, search: Search): Hono {
  const app = new Hono();

  /** A run by id, or the newest with that label. */
  function resolve(ref: string): RunRecord {
    const run = store.runs.get(ref) ?? store.runs.byLabel(ref);
    if (run === undefined) throw new BadRequestError(`no run "${ref}" (neither an id nor a label of a recorded run; tracebox runs lists them)`);
    return run;
  }

  /** Profiles the traces a query selects, newest first, up to MAX_DIFF_TRACES. */
  async function profile(traceql: string, name: string, signal: AbortSignal): Promise<{ profile: ReturnType<Profiler['finish']>; side: Omit<SideSummary, 'traces' | 'spans'> }> {
    const root = parseQuery(traceql, 'invalid TraceQL query: ');
    const result = await search.run({ root, limit: MAX_DIFF_TRACES + 1, window: {}, signal });
    const profiler = new Profiler();
    for (const hit of result.hits.slice(0, MAX_DIFF_TRACES)) profiler.add(traceJson(hit.trace));
    let partial: string | undefined;
    if (result.hits.length > MAX_DIFF_TRACES) partial = `the newest ${MAX_DIFF_TRACES} traces only; there are more`;
    else if (result.stopped !== undefined) partial = `the search stopped (${result.stopped}) after ${result.hits.length} trace(s); there may be more`;
    return { profile: profiler.finish(), side: { name, ...(partial === undefined ? {} : { partial }) } };
  }

  app.get('/api/runs', (c) => c.json({ runs: store.runs.list(RUNS_LISTED) }));

  app.post('/api/runs', async (c) => {
    const body = await jsonBody(c);
    const run = await writes.startRun({
      label: text(body, 'label', 200) ?? '',
      command: text(body, 'command') ?? '',
      gitCommit: text(body, 'gitCommit', 100) ?? null,
      gitBranch: text(body, 'gitBranch', 200) ?? null,
      startedMs: Date.now(),
    });
    return c.json({ run, attribute: RUN_ATTRIBUTE }, 201);
  });

  app.post('/api/runs/:id/end', async (c) => {
    const body = await jsonBody(c);
    const code = body.exitCode;
    if (code !== undefined && code !== null && (typeof code !== 'number' || !Number.isInteger(code))) throw new BadRequestError('"exitCode" must be a whole number');
    const run = await writes.endRun(c.req.param('id'), typeof code === 'number' ? code : null, Date.now());
    if (run === undefined) return c.json({ error: `no run "${c.req.param('id')}"` }, 404);
    return c.json({ run });
  });

  // Before /api/runs/:id, which would take "diff" for an id.
  app.get('/api/runs/diff', async (c) => {
    const q = (name: string): string | undefined => c.req.query(name);
    const noise = noiseOf(q);
    const qa = q('qa');
    const qb = q('qb');
    let a: { query: string; name: string; run?: RunRecord };
    let b: { query: string; name: string; run?: RunRecord };
    if (qa !== undefined || qb !== undefined) {
      if (qa === undefined || qb === undefined || qa === '' || qb === '') throw new BadRequestError('qa and qb: give both TraceQL selections');
      a = { query: qa, name: qa };
      b = { query: qb, name: qb };
    } else {
      const refs = [q('a'), q('b')];
      let runB: RunRecord;
      let runA: RunRecord;
      if (refs[1] !== undefined && refs[1] !== '') runB = resolve(refs[1]);
      else {
        const newest = store.runs.list(1)[0];
        if (newest === undefined) throw new BadRequestError('no runs recorded yet; record some with tracebox run');
        runB = newest;
      }
      if (refs[0] !== undefined && refs[0] !== '') runA = resolve(refs[0]);
      else {
        const before = store.runs.before(runB.id);
        if (before === undefined) throw new BadRequestError(`no run before ${runName(runB)} to compare it with`);
        runA = before;
      }
      const select = (run: RunRecord): string => `{ resource.${RUN_ATTRIBUTE} = ${JSON.stringify(run.id)} }`;
      a = { query: select(runA), name: runName(runA), run: runA };
      b = { query: select(runB), name: runName(runB), run: runB };
    }
    const signal = c.req.raw.signal;
    const [pa, pb] = [await profile(a.query, a.name, signal), await profile(b.query, b.name, signal)];
    const diff: RunDiff = compareProfiles(pa.profile, pb.profile, { a: pa.side, b: pb.side }, noise);
    return c.json({ ...diff, runs: { a: a.run ?? null, b: b.run ?? null } });
  });

  app.get('/api/runs/:id', (c) => {
    const run = store.runs.get(c.req.param('id')) ?? store.runs.byLabel(c.req.param('id'));
    return run === undefined ? c.json({ error: `no run "${c.req.param('id')}"` }, 404) : c.json({ run });
  });

  return app;
}
