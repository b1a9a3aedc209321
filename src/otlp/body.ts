/**
 * Request bodies for the receivers: read with a size limit (without buffering past it)
 * and decompressed with the same limit, so a small gzip bomb cannot expand in memory.
 */
import zlib from 'node:zlib';
import { BadRequestError } from '../shared/errors.ts';
import { looksLikeGzip } from './doctor.ts';
import type { IngestGate } from './gate.ts';

/** The body, before or after decompression, is larger than the limit. */
export class PayloadTooLargeError extends Error {}

/**
 * Past the limit, up to this many more bytes are read and dropped before the 413 goes
 * out: a server that stops reading resets the connection, and the client, still
 * sending, sees that instead of the 413 (and an OTLP exporter retries it).
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

async function drainThenRefuse(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<never> {
  let drained = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    drained += value.byteLength;
    if (drained > DRAIN_BYTES) {
      await reader.cancel();
      break;
    }
  }
  throw new PayloadTooLargeError();
}

/** Reads the request body, refusing more than `limit` bytes without buffering them. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) {
    if (req.body === null || declared > limit + DRAIN_BYTES) throw new PayloadTooLargeError();
    return drainThenRefuse(req.body.getReader());
  }
  if (req.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) return drainThenRefuse(reader);
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/**
 * Undoes Content-Encoding (gzip, deflate, none) within `limit` output bytes. Given
 * `onMissingGzipHeader`, a gzip body without the header is unpacked too, after calling it.
 */
export function decompress(body: Uint8Array, encoding: string | undefined, limit: number, onMissingGzipHeader?: () => void): Uint8Array {
  let enc = (encoding ?? '').trim().toLowerCase();
  if ((enc === '' || enc === 'identity') && onMissingGzipHeader !== undefined && looksLikeGzip(body)) {
    // Neither protobuf nor JSON starts with 1f 8b: a proxy or exporter lost the header.
    onMissingGzipHeader();
    enc = 'gzip';
  }
  if (enc === '' || enc === 'identity') return body;
  // maxOutputLength stops a small gzip bomb from expanding past the body limit.
  const options = { maxOutputLength: limit };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body, options);
    if (enc === 'deflate') return zlib.inflateSync(body, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new PayloadTooLargeError();
    throw new BadRequestError(`invalid ${enc} body: ${(err as Error).message}`);
  }
  throw new BadRequestError(`unsupported Content-Encoding "${encoding}": use gzip, deflate or none`);
}


/**
 * Reads a body once the gate has room for it: the declared length is reserved before
 * reading (so a refused request costs nothing), an undeclared one after. Undefined
 * means refused; otherwise the caller releases `reserved` when the body is stored.
 */
export async function readAdmitted(req: Request, limit: number, gate: IngestGate): Promise<{ raw: Uint8Array; reserved: number } | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0') || 0;
  let reserved = 0;
  if (declared > 0 && declared <= limit) {
    if (!gate.tryAcquire(declared)) return undefined;
    reserved = declared;
  }
  let raw: Uint8Array;
  try {
    raw = await readBody(req, limit);
  } catch (err) {
    gate.release(reserved);
    throw err;
  }
  if (reserved === 0) {
    if (!gate.tryAcquire(raw.length)) return undefined;
    reserved = raw.length;
  }
  return { raw, reserved };
}
