/**
 * A stored trace's raw spans with Zipkin's joined client/server halves apart (see
 * shared/joined-spans.ts), for Tempo's trace-by-id answers. Only the spans whose ids
 * change are re-encoded; every other byte is passed through as stored.
 */
import { bytesToHex, hexToBytes } from '../shared/ids.ts';
import { joinedSpanIds, type IdentifiedSpan, type ServedIds } from '../shared/joined-spans.ts';
import { ProtoReader, ProtoWriter } from '../shared/protowire.ts';
import type { RawResourceSpans } from './types.ts';
import { Span, SPAN } from './schema/index.ts';

const SPAN_ID = Span.field.spanId;
const PARENT_SPAN_ID = Span.field.parentSpanId;

function identify(span: Uint8Array): IdentifiedSpan {
  const r = new ProtoReader(span);
  let spanId = '';
  let parentId = '';
  let kind = 0;
  while (r.more()) {
    const tag = r.uint32();
    if (tag === SPAN.spanId) spanId = bytesToHex(r.bytes());
    else if (tag === SPAN.parentSpanId) parentId = bytesToHex(r.bytes());
    else if (tag === SPAN.kind) kind = r.uint32();
    else r.skip(tag & 7);
  }
  return { spanId, parentId, kind };
}

/** The span with its id and parent id replaced, its other fields copied as they were. */
function reencode(span: Uint8Array, ids: ServedIds): Uint8Array {
  const r = new ProtoReader(span);
  const w = new ProtoWriter(span.length + 24);
  const spanId = hexToBytes(ids.spanId) as Uint8Array;
  const parentId = hexToBytes(ids.parentId) as Uint8Array;
  let parentWritten = false;
  while (r.more()) {
    const start = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    r.skip(wire);
    // Fields in number order, as encoders write them: the parent goes before the first field past it.
    if (!parentWritten && field > PARENT_SPAN_ID) {
      w.bytesField(PARENT_SPAN_ID, parentId);
      parentWritten = true;
    }
    if (field === SPAN_ID) w.bytesField(SPAN_ID, spanId);
    else if (field === PARENT_SPAN_ID) {
      if (!parentWritten) w.bytesField(PARENT_SPAN_ID, parentId);
      parentWritten = true;
    } else w.raw(span.subarray(start, r.pos));
  }
  if (!parentWritten) w.bytesField(PARENT_SPAN_ID, parentId);
  return w.finish();
}

export function splitJoinedRawSpans(trace: readonly RawResourceSpans[]): readonly RawResourceSpans[] {
  const spans: IdentifiedSpan[] = [];
  for (const rs of trace) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push(identify(s));
  const served = joinedSpanIds(spans);
  if (served === undefined) return trace;
  let i = 0;
  return trace.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      ...ss,
      spans: ss.spans.map((s) => {
        const ids = served.get(i++);
        return ids === undefined ? s : reencode(s, ids);
      }),
    })),
  }));
}
