/**
 * TraceQL search: plan → candidate traces newest first → evaluate each whole trace →
 * keep the first `limit` hits. The evaluator has the last word on every trace, so the
 * plan only decides how much has to be looked at.
 */
import type { QueryTrace } from '../shared/span.ts';
import type { Store, TraceRow, TraceWindow } from '../store/index.ts';
import { evaluate, type Spanset } from '../traceql/evaluate.ts';
import type { Root } from '../traceql/index.ts';
import { createTraceLoader } from './loader.ts';
import { createPlanner, type Plan } from './planner.ts';

export interface SearchRequest {
  readonly root: Root;
  readonly limit: number;
  readonly window: TraceWindow;
  /** Stops looking after this long (ms) and answers with what was found. */
  readonly budgetMs?: number;
}

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
}

const DEFAULT_BUDGET_MS = 10_000;

export type Search = (request: SearchRequest) => SearchResult;

export function createSearch(store: Store): Search {
  const planner = createPlanner({ search: store.search, tags: store.tags, generation: () => store.generation });
  return (request) => {
    const plan = planner(request.root);
    const hits: TraceHit[] = [];
    let inspectedTraces = 0;
    let inspectedSpans = 0;
    let inspectedBytes = 0;
    if (plan.kind !== 'never') {
      const load = createTraceLoader(store.search);
      const rowids =
        plan.kind === 'scan'
          ? store.search.newestTraces(request.window)
          : store.search.candidateTraces(plan.condition, request.window);
      const deadline = Date.now() + (request.budgetMs ?? DEFAULT_BUDGET_MS);
      for (const rowid of rowids) {
        const loaded = load(rowid);
        if (loaded === undefined) continue;
        inspectedTraces++;
        inspectedSpans += loaded.trace.spans.length;
        inspectedBytes += loaded.bytes;
        const spansets = evaluate(request.root, loaded.trace);
        if (spansets.length > 0) {
          hits.push({ row: loaded.row, trace: loaded.trace, spansets });
          if (hits.length >= request.limit) break;
        }
        if ((inspectedTraces & 63) === 0 && Date.now() > deadline) break;
      }
    }
    hits.sort((a, b) => (a.row.startNs > b.row.startNs ? -1 : a.row.startNs < b.row.startNs ? 1 : 0));
    return { hits, inspectedTraces, inspectedSpans, inspectedBytes, plan };
  };
}
