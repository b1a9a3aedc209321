/**
 * @module analysis/text-tree
 * A trace drawn as a short text tree, for failure messages, the command line and the MCP
 * tools: one line per span (service: name [kind] duration, error mark), children by start
 * time, children of one operation repeated GROUP_AT times or more gathered into one line
 * ("600× db: SELECT items [client], 1.80 s in all"), and a cap on the lines.
 */
import { humanDuration } from './format.ts';
import { groupSiblings, type SiblingGroup } from './stats.ts';
import type { TraceTree, TreeSpan } from './trace.ts';

export interface TextTreeOptions {
  /** Put before every line. */
  readonly indent?: string;
  /** Most lines, the heading included (default 40); what does not fit is counted in a last line. */
  readonly maxLines?: number;
  /** Most characters (default: no bound besides the lines). */
  readonly maxChars?: number;
  /** Text appended to a span's line (ids, attributes). */
  readonly annotate?: (span: TreeSpan) => string;
  /** Text appended to a group's line. */
  readonly annotateGroup?: (group: SiblingGroup) => string;
}

/** "service: name [kind] 12.3 ms ✗ error: message" */
export function spanLine(s: TreeSpan): string {
  const mark = s.status === 'error' ? ` ✗ error${s.statusMessage ? `: ${s.statusMessage}` : ''}` : '';
  return `${s.service}: ${s.name} [${s.kind}] ${humanDuration(s.dur)}${mark}`;
}

/** "600× service: name [kind], 1.80 s in all (2.10 ms–4.00 ms each), 3 errors" */
export function groupLine(trace: TraceTree, g: SiblingGroup): string {
  const s = trace.spans[g.spans[0]];
  const each = g.minNs === g.maxNs ? `${humanDuration(g.minNs)} each` : `${humanDuration(g.minNs)}–${humanDuration(g.maxNs)} each`;
  const errors = g.errors > 0 ? `, ${g.errors} error(s)` : '';
  const below = g.spans.reduce((n, i) => n + trace.spans[i].descendants, 0);
  const hidden = below > 0 ? `; their ${below} child span(s) not shown` : '';
  return `${g.spans.length}× ${s.service}: ${s.name} [${s.kind}], ${humanDuration(g.totalNs)} in all (${each})${errors}${hidden}`;
}

/** The tree's text; `complete` is false when it stopped at a bound. */
export function textTree(trace: TraceTree, options: TextTreeOptions = {}): { text: string; complete: boolean } {
  const { indent = '', maxLines = 40, maxChars = Infinity, annotate, annotateGroup } = options;
  const lines = [`${indent}trace ${trace.traceId} (${trace.rootService || '?'}: ${trace.rootName || '<no root>'}, ${humanDuration(trace.dur)}, ${trace.spans.length} spans)`];
  let chars = lines[0].length;
  let full = false;
  /** Adds the line unless a bound is reached (the last line, saying so, is kept room for). */
  const push = (line: string): boolean => {
    if (full || lines.length + 1 >= maxLines || chars + line.length + 1 > maxChars - 80) {
      full = true;
      return false;
    }
    lines.push(line);
    chars += line.length + 1;
    return true;
  };
  const walk = (idx: number, prefix: string, last: boolean): void => {
    const s = trace.spans[idx];
    if (!push(`${indent}${prefix}${last ? '└─ ' : '├─ '}${spanLine(s)}${annotate?.(s) ?? ''}`)) return;
    const entries = groupSiblings(trace, s.children);
    const inner = prefix + (last ? '   ' : '│  ');
    entries.forEach((e, i) => {
      const lastChild = i === entries.length - 1;
      if (e.type === 'span') walk(e.idx, inner, lastChild);
      else push(`${indent}${inner}${lastChild ? '└─ ' : '├─ '}${groupLine(trace, e)}${annotateGroup?.(e) ?? ''}`);
    });
  };
  trace.roots.forEach((r, i) => walk(r, '', i === trace.roots.length - 1));
  if (full) lines.push(`${indent}… the tree stops here (${lines.length - 1} lines); ${trace.spans.length} spans in all`);
  return { text: lines.join('\n'), complete: !full };
}
