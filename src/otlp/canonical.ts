/**
 * Canonical OTLP for the read side: a stored Resource, InstrumentationScope or Span
 * without the singular fields that hold their proto3 default, as Tempo's (gogo)
 * encoder writes a trace back. Exporters built on the Collector's pdata send an empty
 * `parent_span_id` (bytes `22 00`) on root spans; a Go decoder reads that as a
 * non-nil empty slice, so a trace compared with Tempo's answer differs unless the
 * field is dropped.
 *
 * Stored bytes are never changed. A message is scanned without allocating and copied
 * only when it holds such a field (or a singular field twice, where the last one
 * counts), so the usual trace is served as stored. Unknown fields, field order,
 * present-but-empty messages and `AnyValue` members (a oneof: `intValue: 0` is a value)
 * stay as sent.
 */
import { ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../shared/protowire.ts';
import type { RawResourceSpans } from './types.ts';
import { InstrumentationScope, Resource, Span, type MessageSpec } from './schema/index.ts';

interface Schema {
  /** Bit n set: field n is a singular scalar, string or bytes field. */
  readonly scalars: number;
  /** Nested message fields (singular or repeated) by field number. */
  readonly messages: ReadonlyArray<Schema | undefined>;
}

/**
 * A message's Schema from its description: its singular scalar, string and bytes fields
 * (none for a oneof such as AnyValue, whose members always count) and its message fields.
 */
function schemaOf(spec: MessageSpec, made = new Map<MessageSpec, Schema>()): Schema {
  const known = made.get(spec);
  if (known !== undefined) return known;
  const messages: Array<Schema | undefined> = [];
  const schema = { scalars: 0, messages };
  made.set(spec, schema); // before the fields: AnyValue, ArrayValue and KeyValueList refer to each other
  for (const field of spec.byNumber) {
    if (field === undefined) continue;
    if (field.message !== undefined) messages[field.number] = schemaOf(field.message(), made);
    else if (!field.repeated && !spec.oneof) schema.scalars |= 1 << field.number;
  }
  return schema;
}

const RESOURCE = schemaOf(Resource);
const SCOPE = schemaOf(InstrumentationScope);
const SPAN = schemaOf(Span);

/**
 * One field of a message: where it starts, its number and wire type, where its payload
 * starts and ends, and whether the payload is its type's default (all varint bits zero,
 * all fixed bytes zero, or empty). The stored messages were checked when they arrived,
 * so a malformed one cannot reach here; the bounds checks only keep a bad row from
 * reading past its message.
 */
class Fields {
  start = 0;
  field = 0;
  wire = 0;
  payload = 0;
  end = 0;
  isDefault = false;

  constructor(
    private readonly buf: Uint8Array,
    private pos: number,
    private readonly limit: number,
  ) {}

  next(): boolean {
    if (this.pos >= this.limit) return false;
    this.start = this.pos;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    let isDefault = true;
    switch (this.wire) {
      case WIRE_VARINT:
        this.payload = this.pos;
        isDefault = this.varint() === 0;
        break;
      case WIRE_I64:
      case WIRE_I32: {
        this.payload = this.pos;
        this.pos += this.wire === WIRE_I64 ? 8 : 4;
        for (let i = this.payload; i < this.pos; i++) if (this.buf[i] !== 0) isDefault = false;
        break;
      }
      case WIRE_LEN: {
        const len = this.varint();
        this.payload = this.pos;
        this.pos += len;
        isDefault = len === 0;
        break;
      }
      default:
        throw new Error(`stored message has wire type ${this.wire} at byte ${this.start}`);
    }
    if (this.pos > this.limit) throw new Error(`stored message field runs past its end at byte ${this.start}`);
    this.end = this.pos;
    this.isDefault = isDefault;
    return true;
  }

  /** A varint's value; only compared with zero, so precision past 2^53 does not matter. */
  private varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.limit) throw new Error(`stored message varint runs past its end at byte ${this.pos}`);
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }
}

function isScalar(s: Schema, f: Fields): boolean {
  return f.field < 31 && (s.scalars & (1 << f.field)) !== 0;
}

function nested(s: Schema, f: Fields): Schema | undefined {
  return f.wire === WIRE_LEN ? s.messages[f.field] : undefined;
}

function isCanonical(buf: Uint8Array, start: number, end: number, s: Schema): boolean {
  const f = new Fields(buf, start, end);
  let seen = 0;
  while (f.next()) {
    if (isScalar(s, f)) {
      const bit = 1 << f.field;
      if (f.isDefault || (seen & bit) !== 0) return false;
      seen |= bit;
      continue;
    }
    const child = nested(s, f);
    if (child !== undefined && !isCanonical(buf, f.payload, f.end, child)) return false;
  }
  return true;
}

/** Writes the fields of [start, end) without default-valued or overridden singular fields. */
function writeCanonical(w: ProtoWriter, buf: Uint8Array, start: number, end: number, s: Schema): void {
  const last: number[] = [];
  const scan = new Fields(buf, start, end);
  while (scan.next()) if (isScalar(s, scan)) last[scan.field] = scan.start;

  const f = new Fields(buf, start, end);
  while (f.next()) {
    if (isScalar(s, f)) {
      if (!f.isDefault && last[f.field] === f.start) w.raw(buf.subarray(f.start, f.end));
      continue;
    }
    const child = nested(s, f);
    if (child === undefined || isCanonical(buf, f.payload, f.end, child)) {
      w.raw(buf.subarray(f.start, f.end));
    } else {
      w.fork(f.field);
      writeCanonical(w, buf, f.payload, f.end, child);
      w.join();
    }
  }
}

function canonical(bytes: Uint8Array, s: Schema): Uint8Array {
  if (isCanonical(bytes, 0, bytes.length, s)) return bytes;
  const w = new ProtoWriter(bytes.length + 16);
  writeCanonical(w, bytes, 0, bytes.length, s);
  return w.finish();
}

/** A stored trace in canonical form; a part that already is canonical keeps its stored bytes. */
export function canonicalResourceSpans(resourceSpans: readonly RawResourceSpans[]): RawResourceSpans[] {
  return resourceSpans.map((rs) => ({
    resource: rs.resource === undefined ? undefined : canonical(rs.resource, RESOURCE),
    schemaUrl: rs.schemaUrl,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      scope: ss.scope === undefined ? undefined : canonical(ss.scope, SCOPE),
      schemaUrl: ss.schemaUrl,
      spans: ss.spans.map((span) => canonical(span, SPAN)),
    })),
  }));
}
