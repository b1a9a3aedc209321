/**
 * What the MCP tools share: tool results, errors as tool errors, time arguments, loading
 * a trace by id as the test client's tree, and short number formats.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseTraceId } from '../api/params.ts';
import { createTraceLoader, traceJson } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader } from '../store/index.ts';
import { toTrace, type Trace } from '../testing/client.ts';
import { parseDuration } from '../traceql/duration.ts';

export function text(body: string): CallToolResult {
  return { content: [{ type: 'text', text: body }] };
}

/**
 * Runs a tool body; a BadRequestError (bad TraceQL, unknown trace, bad time) becomes a
 * tool error carrying its message, anything else a logged tool error, never a crash.
 */
export function guarded<A>(log: (line: string) => void, name: string, body: (args: A) => string): (args: A) => CallToolResult {
  return (args) => {
    try {
      return text(body(args));
    } catch (err) {
      const e = err as Error;
      if (!(err instanceof BadRequestError)) log(`mcp: ${name}: ${e.stack ?? e.message}`);
      return { isError: true, content: [{ type: 'text', text: err instanceof BadRequestError ? e.message : `internal error: ${e.message}` }] };
    }
  };
}

const NS_PER_S = 1_000_000_000n;

/**
 * A time argument as unix ns: a number of unix seconds, a numeric string, an ISO 8601
 * timestamp, or a duration such as "15m" meaning that long before now.
 */
export function parseTime(value: number | string, name: string, nowNs: bigint): bigint {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new BadRequestError(`"${name}" must be unix seconds, an ISO 8601 time or a duration ago like "1h"`);
    return unixNs(value);
  }
  const t = value.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return unixNs(Number(t));
  const ago = parseDuration(t);
  if (ago !== null && ago >= 0) return nowNs - BigInt(Math.round(ago));
  const ms = Date.parse(t);
  if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n;
  throw new BadRequestError(`"${name}": cannot read "${value}" as unix seconds, an ISO 8601 time or a duration ago like "1h"`);
}

/** Unix seconds; a value past the year 5000 as seconds is taken as milliseconds, a common slip. */
function unixNs(n: number): bigint {
  return n >= 1e11 ? BigInt(Math.round(n * 1e6)) : BigInt(Math.round(n * 1e9));
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export function isoTime(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

export function seconds(ns: bigint): number {
  return Number(ns) / Number(NS_PER_S);
}

/** 0.42ms, 12.5ms, 340ms, 2.31s */
export function dur(ns: bigint | number): string {
  const v = Number(ns) / 1e6;
  if (v >= 1000) return `${Number((v / 1000).toFixed(2))}s`;
  if (v >= 100) return `${Math.round(v)}ms`;
  return `${Number(v.toFixed(2))}ms`;
}

export function percent(part: bigint | number, whole: bigint | number): string {
  const w = Number(whole);
  return w <= 0 ? '0%' : `${Math.round((Number(part) / w) * 100)}%`;
}

/** A stored trace by its hex id, as the test client's tree (spans, roots, children). */
export function loadTrace(store: StoreReader, id: string): Trace {
  const rowid = store.search.rowidOf(parseTraceId(id.trim()));
  const loaded = rowid === undefined ? undefined : createTraceLoader(store.search)(rowid);
  if (loaded === undefined) throw new BadRequestError(`trace ${id} not found`);
  return toTrace(traceJson(loaded.trace));
}

export function clip(s: string, max = 120): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
