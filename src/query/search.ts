/**
 * TraceQL search: plan → candidate traces newest first → evaluate each whole trace →
 * keep the first `limit` hits. The evaluator has the last word on every trace, so the
 * plan only decides how much has to be looked at.
 */
import { DEFAULTS } from '../defaults.ts';
import type { QueryTrace } from '../shared/span.ts';
import type { StoreReader, TraceRow, TraceWindow } from '../store/index.ts';
import { evaluate, RegexDeadlineError, withRegexDeadline, type Spanset, type Root } from '../traceql/index.ts';
import { createCandidateSource, runInSlices, runToEnd, type Candidates } from './candidates.ts';
import type { Plan } from './planner.ts';

export interface SearchRequest {
  readonly root: Root;
  readonly limit: number;
  readonly window: TraceWindow;
  /** Stops looking after this long (ms) and answers with what was found. */
  readonly budgetMs?: number;
  /** Stops a search started with `search.run()` at its next slice, e.g. when the HTTP client went away. */
  readonly signal?: AbortSignal;
  /**
   * `search.run()` reports what it has found so far after its first slice and then at
   * most every PROGRESS_MS, while it goes on (for answers streamed as they grow).
   */
  readonly progress?: (found: SearchProgress) => void;
}

/** A running search's hits so far, in the order found (a view that keeps growing). */
export type SearchProgress = Pick<SearchResult, 'hits' | 'inspectedTraces' | 'inspectedSpans' | 'inspectedBytes' | 'stopped'>;

export interface TraceHit {
  readonly row: TraceRow;
  readonly trace: QueryTrace;
  readonly spansets: Spanset[];
}

export interface SearchResult {
  /** Newest first by trace start. */
  readonly hits: TraceHit[];
  readonly inspectedTraces: number;
  readonly inspectedSpans: number;
  readonly inspectedBytes: number;
  readonly plan: Plan;
  /** Set when the search ended before every candidate was looked at for another reason than `limit`. */
  readonly stopped?: 'budget' | 'aborted';
}

/** How often a running search reports progress past its first slice (Tempo streams its partial answers as often). */
const PROGRESS_MS = 500;

export interface SearchOptions {
  /** The budget of a request that names none (`--search-timeout`). */
  readonly budgetMs?: number;
}

export interface Search {
  /** Runs the search to the end (or its budget) without giving way. */
  (request: SearchRequest): SearchResult;
  /** The budget of a request that names none. */
  readonly budgetMs: number;
  /**
   * The same search, but one that outlasts a slice of SLICE_MS gives the event loop a
   * turn between slices, so other requests are served and `request.signal` can stop it.
   */
  run(request: SearchRequest): Promise<SearchResult>;
}

interface Running {
  readonly request: SearchRequest;
  readonly candidates: Candidates;
  readonly deadline: number;
  readonly hits: TraceHit[];
  stopped?: 'budget' | 'aborted';
}

/** Why a search did not look at every candidate, as a sentence; undefined when it did. */
export function incompleteReason(result: Pick<SearchResult, 'stopped' | 'inspectedTraces'>): string | undefined {
  if (result.stopped === 'budget') return `the search ran out of time after ${result.inspectedTraces} trace(s) (--search-timeout)`;
  if (result.stopped === 'aborted') return 'the search was stopped';
  return undefined;
}

/** The response header that says why an answer is partial (`budget`, `aborted`, `max-bytes`). */
export const INCOMPLETE_HEADER = 'X-Tracebox-Incomplete';

export function createSearch(store: StoreReader, options: SearchOptions = {}): Search {
  const defaultBudgetMs = options.budgetMs ?? DEFAULTS.searchTimeoutMs;
  const source = createCandidateSource(store);

  function begin(request: SearchRequest): Running {
    const deadline = Date.now() + (request.budgetMs ?? defaultBudgetMs);
    let plan: Plan;
    try {
      // The planner runs regexes over the tag dictionary: bounded by the deadline too.
      plan = withRegexDeadline(deadline, () => source.plan(request.root));
    } catch (err) {
      if (!(err instanceof RegexDeadlineError)) throw err;
      return { request, candidates: source.open({ kind: 'never' }, request.window), deadline, hits: [], stopped: 'budget' };
    }
    return { request, candidates: source.open(plan, request.window), deadline, hits: [] };
  }

  /** Evaluates candidates until there are none (true) or `pause()` asks for a break (false). */
  function advance(s: Running, pause: () => boolean): boolean {
    if (s.stopped !== undefined) return true;
    const c = s.candidates;
    return withRegexDeadline(s.deadline, () => {
      for (let rowid = c.next(); rowid !== undefined; rowid = c.next()) {
        // Checked once a candidate is known to remain (so a search that saw everything is
        // never called cut short) and after the first (so every search makes progress).
        if (c.inspectedTraces > 0 && Date.now() >= s.deadline) {
          s.stopped = 'budget';
          return true;
        }
        const loaded = c.load(rowid);
        if (loaded === undefined) continue;
        let spansets: Spanset[];
        try {
          spansets = evaluate(s.request.root, loaded.trace);
        } catch (err) {
          if (!(err instanceof RegexDeadlineError)) throw err;
          s.stopped = 'budget';
          return true;
        }
        if (spansets.length > 0) {
          s.hits.push({ row: loaded.row, trace: loaded.trace, spansets });
          if (s.hits.length >= s.request.limit) return true;
        }
        if (pause()) return false;
      }
      return true;
    });
  }

  /** What the search found so far: its hits in the order found, and what it looked at. */
  function progress(s: Running): SearchProgress {
    const c = s.candidates;
    return { hits: s.hits, inspectedTraces: c.inspectedTraces, inspectedSpans: c.inspectedSpans, inspectedBytes: c.inspectedBytes };
  }

  function finish(s: Running): SearchResult {
    const { hits } = s;
    hits.sort((a, b) => (a.row.startNs > b.row.startNs ? -1 : a.row.startNs < b.row.startNs ? 1 : 0));
    const result = { ...progress(s), plan: s.candidates.plan };
    return s.stopped === undefined ? result : { ...result, stopped: s.stopped };
  }

  const search = ((request: SearchRequest): SearchResult => {
    const s = begin(request);
    runToEnd(s, advance);
    return finish(s);
  }) as Search;

  search.run = async (request) => {
    const s = begin(request);
    let reported = 0;
    const finished = await runInSlices(s, advance, request.signal, (slice) => {
      if (request.progress !== undefined && (slice === 1 || Date.now() - reported >= PROGRESS_MS)) {
        reported = Date.now();
        request.progress(progress(s));
      }
    });
    if (!finished) s.stopped = 'aborted';
    return finish(s);
  };

  Object.defineProperty(search, 'budgetMs', { value: defaultBudgetMs });
  return search;
}
