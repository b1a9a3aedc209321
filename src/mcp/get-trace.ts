/**
 * get_trace: one trace as formatTree's indented text, each span's line followed by its
 * key attributes, then every error with its message and exception events.
 */
import * as z from 'zod';
import type { FlatValue } from '../query/index.ts';
import type { StoreReader } from '../store/index.ts';
import type { Span, SpanNode, Trace } from '../testing/client.ts';
import { formatTree } from '../testing/tree.ts';
import { clip, isoTime, loadTrace } from './common.ts';

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

function value(v: FlatValue): string {
  return typeof v === 'string' ? JSON.stringify(clip(v, 100)) : clip(JSON.stringify(v), 100);
}

function attributeText(span: Span, all: boolean): string {
  const keys = all ? Object.keys(span.attributes) : KEY_ATTRIBUTES.filter((k) => k in span.attributes);
  return keys.map((k) => `${k}=${value(span.attributes[k])}`).join(' ');
}

/** The spans in the order formatTree draws them: roots as given, children by start time. */
function drawOrder(trace: Trace): SpanNode[] {
  const out: SpanNode[] = [];
  const walk = (node: SpanNode): void => {
    out.push(node);
    [...node.children].sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : 1)).forEach(walk);
  };
  trace.roots.forEach(walk);
  return out;
}

/** formatTree's text with each span's attributes (and id) appended to its own line. */
export function annotatedTree(trace: Trace, all = false): string {
  const lines = formatTree(trace).split('\n');
  const order = drawOrder(trace);
  for (let i = 1; i < lines.length && i - 1 < order.length; i++) {
    const span = order[i - 1];
    // Only a line that is this span's (formatTree may stop early with a "… N spans" line).
    if (!lines[i].includes(`${span.service}: ${span.name} [${span.kind}]`)) break;
    const attrs = attributeText(span, all);
    lines[i] += `  #${span.spanId}${attrs === '' ? '' : `  ${attrs}`}`;
  }
  return lines.join('\n');
}

function errorLines(trace: Trace): string[] {
  const lines: string[] = [];
  for (const s of trace.spans) {
    const exceptions = s.events.filter((e) => e.name === 'exception');
    if (s.status !== 'error' && exceptions.length === 0) continue;
    const status = s.status === 'error' ? `status error${s.statusMessage ? `: ${clip(s.statusMessage, 300)}` : ''}` : `status ${s.status}`;
    lines.push(`- ${s.service}: ${s.name} #${s.spanId} — ${status}`);
    for (const e of exceptions) {
      const type = e.attributes['exception.type'];
      const message = e.attributes['exception.message'];
      lines.push(`  exception ${type === undefined ? '' : String(type)}${message === undefined ? '' : `: ${clip(String(message), 300)}`}`);
      const stack = e.attributes['exception.stacktrace'];
      if (typeof stack === 'string') {
        for (const frame of stack.split('\n').slice(1, 4)) if (frame.trim() !== '') lines.push(`    ${clip(frame.trim(), 160)}`);
      }
    }
  }
  return lines;
}

export function getTrace(store: StoreReader, args: GetTraceArgs): string {
  const trace = loadTrace(store, args.traceId);
  const services = [...new Set(trace.spans.map((s) => s.service))];
  const out = [
    annotatedTree(trace, args.allAttributes ?? false),
    `started ${isoTime(trace.startTimeNs)}; services: ${services.join(', ')}`,
  ];
  const errors = errorLines(trace);
  out.push(errors.length === 0 ? 'No errors.' : `Errors (${trace.spans.filter((s) => s.status === 'error').length} span(s) with error status):`, ...errors);
  return out.join('\n');
}
