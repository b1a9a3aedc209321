/**
 * explain_slow_path: a trace's critical path from the root, one span per line with its
 * self time and its share of the path (calls of one operation under one parent gathered
 * into one line), then a plain paragraph on where the time went.
 */
import * as z from 'zod';
import {
  criticalPath,
  groupSiblings,
  humanDuration,
  mostSelfTime,
  onPath,
  operationStats,
  pathRoot,
  selfTimes,
  type CriticalPath,
  type TraceTree,
} from '../analysis/index.ts';
import type { StoreReader } from '../store/index.ts';
import { BoundedText, clip, loadTrace, ms, percent, TEXT_BUDGET, type Answer } from './common.ts';
import { traceIdArg } from './get-trace.ts';

export const explainSlowPathInput = { traceId: traceIdArg };

export interface ExplainSlowPathArgs {
  traceId: string;
}

/** One line of the path: a span, or the calls of one operation under one parent. */
interface Step {
  /** Span indexes: one, or the group's members. */
  readonly spans: readonly number[];
  readonly depth: number;
  /** Time on the path in these spans themselves, and in their subtrees when gathered. */
  readonly criticalNs: number;
  readonly selfNs: number;
  readonly durationNs: number;
}

function steps(trace: TraceTree, path: CriticalPath, self: Float64Array, root: number): Step[] {
  const out: Step[] = [];
  const subtreeOnPath = (idx: number): number => {
    let n = 0;
    const stack = [idx];
    while (stack.length > 0) {
      const i = stack.pop() as number;
      n += onPath(path.get(i));
      for (const c of trace.spans[i].children) if (path.has(c)) stack.push(c);
    }
    return n;
  };
  const walk = (idx: number, depth: number): void => {
    const s = trace.spans[idx];
    out.push({ spans: [idx], depth, criticalNs: onPath(path.get(idx)), selfNs: self[idx], durationNs: s.dur });
    for (const e of groupSiblings(trace, s.children.filter((c) => path.has(c)))) {
      if (e.type === 'span') walk(e.idx, depth + 1);
      else {
        out.push({
          spans: e.spans,
          depth: depth + 1,
          criticalNs: e.spans.reduce((n, i) => n + subtreeOnPath(i), 0),
          selfNs: e.spans.reduce((n, i) => n + self[i], 0),
          durationNs: e.totalNs,
        });
      }
    }
  };
  walk(root, 0);
  return out;
}

function label(trace: TraceTree, step: Step): string {
  const s = trace.spans[step.spans[0]];
  return `${step.spans.length > 1 ? `${step.spans.length}× ` : ''}${s.service}: ${s.name}`;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export const explainSlowPathOutput = {
  traceId: z.string(),
  rootService: z.string(),
  rootName: z.string(),
  durationMs: z.number(),
  rootReceived: z.boolean().describe('False when the path starts at a span whose parent was not received.'),
  path: z
    .array(
      z.object({
        spanId: z.string().describe('The span, or the first of a group.'),
        count: z.number().describe('1, or how many calls of one operation under one parent this entry gathers.'),
        service: z.string(),
        name: z.string(),
        kind: z.string(),
        depth: z.number(),
        durationMs: z.number(),
        onPathMs: z.number(),
        selfMs: z.number(),
        errors: z.number(),
      }),
    )
    .describe('The critical path in tree order; entries past the size bound are left out (see pathComplete).'),
  pathComplete: z.boolean(),
  summary: z.string(),
};

type ExplainSlowPathOutput = z.infer<z.ZodObject<typeof explainSlowPathOutput>>;

export function explainSlowPath(store: StoreReader, args: ExplainSlowPathArgs): Answer<ExplainSlowPathOutput> {
  const trace = loadTrace(store, args.traceId);
  const root = pathRoot(trace);
  if (root < 0) {
    const summary = `trace ${trace.traceId} has no spans.`;
    return {
      text: summary,
      structured: { traceId: trace.traceId, rootService: '', rootName: '', durationMs: 0, rootReceived: false, path: [], pathComplete: true, summary },
    };
  }
  const r = trace.spans[root];
  const path = criticalPath(trace);
  const self = selfTimes(trace);
  const all = steps(trace, path, self, root);
  const totalNs = r.dur;

  // The summary paragraph, written first so that the list can be cut to leave room for it.
  const ranked = [...all].sort((a, b) => b.criticalNs - a.criticalNs).filter((s) => s.criticalNs > 0);
  const byService = new Map<string, number>();
  for (const [idx, segs] of path) byService.set(trace.spans[idx].service, (byService.get(trace.spans[idx].service) ?? 0) + onPath(segs));
  const services = [...byService].sort((a, b) => b[1] - a[1]);
  const sentences: string[] = [];
  sentences.push(
    `The request ${r.service}: ${r.name} took ${humanDuration(totalNs)}, and ${path.size} span(s) in ${services.length} service(s) lie on its critical path.`,
  );
  if (ranked.length > 0) {
    const top = ranked[0];
    const s = trace.spans[top.spans[0]];
    const what =
      top.spans.length > 1
        ? `in ${top.spans.length} calls of the same operation from one parent (an N+1 pattern: batch them into one call)`
        : s.children.length === 0
          ? 'in its own work (it has no child spans)'
          : 'in its own time outside its child spans (its own work, or calls that are not instrumented)';
    const rest = ranked.slice(1, 3).map((st) => `${label(trace, st)} (${humanDuration(st.criticalNs)})`);
    sentences.push(
      `Most of the time went to ${label(trace, top)} [${s.kind}], ${humanDuration(top.criticalNs)} or ${percent(top.criticalNs, totalNs)} of the trace, spent ${what}` +
        (rest.length > 0 ? `; next come ${list(rest)}.` : '.'),
    );
  }
  if (services.length > 1) {
    sentences.push(`By service along the path: ${list(services.slice(0, 5).map(([name, ns]) => `${name} ${humanDuration(ns)} (${percent(ns, totalNs)})`))}.`);
  }
  const failed = [...path.keys()].filter((i) => trace.spans[i].status === 'error');
  if (failed.length > 0) {
    const kinds = [...new Set(failed.map((i) => `${trace.spans[i].service}: ${trace.spans[i].name}${trace.spans[i].statusMessage ? ` ("${clip(trace.spans[i].statusMessage, 80)}")` : ''}`))];
    sentences.push(`${failed.length} span(s) on the path failed: ${list(kinds.slice(0, 3))}${kinds.length > 3 ? ` and ${kinds.length - 3} more` : ''}.`);
  }
  const hot = mostSelfTime(trace, self);
  if (hot >= 0 && ranked.length > 0) {
    const h = trace.spans[hot];
    if (!path.has(hot)) {
      sentences.push(`${h.service}: ${h.name} has the most self time in the whole trace but ran in parallel with the critical path, so making it faster would not shorten this trace.`);
    } else if (ranked[0].spans.includes(hot)) {
      sentences.push('It is also the span with the most self time in the whole trace, so it is the first place to look.');
    }
  }
  const [op] = operationStats(trace, self);
  if (op !== undefined && op.count > 1 && op.selfNs > 0.2 * totalNs) {
    sentences.push(`Over the whole trace, ${op.service}: ${op.name} [${op.kind}] ran ${op.count} times, ${humanDuration(op.selfNs)} of self time in all (${percent(op.selfNs, totalNs)}).`);
  }
  const summary = sentences.join(' ');

  const out = new BoundedText();
  out.add(`Critical path of trace ${trace.traceId} (${r.service}: ${r.name}, ${humanDuration(totalNs)}): the spans that decided when it ended.`);
  out.add('Each line: span [kind] duration — time on the path in this span itself (share of the trace); self = its duration minus its children. "N×" lines gather calls of one operation under one parent.');
  const entries: ExplainSlowPathOutput['path'] = [];
  // Room for the paragraph and the notes after the list.
  const room = new BoundedText(Math.max(1000, TEXT_BUDGET - summary.length - 400));
  for (const st of all) {
    const s = trace.spans[st.spans[0]];
    const errors = st.spans.filter((i) => trace.spans[i].status === 'error').length;
    const err =
      st.spans.length > 1
        ? errors > 0
          ? ` ✗ ${errors} error(s)`
          : ''
        : s.status === 'error'
          ? ` ✗ error${s.statusMessage ? `: ${clip(s.statusMessage, 100)}` : ''}`
          : '';
    const line =
      st.spans.length > 1
        ? `${'  '.repeat(st.depth)}└─ ${label(trace, st)} [${s.kind}], ${humanDuration(st.durationNs)} in all — ` +
          `on path ${humanDuration(st.criticalNs)} (${percent(st.criticalNs, totalNs)}), self ${humanDuration(st.selfNs)}  first #${s.spanId}${err}`
        : `${'  '.repeat(st.depth)}${st.depth === 0 ? '' : '└─ '}${s.service}: ${s.name} [${s.kind}] ${humanDuration(st.durationNs)} — ` +
          `on path ${humanDuration(st.criticalNs)} (${percent(st.criticalNs, totalNs)}), self ${humanDuration(st.selfNs)}  #${s.spanId}${err}`;
    if (!room.add(line)) break;
    entries.push({
      spanId: s.spanId,
      count: st.spans.length,
      service: s.service,
      name: clip(s.name, 200),
      kind: s.kind,
      depth: st.depth,
      durationMs: ms(st.durationNs),
      onPathMs: ms(st.criticalNs),
      selfMs: ms(st.selfNs),
      errors,
    });
  }
  out.force(room.toString());
  const complete = entries.length === all.length;
  if (!complete) out.force(`… ${all.length - entries.length} more line(s) of the path not shown: answers stop at about ${TEXT_BUDGET} characters.`);
  if (r.orphan) out.force(`Note: the trace's root span has not been received; the path starts at ${r.service}: ${r.name}.`);
  out.force('');
  out.force(summary);
  return {
    text: out.toString(),
    structured: {
      traceId: trace.traceId,
      rootService: r.service,
      rootName: r.name,
      durationMs: ms(totalNs),
      rootReceived: !r.orphan,
      path: entries,
      pathComplete: complete,
      summary,
    },
  };
}
