/**
 * @module analysis/hints
 * Patterns worth a look, found per parent span from the shape of its children:
 *  - n+1: 5 or more calls of the same operation (same service, name and statement), one
 *    after another;
 *  - sequential: 2 or more client calls to different operations that never overlap and
 *    together take at least 20% of the parent: they might run in parallel;
 *  - retries: 3 or more calls of the same operation where all but possibly the last
 *    failed;
 *  - gap: time inside a span with children where none of them runs, at least 100 ms,
 *    or 40% of the span and at least 10 ms: uninstrumented work.
 */
import { humanDuration } from './format.ts';
import type { TreeSpan, TraceTree } from './trace.ts';

export type HintKind = 'n+1' | 'sequential' | 'retries' | 'gap';

export interface Hint {
  readonly kind: HintKind;
  /** The parent span the pattern is found under. */
  readonly parent: number;
  /** The spans that make it up (for a gap: none). */
  readonly spans: number[];
  readonly text: string;
  /** For a gap: where, ns from the trace start. */
  readonly at?: [number, number];
}

const MS = 1e6;

const statement = (s: TreeSpan): string => String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? '');
const opOf = (s: TreeSpan): string => `${s.service}\u0000${s.name}\u0000${statement(s)}`;
const target = (s: TreeSpan): string =>
  String(s.attributes['peer.service'] ?? s.attributes['server.address'] ?? s.attributes['db.system'] ?? '') + '\u0000' + s.name;

/** Children of one parent, overlapping less than 10% with their predecessor. */
function sequential(kids: TreeSpan[]): boolean {
  for (let i = 1; i < kids.length; i++) {
    const overlap = kids[i - 1].end - kids[i].start;
    if (overlap > 0.1 * Math.min(kids[i].dur, kids[i - 1].dur)) return false;
  }
  return true;
}

export function findHints(trace: TraceTree): Hint[] {
  const hints: Hint[] = [];
  const spans = trace.spans;
  for (const p of spans) {
    if (p.children.length === 0) continue;
    const kids = p.children.map((c) => spans[c]);

    const byOp = new Map<string, TreeSpan[]>();
    for (const k of kids) {
      const list = byOp.get(opOf(k));
      if (list === undefined) byOp.set(opOf(k), [k]);
      else list.push(k);
    }
    for (const list of byOp.values()) {
      if (list.length < 3) continue;
      const failed = list.filter((k) => k.status === 'error').length;
      if (failed >= list.length - 1 && failed >= 2) {
        hints.push({
          kind: 'retries',
          parent: p.idx,
          spans: list.map((k) => k.idx),
          text: `${list.length} attempts of ${list[0].name}, ${failed} failed`,
        });
      } else if (list.length >= 5 && sequential(list)) {
        const total = list.reduce((n, k) => n + k.dur, 0);
        hints.push({
          kind: 'n+1',
          parent: p.idx,
          spans: list.map((k) => k.idx),
          text: `${list.length}× ${list[0].name} one after another (${humanDuration(total)}): batch them into one call`,
        });
      }
    }

    const clients = kids.filter((k) => k.kind === 'client' || k.kind === 'producer');
    const distinct = new Map<string, TreeSpan>();
    for (const k of clients) if (!distinct.has(target(k))) distinct.set(target(k), k);
    if (distinct.size >= 2) {
      const calls = [...distinct.values()].sort((a, b) => a.start - b.start);
      const total = calls.reduce((n, k) => n + k.dur, 0);
      if (sequential(calls) && total >= 0.2 * p.dur && total > 0) {
        hints.push({
          kind: 'sequential',
          parent: p.idx,
          spans: calls.map((k) => k.idx),
          text: `${calls.length} calls to different services run one after another (${humanDuration(total)}); could they run in parallel?`,
        });
      }
    }

    // Uninstrumented time: the longest stretch inside the parent with no child running.
    const iv = kids.map((k) => [Math.max(k.start, p.start), Math.min(k.end, p.end)] as const).sort((a, b) => a[0] - b[0]);
    let reach = p.start;
    let best: [number, number] = [0, 0];
    for (const [a, b] of iv) {
      if (a - reach > best[1] - best[0]) best = [reach, a];
      reach = Math.max(reach, b);
    }
    if (p.end - reach > best[1] - best[0]) best = [reach, p.end];
    const gap = best[1] - best[0];
    if (gap >= 100 * MS || (gap >= 10 * MS && gap >= 0.4 * p.dur)) {
      hints.push({ kind: 'gap', parent: p.idx, spans: [], at: best, text: `${humanDuration(gap)} inside ${p.name} with no child span: uninstrumented work?` });
    }
  }
  return hints;
}

/** Hints by the spans they mark (the parent and its members). */
export function hintsBySpan(hints: readonly Hint[]): Map<number, Hint[]> {
  const out = new Map<number, Hint[]>();
  const put = (idx: number, h: Hint): void => {
    const list = out.get(idx);
    if (list === undefined) out.set(idx, [h]);
    else if (!list.includes(h)) list.push(h);
  };
  for (const h of hints) {
    put(h.parent, h);
    for (const s of h.spans) put(s, h);
  }
  return out;
}
