/**
 * `POST /api/import`: a trace file in any shape src/otlp/import knows (OTLP/JSON, JSON
 * lines, Tempo, Grafana, Jaeger; gzip by Content-Encoding or magic bytes), stored through
 * the OTLP ingest path, so spans already stored are skipped; OTLP/JSON log requests in it
 * go through the logs ingest. Answers `{"traces":n,"spans":n,"rejected":n,"format":"…"}`
 * (`message` too when spans were rejected), and `logs` / `logsRejected` when it held logs.
 */
import { Hono } from 'hono';
import { PayloadTooLargeError, SESSION_HEADER, decodeExportRequest, decompress, readBody, ImportTooLargeError, importToProtobuf, type Ingest } from '../otlp/index.ts';
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
  /** Log records stored, and refused as invalid; only when the file held log requests. */
  readonly logs?: number;
  readonly logsRejected?: number;
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
    let answer: ImportAnswer;
    try {
      const raw = await readBody(c.req.raw, options.maxBody);
      // gzip is left to importToProtobuf, which knows it by its magic bytes and names it in `format`.
      const encoding = c.req.header('content-encoding');
      const body = /^\s*(x-)?gzip\s*$/i.test(encoding ?? '') ? raw : decompress(raw, encoding, options.maxBody);
      const { request, logs, format } = importToProtobuf(body, { maxBytes: options.maxBody });
      const session = c.req.header(SESSION_HEADER);
      const found = counts(request);
      answer = { traces: 0, spans: 0, rejected: 0, format };
      if (found.spans > 0 || found.rejected > 0 || logs === undefined) {
        const stored = await ingest({ body: request, format: 'protobuf', session });
        if (!stored.ok) throw new BadRequestError(stored.message);
        const { result } = stored;
        // `rejected` also counts spans the decoder passed but the store found malformed.
        const accepted = found.spans - (result.rejected - found.rejected);
        answer = { traces: found.traces, spans: accepted, rejected: result.rejected, format };
        if (result.rejected > 0) answer = { ...answer, message: result.message };
      }
      if (logs !== undefined) {
        const stored = await ingest({ body: logs, format: 'protobuf', session, signal: 'logs' });
        if (!stored.ok) throw new BadRequestError(stored.message);
        answer = { ...answer, logs: stored.result.stored, logsRejected: stored.result.rejected };
        if (stored.result.rejected > 0 && answer.message === undefined) answer = { ...answer, message: stored.result.message };
      }
    } catch (err) {
      if (err instanceof ImportTooLargeError || err instanceof PayloadTooLargeError) return c.text(tooLarge, 413);
      throw err;
    }
    return c.json(answer);
  });

  app.all('/api/import', (c) => c.text('method not allowed: POST a trace file to /api/import\n', 405, { Allow: 'POST' }));

  return app;
}
