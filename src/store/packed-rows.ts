/**
 * What span rows (rows.ts) and log rows (log-rows.ts) are built alike with: one byte buffer
 * that the result owns alone (so it can be transferred), fixed-width int32 and int64
 * columns per row, resources and scopes referenced by index, and each row's search terms
 * in one buffer of ASCII bytes (TermBytes), written there by the decode stage.
 */
import { TermBytes } from './terms.ts';

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

export abstract class PackedRowsBuilder {
  protected buf: Uint8Array;
  protected len = 0;
  protected cols: Int32Array;
  protected times: BigInt64Array;
  protected count = 0;
  protected readonly resources: ResourceRef[] = [];
  protected readonly scopes: MessageRef[] = [];
  /** Where the decode stage writes each row's terms before adding the row. */
  readonly terms: TermBytes;

  /** `rows` and `bytes` are hints; everything grows as needed. */
  constructor(
    rows: number,
    bytes: number,
    private readonly colsPerRow: number,
    private readonly timesPerRow: number,
  ) {
    this.buf = new Uint8Array(Math.max(bytes, 1024));
    this.cols = new Int32Array(Math.max(rows, 8) * colsPerRow);
    this.times = new BigInt64Array(Math.max(rows, 8) * timesPerRow);
    // Room for the terms of a span with a dozen attributes, so that most slices never grow it.
    this.terms = new TermBytes(Math.max(rows, 8) * 384);
  }

  /** Copies `bytes` in; returns their offset. */
  protected put(bytes: Uint8Array): number {
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

  /** Adds a resource (null: the field was absent); returns its index for the rows. */
  resource(raw: Uint8Array | null, schemaUrl: string, service: string): number {
    const [start, end] = this.ref(raw);
    return this.resources.push({ start, end, schemaUrl, service }) - 1;
  }

  /** Adds a scope (null: the field was absent); returns its index for the rows. */
  scope(raw: Uint8Array | null, schemaUrl: string): number {
    const [start, end] = this.ref(raw);
    return this.scopes.push({ start, end, schemaUrl }) - 1;
  }

  /** Makes room for one more row; returns the index of its first int32 column. */
  protected nextRow(): number {
    if ((this.count + 1) * this.colsPerRow > this.cols.length) {
      const cols = new Int32Array(this.cols.length * 2);
      cols.set(this.cols);
      this.cols = cols;
      const times = new BigInt64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    return this.count * this.colsPerRow;
  }

  /**
   * The parts every result holds: views of buffers this builder alone owns (transferring
   * them moves the spare capacity too, which costs nothing, where an exact-size copy would
   * cost a memcpy), and the joined terms.
   */
  protected packed() {
    return {
      buf: this.buf.subarray(0, this.len),
      count: this.count,
      cols: this.cols.subarray(0, this.count * this.colsPerRow),
      times: this.times.subarray(0, this.count * this.timesPerRow),
      resources: this.resources,
      scopes: this.scopes,
      terms: this.terms.buf.subarray(0, this.terms.len),
    };
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Times are fixed64 on the wire; SQLite stores int64. */
export function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/**
 * The terms of row `i`, whose end is column `termsEndCol` of `colsPerRow`; a row's terms
 * start where the previous row's ended, so the separating space comes first (FTS5 skips it).
 */
export function termsAt(rows: { readonly cols: Int32Array; readonly terms: Uint8Array }, i: number, colsPerRow: number, termsEndCol: number): Uint8Array {
  const start = i === 0 ? 0 : rows.cols[(i - 1) * colsPerRow + termsEndCol];
  return rows.terms.subarray(start, rows.cols[i * colsPerRow + termsEndCol]);
}
