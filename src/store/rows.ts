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

export interface MessageRef {
  /** [start, end) of the message bytes in buf; start is -1 when the field was absent (stored as NULL). */
  readonly start: number;
  readonly end: number;
  readonly schemaUrl: string;
}

export interface ResourceRef extends MessageRef {
  /** service.name, '' when absent. */
  readonly service: string;
}

export interface SpanRows {
  readonly buf: Uint8Array;
  readonly count: number;
  readonly cols: Int32Array;
  readonly times: BigInt64Array;
  readonly names: string[];
  readonly resources: ResourceRef[];
  readonly scopes: MessageRef[];
  /** Every span's terms, space-separated within a span; see COL_TERMS_END. */
  readonly terms: string;
  readonly tags: TagObservation[];
}

/** The buffers to list as transferables when posting rows (span or log rows) to another thread. */
export function transferables(rows: { readonly buf: Uint8Array; readonly cols: Int32Array; readonly times: BigInt64Array }): ArrayBuffer[] {
  return [rows.buf.buffer as ArrayBuffer, rows.cols.buffer as ArrayBuffer, rows.times.buffer as ArrayBuffer];
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
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
export class SpanRowsBuilder {
  private buf: Uint8Array;
  private len = 0;
  private cols: Int32Array;
  private times: BigInt64Array;
  private count = 0;
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly resources: ResourceRef[] = [];
  private readonly scopes: MessageRef[] = [];
  private readonly termParts: string[] = [];
  private termsLength = 0;
  private readonly tags: TagObservation[] = [];

  constructor(spans = 64, bytes = 64 * 1024) {
    this.buf = new Uint8Array(Math.max(bytes, 1024));
    this.cols = new Int32Array(Math.max(spans, 8) * COLS);
    this.times = new BigInt64Array(Math.max(spans, 8) * TIMES);
  }

  get spans(): number {
    return this.count;
  }

  /** Copies `bytes` in; returns their offset. */
  private put(bytes: Uint8Array): number {
    const need = this.len + bytes.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    const at = this.len;
    this.len = need;
    return at;
  }

  private ref(raw: Uint8Array | null): [number, number] {
    if (raw === null) return [-1, -1];
    const start = this.put(raw);
    return [start, start + raw.length];
  }

  /** Adds a resource (null: the field was absent); returns its index for span(). */
  resource(raw: Uint8Array | null, schemaUrl: string, service: string): number {
    const [start, end] = this.ref(raw);
    return this.resources.push({ start, end, schemaUrl, service }) - 1;
  }

  /** Adds a scope (null: the field was absent); returns its index for span(). */
  scope(raw: Uint8Array | null, schemaUrl: string): number {
    const [start, end] = this.ref(raw);
    return this.scopes.push({ start, end, schemaUrl }) - 1;
  }

  span(s: SpanInput, resource: number, scope: number, terms: string): void {
    if ((this.count + 1) * COLS > this.cols.length) {
      const cols = new Int32Array(this.cols.length * 2);
      cols.set(this.cols);
      this.cols = cols;
      const times = new BigInt64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    let name = this.nameIndex.get(s.name);
    if (name === undefined) {
      name = this.names.push(s.name) - 1;
      this.nameIndex.set(s.name, name);
    }
    const c = this.count * COLS;
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
    if (this.termParts.length > 0) {
      this.termParts.push(' ');
      this.termsLength++;
    }
    this.termParts.push(terms);
    this.termsLength += terms.length;
    cols[c + COL_TERMS_END] = this.termsLength;
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
    // Views of buffers this builder alone owns: transferring them moves the spare
    // capacity too, which costs nothing, where an exact-size copy would cost a memcpy.
    return {
      buf: this.buf.subarray(0, this.len),
      count: this.count,
      cols: this.cols.subarray(0, this.count * COLS),
      times: this.times.subarray(0, this.count * TIMES),
      names: this.names,
      resources: this.resources,
      scopes: this.scopes,
      terms: this.termParts.join(''),
      tags: this.tags,
    };
  }
}

/** The terms of span `i` (a slice of rows.terms). */
export function spanTermsAt(rows: SpanRows, i: number): string {
  const start = i === 0 ? 0 : rows.cols[(i - 1) * COLS + COL_TERMS_END] + 1;
  return rows.terms.substring(start, rows.cols[i * COLS + COL_TERMS_END]);
}
