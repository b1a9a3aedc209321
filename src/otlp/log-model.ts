/**
 * Stored OTLP log records read back: the body and attribute values as text, and a
 * record decoded for the read side (the log API, the Loki API, the viewer).
 *
 * Text forms follow what Loki makes of OTLP logs: a string is itself; an int, double,
 * bool its plain spelling; bytes base64; an array or kvlist compact JSON with object keys
 * sorted (as Go's encoding/json writes a map); an empty value ''.
 */
import { bytesToBase64, bytesToHex } from '../shared/ids.ts';
import { MAX_ANY_VALUE_DEPTH, ProtoError, ProtoReader } from '../shared/protowire.ts';
import { ANY_VALUE, KEY_VALUE, LIST, LOG_RECORD } from './schema/index.ts';

export type AnyValueType = 'string' | 'int' | 'double' | 'bool' | 'bytes' | 'array' | 'kvlist' | 'empty';

/** An AnyValue as its type and text form. */
export interface TextValue {
  readonly type: AnyValueType;
  readonly text: string;
}


function doubleJson(d: number): string {
  return Number.isFinite(d) ? JSON.stringify(d) : JSON.stringify(String(d));
}

/** Reads the AnyValue payload in [r.pos, end): its type, text and JSON forms. The last member set wins, as protobuf's oneof says. */
function readValue(r: ProtoReader, end: number, depth: number): { type: AnyValueType; text: string; json: string } {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoError(`value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  const outer = r.end;
  r.end = end;
  let out: { type: AnyValueType; text: string; json: string } = { type: 'empty', text: '', json: 'null' };
  while (r.more()) {
    const t = r.uint32();
    switch (t) {
      case ANY_VALUE.stringValue: {
        const s = r.string();
        out = { type: 'string', text: s, json: '' };
        break;
      }
      case ANY_VALUE.boolValue: {
        const b = r.uint32() !== 0 ? 'true' : 'false';
        out = { type: 'bool', text: b, json: b };
        break;
      }
      case ANY_VALUE.intValue: {
        const i = r.int64().toString();
        out = { type: 'int', text: i, json: i };
        break;
      }
      case ANY_VALUE.doubleValue: {
        const d = r.double();
        out = { type: 'double', text: String(d), json: doubleJson(d) };
        break;
      }
      case ANY_VALUE.bytesValue: {
        const b = bytesToBase64(r.bytes());
        out = { type: 'bytes', text: b, json: '' };
        break;
      }
      case ANY_VALUE.arrayValue: {
        const e = r.lenEnd();
        const items: string[] = [];
        const listEnd = r.end;
        r.end = e;
        while (r.more()) {
          const it = r.uint32();
          if (it !== LIST.values) {
            r.skip(it & 7);
            continue;
          }
          const ve = r.lenEnd();
          items.push(jsonOf(readValue(r, ve, depth + 1)));
          r.pos = ve;
        }
        r.end = listEnd;
        const json = `[${items.join(',')}]`;
        out = { type: 'array', text: json, json };
        break;
      }
      case ANY_VALUE.kvlistValue: {
        const e = r.lenEnd();
        const json = kvlistJson(r, e, depth + 1);
        out = { type: 'kvlist', text: json, json };
        break;
      }
      default:
        if (t >>> 3 === 0) throw new ProtoError('field number 0');
        r.skip(t & 7);
    }
  }
  r.end = outer;
  return out;
}

function jsonOf(v: { type: AnyValueType; text: string; json: string }): string {
  return v.json !== '' ? v.json : JSON.stringify(v.text);
}

/** A KeyValueList payload in [r.pos, end) as a JSON object, keys sorted, a repeated key's last value kept. */
function kvlistJson(r: ProtoReader, end: number, depth: number): string {
  const entries = new Map<string, string>();
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const t = r.uint32();
    if (t !== LIST.values) {
      r.skip(t & 7);
      continue;
    }
    const kvEnd = r.lenEnd();
    const [key, value] = readKeyValue(r, kvEnd, depth);
    entries.set(key, value === undefined ? 'null' : jsonOf(value));
    r.pos = kvEnd;
    r.end = end;
  }
  r.end = outer;
  const keys = [...entries.keys()].sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${entries.get(k)}`).join(',')}}`;
}

/** A KeyValue payload in [r.pos, end): its key and value (undefined when absent). */
function readKeyValue(r: ProtoReader, end: number, depth: number): [string, { type: AnyValueType; text: string; json: string } | undefined] {
  r.end = end;
  let key = '';
  let value: { type: AnyValueType; text: string; json: string } | undefined;
  while (r.more()) {
    const t = r.uint32();
    if (t === KEY_VALUE.key) key = r.string();
    else if (t === KEY_VALUE.value) {
      const ve = r.lenEnd();
      value = readValue(r, ve, depth);
      r.pos = ve;
      r.end = end;
    } else r.skip(t & 7);
  }
  return [key, value];
}

/**
 * The text form of an AnyValue message (undefined: the field was absent, ''). Throws
 * ProtoError for malformed bytes or nesting deeper than MAX_ANY_VALUE_DEPTH.
 */
export function anyValueText(bytes: Uint8Array | undefined): string {
  if (bytes === undefined || bytes.length === 0) return '';
  return readValue(new ProtoReader(bytes), bytes.length, 0).text;
}

/** An AnyValue message as its type and text form; undefined bytes: the field was absent. */
export function anyValue(bytes: Uint8Array | undefined): TextValue | undefined {
  if (bytes === undefined) return undefined;
  const { type, text } = readValue(new ProtoReader(bytes), bytes.length, 0);
  return { type, text };
}

export interface LogAttribute extends TextValue {
  readonly key: string;
}

/**
 * The KeyValue fields of any message, by their tag (RESOURCE.attributes,
 * SCOPE.attributes), as text values. Throws ProtoError for malformed bytes.
 */
export function keyValuesOf(raw: Uint8Array, want: number): LogAttribute[] {
  const out: LogAttribute[] = [];
  const r = new ProtoReader(raw);
  while (r.more()) {
    const t = r.uint32();
    if (t !== want) {
      r.skip(t & 7);
      continue;
    }
    const e = r.lenEnd();
    const [key, value] = readKeyValue(r, e, 0);
    out.push({ key, type: value?.type ?? 'empty', text: value?.text ?? '' });
    r.pos = e;
    r.end = raw.length;
  }
  return out;
}

/** A stored LogRecord, decoded: every field, values as their text forms. */
export interface LogRecordView {
  readonly timeNs: bigint;
  readonly observedNs: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  /** Undefined when the record has no body. */
  readonly body: TextValue | undefined;
  readonly attributes: readonly LogAttribute[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
  /** Lowercase hex; '' when absent. */
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
}

/** Decodes a LogRecord message (as stored). Throws ProtoError for malformed bytes. */
export function decodeLogRecord(raw: Uint8Array): LogRecordView {
  const r = new ProtoReader(raw);
  let timeNs = 0n;
  let observedNs = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: TextValue | undefined;
  const attributes: LogAttribute[] = [];
  let dropped = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName = '';
  while (r.more()) {
    const t = r.uint32();
    switch (t) {
      case LOG_RECORD.timeUnixNano:
        timeNs = r.fixed64();
        break;
      case LOG_RECORD.observedTimeUnixNano:
        observedNs = r.fixed64();
        break;
      case LOG_RECORD.severityNumber:
        severityNumber = r.int32();
        break;
      case LOG_RECORD.severityText:
        severityText = r.string();
        break;
      case LOG_RECORD.body: {
        const e = r.lenEnd();
        const v = readValue(r, e, 0);
        body = { type: v.type, text: v.text };
        r.pos = e;
        r.end = raw.length;
        break;
      }
      case LOG_RECORD.attributes: {
        const e = r.lenEnd();
        const [key, value] = readKeyValue(r, e, 0);
        attributes.push({ key, type: value?.type ?? 'empty', text: value?.text ?? '' });
        r.pos = e;
        r.end = raw.length;
        break;
      }
      case LOG_RECORD.droppedAttributesCount:
        dropped = r.uint32();
        break;
      case LOG_RECORD.flags:
        flags = r.fixed32();
        break;
      case LOG_RECORD.traceId:
        traceId = bytesToHex(r.bytes());
        break;
      case LOG_RECORD.spanId:
        spanId = bytesToHex(r.bytes());
        break;
      case LOG_RECORD.eventName:
        eventName = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return { timeNs, observedNs, severityNumber, severityText, body, attributes, droppedAttributesCount: dropped, flags, traceId, spanId, eventName };
}

