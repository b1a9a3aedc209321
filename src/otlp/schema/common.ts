/**
 * @module otlp/schema/common
 * The OTLP wire schema, described once: each message's fields with their numbers and
 * types, and from them the tags (field number << 3 | wire type) that readers switch on
 * and the numbers that writers write. This file holds what every signal shares
 * (opentelemetry/proto/common/v1/common.proto, resource/v1/resource.proto) and the one
 * walk over a message's fields; a signal's own messages live beside it (trace.ts, and a
 * file per signal after it). Every reader and writer of OTLP bytes takes its field
 * numbers from these modules, so adding a field or a signal touches one place.
 *
 * @example
 *   switch (tag) { case SPAN.name: name = r.string(); break; ... }   // SPAN = Span.tag
 *   w.fork(Span.field.events);
 */
import { ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../shared/protowire.ts';

/** A field's protobuf type, as far as readers of the bytes care. */
export type FieldType = 'string' | 'bytes' | 'bool' | 'int32' | 'uint32' | 'int64' | 'double' | 'fixed32' | 'fixed64' | 'enum' | 'message';

export interface FieldSpec {
  readonly number: number;
  readonly type: FieldType;
  readonly repeated?: boolean;
  /** The nested message of a `message` field (a function: AnyValue and ArrayValue refer to each other). */
  readonly message?: () => MessageSpec;
}

/** A field as the schema lists it: its spec with its name. */
export interface NamedField extends FieldSpec {
  /** As the JSON mapping spells it (camelCase). */
  readonly name: string;
  /** As the .proto file spells it (snake_case), for messages about the bytes. */
  readonly protoName: string;
  /** field number << 3 | wire type. */
  readonly tag: number;
}

export interface MessageSpec<F extends Readonly<Record<string, FieldSpec>> = Readonly<Record<string, FieldSpec>>> {
  /** The message's name in its .proto file. */
  readonly name: string;
  readonly fields: F;
  /** Its fields are members of one oneof: a member that holds its default is still a value (AnyValue). */
  readonly oneof: boolean;
  /** Field name → tag (field number << 3 | wire type), what readers compare a tag with. */
  readonly tag: { readonly [K in keyof F]: number };
  /** Field name → field number, what writers write. */
  readonly field: { readonly [K in keyof F]: number };
  /** Fields by number (undefined for numbers the message does not use). */
  readonly byNumber: ReadonlyArray<NamedField | undefined>;
}

/** The wire type a field of this type is written with (unpacked: repeated scalars are not used in OTLP's messages here). */
export function wireType(type: FieldType): number {
  switch (type) {
    case 'string':
    case 'bytes':
    case 'message':
      return WIRE_LEN;
    case 'double':
    case 'fixed64':
      return WIRE_I64;
    case 'fixed32':
      return WIRE_I32;
    default:
      return WIRE_VARINT;
  }
}

export function defineMessage<F extends Readonly<Record<string, FieldSpec>>>(name: string, fields: F, options: { oneof?: boolean } = {}): MessageSpec<F> {
  const tag: Record<string, number> = {};
  const field: Record<string, number> = {};
  const byNumber: Array<NamedField | undefined> = [];
  for (const [key, spec] of Object.entries(fields)) {
    const t = spec.number * 8 + wireType(spec.type);
    tag[key] = t;
    field[key] = spec.number;
    byNumber[spec.number] = { ...spec, name: key, protoName: key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), tag: t };
  }
  return {
    name,
    fields,
    oneof: options.oneof ?? false,
    tag: Object.freeze(tag) as MessageSpec<F>['tag'],
    field: Object.freeze(field) as MessageSpec<F>['field'],
    byNumber,
  };
}

/**
 * The one walk over a message's fields: for each field in [r.pos, end), `visit(tag)` with
 * the reader at the field's payload; a field the visitor does not read (it returns false)
 * is skipped. The reader is confined to the message during the walk (a nested payload
 * cannot run past it) and left at `end`.
 */
export function eachField(r: ProtoReader, end: number, visit: (tag: number) => boolean): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.uint32();
    if (!visit(tag)) r.skip(tag & 7);
  }
  r.end = outer;
}

/** Walks the message at the reader's length-delimited field (the reader just past its tag). */
export function eachNestedField(r: ProtoReader, visit: (tag: number) => boolean): void {
  eachField(r, r.lenEnd(), visit);
}

// ------------------------------------------------------------------ common.proto

/** AnyValue: exactly one of its members. */
export const AnyValue = defineMessage(
  'AnyValue',
  {
    stringValue: { number: 1, type: 'string' },
    boolValue: { number: 2, type: 'bool' },
    intValue: { number: 3, type: 'int64' },
    doubleValue: { number: 4, type: 'double' },
    arrayValue: { number: 5, type: 'message', message: (): MessageSpec => ArrayValue },
    kvlistValue: { number: 6, type: 'message', message: (): MessageSpec => KeyValueList },
    bytesValue: { number: 7, type: 'bytes' },
  },
  { oneof: true },
);

export const ArrayValue = defineMessage('ArrayValue', {
  values: { number: 1, type: 'message', repeated: true, message: (): MessageSpec => AnyValue },
});

export const KeyValueList = defineMessage('KeyValueList', {
  values: { number: 1, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
});

export const KeyValue = defineMessage('KeyValue', {
  key: { number: 1, type: 'string' },
  value: { number: 2, type: 'message', message: (): MessageSpec => AnyValue },
});

export const InstrumentationScope = defineMessage('InstrumentationScope', {
  name: { number: 1, type: 'string' },
  version: { number: 2, type: 'string' },
  attributes: { number: 3, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 4, type: 'uint32' },
});

// ---------------------------------------------------------------- resource.proto

export const Resource = defineMessage('Resource', {
  attributes: { number: 1, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 2, type: 'uint32' },
});

/** Tags of the shared messages, for switches. */
export const ANY_VALUE = AnyValue.tag;
export const KEY_VALUE = KeyValue.tag;
/** ArrayValue and KeyValueList alike: `repeated … values = 1`. */
export const LIST = ArrayValue.tag;
export const SCOPE = InstrumentationScope.tag;
export const RESOURCE = Resource.tag;
