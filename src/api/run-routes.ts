/**
 * Runs and diffs over HTTP: record a run's start and end (`tracebox run`, tests), list
 * runs, and compare two runs (or two TraceQL selections) with analysis/run-compare. Everything here
 * runs on a query thread; the records are written by the writer thread.
 */
import { Hono } from 'hono';
import { compareProfiles, DEFAULT_NOISE, Profiler, runName, type NoiseBound, type Profile, type RunDiff, type SideSummary } from '../analysis/index.ts';
import { RUN_ATTRIBUTE, runOfResource } from '../otlp/index.ts';
import { createTraceLoader, parseQuery, traceJson, type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { resourcesByRun, type RunRecord, type StoreReader, type StoreWrites } from '../store/index.ts';
import { parseDuration } from '../traceql/index.ts';
import { jsonBody } from './test-routes.ts';


/** Traces compared per side by default (`limit`), and at most; a side with more says so (`partial`). */
export const DEFAULT_DIFF_TRACES = 5000;
const MAX_DIFF_TRACES = 50_000;
const RUNS_LISTED = 200;
/** How long profiling a run works before the query thread's event loop gets a turn. */
const YIELD_MS = 25;

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

  type Side = { profile: Profile; side: Omit<SideSummary, 'traces' | 'spans'> };

  /**
   * Profiles a run's traces, newest first, up to `limit`: the traces with a span of
   * a resource tagged with the run, each loaded, profiled and let go (a run may be larger
   * than memory holds as decoded traces), with the event loop given a turn now and then.
   */
  async function profileRun(run: RunRecord, limit: number, signal: AbortSignal): Promise<Side> {
    const resourceIds = resourcesByRun(store.db, runOfResource).get(run.id) ?? [];
    // The ids first, so no statement stays open across the turns below.
    const rowids: number[] = [];
    if (resourceIds.length > 0) {
      for (const rowid of store.search.candidateTraces({ termGroups: [], resourceIds }, {})) {
        rowids.push(rowid);
        if (rowids.length > limit) break;
      }
    }
    const load = createTraceLoader(store.search);
    const profiler = new Profiler();
    let turn = Date.now();
    for (const rowid of rowids.slice(0, limit)) {
      const loaded = load(rowid);
      if (loaded !== undefined) profiler.add(traceJson(loaded.trace));
      if (Date.now() - turn > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted) throw new BadRequestError('the request was cancelled');
        turn = Date.now();
      }
    }
    const partial = rowids.length > limit ? `the newest ${limit} traces only; there are more` : undefined;
    return { profile: profiler.finish(), side: { name: runName(run), ...(partial === undefined ? {} : { partial }) } };
  }

  /** Profiles the traces a query selects, newest first, up to `limit`. */
  async function profileQuery(traceql: string, limit: number, signal: AbortSignal): Promise<Side> {
    const root = parseQuery(traceql, 'invalid TraceQL query: ');
    const result = await search.run({ root, limit: limit + 1, window: {}, signal });
    const profiler = new Profiler();
    for (const hit of result.hits.slice(0, limit)) profiler.add(traceJson(hit.trace));
    let partial: string | undefined;
    if (result.hits.length > limit) partial = `the newest ${limit} traces only; there are more`;
    else if (result.stopped !== undefined) partial = `the search stopped (${result.stopped}) after ${result.hits.length} trace(s); there may be more`;
    return { profile: profiler.finish(), side: { name: traceql, ...(partial === undefined ? {} : { partial }) } };
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
    const limitText = q('limit');
    const limit = limitText === undefined || limitText === '' ? DEFAULT_DIFF_TRACES : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DIFF_TRACES) throw new BadRequestError(`limit: expected a whole number of traces from 1 to ${MAX_DIFF_TRACES}, got "${limitText}"`);
    const qa = q('qa');
    const qb = q('qb');
    const signal = c.req.raw.signal;
    let pa: Side;
    let pb: Side;
    let runs: { a: RunRecord | null; b: RunRecord | null } = { a: null, b: null };
    if (qa !== undefined || qb !== undefined) {
      if (qa === undefined || qb === undefined || qa === '' || qb === '') throw new BadRequestError('qa and qb: give both TraceQL selections');
      pa = await profileQuery(qa, limit, signal);
      pb = await profileQuery(qb, limit, signal);
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
      pa = await profileRun(runA, limit, signal);
      pb = await profileRun(runB, limit, signal);
      runs = { a: runA, b: runB };
    }
    const diff: RunDiff = compareProfiles(pa.profile, pb.profile, { a: pa.side, b: pb.side }, noise);
    return c.json({ ...diff, runs });
  });

  app.get('/api/runs/:id', (c) => {
    const run = store.runs.get(c.req.param('id')) ?? store.runs.byLabel(c.req.param('id'));
    return run === undefined ? c.json({ error: `no run "${c.req.param('id')}"` }, 404) : c.json({ run });
  });

  return app;
}
