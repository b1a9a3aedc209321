/** A trace drawn as a short text tree, for failure messages and the command line. */
import { buildTrace, textTree } from '../analysis/index.ts';
import { toTraceJson, type Trace } from './trace.ts';

/** The trace as lines of `service: name [kind] duration`, repeated siblings gathered, at most 40 lines. */
export function formatTree(trace: Trace, indent = ''): string {
  return textTree(buildTrace(toTraceJson(trace)), { indent }).text;
}
