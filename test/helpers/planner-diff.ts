/**
 * The planner's differential check: generated traces go through the real ingest into a
 * Store on a real SQLite file; each generated query is answered by the indexed search
 * (planner + store pushdown) and by a full scan (every stored trace loaded and handed to
 * the evaluator, in a plain loop). The answers must be the same: same traces, same
 * spansets. A pushed-down condition may let through more than matches, never less.
 *
 * A failure names the seed, the query, its plan and dumps a trace that was missed, so it
 * can be replayed with `scripts/planner-diff.ts --seed S`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../../scripts/lib/rng.ts';
import { createIngest } from '../../src/otlp/index.ts';
import { createSearch, createTraceLoader, type Search, type SearchResult } from '../../src/query/index.ts';
import type { AttrValue, Attributes, QuerySpan, QueryTrace } from '../../src/shared/span.ts';
import { Store, type TraceRow, type TraceWindow } from '../../src/store/index.ts';
import { EvaluationError, evaluate, type Spanset } from '../../src/traceql/evaluate.ts';
import { parse, print, TraceQLSyntaxError, TraceQLValidationError, type Root } from '../../src/traceql/index.ts';
import type { Value } from '../../src/traceql/values.ts';
import { createQueryGenerator } from './gen-traceql.ts';
import { generateTraces } from './gen-traces.ts';
import type { Json } from './tempo-json.ts';

/** A store on a SQLite file under `dir`, fed through the OTLP ingest function. */
export interface DiffStore {
  readonly store: Store;
  readonly ingest: ReturnType<typeof createIngest>;
  readonly search: Search;
  close(): void;
}

export function openDiffStore(dir: string): DiffStore {
  fs.mkdirSync(dir, { recursive: true });
  const store = Store.open({ dataDir: dir });
  return { store, ingest: createIngest(store), search: createSearch(store), close: () => store.close() };
}

/** Sends OTLP/JSON export requests through the ingest function; every span must be stored or be a retry. */
export function send(ds: DiffStore, requests: readonly Json[]): void {
  for (const request of requests) {
    const answer = ds.ingest({ body: Buffer.from(JSON.stringify(request)), format: 'json' });
    if (!answer.ok) throw new Error(`generated data was refused: ${answer.message}`);
    if (answer.result.rejected > 0) throw new Error(`generated data was rejected: ${answer.result.message}`);
  }
}

interface Loaded {
  readonly row: TraceRow;
  readonly trace: QueryTrace;
}

/** Every stored trace, loaded once: the full scan's input. */
export function loadAll(store: Store): Loaded[] {
  const load = createTraceLoader(store.search);
  const ids = store.db.prepare('SELECT id FROM traces ORDER BY id').pluck().all() as number[];
  const out: Loaded[] = [];
  for (const id of ids) {
    const t = load(id);
    if (t !== undefined) out.push({ row: t.row, trace: t.trace });
  }
  return out;
}

function valueText(v: Value | AttrValue): string {
  switch (v.type) {
    case 'nil':
    case 'opaque':
      return v.type;
    case 'array':
      return `[${v.values.map(valueText).join(', ')}]`;
    case 'string':
      return JSON.stringify(v.value);
    default:
      return `${v.type}:${String(v.value)}`;
  }
}

function spanKey(s: QuerySpan): string {
  return `${s.spanId}/${s.kind}/${s.startNs}`;
}

/** What a trace's answer is made of, as one comparable string. */
function signature(spansets: readonly Spanset[]): string {
  return JSON.stringify(
    spansets.map((set) => ({
      spans: set.spans.map(spanKey),
      attributes: set.attributes.map((a) => [a.name, valueText(a.value)]),
    })),
  );
}

function overlaps(row: TraceRow, window: TraceWindow): boolean {
  if (window.startNs !== undefined && row.endNs < window.startNs) return false;
  if (window.endNs !== undefined && row.startNs > window.endNs) return false;
  return true;
}

/** The full scan: every trace in the window evaluated; trace id → answer. */
function fullScan(all: readonly Loaded[], root: Root, window: TraceWindow): Map<string, { signature: string; spans: QuerySpan[] }> {
  const out = new Map<string, { signature: string; spans: QuerySpan[] }>();
  for (const t of all) {
    if (!overlaps(t.row, window)) continue;
    const spansets = evaluate(root, t.trace);
    if (spansets.length > 0) out.set(t.trace.traceId, { signature: signature(spansets), spans: spansets.flatMap((set) => set.spans) });
  }
  return out;
}

export interface QueryCase {
  readonly text: string;
  readonly window: TraceWindow;
}

export type Outcome =
  | { readonly kind: 'checked'; readonly plan: SearchResult['plan']['kind']; readonly matches: number }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'evaluation-error' };

const NO_BUDGET = 1e12;

function bigintJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function attrsText(attrs: Attributes): string {
  return [...attrs].map(([k, v]) => `${JSON.stringify(k)}=${valueText(v)}`).join(' ');
}

/**
 * A missed trace: the spans of the full scan's answer and their ancestors, with
 * everything a query can look at (at most `maxSpans` of them).
 */
export function dumpTrace(t: Loaded, answer: readonly QuerySpan[], maxSpans = 20): string {
  const byId = new Map(t.trace.spans.map((s) => [s.spanId, s]));
  const shown = new Set<QuerySpan>();
  for (const s of answer) {
    for (let at: QuerySpan | undefined = s; at !== undefined && !shown.has(at) && shown.size < maxSpans; at = byId.get(at.parentId)) shown.add(at);
  }
  const lines = [
    `trace ${t.trace.traceId} start ${t.row.startNs} end ${t.row.endNs} root ${JSON.stringify(t.trace.rootName)}: ` +
      `${shown.size} of ${t.trace.spans.length} spans (the full scan's answer and their ancestors)`,
  ];
  for (const s of t.trace.spans) {
    if (!shown.has(s)) continue;
    lines.push(
      `  span ${s.spanId} parent ${s.parentId || '-'} ${JSON.stringify(s.name)} kind ${s.kind} status ${s.status} ` +
        `${JSON.stringify(s.statusMessage)} start ${s.startNs} duration ${s.durationNs}`,
      `    attributes ${attrsText(s.attributes)}`,
      `    resource ${attrsText(s.resource)} | scope ${JSON.stringify(s.scope.name)} ${JSON.stringify(s.scope.version)} ${attrsText(s.scope.attributes)}`,
    );
    for (const e of s.events) lines.push(`    event ${JSON.stringify(e.name)} at ${e.timeNs} ${attrsText(e.attributes)}`);
    for (const l of s.links) lines.push(`    link ${l.traceId}/${l.spanId} ${attrsText(l.attributes)}`);
  }
  return lines.join('\n');
}

export class PlannerDiffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlannerDiffError';
  }
}

/**
 * Checks one query: the indexed search (with no limit that matters, and, when `limit`
 * is given, with that limit too) against the full scan over `all`.
 */
export async function checkQuery(ds: DiffStore, all: readonly Loaded[], q: QueryCase, limit?: number, sliced = false): Promise<Outcome> {
  let root: Root;
  try {
    root = parse(q.text);
  } catch (err) {
    if (err instanceof TraceQLSyntaxError || err instanceof TraceQLValidationError) return { kind: 'invalid' };
    throw err;
  }
  let expected: Map<string, { signature: string; spans: QuerySpan[] }>;
  try {
    expected = fullScan(all, root, q.window);
  } catch (err) {
    // A query that cannot run on some trace is answered with an error, whichever traces are looked at.
    if (err instanceof EvaluationError) return { kind: 'evaluation-error' };
    throw err;
  }
  const fail = (result: SearchResult | undefined, problem: string, missed: readonly string[] = []): never => {
    const lines = [
      problem,
      `query: ${q.text}`,
      `printed: ${print(root)}`,
      `window: ${bigintJson(q.window)}`,
      `plan: ${result === undefined ? '(search threw)' : bigintJson(result.plan)}`,
    ];
    const byId = new Map(all.map((t) => [t.trace.traceId, t]));
    if (missed.length > 0) {
      lines.push(`missed ${missed.length} trace(s) the full scan matches: ${missed.slice(0, 10).join(' ')}`);
      const first = byId.get(missed[0]);
      const answer = expected.get(missed[0]);
      if (first !== undefined && answer !== undefined) lines.push(dumpTrace(first, answer.spans), `full scan answer for it: ${answer.signature}`);
    }
    throw new PlannerDiffError(lines.join('\n'));
  };

  const request = { root, window: q.window, budgetMs: NO_BUDGET };
  const run = async (n: number): Promise<SearchResult> => {
    try {
      return sliced ? await ds.search.run({ ...request, limit: n }) : ds.search({ ...request, limit: n });
    } catch (err) {
      return fail(undefined, `the indexed search threw: ${(err as Error).stack ?? String(err)}`);
    }
  };

  const result = await run(Number.MAX_SAFE_INTEGER);
  if (result.stopped !== undefined) fail(result, `the indexed search stopped early (${result.stopped})`);
  const got = new Map<string, string>();
  let last: bigint | undefined;
  for (const hit of result.hits) {
    if (got.has(hit.trace.traceId)) fail(result, `trace ${hit.trace.traceId} answered twice`);
    got.set(hit.trace.traceId, signature(hit.spansets));
    if (last !== undefined && hit.row.startNs > last) fail(result, 'hits are not newest first');
    last = hit.row.startNs;
  }
  const missed = [...expected.keys()].filter((id) => !got.has(id));
  if (missed.length > 0) fail(result, 'UNDER-FETCH: the indexed search missed traces', missed);
  for (const [id, sig] of got) {
    const want = expected.get(id)?.signature;
    if (want === undefined) fail(result, `the indexed search answered trace ${id}, which the full scan does not match`);
    if (want !== sig) fail(result, `trace ${id}: spansets differ\nindexed:   ${sig}\nfull scan: ${want}`);
  }

  if (limit !== undefined && limit < expected.size) {
    const limited = await run(limit);
    if (limited.hits.length !== limit) {
      fail(limited, `with limit ${limit} the indexed search answered ${limited.hits.length} of ${expected.size} matching traces`);
    }
    for (const hit of limited.hits) {
      if (expected.get(hit.trace.traceId)?.signature !== signature(hit.spansets)) fail(limited, `with limit ${limit}: trace ${hit.trace.traceId} differs`);
    }
  }
  return { kind: 'checked', plan: result.plan.kind, matches: expected.size };
}

export interface DiffOptions {
  readonly seed: number;
  /** Valid queries to check in all. */
  readonly queries: number;
  /** Traces per generated data set. */
  readonly traces: number;
  /** A new data set (and store) after this many queries. */
  readonly queriesPerDataset: number;
  /** Where the SQLite files go (one subfolder per data set, removed after it). */
  readonly dir: string;
  readonly log?: (line: string) => void;
}

export interface DiffStats {
  checked: number;
  invalid: number;
  evaluationErrors: number;
  /** Queries by plan kind. */
  plans: Record<string, number>;
  /** Queries the full scan matched at least one trace for. */
  matching: number;
  spans: number;
}

/** Runs the whole check; throws PlannerDiffError (with the seed in its message) on the first difference. */
export async function runPlannerDiff(options: DiffOptions): Promise<DiffStats> {
  const stats: DiffStats = { checked: 0, invalid: 0, evaluationErrors: 0, plans: {}, matching: 0, spans: 0 };
  const seeds = new Rng(options.seed);
  for (let round = 0; stats.checked < options.queries; round++) {
    const dataSeed = seeds.u32();
    const querySeed = seeds.u32();
    const dir = path.join(options.dir, `set-${round}`);
    const ds = openDiffStore(dir);
    try {
      // Most of the data first; then some traces are deleted (as retention does) and the
      // rest arrives, part of it late spans of deleted traces, into reused row ids.
      const data = generateTraces(dataSeed, options.traces);
      const cut = Math.ceil(data.requests.length * 0.7);
      send(ds, data.requests.slice(0, cut));
      let late = data.requests.slice(cut);
      stats.spans += data.spans;
      let all = loadAll(ds.store);
      const next = createQueryGenerator(querySeed);
      const pick = new Rng(querySeed ^ 0x5bd1e995);
      const target = Math.min(options.queries, stats.checked + options.queriesPerDataset);
      const halfway = stats.checked + Math.floor((target - stats.checked) / 2);
      let attempts = 0;
      while (stats.checked < target) {
        if (stats.checked === halfway && late.length > 0) {
          ds.store.deleteTraces(all.filter(() => pick.chance(0.2)).map((t) => t.row.rowid));
          send(ds, late);
          late = [];
          all = loadAll(ds.store);
        }
        if (++attempts > options.queriesPerDataset * 10) throw new Error('the query generator produces almost no valid queries');
        const q = next();
        const withLimit = pick.chance(0.3) ? 1 + pick.int(5) : undefined;
        let outcome: Outcome;
        try {
          outcome = await checkQuery(ds, all, q, withLimit, pick.chance(0.25));
        } catch (err) {
          if (err instanceof PlannerDiffError) {
            err.message = `planner differential check failed (seed ${options.seed}, data set ${round}, query ${stats.checked + 1}; ` +
              `replay: node --import tsx scripts/planner-diff.ts --seed ${options.seed} --queries ${stats.checked + 1} --traces ${options.traces} --per-set ${options.queriesPerDataset})\n${err.message}`;
          }
          throw err;
        }
        if (outcome.kind === 'invalid') stats.invalid++;
        else if (outcome.kind === 'evaluation-error') stats.evaluationErrors++;
        else {
          stats.checked++;
          stats.plans[outcome.plan] = (stats.plans[outcome.plan] ?? 0) + 1;
          if (outcome.matches > 0) stats.matching++;
        }
      }
      options.log?.(`data set ${round}: ${data.spans} spans, ${stats.checked} queries checked so far`);
    } finally {
      ds.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return stats;
}
