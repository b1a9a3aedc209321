/**
 * Request bodies for the receivers: read with a size limit (without buffering past it)
 * and decompressed with the same limit, so a small gzip bomb cannot expand in memory.
 */
import zlib from 'node:zlib';
import { BadRequestError } from '../shared/errors.ts';
import { looksLikeGzip } from './doctor.ts';

/** The body, before or after decompression, is larger than the limit. */
export class PayloadTooLargeError extends Error {}

/** Reads the request body, refusing more than `limit` bytes without buffering them. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw new PayloadTooLargeError();
  if (req.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLargeError();
    }
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

