/**
 * `POST /api/import`: a trace file in any shape src/otlp/import knows (OTLP/JSON, JSON
 * lines, Tempo, Grafana, Jaeger; gzip by Content-Encoding or magic bytes), stored through
 * the OTLP ingest path, so spans already stored are skipped. Answers
 * `{"traces":n,"spans":n,"rejected":n,"format":"…"}` (`message` too when spans were rejected).
 */
import { Hono } from 'hono';
import zlib from 'node:zlib';
import { SESSION_HEADER, decodeExportRequest, type Ingest } from '../otlp/index.ts';
import { ImportTooLargeError, importToProtobuf } from '../otlp/import/index.ts';
import { BadRequestError } from '../shared/errors.ts';

export interface ImportRoutesOptions {
  /** Largest accepted body in bytes, before and after decompression (the OTLP `--max-body`). */
  readonly maxBody: number;
}

export interface ImportAnswer {
  /** Distinct trace ids among the accepted spans. */
  readonly traces: number;
  /** Spans accepted (stored now, or already stored by an earlier import or export). */
  readonly spans: number;
  /** Spans refused as invalid (bad ids, malformed fields). */
  readonly rejected: number;
  /** The shape the body was read as, e.g. "Jaeger JSON (gzip)". */
  readonly format: string;
  readonly message?: string;
}

/** Reads the body, refusing more than `limit` bytes without buffering them. */
async function readBody(req: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) return undefined;
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
      return undefined;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/** Content-Encoding gzip is left to importToProtobuf, which recognises gzip by its magic bytes. */
function decodeContentEncoding(body: Uint8Array, encoding: string | undefined, limit: number): Uint8Array {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity' || enc === 'gzip' || enc === 'x-gzip') return body;
  if (enc === 'deflate') {
    try {
      return zlib.inflateSync(body, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ImportTooLargeError(limit);
      throw new BadRequestError(`invalid deflate body: ${(err as Error).message}`);
    }
  }
  throw new BadRequestError(`unsupported Content-Encoding "${encoding}": use gzip, deflate or none`);
}

function counts(request: Uint8Array): { spans: number; traces: number; rejected: number } {
  const batch = decodeExportRequest(request);
  const traces = new Set<string>();
  for (const s of batch.spans) traces.add(Buffer.from(s.traceId.buffer, s.traceId.byteOffset, s.traceId.byteLength).toString('latin1'));
  return { spans: batch.spans.length, traces: traces.size, rejected: batch.rejected };
}

export function createImportRoutes(ingest: Ingest, options: ImportRoutesOptions): Hono {
  const app = new Hono();
  const tooLarge = `the body exceeds the import limit of ${options.maxBody} bytes (start tracebox with a larger --max-body, or split the file)\n`;

  app.post('/api/import', async (c) => {
    const raw = await readBody(c.req.raw, options.maxBody);
    if (raw === undefined) return c.text(tooLarge, 413);
    let answer: ImportAnswer;
    try {
      const body = decodeContentEncoding(raw, c.req.header('content-encoding'), options.maxBody);
      const { request, format } = importToProtobuf(body, { maxBytes: options.maxBody });
      const found = counts(request);
      const result = ingest(request, 'protobuf', c.req.header(SESSION_HEADER));
      // `rejected` also counts spans the decoder passed but the store found malformed.
      const accepted = found.spans - (result.rejected - found.rejected);
      answer = { traces: found.traces, spans: accepted, rejected: result.rejected, format };
      if (result.rejected > 0) answer = { ...answer, message: result.message };
    } catch (err) {
      if (err instanceof ImportTooLargeError) return c.text(tooLarge, 413);
      throw err;
    }
    return c.json(answer);
  });

  app.all('/api/import', (c) => c.text('method not allowed: POST a trace file to /api/import\n', 405, { Allow: 'POST' }));

  return app;
}
