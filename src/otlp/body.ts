/**
 * Request bodies for the receivers: read with a size limit (without buffering past it)
 * and decompressed with the same limit, so a small gzip bomb cannot expand in memory.
 */
import type { Readable } from 'node:stream';
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

/**
 * A request body as it arrives: `next(take)` hands each chunk to `take` until the body
 * ends (true) or `take` says stop (false); a later `next` goes on from there.
 */
interface Chunks {
  next(take: (chunk: Uint8Array) => boolean): Promise<boolean>;
  /** Lets the rest go unread. */
  cancel(): Promise<void>;
}

function webChunks(body: ReadableStream<Uint8Array>): Chunks {
  const reader = body.getReader();
  return {
    async next(take) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        if (!take(value)) return false;
      }
    },
    cancel: () => reader.cancel(),
  };
}

/**
 * The Node request itself, read by its events: the two web streams Hono wraps around it
 * cost about a sixth of the main thread's CPU per exported span. What is left unread when
 * the answer goes out is drained by the HTTP server.
 */
function nodeChunks(incoming: Readable): Chunks {
  return {
    next: (take) =>
      new Promise<boolean>((resolve, reject) => {
        const settle = (ended: boolean, err?: Error): void => {
          incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
          if (err === undefined) resolve(ended);
          else reject(err);
        };
        const onData = (chunk: Buffer): void => {
          if (take(chunk)) return;
          incoming.pause();
          settle(false);
        };
        const onEnd = (): void => settle(true);
        const onError = (err: Error): void => settle(false, err);
        const onClose = (): void => settle(false, new Error('the client closed the connection before the body ended'));
        if (incoming.readableEnded) return resolve(true);
        incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
        incoming.resume();
      }),
    cancel: async () => {
      incoming.pause();
    },
  };
}

/** The body of `req`, read from `incoming` (the Node request under it) when there is one. */
function chunksOf(req: Request, incoming: Readable | undefined): Chunks | undefined {
  if (incoming !== undefined) return nodeChunks(incoming);
  return req.body === null ? undefined : webChunks(req.body);
}

async function drainThenRefuse(chunks: Chunks): Promise<never> {
  let drained = 0;
  const ended = await chunks.next((chunk) => {
    drained += chunk.byteLength;
    return drained <= DRAIN_BYTES;
  });
  if (!ended) await chunks.cancel();
  throw new PayloadTooLargeError();
}

/** Reads the request body, refusing more than `limit` bytes without buffering them. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  const chunks = chunksOf(req, undefined);
  if (declared > limit) {
    if (chunks === undefined || declared > limit + DRAIN_BYTES) throw new PayloadTooLargeError();
    return drainThenRefuse(chunks);
  }
  if (chunks === undefined) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const ended = await chunks.next((chunk) => {
    if (size + chunk.byteLength > limit) return false;
    size += chunk.byteLength;
    parts.push(chunk);
    return true;
  });
  if (!ended) return drainThenRefuse(chunks);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
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
export async function readCounted(req: Request, incoming: Readable | undefined, limit: number, gate: IngestGate): Promise<Admitted | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0') || 0;
  const id = gate.admit(declared > limit ? 0 : declared);
  if (id === undefined) return undefined;
  let size = 0;
  try {
    const chunks = chunksOf(req, incoming);
    if (declared > limit) {
      if (chunks === undefined || declared > limit + DRAIN_BYTES) throw new PayloadTooLargeError();
      return await drainThenRefuse(chunks);
    }
    if (chunks === undefined) return { id, raw: new Uint8Array(0), bytes: 0 };
    const parts: Uint8Array[] = [];
    let tooLarge = false;
    const ended = await chunks.next((chunk) => {
      if (size + chunk.byteLength > limit) {
        tooLarge = true;
        return false;
      }
      if (!gate.add(id, chunk.byteLength)) return false;
      size += chunk.byteLength;
      parts.push(chunk);
      return true;
    });
    if (tooLarge) return await drainThenRefuse(chunks);
    if (!ended) {
      await chunks.cancel();
      gate.done(id, size);
      return undefined;
    }
    return { id, raw: parts.length === 1 ? parts[0] : Buffer.concat(parts, size), bytes: size };
  } catch (err) {
    gate.done(id, size);
    throw err;
  }
}
