/**
 * Request bodies for the receivers: read with a size limit (without buffering past it)
 * and decompressed with the same limit, so a small gzip bomb cannot expand in memory.
 */
import zlib from 'node:zlib';
import { BadRequestError } from '../shared/errors.ts';
import { looksLikeGzip } from './doctor.ts';
import type { IngestGate } from './gate.ts';

/**
 * How long the receivers wait for clients (documented in the README): a connection that
 * sends nothing for `silentMs` (no request line, no body bytes) is closed; an HTTP/2
 * connection without calls for `idleMs`; at most `maxConnections` per port.
 */
export const CONNECTION_TIMEOUTS = { silentMs: 15_000, idleMs: 120_000, maxConnections: 1024 } as const;

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
 * A request the gate let in: call `gate.done(id, bytes, stored)` when it is over. (`raw`
 * may be handed to another thread meanwhile, which leaves it empty here: hence `bytes`.)
 */
export interface Admitted {
  readonly id: number;
  readonly raw: Uint8Array;
  readonly bytes: number;
}

/**
 * Reads a request body for the receivers, counting its bytes against the gate as they
 * arrive (never as announced: a client that announces 16 MiB and sends nothing holds
 * nothing). Undefined means refused (the gate is full).
 */
export async function readCounted(req: Request, limit: number, gate: IngestGate): Promise<Admitted | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0') || 0;
  const id = gate.admit(declared > limit ? 0 : declared);
  if (id === undefined) return undefined;
  let size = 0;
  try {
    if (declared > limit) {
      if (req.body === null || declared > limit + DRAIN_BYTES) throw new PayloadTooLargeError();
      return await drainThenRefuse(req.body.getReader());
    }
    if (req.body === null) return { id, raw: new Uint8Array(0), bytes: 0 };
    const chunks: Uint8Array[] = [];
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) return await drainThenRefuse(reader);
      if (!gate.add(id, value.byteLength)) {
        await reader.cancel();
        gate.done(id, size);
        return undefined;
      }
      size += value.byteLength;
      chunks.push(value);
    }
    return { id, raw: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), bytes: size };
  } catch (err) {
    gate.done(id, size);
    throw err;
  }
}
