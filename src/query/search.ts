/**
 * TraceQL search: plan → candidate traces newest first → evaluate each whole trace →
 * keep the first `limit` hits. The evaluator has the last word on every trace, so the
 * plan only decides how much has to be looked at.
 */
import { DEFAULTS } from '../defaults.ts';
import type { QueryTrace } from '../shared/span.ts';
import type { StoreReader, TraceRow, TraceWindow } from '../store/index.ts';
import { evaluate, RegexDeadlineError, withRegexDeadline, type Spanset, type Root } from '../traceql/index.ts';
import { createTraceLoader } from './loader.ts';
import { createPlanner, type Plan } from './planner.ts';

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

/** How long search.run() works before it gives the event loop a turn. */
const SLICE_MS = 25;
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
  readonly plan: Plan;
  readonly rowids: Iterator<number>;
  readonly load: ReturnType<typeof createTraceLoader>;
  readonly deadline: number;
  readonly hits: TraceHit[];
  inspectedTraces: number;
  inspectedSpans: number;
  inspectedBytes: number;
  stopped?: 'budget' | 'aborted';
}

const NOTHING: Iterator<number> = [][Symbol.iterator]();

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
  const planner = createPlanner({ search: store.search, tags: store.tags, generation: () => store.generation });

  function begin(request: SearchRequest): Running {
    const deadline = Date.now() + (request.budgetMs ?? defaultBudgetMs);
    let plan: Plan;
    try {
      // The planner runs regexes over the tag dictionary: bounded by the deadline too.
      plan = withRegexDeadline(deadline, () => planner(request.root));
    } catch (err) {
      if (!(err instanceof RegexDeadlineError)) throw err;
      plan = { kind: 'never' };
      return { request, plan, rowids: NOTHING, load: createTraceLoader(store.search), deadline, hits: [], inspectedTraces: 0, inspectedSpans: 0, inspectedBytes: 0, stopped: 'budget' };
    }
    let rowids = NOTHING;
    if (plan.kind === 'scan') rowids = store.search.newestTraces(request.window)[Symbol.iterator]();
    else if (plan.kind !== 'never') rowids = store.search.candidateTraces(plan.condition, request.window, plan.related)[Symbol.iterator]();
    return { request, plan, rowids, load: createTraceLoader(store.search), deadline, hits: [], inspectedTraces: 0, inspectedSpans: 0, inspectedBytes: 0 };
  }

  /** Evaluates candidates from `next` until there are none (true) or `pause()` asks for a break (false). */
  function advance(s: Running, next: () => number | undefined, pause: () => boolean): boolean {
    if (s.stopped !== undefined) return true;
    return withRegexDeadline(s.deadline, () => {
      for (let rowid = next(); rowid !== undefined; rowid = next()) {
        // Checked once a candidate is known to remain (so a search that saw everything is
        // never called cut short) and after the first (so every search makes progress).
        if (s.inspectedTraces > 0 && Date.now() >= s.deadline) {
          s.stopped = 'budget';
          return true;
        }
        const loaded = s.load(rowid);
        if (loaded === undefined) continue;
        s.inspectedTraces++;
        s.inspectedSpans += loaded.trace.spans.length;
        s.inspectedBytes += loaded.bytes;
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

  function finish(s: Running): SearchResult {
    const { hits } = s;
    hits.sort((a, b) => (a.row.startNs > b.row.startNs ? -1 : a.row.startNs < b.row.startNs ? 1 : 0));
    const result = { hits, inspectedTraces: s.inspectedTraces, inspectedSpans: s.inspectedSpans, inspectedBytes: s.inspectedBytes, plan: s.plan };
    return s.stopped === undefined ? result : { ...result, stopped: s.stopped };
  }

  const fromIterator = (it: Iterator<number>) => (): number | undefined => {
    const r = it.next();
    return r.done ? undefined : r.value;
  };

  const search = ((request: SearchRequest): SearchResult => {
    const s = begin(request);
    try {
      advance(s, fromIterator(s.rowids), () => false);
    } finally {
      s.rowids.return?.();
    }
    return finish(s);
  }) as Search;

  search.run = async (request) => {
    const s = begin(request);
    // candidateTraces and newestTraces read in pages and keep no statement open between
    // values, so a long search goes on pulling from them after each turn it gives ingest
    // (reading every remaining candidate up front cost up to ~150 ms for broad queries).
    const next = fromIterator(s.rowids);
    try {
      if (request.signal?.aborted) s.stopped = 'aborted';
      let reported = 0;
      for (let slice = 0; ; slice++) {
        if (slice > 0) {
          if (request.progress !== undefined && (slice === 1 || Date.now() - reported >= PROGRESS_MS)) {
            reported = Date.now();
            request.progress(s);
          }
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (request.signal?.aborted) {
            s.stopped = 'aborted';
            break;
          }
        }
        const sliceEnd = Date.now() + SLICE_MS;
        if (advance(s, next, () => Date.now() > sliceEnd)) break;
      }
    } finally {
      s.rowids.return?.();
    }
    return finish(s);
  };

  Object.defineProperty(search, 'budgetMs', { value: defaultBudgetMs });
  return search;
}
