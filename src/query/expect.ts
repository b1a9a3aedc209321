/**
 * Blocking expectations for tests: wait until a TraceQL query matches between `min`
 * and `max` spans, re-checking whenever spans are stored; on timeout, explain which
 * spans came closest and which conditions they failed.
 */
import type { QuerySpan } from '../shared/span.ts';
import type { Store } from '../store/index.ts';
import { evaluate, readForDisplay } from '../traceql/evaluate.ts';
import { print, type AttributeRef, type FieldExpression, type Root } from '../traceql/index.ts';
import { jsonValue } from './search-response.ts';
import type { Search, TraceHit } from './search.ts';
import { scopeToSession } from './session-scope.ts';
import { spanJson, type SpanJson } from './span-json.ts';

export interface ExpectRequest {
  readonly root: Root;
  /** Only spans of this test session count, and only its traces are candidates. */
  readonly session?: string;
  readonly min: number;
  readonly max: number;
  readonly timeoutMs: number;
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
}

/** How many traces one check looks at, newest first. */
const TRACE_LIMIT = 2000;
const MAX_RETURNED = 200;
const POLL_MS = 250;

function matchedSpans(hits: readonly TraceHit[]): Array<{ span: QuerySpan; hit: TraceHit }> {
  const out: Array<{ span: QuerySpan; hit: TraceHit }> = [];
  for (const hit of hits) {
    const seen = new Set<QuerySpan>();
    for (const set of hit.spansets) for (const span of set.spans) if (!seen.has(span)) seen.add(span), out.push({ span, hit });
  }
  return out;
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

export function createExpect(store: Store, search: Search): (request: ExpectRequest) => Promise<ExpectResult> {
  function check(root: Root): { hits: TraceHit[]; spans: Array<{ span: QuerySpan; hit: TraceHit }> } {
    const { hits } = search({ root, limit: TRACE_LIMIT, window: {} });
    return { hits, spans: matchedSpans(hits) };
  }

  return (request) =>
    new Promise<ExpectResult>((resolve) => {
      const deadline = Date.now() + request.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe = (): void => {};
      let done = false;

      const finish = (result: ExpectResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };

      const scoped = request.session === undefined ? request.root : scopeToSession(request.root, request.session);
      const recentRoot = request.session === undefined ? EVERY_SPAN : scopeToSession(EVERY_SPAN, request.session);

      const attempt = (): void => {
        if (done) return;
        if (request.signal?.aborted) {
          finish({ ok: false, count: 0, matches: [], candidates: [], message: 'the client went away' });
          return;
        }
        const { spans } = check(scoped);
        const count = spans.length;
        const matches = spans.slice(0, MAX_RETURNED).map(({ span, hit }) => spanJson(span, hit.trace.traceId));
        if (count > request.max) {
          finish({ ok: false, count, matches, candidates: [], message: `expected at most ${request.max} matching span(s), found ${count}` });
          return;
        }
        if (count >= request.min) {
          finish({ ok: true, count, matches, candidates: [], message: `found ${count} matching span(s)` });
          return;
        }
        if (Date.now() >= deadline) {
          const recent = search({ root: recentRoot, limit: 50, window: {} }).hits;
          finish({
            ok: false,
            count,
            matches,
            candidates: nearest(request.root, recent, 10),
            message: `expected at least ${request.min} matching span(s) within ${request.timeoutMs} ms, found ${count}`,
          });
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(attempt, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      };

      // New spans trigger a check right away; the timer covers the deadline.
      unsubscribe = store.onInsert(() => {
        clearTimeout(timer);
        timer = setTimeout(attempt, 5);
      });
      request.signal?.addEventListener('abort', attempt, { once: true });
      attempt();
    });
}

const EVERY_SPAN: Root = singleFilter({ kind: 'Static', type: 'bool', value: true, from: 0, to: 0 });
