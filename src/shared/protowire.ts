/**
 * Protocol-buffers wire format, by hand: a cursor reader and a growable writer.
 *
 * Ingest reads what it indexes several times faster than protobufjs decodes a request
 * (`npm run bench:decode`), because it can skip what it does not need and hand out
 * zero-copy views of nested messages. Field numbers come from otlp/schema.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** How deeply AnyValues (arrays, kvlists) may nest; every reader refuses deeper values. */
export const MAX_ANY_VALUE_DEPTH = 64;

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class ProtoReader {
  pos: number;
  end: number;
  /** The low and high 32 bits of the last varint read by uint64Words(). */
  lo = 0;
  hi = 0;
  private view: DataView | undefined;

  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  /** Points the reader at another slice of the same buffer. */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint that must fit in 32 bits (tags, lengths, enums). Returned unsigned. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new ProtoError('truncated varint');
      const b = buf[pos++];
      if (shift < 28) {
        result |= (b & 0x7f) << shift;
      } else if (shift === 28) {
        result = (result | ((b & 0x0f) << 28)) >>> 0;
      } else if (shift >= 70) {
        throw new ProtoError('varint longer than 10 bytes');
      }
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    return result >>> 0;
  }

  /** An int32 enum or int32 field: a negative value is sign-extended to 10 bytes on the wire. */
  int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a full 64-bit varint into `lo` and `hi`, without the BigInt that uint64() makes. */
  uint64Words(): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new ProtoError('truncated varint');
      const b = buf[pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else if (shift < 64) hi |= (b & 0x7f) << (shift - 32);
      else if (shift >= 70) throw new ProtoError('varint longer than 10 bytes');
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }

  /** A full 64-bit varint as an unsigned bigint. */
  uint64(): bigint {
    this.uint64Words();
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated fixed64');
    const v = this.dataView().getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new ProtoError('truncated fixed32');
    const v = this.dataView().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated double');
    const v = this.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /**
   * Reads a length prefix and returns the end offset of the field's payload; the
   * payload starts at `pos`. Callers slice or descend without copying.
   */
  lenEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) throw new ProtoError('length-delimited field runs past the end of its message');
    return end;
  }

  /** A zero-copy view of a length-delimited payload. */
  bytes(): Uint8Array {
    const end = this.lenEnd();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  string(): string {
    const end = this.lenEnd();
    const s = end === this.pos ? '' : utf8.decode(this.buf.subarray(this.pos, end));
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT: {
        // A varint needs at least one byte before the end: one cut off right after its tag
        // must not pass here and then be read from the next message by a reader that checks less.
        const buf = this.buf;
        for (let n = 0; ; n++) {
          if (this.pos >= this.end) throw new ProtoError('truncated varint');
          if (n >= 10) throw new ProtoError('varint longer than 10 bytes');
          if (buf[this.pos++] < 0x80) return;
        }
      }
      case WIRE_I64:
        if (this.pos + 8 > this.end) throw new ProtoError('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lenEnd();
        return;
      case WIRE_I32:
        if (this.pos + 4 > this.end) throw new ProtoError('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`invalid wire type ${wireType}`);
    }
  }

  /** Checks that a field arrived with the wire type its schema declares. */
  expect(tag: number, wireType: number, what: string): void {
    if ((tag & 7) !== wireType) throw new ProtoError(`${what}: wrong wire type ${tag & 7}`);
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/**
 * Appends protobuf fields to a growable buffer. Nested messages are written with
 * `fork()`/`join()`: the payload is written in place and its length prefix inserted
 * once it is known, so nothing is encoded twice.
 */
export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  len = 0;
  private forks: number[] = [];

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  uint32(v: number): this {
    this.ensure(5);
    v >>>= 0;
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  /** Any 64-bit integer as a varint (negative values take ten bytes, as protobuf says). */
  uint64(v: bigint): this {
    this.ensure(10);
    const u = BigInt.asUintN(64, v);
    let lo = Number(u & 0xffffffffn);
    let hi = Number(u >> 32n);
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.len++] = lo;
    return this;
  }

  fixed64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return this;
  }

  fixed32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  double(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  bytesField(field: number, bytes: Uint8Array): this {
    this.tag(field, WIRE_LEN).uint32(bytes.length);
    return this.raw(bytes);
  }

  stringField(field: number, s: string): this {
    this.tag(field, WIRE_LEN);
    // Most strings on the wire (attribute keys, names, short values) are short
    // ASCII: copying them byte by byte skips two native calls and a subarray, which
    // took OTLP/JSON ingest from ~72k to ~100k spans/s. Anything else takes the
    // general path.
    const count = s.length;
    if (count < 0x80) {
      this.ensure(count + 1);
      const buf = this.buf;
      const start = this.len + 1;
      let i = 0;
      while (i < count) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i++] = c;
      }
      if (i === count) {
        buf[this.len] = count;
        this.len = start + count;
        return this;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.uint32(n);
    this.ensure(n);
    utf8Encoder.encodeInto(s, this.buf.subarray(this.len, this.len + n));
    this.len += n;
    return this;
  }

  /** Writes `value` as a varint of exactly `width` bytes, so a reserved slot can be filled in place. */
  private writePaddedLength(at: number, width: number, value: number): void {
    for (let i = 0; i < width - 1; i++) {
      this.buf[at + i] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buf[at + width - 1] = value & 0x7f;
  }

  /** Starts a nested message for `field`; close it with join(). */
  fork(field: number): this {
    this.tag(field, WIRE_LEN);
    this.ensure(5);
    this.forks.push(this.len);
    this.len += 5; // reserved for the length, compacted in join()
    return this;
  }

  join(): this {
    const at = this.forks.pop();
    if (at === undefined) throw new Error('join() without fork()');
    const payloadStart = at + 5;
    const size = this.len - payloadStart;
    let width = 1;
    while (size >= 2 ** (7 * width)) width++;
    if (width === 1 && size <= 32) {
      // copyWithin's native call costs more than moving a small KeyValue or AnyValue by hand.
      const buf = this.buf;
      for (let i = 0; i < size; i++) buf[at + 1 + i] = buf[payloadStart + i];
    } else if (width < 5) {
      this.buf.copyWithin(at + width, payloadStart, this.len);
    }
    this.writePaddedLength(at, width, size);
    this.len -= 5 - width;
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}
