/** A trace drawn as a short text tree, for failure messages and the command line. */
import type { SpanNode, Trace } from './client.ts';

const MAX_LINES = 40;

function ms(ns: bigint): string {
  const v = Number(ns) / 1e6;
  return v >= 100 ? `${Math.round(v)}ms` : `${Number(v.toFixed(2))}ms`;
}

export function formatTree(trace: Trace, indent = ''): string {
  const lines = [`${indent}trace ${trace.traceId} (${trace.rootServiceName ?? '?'}: ${trace.rootName ?? '<no root>'}, ${ms(trace.durationNs)}, ${trace.spans.length} spans)`];
  const walk = (node: SpanNode, prefix: string, last: boolean): void => {
    if (lines.length > MAX_LINES) return;
    const mark = node.status === 'error' ? ` ✗ error${node.statusMessage ? `: ${node.statusMessage}` : ''}` : '';
    lines.push(`${indent}${prefix}${last ? '└─ ' : '├─ '}${node.service}: ${node.name} [${node.kind}] ${ms(node.durationNs)}${mark}`);
    const kids = [...node.children].sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : 1));
    kids.forEach((k, i) => walk(k, prefix + (last ? '   ' : '│  '), i === kids.length - 1));
  };
  trace.roots.forEach((r, i) => walk(r, '', i === trace.roots.length - 1));
  if (lines.length > MAX_LINES) lines.splice(MAX_LINES, Infinity, `${indent}… ${trace.spans.length} spans in all`);
  return lines.join('\n');
}
