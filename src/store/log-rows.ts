/**
 * What the store writes for logs: log records as rows, packed as span rows are
 * (rows.ts) so a slice crosses to the writer thread as a few transferable buffers. The
 * stage before decoded and indexed them; the store never reads OTLP itself.
 */
import type { MessageRef, ResourceRef } from './rows.ts';

/** Int32 columns per record in LogRows.cols. */
export const LCOL_RAW_START = 0;
export const LCOL_RAW_END = 1;
/** 16 bytes at this offset of buf, or -1 outside a trace. */
export const LCOL_TRACE_ID = 2;
/** 8 bytes, or -1. */
export const LCOL_SPAN_ID = 3;
/** Index into LogRows.resources / scopes. */
export const LCOL_RESOURCE = 4;
export const LCOL_SCOPE = 5;
/** SeverityNumber 0–24. */
export const LCOL_SEVERITY = 6;
/** The fixed32 flags as an int32 (read back with `>>> 0`). */
export const LCOL_FLAGS = 7;
/** Index into LogRows.strings: severity text and event name (-1: none). */
export const LCOL_SEVERITY_TEXT = 8;
export const LCOL_EVENT_NAME = 9;
/** End of the record's terms in LogRows.terms, and of its body text in LogRows.texts. */
export const LCOL_TERMS_END = 10;
export const LCOL_TEXT_END = 11;
export const LCOLS = 12;

/** Int64 values per record in LogRows.times: the record's time (observed time when 0) and observed time, clamped to int64. */
export const LTIME = 0;
export const LTIME_OBSERVED = 1;
export const LTIMES = 2;

export interface LogRows {
  /** Tells log rows from span rows where both travel (the writer's queue). */
  readonly signal: 'logs';
  readonly buf: Uint8Array;
  readonly count: number;
  readonly cols: Int32Array;
  readonly times: BigInt64Array;
  /** Severity texts and event names, each once. */
  readonly strings: string[];
  readonly resources: ResourceRef[];
  readonly scopes: MessageRef[];
  /** Every record's search terms (attribute hashes, trace and span id), space-separated within a record; see LCOL_TERMS_END. */
  readonly terms: string;
  /** Every record's body as text, concatenated; see LCOL_TEXT_END. */
  readonly texts: string;
}

export function isLogRows(rows: object): rows is LogRows {
  return (rows as { signal?: unknown }).signal === 'logs';
}

const INT64_MAX = (1n << 63n) - 1n;

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v;
}

export interface LogInput {
  readonly raw: Uint8Array;
  /** Unix ns (fixed64 on the wire); the row's time is `timeNs`, else `observedNs`, else `fallbackNs`. */
  readonly timeNs: bigint;
  readonly observedNs: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly flags: number;
  /** Empty outside a trace. */
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly eventName: string;
}

/** Builds one LogRows; sizes are hints. Record bytes are copied once into a buffer the result owns. */
export class LogRowsBuilder {
  private buf: Uint8Array;
  private len = 0;
  private cols: Int32Array;
  private times: BigInt64Array;
  private count = 0;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly resources: ResourceRef[] = [];
  private readonly scopes: MessageRef[] = [];
  private readonly termParts: string[] = [];
  private termsLength = 0;
  private readonly textParts: string[] = [];
  private textLength = 0;

  constructor(
    records = 64,
    bytes = 64 * 1024,
    private readonly fallbackNs: bigint = BigInt(Date.now()) * 1_000_000n,
  ) {
    this.buf = new Uint8Array(Math.max(bytes, 1024));
    this.cols = new Int32Array(Math.max(records, 8) * LCOLS);
    this.times = new BigInt64Array(Math.max(records, 8) * LTIMES);
  }

  get records(): number {
    return this.count;
  }

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

  private string(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.stringIndex.set(s, i);
    }
    return i;
  }

  /** Adds a resource (null: the field was absent); returns its index for record(). */
  resource(raw: Uint8Array | null, schemaUrl: string, service: string): number {
    const [start, end] = this.ref(raw);
    return this.resources.push({ start, end, schemaUrl, service }) - 1;
  }

  scope(raw: Uint8Array | null, schemaUrl: string): number {
    const [start, end] = this.ref(raw);
    return this.scopes.push({ start, end, schemaUrl }) - 1;
  }

  /** Adds a record with its search terms (space-separated) and its body's text. */
  record(l: LogInput, resource: number, scope: number, terms: string, text: string): void {
    if ((this.count + 1) * LCOLS > this.cols.length) {
      const cols = new Int32Array(this.cols.length * 2);
      cols.set(this.cols);
      this.cols = cols;
      const times = new BigInt64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    const c = this.count * LCOLS;
    const cols = this.cols;
    cols[c + LCOL_RAW_START] = this.put(l.raw);
    cols[c + LCOL_RAW_END] = this.len;
    cols[c + LCOL_TRACE_ID] = l.traceId.length === 0 ? -1 : this.put(l.traceId);
    cols[c + LCOL_SPAN_ID] = l.spanId.length === 0 ? -1 : this.put(l.spanId);
    cols[c + LCOL_RESOURCE] = resource;
    cols[c + LCOL_SCOPE] = scope;
    cols[c + LCOL_SEVERITY] = l.severityNumber;
    cols[c + LCOL_FLAGS] = l.flags | 0;
    cols[c + LCOL_SEVERITY_TEXT] = this.string(l.severityText);
    cols[c + LCOL_EVENT_NAME] = l.eventName === '' ? -1 : this.string(l.eventName);
    if (this.termParts.length > 0) {
      this.termParts.push(' ');
      this.termsLength++;
    }
    this.termParts.push(terms);
    this.termsLength += terms.length;
    cols[c + LCOL_TERMS_END] = this.termsLength;
    this.textParts.push(text);
    this.textLength += text.length;
    cols[c + LCOL_TEXT_END] = this.textLength;
    const t = this.count * LTIMES;
    const time = l.timeNs !== 0n ? l.timeNs : l.observedNs !== 0n ? l.observedNs : this.fallbackNs;
    this.times[t + LTIME] = clampInt64(time);
    this.times[t + LTIME_OBSERVED] = clampInt64(l.observedNs);
    this.count++;
  }

  finish(): LogRows {
    return {
      signal: 'logs',
      buf: this.buf.subarray(0, this.len),
      count: this.count,
      cols: this.cols.subarray(0, this.count * LCOLS),
      times: this.times.subarray(0, this.count * LTIMES),
      strings: this.strings,
      resources: this.resources,
      scopes: this.scopes,
      terms: this.termParts.join(''),
      texts: this.textParts.join(''),
    };
  }
}

/** The terms of record `i`. */
export function logTermsAt(rows: LogRows, i: number): string {
  const start = i === 0 ? 0 : rows.cols[(i - 1) * LCOLS + LCOL_TERMS_END] + 1;
  return rows.terms.substring(start, rows.cols[i * LCOLS + LCOL_TERMS_END]);
}

/** The body text of record `i`. */
export function logTextAt(rows: LogRows, i: number): string {
  const start = i === 0 ? 0 : rows.cols[(i - 1) * LCOLS + LCOL_TEXT_END];
  return rows.texts.substring(start, rows.cols[i * LCOLS + LCOL_TEXT_END]);
}
