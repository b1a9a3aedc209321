/**
 * What the MCP tools share: answers (text for the model, the same facts as structured
 * content for programs, both bounded), errors as tool errors, time arguments, loading a
 * trace by id as the analysis module's tree, and short number formats.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { buildTrace, type TraceTree } from '../analysis/index.ts';
import { createTraceLoader, traceJson } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { parseTraceId } from '../shared/ids.ts';
import type { StoreReader } from '../store/index.ts';
import { parseDuration } from '../traceql/index.ts';

/**
 * Most characters of a tool's text. An agent pays for every token of an answer, and a
 * 600-span trace or 100 search hits must not flood its context: past this the text says
 * what it left out and how to ask for less.
 */
export const TEXT_BUDGET = 4000;

/** A tool's answer: the text an agent reads and the same facts as structured content. */
export interface Answer<S extends Record<string, unknown>> {
  readonly text: string;
  readonly structured: S;
}

/** Lines joined until the budget is reached; false when a line did not fit. */
export class BoundedText {
  private readonly lines: string[] = [];
  private size = 0;
  full = false;

  constructor(private readonly budget: number = TEXT_BUDGET) {}

  /** Adds the line when it fits (always the first); returns whether it did. */
  add(line: string): boolean {
    if (this.full) return false;
    if (this.lines.length > 0 && this.size + line.length + 1 > this.budget) {
      this.full = true;
      return false;
    }
    this.lines.push(line);
    this.size += line.length + 1;
    return true;
  }

  /** Adds the line whatever the budget (the notes saying what was left out). */
  force(line: string): void {
    this.lines.push(line);
    this.size += line.length + 1;
  }

  get length(): number {
    return this.size;
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/**
 * Runs a tool body; a BadRequestError (bad TraceQL, unknown trace, bad time) becomes a
 * tool error carrying its message, anything else a logged tool error, never a crash.
 */
export function guarded<A, S extends Record<string, unknown>>(log: (line: string) => void, name: string, body: (args: A) => Answer<S>): (args: A) => CallToolResult {
  return (args) => {
    try {
      const answer = body(args);
      return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.structured };
    } catch (err) {
      const e = err as Error;
      if (!(err instanceof BadRequestError)) log(`mcp: ${name}: ${e.stack ?? e.message}`);
      return { isError: true, content: [{ type: 'text', text: err instanceof BadRequestError ? e.message : `internal error: ${e.message}` }] };
    }
  };
}

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

/** ns → ms with µs precision, for structured content. */
export function ms(ns: bigint | number): number {
  return Math.round(Number(ns) / 1e3) / 1e3;
}

export function percent(part: bigint | number, whole: bigint | number): string {
  const w = Number(whole);
  return w <= 0 ? '0%' : `${Math.round((Number(part) / w) * 100)}%`;
}

/** A stored trace by its hex id, as the analysis module's tree. */
export function loadTrace(store: StoreReader, id: string): TraceTree {
  const rowid = store.search.rowidOf(parseTraceId(id.trim()));
  const loaded = rowid === undefined ? undefined : createTraceLoader(store.search)(rowid);
  if (loaded === undefined) throw new BadRequestError(`trace ${id} not found`);
  return buildTrace(traceJson(loaded.trace));
}

export function clip(s: string, max = 120): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
