/**
 * @module analysis/fail-on
 * Thresholds that turn a diff into a verdict (`tracebox diff --fail-on`, baseline files):
 *
 *   p95>+20%    an operation's p95 grew by more than 20% (p50 alike)
 *   p95>+5ms    … by more than 5 ms
 *   calls>+0    an operation's calls per trace grew (a new operation counts from 0)
 *   calls>+50%  … by more than half
 *   errors>+0   an operation has more error spans
 *   new-errors  an operation fails with a message it did not fail with before
 *
 * Duration rules see only changes beyond the noise bound (run-compare.ts).
 */
import { parseDuration } from '../traceql/index.ts';
import { humanDuration } from './format.ts';
import type { OperationChange, RunDiff } from './run-compare.ts';

export type FailRule =
  | { readonly text: string; readonly metric: 'p50' | 'p95'; readonly unit: '%' | 'ns'; readonly amount: number }
  | { readonly text: string; readonly metric: 'calls' | 'errors'; readonly unit: '%' | 'count'; readonly amount: number }
  | { readonly text: string; readonly metric: 'new-errors' };

export const FAIL_ON_HELP = "p50>+N% | p95>+N% | p50>+5ms | p95>+5ms | calls>+N | calls>+N% | errors>+N | new-errors";

/** Parses one rule; throws an Error saying what was expected. */
export function parseFailOn(text: string): FailRule {
  const t = text.replace(/\s+/g, '');
  if (t === 'new-errors') return { text: t, metric: 'new-errors' };
  const m = /^(p50|p95|calls|errors)>\+?(.+)$/.exec(t);
  if (m === null) throw new Error(`--fail-on: cannot read "${text}"; expected one of ${FAIL_ON_HELP}`);
  const metric = m[1] as 'p50' | 'p95' | 'calls' | 'errors';
  const value = m[2];
  if (value.endsWith('%')) {
    const amount = Number(value.slice(0, -1));
    if (value === '%' || !Number.isFinite(amount) || amount < 0) throw new Error(`--fail-on: "${text}": expected a percentage such as +20%`);
    return { text: t, metric, unit: '%', amount };
  }
  if (metric === 'p50' || metric === 'p95') {
    const ns = parseDuration(value);
    if (ns === null || ns < 0) throw new Error(`--fail-on: "${text}": expected a percentage (+20%) or a duration (+5ms)`);
    return { text: t, metric, unit: 'ns', amount: ns };
  }
  const amount = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`--fail-on: "${text}": expected a number (+0) or a percentage (+50%)`);
  return { text: t, metric, unit: 'count', amount };
}

const pctOf = (a: number, b: number): number => (a === 0 ? (b > 0 ? Infinity : 0) : ((b - a) / a) * 100);
const pctText = (pct: number): string => (pct === Infinity ? 'new' : `${pct >= 0 ? '+' : ''}${Math.round(pct)}%`);

/** The breach of `rule` by one operation's change, as one line, or undefined. */
function breach(rule: FailRule, c: OperationChange): string | undefined {
  const who = `${c.service}: ${c.label}`;
  switch (rule.metric) {
    case 'new-errors': {
      const fresh = c.errors?.newMessages ?? [];
      if (fresh.length === 0 || (c.errors?.b ?? 0) === 0) return undefined;
      return `${who} fails with ${fresh.map((m) => (m === '' ? '(no message)' : JSON.stringify(m))).join(', ')}`;
    }
    case 'p50':
    case 'p95': {
      const d = c[rule.metric];
      if (d === undefined) return undefined;
      const over = rule.unit === '%' ? d.pct > rule.amount : d.deltaNs > rule.amount;
      return over ? `${who} ${rule.metric} ${humanDuration(d.aNs)} → ${humanDuration(d.bNs)} (${pctText(d.pct)})` : undefined;
    }
    case 'calls': {
      if (c.calls === undefined) return undefined;
      const over = rule.unit === '%' ? pctOf(c.calls.a, c.calls.b) > rule.amount : c.calls.delta > rule.amount;
      return over ? `${who} ${c.calls.a} → ${c.calls.b} calls per trace` : undefined;
    }
    case 'errors': {
      if (c.errors === undefined) return undefined;
      const over = rule.unit === '%' ? pctOf(c.errors.a, c.errors.b) > rule.amount : c.errors.b - c.errors.a > rule.amount;
      return over ? `${who} ${c.errors.a} → ${c.errors.b} errors` : undefined;
    }
  }
}

/** Every breach of every rule, "rule: what" per line; empty when the diff passes. */
export function failures(diff: RunDiff, rules: readonly FailRule[]): string[] {
  const out: string[] = [];
  for (const rule of rules) for (const c of diff.operations) {
    const line = breach(rule, c);
    if (line !== undefined) out.push(`${rule.text}: ${line}`);
  }
  return out;
}
