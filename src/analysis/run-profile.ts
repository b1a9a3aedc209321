/**
 * @module analysis/run-profile
 * What a set of traces (one run, one TraceQL selection, one file) does, per operation:
 * calls per trace, durations (p50/p95 with their sample count), errors and their
 * messages, which operation calls which (edges), and, per root operation, where the
 * critical path spends its time. Two profiles are compared by `run-compare.ts`; a profile is
 * also what a test's baseline file holds. Pure: the viewer bundles it.
 */
import { criticalPath, onPath, pathRoot } from './critical-path.ts';
import { percentile } from './red.ts';
import { buildTrace, type TraceJson, type TraceTree, type TreeSpan } from './trace.ts';

/** An operation: service, span name and kind, and the route or database operation when the span has one. */
export interface OperationKey {
  readonly service: string;
  readonly name: string;
  readonly kind: TreeSpan['kind'];
  /** `http.route`, else `db.operation` (`db.operation.name`), else ''. */
  readonly detail: string;
}

export interface OperationProfile extends OperationKey {
  /** Stable identity of the operation across profiles. */
  readonly key: string;
  /** Traces holding at least one of its spans. */
  readonly traces: number;
  /** Its spans in all. */
  readonly calls: number;
  /** The most spans of it in one trace. */
  readonly maxCallsPerTrace: number;
  /** Nearest-rank percentiles of its spans' durations, ns; `calls` samples back them. */
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly errors: number;
  /** Distinct error messages (status message, else the exception event's), most frequent first, at most MESSAGES. */
  readonly errorMessages: ReadonlyArray<{ readonly message: string; readonly count: number }>;
  /** A trace that shows it: the one with most of its calls (then the slowest of them). Absent in baseline files. */
  readonly example?: string;
}

/** Calls from one operation to another (parent span → child span). */
export interface EdgeProfile {
  readonly parent: string;
  readonly child: string;
  /** Child spans under a parent span of that operation. */
  readonly calls: number;
}

/** Where the critical path of traces under one root operation spends its time. */
export interface RootProfile {
  /** The root span's operation key. */
  readonly key: string;
  readonly traces: number;
  /** Per operation on the path: mean time on the path per trace, ns; largest first. */
  readonly path: ReadonlyArray<{ readonly key: string; readonly meanNs: number }>;
}

export interface Profile {
  readonly traces: number;
  readonly spans: number;
  /** By key. */
  readonly operations: readonly OperationProfile[];
  readonly edges: readonly EdgeProfile[];
  readonly roots: readonly RootProfile[];
}

/** Error messages kept per operation. */
const MESSAGES = 5;
/** Path entries kept per root (the rest is a small share of the time). */
const PATH_ENTRIES = 12;

const SEP = '\u0000';

export function operationKey(op: OperationKey): string {
  return [op.service, op.kind, op.name, op.detail].join(SEP);
}

/** Splits a key made by operationKey. */
export function parseOperationKey(key: string): OperationKey {
  const [service = '', kind = 'unspecified', name = '', detail = ''] = key.split(SEP);
  return { service, kind: kind as TreeSpan['kind'], name, detail };
}

/** "POST /cart [server]", with the route or database operation added when the name does not already say it. */
export function operationLabel(op: OperationKey): string {
  const detail = op.detail !== '' && !op.name.includes(op.detail) ? ` (${op.detail})` : '';
  return `${op.name}${detail} [${op.kind}]`;
}

function detailOf(s: TreeSpan): string {
  const v = s.attributes['http.route'] ?? s.attributes['db.operation'] ?? s.attributes['db.operation.name'];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

function spanKey(s: TreeSpan): string {
  return operationKey({ service: s.service, name: s.name, kind: s.kind, detail: detailOf(s) });
}

function errorMessage(s: TreeSpan): string {
  if (s.statusMessage !== '') return s.statusMessage.replace(/\s+/g, ' ').slice(0, 200);
  const exception = s.events.find((e) => e.name === 'exception');
  const m = exception?.attributes['exception.message'];
  return m === undefined || m === null ? '' : String(m).replace(/\s+/g, ' ').slice(0, 200);
}

interface OpAcc {
  readonly op: OperationKey;
  traces: number;
  calls: number;
  maxPerTrace: number;
  durations: number[];
  errors: number;
  messages: Map<string, number>;
  example: string;
  exampleCalls: number;
  exampleMaxNs: number;
}

interface RootAcc {
  traces: number;
  path: Map<string, number>;
}

/** Builds a profile one trace at a time (a run may hold more traces than fit in memory at once as trees). */
export class Profiler {
  private readonly ops = new Map<string, OpAcc>();
  private readonly edges = new Map<string, number>();
  private readonly roots = new Map<string, RootAcc>();
  private traces = 0;
  private spans = 0;

  add(trace: TraceTree | TraceJson): this {
    const t = 'byId' in trace ? trace : buildTrace(trace);
    if (t.spans.length === 0) return this;
    this.traces++;
    this.spans += t.spans.length;
    const keys = t.spans.map(spanKey);
    const inTrace = new Map<string, { calls: number; maxNs: number }>();
    t.spans.forEach((s, i) => {
      const key = keys[i];
      let acc = this.ops.get(key);
      if (acc === undefined) {
        acc = { op: { service: s.service, name: s.name, kind: s.kind, detail: detailOf(s) }, traces: 0, calls: 0, maxPerTrace: 0, durations: [], errors: 0, messages: new Map(), example: '', exampleCalls: 0, exampleMaxNs: -1 };
        this.ops.set(key, acc);
      }
      acc.calls++;
      acc.durations.push(s.dur);
      if (s.status === 'error') {
        acc.errors++;
        const m = errorMessage(s);
        acc.messages.set(m, (acc.messages.get(m) ?? 0) + 1);
      }
      const here = inTrace.get(key);
      if (here === undefined) inTrace.set(key, { calls: 1, maxNs: s.dur });
      else {
        here.calls++;
        if (s.dur > here.maxNs) here.maxNs = s.dur;
      }
      if (s.parent >= 0) {
        const edge = keys[s.parent] + '\u0001' + key;
        this.edges.set(edge, (this.edges.get(edge) ?? 0) + 1);
      }
    });
    for (const [key, here] of inTrace) {
      const acc = this.ops.get(key) as OpAcc;
      acc.traces++;
      if (here.calls > acc.maxPerTrace) acc.maxPerTrace = here.calls;
      if (here.calls > acc.exampleCalls || (here.calls === acc.exampleCalls && here.maxNs > acc.exampleMaxNs)) {
        acc.example = t.traceId;
        acc.exampleCalls = here.calls;
        acc.exampleMaxNs = here.maxNs;
      }
    }
    const root = pathRoot(t);
    if (root >= 0) {
      const rootKey = keys[root];
      let acc = this.roots.get(rootKey);
      if (acc === undefined) this.roots.set(rootKey, (acc = { traces: 0, path: new Map() }));
      acc.traces++;
      for (const [idx, segs] of criticalPath(t)) {
        const ns = onPath(segs);
        if (ns > 0) acc.path.set(keys[idx], (acc.path.get(keys[idx]) ?? 0) + ns);
      }
    }
    return this;
  }

  finish(): Profile {
    const operations: OperationProfile[] = [];
    for (const [key, acc] of this.ops) {
      const sorted = acc.durations.sort((a, b) => a - b);
      operations.push({
        ...acc.op,
        key,
        traces: acc.traces,
        calls: acc.calls,
        maxCallsPerTrace: acc.maxPerTrace,
        p50Ns: percentile(sorted, 0.5),
        p95Ns: percentile(sorted, 0.95),
        errors: acc.errors,
        errorMessages: [...acc.messages]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, MESSAGES)
          .map(([message, count]) => ({ message, count })),
        example: acc.example,
      });
    }
    operations.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const edges = [...this.edges]
      .map(([k, calls]) => {
        const [parent, child] = k.split('\u0001');
        return { parent, child, calls };
      })
      .sort((a, b) => (a.parent + a.child < b.parent + b.child ? -1 : 1));
    const roots = [...this.roots]
      .map(([key, acc]): RootProfile => {
        const path = [...acc.path]
          .map(([k, ns]) => ({ key: k, meanNs: Math.round(ns / acc.traces) }))
          .sort((a, b) => b.meanNs - a.meanNs)
          .slice(0, PATH_ENTRIES);
        return { key, traces: acc.traces, path };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    return { traces: this.traces, spans: this.spans, operations, edges, roots };
  }
}

/** The profile of a set of traces. */
export function profileTraces(traces: Iterable<TraceTree | TraceJson>): Profile {
  const p = new Profiler();
  for (const t of traces) p.add(t);
  return p.finish();
}
