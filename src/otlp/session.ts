/**
 * Test sessions: spans (and log records) sent with an `x-tracebox-session` header get the resource
 * attribute `tracebox.session`, so one test's spans can be told from another's even
 * when its SDK could not set the attribute itself.
 */
import { ProtoError, ProtoWriter, encodeUtf8 } from '../shared/protowire.ts';
import { stringAttribute } from './decode-protobuf.ts';
import type { DecodedResource } from './types.ts';
import { AnyValue, KeyValue, Resource } from './schema/index.ts';

export const SESSION_ATTRIBUTE = 'tracebox.session';
export const SESSION_HEADER = 'x-tracebox-session';
const SESSION_KEY = encodeUtf8(SESSION_ATTRIBUTE);

/** A Resource attributes entry (a KeyValue) with a string value. */
function attributeField(key: string, value: string): Uint8Array {
  return new ProtoWriter(64).fork(Resource.field.attributes).stringField(KeyValue.field.key, key).fork(KeyValue.field.value).stringField(AnyValue.field.stringValue, value).join().join().finish();
}

/**
 * Whether the resource already names a session. A malformed one (found by fuzzing: its
 * service name read fine, a later attribute did not) is left as it is: the attribute
 * limits, next, refuse it with its spans and say why.
 */
function namesSession(raw: Uint8Array): boolean {
  try {
    return stringAttribute(raw, SESSION_KEY) !== undefined;
  } catch (err) {
    if (err instanceof ProtoError) return true;
    throw err;
  }
}

/**
 * Adds `tracebox.session=<session>` to every resource of the batch that lacks it.
 * Appending works because repeated protobuf fields concatenate.
 */
export function withSession<T extends { readonly resources: DecodedResource[] }>(batch: T, session: string): T {
  const field = attributeField(SESSION_ATTRIBUTE, session);
  const resources = batch.resources.map((r): DecodedResource => {
    if (namesSession(r.raw)) return r;
    const raw = new Uint8Array(r.raw.length + field.length);
    raw.set(r.raw);
    raw.set(field, r.raw.length);
    return { ...r, raw, present: true };
  });
  return { ...batch, resources };
}
