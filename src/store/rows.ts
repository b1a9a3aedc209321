/**
 * What the store writes: spans as rows, already decoded and indexed by the stage before
 * it, packed so that a batch crosses a thread boundary as a handful of transferable
 * buffers rather than thousands of objects (structured-cloning one object per span cost
 * more than decoding the span). The store never reads OTLP itself.
 *
 * One SpanRows holds one slice of an export request: its bytes (`buf`) hold each
 * referenced Resource, InstrumentationScope and Span message and the span ids, copied
 * out of the request; `cols` and `times` describe each span by offsets into `buf`.
 */
import type { TagObservation } from './tags.ts';
import { clampInt64, PackedRowsBuilder, termsAt, type MessageRef, type ResourceRef } from './packed-rows.ts';

export type { MessageRef, ResourceRef };

export type { TagObservation };

/** Int32 columns per span in SpanRows.cols. */
export const COL_RAW_START = 0;
export const COL_RAW_END = 1;
/** 16 bytes at this offset of buf. */
export const COL_TRACE_ID = 2;
/** 8 bytes. */
export const COL_SPAN_ID = 3;
/** 8 bytes, or -1 for a root span. */
export const COL_PARENT_ID = 4;
/** Index into SpanRows.resources / scopes / names. */
export const COL_RESOURCE = 5;
export const COL_SCOPE = 6;
export const COL_NAME = 7;
/** OTLP SpanKind and StatusCode numbers. */
export const COL_KIND = 8;
export const COL_STATUS = 9;
/** End of the span's FTS terms in SpanRows.terms (the start is the previous span's end). */
export const COL_TERMS_END = 10;
export const COLS = 11;

/** Int64 values per span in SpanRows.times: start, end and duration in ns, clamped to int64. */
export const TIME_START = 0;
export const TIME_END = 1;
export const TIME_DURATION = 2;
export const TIMES = 3;

export interface SpanRows {
  readonly buf: Uint8Array;
  readonly count: number;
  readonly cols: Int32Array;
  readonly times: BigInt64Array;
  readonly names: string[];
  readonly resources: ResourceRef[];
  readonly scopes: MessageRef[];
  /** Every span's terms as ASCII bytes, space-separated; see COL_TERMS_END. */
  readonly terms: Uint8Array;
  readonly tags: TagObservation[];
}

/** The buffers to list as transferables when posting rows (span or log rows) to another thread. */
export function transferables(rows: { readonly buf: Uint8Array; readonly cols: Int32Array; readonly times: BigInt64Array; readonly terms: Uint8Array }): ArrayBuffer[] {
  return [rows.buf.buffer as ArrayBuffer, rows.cols.buffer as ArrayBuffer, rows.times.buffer as ArrayBuffer, rows.terms.buffer as ArrayBuffer];
}

export interface SpanInput {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  /** Empty for a root span. */
  readonly parentSpanId: Uint8Array;
  readonly name: string;
  readonly kind: number;
  readonly status: number;
  /** As sent (fixed64 on the wire, so possibly beyond int64). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly raw: Uint8Array;
}

/**
 * Builds one SpanRows. Sizes are hints; everything grows as needed. Span bytes are
 * copied once, into a buffer that the result owns alone and can therefore transfer.
 */
export class SpanRowsBuilder extends PackedRowsBuilder {
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly tags: TagObservation[] = [];

  constructor(spans = 64, bytes = 64 * 1024) {
    super(spans, bytes, COLS, TIMES);
  }

  get spans(): number {
    return this.count;
  }

  /** Adds a span whose terms were just written to `this.terms`. */
  span(s: SpanInput, resource: number, scope: number): void {
    const c = this.nextRow();
    let name = this.nameIndex.get(s.name);
    if (name === undefined) {
      name = this.names.push(s.name) - 1;
      this.nameIndex.set(s.name, name);
    }
    const cols = this.cols;
    cols[c + COL_RAW_START] = this.put(s.raw);
    cols[c + COL_RAW_END] = this.len;
    cols[c + COL_TRACE_ID] = this.put(s.traceId);
    cols[c + COL_SPAN_ID] = this.put(s.spanId);
    cols[c + COL_PARENT_ID] = s.parentSpanId.length === 0 ? -1 : this.put(s.parentSpanId);
    cols[c + COL_RESOURCE] = resource;
    cols[c + COL_SCOPE] = scope;
    cols[c + COL_NAME] = name;
    cols[c + COL_KIND] = s.kind;
    cols[c + COL_STATUS] = s.status;
    cols[c + COL_TERMS_END] = this.terms.len;
    const t = this.count * TIMES;
    this.times[t + TIME_START] = clampInt64(s.startNs);
    this.times[t + TIME_END] = clampInt64(s.endNs);
    this.times[t + TIME_DURATION] = clampInt64(s.endNs - s.startNs);
    this.count++;
  }

  tag(observation: TagObservation): void {
    this.tags.push(observation);
  }

  finish(): SpanRows {
    return { ...this.packed(), names: this.names, tags: this.tags };
  }
}

/** The terms of span `i` (a slice of rows.terms). */
export function spanTermsAt(rows: SpanRows, i: number): Uint8Array {
  return termsAt(rows, i, COLS, COL_TERMS_END);
}
