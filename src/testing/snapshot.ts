/**
 * Trace snapshots: a trace reduced to what should stay stable between runs (its tree
 * of service / span name / kind / status, an allow-list of attributes, optionally
 * durations in coarse buckets; never ids or times), kept as readable YAML beside the
 * test and compared with a line diff. Set TRACEBOX_UPDATE_SNAPSHOTS=1 (or pass
 * `update: true`) to rewrite them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FlatValue } from '../query/index.ts';
import type { SpanNode, Trace } from './client.ts';

export interface SnapshotOptions {
  /** Attribute keys to keep (span attributes first, then resource attributes). */
  attributes?: readonly string[];
  /** Record each span's duration as a bucket (`<1ms`, `1ms-10ms`, … `>10s`). */
  durations?: boolean;
  /** Rewrite the file instead of comparing (default: TRACEBOX_UPDATE_SNAPSHOTS=1). */
  update?: boolean;
}

export interface SnapshotResult {
  readonly pass: boolean;
  readonly message: string;
}

const BUCKETS: ReadonlyArray<[number, string]> = [
  [1, '<1ms'],
  [10, '1ms-10ms'],
  [100, '10ms-100ms'],
  [1000, '100ms-1s'],
  [10_000, '1s-10s'],
];

function bucket(ms: number): string {
  for (const [limit, name] of BUCKETS) if (ms < limit) return name;
  return '>10s';
}

interface Shape {
  span: string;
  status?: string;
  duration?: string;
  attributes?: Record<string, FlatValue>;
  children?: Shape[];
}

function shape(node: SpanNode, options: SnapshotOptions): Shape {
  const out: Shape = { span: `${node.service}: ${node.name} [${node.kind}]` };
  if (node.status !== 'unset') out.status = node.status;
  if (options.durations) out.duration = bucket(node.durationMs);
  const attrs: Record<string, FlatValue> = {};
  for (const key of options.attributes ?? []) {
    const v = key in node.attributes ? node.attributes[key] : node.resource[key];
    if (v !== undefined) attrs[key] = v;
  }
  if (Object.keys(attrs).length > 0) out.attributes = attrs;
  // Siblings that ran concurrently arrive in any order; sort by what is compared.
  const children = node.children
    .map((c) => {
      const s = shape(c, options);
      return { s, key: serialize([s]) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((c) => c.s);
  if (children.length > 0) out.children = children;
  return out;
}

function scalar(v: FlatValue): string {
  if (typeof v === 'string') return /^[\w./:@<>{} -]+$/.test(v) && !/^(true|false|null|[\d.+-]+)$/.test(v) && v.trim() === v ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
  return String(v);
}

/** A small YAML writer for the snapshot shape: stable, diff-friendly, readable. */
function serialize(shapes: readonly Shape[], indent = ''): string {
  let out = '';
  for (const s of shapes) {
    out += `${indent}- span: ${scalar(s.span)}\n`;
    const inner = indent + '  ';
    if (s.status !== undefined) out += `${inner}status: ${s.status}\n`;
    if (s.duration !== undefined) out += `${inner}duration: ${scalar(s.duration)}\n`;
    if (s.attributes !== undefined) {
      out += `${inner}attributes:\n`;
      for (const [k, v] of Object.entries(s.attributes)) out += `${inner}  ${scalar(k)}: ${scalar(v)}\n`;
    }
    if (s.children !== undefined) out += `${inner}children:\n${serialize(s.children, inner)}`;
  }
  return out;
}

/** The snapshot text of a trace. */
export function traceSnapshot(trace: Trace, options: SnapshotOptions = {}): string {
  return `# tracebox trace snapshot\n${serialize(trace.roots.map((r) => shape(r, options)))}`;
}

/** Context lines shown around each change in a snapshot diff. */
const CONTEXT = 3;

/**
 * The lines that differ, `-` from the snapshot before `+` from this run, each change
 * with CONTEXT lines around it and `…` between separate changes.
 */
function diff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // Longest common subsequence: snapshot files are small.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const lines: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push([' ', a[i++]]);
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) lines.push(['-', a[i++]]);
    else lines.push(['+', b[j++]]);
  }
  const near = lines.map((_, k) => lines.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some(([m]) => m !== ' '));
  const out: string[] = [];
  lines.forEach(([m, text], k) => {
    if (near[k]) out.push(`${m} ${text}`);
    else if (near[k - 1]) out.push('  …');
  });
  return out.join('\n');
}

/**
 * The stored file's text to compare with, or the result when there is nothing to compare:
 * the file is (re)written when updating, or created when missing outside CI. `what` names
 * the kind of file in messages ("trace snapshot", "trace baseline").
 */
export function storedOrWritten(file: string, actual: string, what: string, update = process.env.TRACEBOX_UPDATE_SNAPSHOTS === '1'): { expected: string } | { result: SnapshotResult } {
  const exists = fs.existsSync(file);
  if (update || !exists) {
    if (!exists && !update && process.env.CI) {
      return { result: { pass: false, message: `${what} ${file} is missing (not written in CI); run the test locally to create it` } };
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return { result: { pass: true, message: `${what} ${file} written` } };
  }
  return { expected: fs.readFileSync(file, 'utf8') };
}

/** Compares `trace` with the snapshot in `file` (created when missing, outside CI). */
export function checkTraceSnapshot(trace: Trace, file: string, options: SnapshotOptions = {}): SnapshotResult {
  const actual = traceSnapshot(trace, options);
  const stored = storedOrWritten(file, actual, 'trace snapshot', options.update);
  if ('result' in stored) return stored.result;
  const { expected } = stored;
  if (expected === actual) return { pass: true, message: `trace matches snapshot ${file}` };
  return {
    pass: false,
    message: `trace does not match snapshot ${file} (- snapshot, + this run; TRACEBOX_UPDATE_SNAPSHOTS=1 rewrites it):\n${diff(expected, actual)}`,
  };
}

/** Throws with a readable diff when the trace does not match its snapshot. */
export function assertTraceSnapshot(trace: Trace, file: string, options: SnapshotOptions = {}): void {
  const result = checkTraceSnapshot(trace, file, options);
  if (!result.pass) throw new Error(result.message);
}

/**
 * A matcher for Jest's and Vitest's `expect.extend()`:
 * `expect.extend(traceMatchers); expect(trace).toMatchTraceSnapshot(file, options)`.
 */
export const traceMatchers = {
  toMatchTraceSnapshot(received: Trace, file: string, options?: SnapshotOptions): { pass: boolean; message: () => string } {
    const { pass, message } = checkTraceSnapshot(received, file, options);
    return { pass, message: () => message };
  },
};
