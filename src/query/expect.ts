/**
 * Blocking expectations for tests: wait until a TraceQL query matches between `min` and
 * `max` spans; on timeout, explain which spans came closest and which conditions they
 * failed.
 *
 * The query is evaluated once over the whole store, then again only on the traces each
 * commit touched (at most every RECHECK_MS), so a test that waits does not slow the
 * ingest it waits for. A result is never reported from an evaluation that was cut short:
 * an expectation whose search ran out of time fails and says so. With a finite `max`, the
 * count must also have held still for `settleMs` after the last matching span arrived.
 */
import type { QuerySpan } from '../shared/span.ts';
import type { StoreReader } from '../store/index.ts';
import { evaluate, readForDisplay, print, RegexDeadlineError, withRegexDeadline, type AttributeRef, type FieldExpression, type Root } from '../traceql/index.ts';
import { createTraceLoader } from './loader.ts';
import { jsonValue } from './search-response.ts';
import { incompleteReason, type Search, type TraceHit } from './search.ts';
import { scopeToSession } from './session-scope.ts';
import { spanJson, type SpanJson } from './span-json.ts';

export interface ExpectRequest {
  readonly root: Root;
  /** Only spans of this test session count, and only its traces are candidates. */
  readonly session?: string;
  readonly min: number;
  readonly max: number;
  readonly timeoutMs: number;
  /** With a finite max: how long no new matching span must arrive before the count is final. */
  readonly settleMs?: number;
  readonly signal?: AbortSignal;
}

export interface Candidate {
  readonly span: SpanJson;
  /** Conditions of the query this span failed, each with what the span has instead. */
  readonly failed: Array<{ condition: string; actual: string }>;
}

export interface ExpectResult {
  readonly ok: boolean;
  /** Matching spans found (all of them, also when there are too many). */
  readonly count: number;
  readonly matches: SpanJson[];
  readonly candidates: Candidate[];
  readonly message: string;
  /** False when the store could not be searched completely; `ok` is then false too. */
  readonly complete: boolean;
}

/** The default quiet period before a `max` is judged. */
export const DEFAULT_SETTLE_MS = 200;
const MAX_RETURNED = 200;
/** Re-evaluations after commits are at least this far apart. */
const RECHECK_MS = 50;

function distinctSpans(hit: TraceHit): QuerySpan[] {
  const seen = new Set<QuerySpan>();
  for (const set of hit.spansets) for (const span of set.spans) seen.add(span);
  return [...seen];
}

/** The leaves of the first filter's `&&` chain: the conditions a candidate can fail one by one. */
function conditions(root: Root): FieldExpression[] {
  const first = root.pipeline.stages[0];
  if (first?.kind !== 'SpansetFilter' || first.expression === null) return [];
  const out: FieldExpression[] = [];
  const walk = (e: FieldExpression): void => {
    if (e.kind === 'BinaryOperation' && e.op === '&&') {
      walk(e.lhs);
      walk(e.rhs);
    } else out.push(e);
  };
  walk(first.expression);
  return out;
}

function singleFilter(e: FieldExpression): Root {
  const loc = { from: 0, to: 0 };
  return {
    kind: 'Root',
    ...loc,
    pipeline: { kind: 'Pipeline', ...loc, stages: [{ kind: 'SpansetFilter', ...loc, expression: e }] },
    metrics: null,
    secondStage: null,
    hints: null,
  };
}

function refsOf(e: FieldExpression): AttributeRef[] {
  switch (e.kind) {
    case 'Attribute':
    case 'Intrinsic':
      return [e];
    case 'BinaryOperation':
      return [...refsOf(e.lhs), ...refsOf(e.rhs)];
    case 'UnaryOperation':
      return refsOf(e.operand);
    default:
      return [];
  }
}

function describe(ref: AttributeRef, span: QuerySpan, hit: TraceHit): string {
  const v = jsonValue(readForDisplay(ref, span, hit.trace));
  const name = print(ref);
  if (v === undefined) return `no ${name}`;
  const shown = v.stringValue !== undefined ? JSON.stringify(v.stringValue) : (v.intValue ?? v.doubleValue ?? v.boolValue ?? JSON.stringify(v.arrayValue));
  return `${name} = ${String(shown)}`;
}

/** Spans of recent traces that satisfy the most conditions without matching, best first. */
function nearest(root: Root, hits: readonly TraceHit[], limit: number): Candidate[] {
  const leaves = conditions(root);
  if (leaves.length === 0) return [];
  const scored: Array<{ span: QuerySpan; hit: TraceHit; failed: FieldExpression[] }> = [];
  for (const hit of hits) {
    const passing = leaves.map((leaf) => new Set(evaluate(singleFilter(leaf), hit.trace).flatMap((s) => s.spans)));
    for (const span of hit.trace.spans) {
      const failed = leaves.filter((_, i) => !passing[i].has(span));
      // A candidate shares something with the query: it passed at least one condition.
      if (failed.length > 0 && failed.length < leaves.length) scored.push({ span, hit, failed });
    }
  }
  scored.sort((a, b) => a.failed.length - b.failed.length);
  return scored.slice(0, limit).map(({ span, hit, failed }) => ({
    span: spanJson(span, hit.trace.traceId),
    failed: failed.map((f) => ({ condition: print(f), actual: refsOf(f).map((r) => describe(r, span, hit)).join(', ') || 'false' })),
  }));
}

export function createExpect(store: StoreReader, search: Search): (request: ExpectRequest) => Promise<ExpectResult> {
  return (request) =>
    new Promise<ExpectResult>((resolve) => {
      const started = Date.now();
      const deadline = started + request.timeoutMs;
      const settleMs = request.settleMs ?? DEFAULT_SETTLE_MS;
      const scoped = request.session === undefined ? request.root : scopeToSession(request.root, request.session);
      const recentRoot = request.session === undefined ? EVERY_SPAN : scopeToSession(EVERY_SPAN, request.session);
      /** Matching spans per trace rowid. */
      const matched = new Map<number, { hit: TraceHit; spans: QuerySpan[] }>();
      let count = 0;
      let lastMatchAt = 0;
      /** Why the last evaluation was not complete, if it was not. */
      let incomplete: string | undefined;
      let needFull = true;
      const touched = new Set<number>();
      let running = false;
      let lastRun = 0;
      let timer: NodeJS.Timeout | undefined;
      let done = false;

      const unsubscribeCommits = store.onInsert((summary) => {
        for (const rowid of summary.traces) touched.add(rowid);
        schedule(0);
      });
      const unsubscribeDeletes = store.onDelete(() => {
        needFull = true;
        schedule(0);
      });
      const onAbort = (): void => finish({ ok: false, count, matches: matches(), candidates: [], message: 'the client went away', complete: incomplete === undefined });
      request.signal?.addEventListener('abort', onAbort, { once: true });

      function matches(): SpanJson[] {
        const out: SpanJson[] = [];
        for (const { hit, spans } of matched.values()) {
          for (const span of spans) {
            if (out.length >= MAX_RETURNED) return out;
            out.push(spanJson(span, hit.trace.traceId));
          }
        }
        return out;
      }

      function finish(result: ExpectResult): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribeCommits();
        unsubscribeDeletes();
        request.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      }

      /** Runs evaluate() again in `delayMs`, or earlier than a later run already planned. */
      function schedule(delayMs: number): void {
        if (done || running) return;
        const at = Math.max(Date.now() + delayMs, lastRun + RECHECK_MS);
        clearTimeout(timer);
        timer = setTimeout(() => void evaluateNow(), Math.max(0, at - Date.now()));
      }

      function set(rowid: number, hit: TraceHit | undefined): void {
        const before = matched.get(rowid)?.spans.length ?? 0;
        const spans = hit === undefined ? [] : distinctSpans(hit);
        if (hit === undefined || spans.length === 0) matched.delete(rowid);
        else matched.set(rowid, { hit, spans });
        count += spans.length - before;
        if (spans.length > before) lastMatchAt = Date.now();
      }

      async function full(): Promise<void> {
        needFull = false;
        touched.clear();
        matched.clear();
        count = 0;
        // A check, even a single one (timeout 0), gets at least a search's usual budget.
        const budgetMs = Math.max(search.budgetMs, deadline - Date.now());
        const result = await search.run({ root: scoped, limit: Number.MAX_SAFE_INTEGER, window: {}, budgetMs, signal: request.signal });
        incomplete = incompleteReason(result);
        for (const hit of result.hits) set(hit.row.rowid, hit);
      }

      /** Evaluates the traces commits touched since the last run. */
      function partial(): void {
        const load = createTraceLoader(store.search);
        const rowids = [...touched];
        touched.clear();
        withRegexDeadline(deadline, () => {
          for (const rowid of rowids) {
            const loaded = load(rowid);
            if (loaded === undefined) {
              set(rowid, undefined);
              continue;
            }
            let spansets;
            try {
              spansets = evaluate(scoped, loaded.trace);
            } catch (err) {
              if (!(err instanceof RegexDeadlineError)) throw err;
              incomplete = 'a regular expression ran out of time';
              return;
            }
            set(rowid, spansets.length === 0 ? undefined : { row: loaded.row, trace: loaded.trace, spansets });
          }
        });
      }

      async function evaluateNow(): Promise<void> {
        if (done) return;
        running = true;
        try {
          if (needFull || incomplete !== undefined) await full();
          else partial();
        } finally {
          running = false;
          lastRun = Date.now();
        }
        decide();
      }

      function decide(): void {
        if (done) return;
        const now = Date.now();
        if (request.signal?.aborted) return onAbort();
        if (touched.size > 0 || needFull) return schedule(0);
        if (incomplete === undefined && count > request.max) {
          return finish({ ok: false, count, matches: matches(), candidates: [], message: `expected at most ${request.max} matching span(s), found ${count}`, complete: true });
        }
        if (incomplete === undefined && count >= request.min) {
          // With a max, the count must have held still: spans may still be on their way.
          // The quiet period runs past the timeout if it must, by settleMs at most.
          const quietSince = Math.max(lastMatchAt, started);
          const settled = request.max === Number.MAX_SAFE_INTEGER || now - quietSince >= settleMs;
          if (settled) return finish({ ok: true, count, matches: matches(), candidates: [], message: `found ${count} matching span(s)`, complete: true });
          if (now < deadline + settleMs) return schedule(quietSince + settleMs - now);
        }
        if (now >= deadline) {
          if (incomplete !== undefined) {
            return finish({ ok: false, count, matches: matches(), candidates: [], message: `could not tell: ${incomplete} (found ${count} matching span(s) so far)`, complete: false });
          }
          const recent = search({ root: recentRoot, limit: 50, window: {} }).hits;
          const message =
            count >= request.min
              ? `found ${count} matching span(s), but matching spans were still arriving after ${request.timeoutMs} ms (a max needs ${settleMs} ms without new ones)`
              : `expected at least ${request.min} matching span(s) within ${request.timeoutMs} ms, found ${count}`;
          return finish({ ok: false, count, matches: matches(), candidates: nearest(request.root, recent, 10), message, complete: true });
        }
        // An incomplete evaluation is tried again; otherwise commits (or the deadline) wake it.
        schedule(incomplete !== undefined ? 250 : deadline - now);
      }

      void evaluateNow().catch((err: unknown) => {
        finish({ ok: false, count, matches: [], candidates: [], message: `internal error: ${(err as Error).message}`, complete: false });
      });
    });
}

const EVERY_SPAN: Root = singleFilter({ kind: 'Static', type: 'bool', value: true, from: 0, to: 0 });
