/**
 * What every query over stored traces starts with (a search, a TraceQL metrics query):
 * the plan of its span condition, the candidate traces that plan leaves in a time window
 * (newest first), each loaded whole and counted as inspected; and the way a long query
 * gives the event loop a turn between slices of work.
 */
import type { StoreReader, TraceWindow } from '../store/index.ts';
import type { Root } from '../traceql/index.ts';
import { createTraceLoader, type LoadedTrace } from './loader.ts';
import { createPlanner, type Plan } from './planner.ts';

/** How long a query works before it gives the event loop a turn (query.run(), search.run()). */
export const SLICE_MS = 25;

/** What a query looked at. */
export interface Inspected {
  inspectedTraces: number;
  inspectedSpans: number;
  inspectedBytes: number;
}

export interface Candidates extends Inspected {
  readonly plan: Plan;
  /** The next candidate trace's rowid; undefined when none is left. */
  next(): number | undefined;
  /** Loads a candidate, counted as inspected; undefined when its trace is gone. */
  load(rowid: number): LoadedTrace | undefined;
  /** Lets go of the candidate reader (a query that stops before the last one). */
  close(): void;
}

export interface CandidateSource {
  /** The plan of a query's span condition (may run regexes over the tag dictionary). */
  plan(root: Root): Plan;
  /** The candidates of `plan` in `window`. */
  open(plan: Plan, window: TraceWindow): Candidates;
}

const NOTHING: Iterator<number> = [][Symbol.iterator]();

export function createCandidateSource(store: StoreReader): CandidateSource {
  const planner = createPlanner({ search: store.search, tags: store.tags, generation: () => store.generation });
  return {
    plan: (root) => planner(root),
    open(plan, window) {
      // candidateTraces and newestTraces read in pages and keep no statement open between
      // values, so a long query goes on pulling from them after each turn it gives ingest.
      let rowids = NOTHING;
      if (plan.kind === 'scan') rowids = store.search.newestTraces(window)[Symbol.iterator]();
      else if (plan.kind === 'candidates') rowids = store.search.candidateTraces(plan.condition, window, plan.related)[Symbol.iterator]();
      const loader = createTraceLoader(store.search);
      const candidates: Candidates = {
        plan,
        inspectedTraces: 0,
        inspectedSpans: 0,
        inspectedBytes: 0,
        next() {
          const r = rowids.next();
          return r.done === true ? undefined : r.value;
        },
        load(rowid) {
          const loaded = loader(rowid);
          if (loaded === undefined) return undefined;
          candidates.inspectedTraces++;
          candidates.inspectedSpans += loaded.trace.spans.length;
          candidates.inspectedBytes += loaded.bytes;
          return loaded;
        },
        close() {
          rowids.return?.();
        },
      };
      return candidates;
    },
  };
}

/** A query under way over its candidates. */
export interface Pass {
  readonly candidates: Candidates;
}

/**
 * Advances a query (`advance` works until there are no candidates left or `pause()` asks
 * for a break, and tells which) to its end without giving way, then lets go of its reader.
 */
export function runToEnd<P extends Pass>(pass: P, advance: (pass: P, pause: () => boolean) => boolean): void {
  try {
    advance(pass, () => false);
  } finally {
    pass.candidates.close();
  }
}

/**
 * The same a slice of SLICE_MS at a time, giving the event loop a turn between slices
 * (`beforeTurn` is told of each). False when `signal` stopped it, before the first slice
 * or at a turn.
 */
export async function runInSlices<P extends Pass>(
  pass: P,
  advance: (pass: P, pause: () => boolean) => boolean,
  signal: AbortSignal | undefined,
  beforeTurn?: (slice: number) => void,
): Promise<boolean> {
  try {
    if (signal?.aborted) return false;
    for (let slice = 0; ; slice++) {
      if (slice > 0) {
        beforeTurn?.(slice);
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) return false;
      }
      const sliceEnd = Date.now() + SLICE_MS;
      if (advance(pass, () => Date.now() > sliceEnd)) return true;
    }
  } finally {
    pass.candidates.close();
  }
}
