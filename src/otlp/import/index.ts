/**
 * Trace files in the shapes people have → one ExportTraceServiceRequest, for
 * `POST /api/import` (and so `tracebox import`); OTLP/JSON log requests (`resourceLogs`,
 * alone or as lines beside trace requests, as `tracebox export --logs` writes them) → one
 * ExportLogsServiceRequest beside it:
 *
 *   - OTLP/JSON: one ExportTraceServiceRequest/TracesData object (`resourceSpans`), an
 *     array of them, or JSON lines with one per line (the Collector's file exporter);
 *   - Tempo's trace JSON: v1 `{"batches":[…]}` and v2 `{"trace":{"resourceSpans":[…]}}`;
 *   - Grafana's "Download trace" JSON (see tempo.ts);
 *   - Jaeger JSON: `{"data":[trace…]}`, a trace object, or an array of traces (see jaeger.ts);
 *   - any of these gzip-compressed (recognised by the magic bytes).
 *
 * Each request is encoded by otlpJsonToProtobuf, and the encodings are concatenated:
 * ExportTraceServiceRequest is only `repeated ResourceSpans = 1`, so the concatenation
 * is the one request holding them all. Malformed input is a BadRequestError naming the
 * line (JSON lines, or line and column for one document) and the JSON path.
 */
import zlib from 'node:zlib';
import { BadRequestError } from '../../shared/errors.ts';
import { OtlpJsonError, otlpJsonToProtobuf, otlpLogsJsonToProtobuf } from '../json-to-protobuf.ts';
import { describe, isObject, jaegerToOtlpJson, looksLikeJaeger } from './jaeger.ts';
import { lineAndColumn, syntaxErrorOffset } from './json-position.ts';
import { hasLegacyScopes, isGrafanaDownload, normalizeResourceSpans } from './tempo.ts';

export type ImportFormat = 'OTLP/JSON' | 'OTLP/JSON logs' | 'OTLP/JSON lines' | 'Tempo v1 JSON' | 'Tempo v2 JSON' | 'Grafana trace download' | 'Jaeger JSON';

export interface ConvertedImport {
  /** One ExportTraceServiceRequest with every ResourceSpans of the input (empty when it had none). */
  readonly request: Uint8Array;
  /** One ExportLogsServiceRequest with every ResourceLogs of the input; undefined when it had none. */
  readonly logs?: Uint8Array;
  /** The shapes found, e.g. ['Jaeger JSON']; '(gzip)' is appended when the input was compressed. */
  readonly format: string;
}

/** The decompressed input would exceed `maxBytes`. */
export class ImportTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the decompressed input exceeds the limit of ${limit} bytes`);
    this.name = 'ImportTooLargeError';
  }
}

type Obj = Record<string, unknown>;

interface Context {
  /** 1-based line of a JSON lines file. */
  readonly line?: number;
  readonly formats: Set<ImportFormat>;
  readonly parts: Uint8Array[];
  readonly logParts: Uint8Array[];
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/**
 * Converts a trace file to ExportTraceServiceRequest bytes.
 *
 * @param maxBytes largest decompressed size accepted (a gzip bomb stops there)
 * @throws BadRequestError for input that is not one of the shapes, ImportTooLargeError
 */
export function importToProtobuf(input: Uint8Array, options: { maxBytes?: number } = {}): ConvertedImport {
  let bytes = input;
  let gzip = false;
  // A .json.gz sent with Content-Encoding: gzip arrives compressed twice.
  for (let round = 0; round < 2 && isGzip(bytes); round++) {
    bytes = gunzip(bytes, options.maxBytes);
    gzip = true;
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new BadRequestError('the input is empty: expected OTLP/JSON, Tempo, Grafana or Jaeger trace JSON');

  const ctx: Context = { formats: new Set(), parts: [], logParts: [] };
  let parsed: unknown;
  let syntaxError: SyntaxError | undefined;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    syntaxError = err;
  }
  if (syntaxError === undefined) convertTop(parsed, ctx);
  else jsonLines(text, syntaxError, ctx);

  const request = ctx.parts.length === 1 ? ctx.parts[0] : Buffer.concat(ctx.parts);
  const format = [...ctx.formats].join(', ') || 'OTLP/JSON';
  return { request, ...(ctx.logParts.length === 0 ? {} : { logs: Buffer.concat(ctx.logParts) }), format: gzip ? `${format} (gzip)` : format };
}

export function gunzip(bytes: Uint8Array, maxBytes?: number): Uint8Array {
  try {
    return zlib.gunzipSync(bytes, maxBytes === undefined ? {} : { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ImportTooLargeError(maxBytes ?? 0);
    throw new BadRequestError(`invalid gzip data: ${(err as Error).message}`);
  }
}

/**
 * The text is not one JSON document. When its first line is, it is JSON lines and each
 * line is converted on its own; otherwise the document's own syntax error is reported.
 */
function jsonLines(text: string, documentError: SyntaxError, ctx: Context): void {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  let firstOk = true;
  try {
    JSON.parse(lines[first]);
  } catch {
    firstOk = false;
  }
  if (!firstOk) throw new BadRequestError(`invalid JSON${where(text)}: ${oneLine(documentError.message)}`);
  for (let i = first; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const offset = syntaxErrorOffset(line);
      const column = offset === undefined ? '' : `, column ${lines[i].indexOf(line) + offset + 1}`;
      throw new BadRequestError(`line ${i + 1}${column}: invalid JSON: ${oneLine((err as Error).message)}`);
    }
    convertTop(value, { ...ctx, line: i + 1 });
  }
  // OTLP requests one per line: the Collector's file exporter.
  const logs = ctx.formats.delete('OTLP/JSON logs');
  if (ctx.formats.delete('OTLP/JSON') || ctx.formats.size === 0) ctx.formats.add('OTLP/JSON lines');
  if (logs) ctx.formats.add('OTLP/JSON logs');
}

/** V8 quotes the text around a syntax error, newlines included. */
function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ');
}

/** ` at line L, column C` of the first syntax error. */
function where(text: string): string {
  const offset = syntaxErrorOffset(text);
  return offset === undefined ? '' : ` at ${lineAndColumn(text, offset)}`;
}

function convertTop(value: unknown, ctx: Context): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => isObject(v) && typeof v.traceId === 'string' && typeof v.id === 'string' && v.resourceSpans == null)) {
      fail(ctx, '(top level)', 'this is Zipkin v2 JSON, which tracebox does not import; send it to a Zipkin receiver or convert it to OTLP');
    }
    value.forEach((item, i) => {
      if (!isObject(item)) fail(ctx, `[${i}]`, `expected a trace object, got ${describe(item)}`);
      convertObject(item, `[${i}].`, ctx);
    });
    return;
  }
  if (!isObject(value)) fail(ctx, '(top level)', `expected a JSON object or array, got ${describe(value)}`);
  convertObject(value, '', ctx);
}

function convertObject(o: Obj, prefix: string, ctx: Context): void {
  const resourceLogs = o.resourceLogs ?? o.resource_logs;
  if (resourceLogs !== undefined) {
    ctx.formats.add('OTLP/JSON logs');
    try {
      ctx.logParts.push(otlpLogsJsonToProtobuf({ resourceLogs }));
    } catch (err) {
      if (!(err instanceof OtlpJsonError)) throw err;
      fail(ctx, `${prefix}${err.path === 'request body' ? '' : err.path}`.replace(/\.$/, '') || '(top level)', err.message.slice(err.path.length + 2));
    }
    return;
  }
  const resourceSpans = o.resourceSpans ?? o.resource_spans;
  if (resourceSpans !== undefined) {
    ctx.formats.add('OTLP/JSON');
    const rs = hasLegacyScopes(resourceSpans) ? normalizeResourceSpans(resourceSpans, false) : resourceSpans;
    encode({ resourceSpans: rs }, prefix, rs === resourceSpans ? undefined : 'resourceSpans', ctx);
    return;
  }
  if (o.batches !== undefined) {
    const grafana = isGrafanaDownload(o.batches);
    ctx.formats.add(grafana ? 'Grafana trace download' : 'Tempo v1 JSON');
    encode({ resourceSpans: normalizeResourceSpans(o.batches, grafana) }, prefix, 'batches', ctx);
    return;
  }
  if (isObject(o.trace)) {
    ctx.formats.add('Tempo v2 JSON');
    const t = o.trace;
    const inner = t.resourceSpans ?? t.resource_spans ?? t.batches;
    // Tempo answers an unknown trace with `{"trace":{}}`: nothing to import.
    if (inner === undefined) return;
    encode({ resourceSpans: normalizeResourceSpans(inner, isGrafanaDownload(inner)) }, `${prefix}trace.`, t.resourceSpans !== undefined ? 'resourceSpans' : t.resource_spans !== undefined ? 'resource_spans' : 'batches', ctx);
    return;
  }
  if (looksLikeJaeger(o)) {
    ctx.formats.add('Jaeger JSON');
    const json = jaegerToOtlpJson(o, prefix, (path, detail) => fail(ctx, path, detail));
    encode(json, prefix, undefined, ctx, true);
    return;
  }
  const keys = Object.keys(o).slice(0, 6).map((k) => JSON.stringify(k)).join(', ');
  fail(
    ctx,
    prefix === '' ? '(top level)' : prefix.slice(0, -1),
    `not a trace format tracebox knows: expected "resourceSpans" or "resourceLogs" (OTLP/JSON), "batches" or "trace" (Tempo, Grafana) or "data" (Jaeger), got an object with ${keys === '' ? 'no keys' : `keys ${keys}`}`,
  );
}

/**
 * otlpJsonToProtobuf with its error path put back into the file's terms: `key` is the
 * name the file used for resourceSpans, `prefix` where the object sits.
 */
function encode(request: Obj, prefix: string, key: string | undefined, ctx: Context, converted = false): void {
  try {
    ctx.parts.push(otlpJsonToProtobuf(request));
  } catch (err) {
    if (!(err instanceof OtlpJsonError)) throw err;
    const detail = err.message.slice(err.path.length + 2);
    let path = err.path === 'request body' ? '' : err.path;
    if (key !== undefined && path.startsWith('resourceSpans')) path = key + path.slice('resourceSpans'.length);
    if (converted) fail(ctx, prefix.replace(/\.$/, '') || '(top level)', `${detail} (at ${path || 'the top'} of the converted OTLP request)`);
    const at = `${prefix}${path}`;
    fail(ctx, at.replace(/\.$/, '') || '(top level)', detail);
  }
}

function fail(ctx: Context, path: string, detail: string): never {
  throw new BadRequestError(`${ctx.line === undefined ? '' : `line ${ctx.line}: `}${path}: ${detail}`);
}
