/**
 * What the store writes for logs: log records as rows, packed as span rows are
 * (rows.ts) so a slice crosses to the writer thread as a few transferable buffers. The
 * stage before decoded and indexed them; the store never reads OTLP itself.
 */
import { clampInt64, PackedRowsBuilder, termsAt, type MessageRef, type ResourceRef } from './packed-rows.ts';

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
  /** Every record's search terms (attribute hashes, trace and span id) as ASCII bytes, space-separated; see LCOL_TERMS_END. */
  readonly terms: Uint8Array;
  /** Every record's body as text, concatenated; see LCOL_TEXT_END. */
  readonly texts: string;
}

export function isLogRows(rows: object): rows is LogRows {
  return (rows as { signal?: unknown }).signal === 'logs';
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
export class LogRowsBuilder extends PackedRowsBuilder {
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly textParts: string[] = [];
  private textLength = 0;

  constructor(
    records = 64,
    bytes = 64 * 1024,
    private readonly fallbackNs: bigint = BigInt(Date.now()) * 1_000_000n,
  ) {
    super(records, bytes, LCOLS, LTIMES);
  }

  get records(): number {
    return this.count;
  }

  private string(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.stringIndex.set(s, i);
    }
    return i;
  }

  /** Adds a record whose search terms were just written to `this.terms`, with its body's text. */
  record(l: LogInput, resource: number, scope: number, text: string): void {
    const c = this.nextRow();
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
    cols[c + LCOL_TERMS_END] = this.terms.len;
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
    return { ...this.packed(), signal: 'logs', strings: this.strings, texts: this.textParts.join('') };
  }
}

/** The terms of record `i`. */
export function logTermsAt(rows: LogRows, i: number): Uint8Array {
  return termsAt(rows, i, LCOLS, LCOL_TERMS_END);
}

/** The body text of record `i`. */
export function logTextAt(rows: LogRows, i: number): string {
  const start = i === 0 ? 0 : rows.cols[(i - 1) * LCOLS + LCOL_TEXT_END];
  return rows.texts.substring(start, rows.cols[i * LCOLS + LCOL_TEXT_END]);
}
