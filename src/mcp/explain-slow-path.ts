/**
 * explain_slow_path: a trace's critical path from the root, one span per line with its
 * self time and its share of the path, then a plain paragraph on where the time went.
 */
import * as z from 'zod';
import { criticalSpan } from '../commands/run.ts';
import type { StoreReader } from '../store/index.ts';
import { clip, dur, loadTrace, percent } from './common.ts';
import { criticalPath, type PathStep } from './critical-path.ts';
import { traceIdArg } from './get-trace.ts';

export const explainSlowPathInput = { traceId: traceIdArg };

export interface ExplainSlowPathArgs {
  traceId: string;
}

function label(step: PathStep): string {
  return `${step.span.service}: ${step.span.name}`;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function explainSlowPath(store: StoreReader, args: ExplainSlowPathArgs): string {
  const trace = loadTrace(store, args.traceId);
  const path = criticalPath(trace);
  if (path === undefined) return `trace ${trace.traceId} has no spans.`;
  const { root, steps, totalNs } = path;

  const lines = [
    `Critical path of trace ${trace.traceId} (${root.service}: ${root.name}, ${dur(totalNs)}): the spans that decided when it ended.`,
    'Each line: span [kind] duration — time on the path in this span itself (share of the trace); self = its duration minus its children.',
  ];
  for (const s of steps) {
    const err = s.span.status === 'error' ? ` ✗ error${s.span.statusMessage ? `: ${clip(s.span.statusMessage, 100)}` : ''}` : '';
    lines.push(
      `${'  '.repeat(s.depth)}${s.depth === 0 ? '' : '└─ '}${label(s)} [${s.span.kind}] ${dur(s.span.durationNs)} — ` +
        `on path ${dur(s.criticalNs)} (${percent(s.criticalNs, totalNs)}), self ${dur(s.selfNs)}  #${s.span.spanId}${err}`,
    );
  }
  if (root.parentSpanId !== '') lines.push(`Note: the trace's root span has not been received; the path starts at ${root.service}: ${root.name}.`);

  // The summary paragraph.
  const ranked = [...steps].sort((a, b) => (a.criticalNs > b.criticalNs ? -1 : a.criticalNs < b.criticalNs ? 1 : 0)).filter((s) => s.criticalNs > 0n);
  const byService = new Map<string, bigint>();
  for (const s of steps) byService.set(s.span.service, (byService.get(s.span.service) ?? 0n) + s.criticalNs);
  const services = [...byService].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0));
  const sentences: string[] = [];
  sentences.push(
    `The request ${root.service}: ${root.name} took ${dur(totalNs)}, and ${steps.length} span(s) in ${services.length} service(s) lie on its critical path.`,
  );
  if (ranked.length > 0) {
    const top = ranked[0];
    const what = top.span.children.length === 0 ? 'in its own work (it has no child spans)' : 'in its own time outside its child spans (its own work, or calls that are not instrumented)';
    const rest = ranked.slice(1, 3).map((s) => `${label(s)} (${dur(s.criticalNs)})`);
    sentences.push(
      `Most of the time went to ${label(top)} [${top.span.kind}], ${dur(top.criticalNs)} or ${percent(top.criticalNs, totalNs)} of the trace, spent ${what}` +
        (rest.length > 0 ? `; next come ${list(rest)}.` : '.'),
    );
  }
  if (services.length > 1) {
    sentences.push(`By service along the path: ${list(services.map(([name, ns]) => `${name} ${dur(ns)} (${percent(ns, totalNs)})`))}.`);
  }
  const failed = steps.filter((s) => s.span.status === 'error');
  if (failed.length > 0) {
    sentences.push(`${failed.length} span(s) on the path failed: ${list(failed.map((s) => `${label(s)}${s.span.statusMessage ? ` ("${clip(s.span.statusMessage, 80)}")` : ''}`))}.`);
  }
  const hot = criticalSpan(trace);
  if (hot !== undefined && ranked.length > 0) {
    const onPath = steps.find((s) => s.span.spanId === hot.spanId);
    if (onPath === undefined) {
      sentences.push(
        `${hot.service}: ${hot.name} has the most self time in the whole trace but ran in parallel with the critical path, so making it faster would not shorten this trace.`,
      );
    } else if (onPath === ranked[0]) {
      sentences.push('It is also the span with the most self time in the whole trace, so it is the first place to look.');
    }
  }
  lines.push('', sentences.join(' '));
  return lines.join('\n');
}
