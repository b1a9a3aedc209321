/**
 * get_trace: one trace as an indented tree (repeated siblings gathered into one line),
 * each span's line followed by its id and key attributes, then its errors gathered by
 * operation and message, with their exception events.
 */
import * as z from 'zod';
import { operationStats, textTree, traceRed, type TraceTree, type TreeSpan } from '../analysis/index.ts';
import type { FlatValue } from '../query/index.ts';
import type { StoreReader } from '../store/index.ts';
import { BoundedText, clip, isoTime, loadTrace, ms, TEXT_BUDGET, type Answer } from './common.ts';

export const traceIdArg = z.string().describe('The trace id: 32 hex characters (shorter ids are left-padded with zeros, as in Tempo).');

export const getTraceInput = {
  traceId: traceIdArg,
  allAttributes: z.boolean().optional().describe('Show every span attribute instead of the well-known ones (HTTP, RPC, DB, messaging). Default false.'),
};

export interface GetTraceArgs {
  traceId: string;
  allAttributes?: boolean;
}

/** Attributes an agent needs to tell spans apart, in OpenTelemetry's old and new conventions. */
const KEY_ATTRIBUTES = [
  'http.request.method', 'http.method', 'http.route', 'url.path', 'url.full', 'http.target', 'http.url',
  'http.response.status_code', 'http.status_code',
  'rpc.system', 'rpc.service', 'rpc.method', 'rpc.grpc.status_code',
  'db.system', 'db.system.name', 'db.namespace', 'db.name', 'db.operation.name', 'db.operation', 'db.collection.name', 'db.query.text', 'db.statement',
  'messaging.system', 'messaging.operation', 'messaging.operation.type', 'messaging.destination.name',
  'server.address', 'server.port', 'peer.service', 'net.peer.name',
  'error.type', 'exception.type',
];

/** Most lines of the tree; the characters are bounded too (TREE_CHARS). */
const TREE_LINES = 60;
const TREE_CHARS = Math.floor(TEXT_BUDGET * 0.7);
/** Error kinds (operation and message) listed; operations in the structured answer. */
const ERROR_KINDS = 5;
const OPERATIONS = 20;

function value(v: FlatValue): string {
  return typeof v === 'string' ? JSON.stringify(clip(v, 100)) : clip(JSON.stringify(v), 100);
}

function attributeText(span: TreeSpan, all: boolean): string {
  const keys = all ? Object.keys(span.attributes) : KEY_ATTRIBUTES.filter((k) => k in span.attributes);
  return keys.map((k) => `${k}=${value(span.attributes[k])}`).join(' ');
}

/** The tree with each span's id and attributes on its line, and the first span of a group named. */
export function annotatedTree(trace: TraceTree, all = false): { text: string; complete: boolean } {
  return textTree(trace, {
    maxLines: TREE_LINES,
    maxChars: TREE_CHARS,
    annotate: (s) => {
      const attrs = attributeText(s, all);
      return `  #${s.spanId}${attrs === '' ? '' : `  ${attrs}`}`;
    },
    annotateGroup: (g) => {
      const attrs = attributeText(trace.spans[g.spans[0]], all);
      return `  slowest #${trace.spans[g.slowest].spanId}${attrs === '' ? '' : `  first: ${attrs}`}`;
    },
  });
}

interface ErrorKind {
  service: string;
  name: string;
  message: string;
  count: number;
  /** The first such span. */
  span: TreeSpan;
}

/** Spans with error status or exception events, gathered by operation and message. */
function errorKinds(trace: TraceTree): ErrorKind[] {
  const kinds = new Map<string, ErrorKind>();
  for (const s of trace.spans) {
    const exception = s.events.find((e) => e.name === 'exception');
    if (s.status !== 'error' && exception === undefined) continue;
    const message = s.statusMessage || String(exception?.attributes['exception.message'] ?? '');
    const key = `${s.service}\u0000${s.name}\u0000${message}`;
    const k = kinds.get(key);
    if (k === undefined) kinds.set(key, { service: s.service, name: s.name, message, count: 1, span: s });
    else k.count++;
  }
  return [...kinds.values()].sort((a, b) => b.count - a.count);
}

function errorLines(kind: ErrorKind): string[] {
  const s = kind.span;
  const status = s.status === 'error' ? `status error${s.statusMessage ? `: ${clip(s.statusMessage, 300)}` : ''}` : `status ${s.status}`;
  const times = kind.count > 1 ? `${kind.count}× ` : '';
  const lines = [`- ${times}${s.service}: ${s.name} #${s.spanId}${kind.count > 1 ? ' (the first)' : ''} — ${status}`];
  for (const e of s.events.filter((ev) => ev.name === 'exception').slice(0, 2)) {
    const type = e.attributes['exception.type'];
    const message = e.attributes['exception.message'];
    lines.push(`  exception ${type === undefined ? '' : String(type)}${message === undefined ? '' : `: ${clip(String(message), 300)}`}`);
    const stack = e.attributes['exception.stacktrace'];
    if (typeof stack === 'string') {
      for (const frame of stack.split('\n').slice(1, 4)) if (frame.trim() !== '') lines.push(`    ${clip(frame.trim(), 160)}`);
    }
  }
  return lines;
}

export const getTraceOutput = {
  traceId: z.string(),
  rootService: z.string(),
  rootName: z.string(),
  durationMs: z.number(),
  start: z.string(),
  spanCount: z.number(),
  services: z.array(z.object({ service: z.string(), spans: z.number(), requests: z.number(), errors: z.number() })),
  operations: z
    .array(z.object({ service: z.string(), name: z.string(), kind: z.string(), count: z.number(), errors: z.number(), totalMs: z.number(), selfMs: z.number() }))
    .describe(`Operations (service, span name, kind) with the most self time, at most ${OPERATIONS}.`),
  errors: z.array(z.object({ service: z.string(), name: z.string(), message: z.string(), count: z.number(), spanId: z.string() })),
  errorSpans: z.number(),
  treeComplete: z.boolean().describe('False when the tree in the text stopped at its size bound.'),
};

type GetTraceOutput = z.infer<z.ZodObject<typeof getTraceOutput>>;

export function getTrace(store: StoreReader, args: GetTraceArgs): Answer<GetTraceOutput> {
  const trace = loadTrace(store, args.traceId);
  const red = traceRed(trace);
  const tree = annotatedTree(trace, args.allAttributes ?? false);
  const out = new BoundedText();
  out.force(tree.text);
  out.force(`started ${isoTime(trace.startUnixNano)}; services: ${trace.services.join(', ')}`);
  const kinds = errorKinds(trace);
  const errorSpans = trace.spans.filter((s) => s.status === 'error').length;
  if (kinds.length === 0) out.force('No errors.');
  else {
    out.force(`Errors (${errorSpans} span(s) with error status):`);
    let listed = 0;
    for (const k of kinds.slice(0, ERROR_KINDS)) {
      if (!out.add(errorLines(k).join('\n'))) break;
      listed++;
    }
    if (listed < kinds.length) out.force(`… ${kinds.length - listed} more kind(s) of error not shown.`);
  }
  return {
    text: out.toString(),
    structured: {
      traceId: trace.traceId,
      rootService: trace.rootService,
      rootName: trace.rootName,
      durationMs: ms(trace.dur),
      start: isoTime(trace.startUnixNano),
      spanCount: trace.spans.length,
      services: red.map((r) => ({ service: r.service, spans: r.spans, requests: r.requests, errors: r.errorSpans })),
      operations: operationStats(trace)
        .slice(0, OPERATIONS)
        .map((o) => ({ service: o.service, name: clip(o.name, 200), kind: o.kind, count: o.count, errors: o.errors, totalMs: ms(o.totalNs), selfMs: ms(o.selfNs) })),
      errors: kinds.slice(0, ERROR_KINDS).map((k) => ({ service: k.service, name: clip(k.name, 200), message: clip(k.message, 300), count: k.count, spanId: k.span.spanId })),
      errorSpans,
      treeComplete: tree.complete,
    },
  };
}
