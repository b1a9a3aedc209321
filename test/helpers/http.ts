/** HTTP helpers for the OTLP/HTTP receiver and the Tempo API. */
import http from 'node:http';
import zlib from 'node:zlib';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export const PROTOBUF = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

export interface PostOptions {
  readonly contentType?: string;
  /** Compresses the body and sets Content-Encoding. */
  readonly gzip?: boolean;
  readonly headers?: Record<string, string>;
}

/** POST /v1/traces (or another path of the receiver, such as /v1/logs). */
export async function postTraces(otlpHttpUrl: string, body: Uint8Array | string, options: PostOptions & { readonly path?: string } = {}): Promise<Answer> {
  let payload: Uint8Array = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? PROTOBUF, ...options.headers };
  if (options.gzip) {
    payload = zlib.gzipSync(payload);
    headers['Content-Encoding'] = 'gzip';
  }
  return answer(await fetch(`${otlpHttpUrl}${options.path ?? '/v1/traces'}`, { method: 'POST', body: new Uint8Array(payload), headers }));
}

/** POST with a chunked body (no Content-Length), written in `chunkSize` pieces. */
export function postChunked(otlpHttpUrl: string, body: Uint8Array, contentType: string, chunkSize = 1024): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'Content-Type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += chunkSize) req.write(body.subarray(i, i + chunkSize));
    req.end();
  });
}

export type TraceApi = 'v1' | 'v2';

function traceUrl(apiUrl: string, api: TraceApi, id: string, query?: Record<string, string>): string {
  const qs = query ? '?' + new URLSearchParams(query).toString() : '';
  return `${apiUrl}${api === 'v1' ? '/api/traces/' : '/api/v2/traces/'}${id}${qs}`;
}

/** GET a trace by id as JSON (no Accept header, as a browser or curl would). */
export async function getTraceJson(apiUrl: string, api: TraceApi, id: string, query?: Record<string, string>): Promise<Answer> {
  return answer(await fetch(traceUrl(apiUrl, api, id, query)));
}

/** GET a trace by id with `Accept: application/protobuf`, as Grafana does. */
export async function getTraceProtobuf(apiUrl: string, api: TraceApi, id: string, query?: Record<string, string>): Promise<Answer> {
  return answer(await fetch(traceUrl(apiUrl, api, id, query), { headers: { Accept: 'application/protobuf' } }));
}

export async function get(url: string, headers?: Record<string, string>): Promise<Answer> {
  return answer(await fetch(url, { headers }));
}

export interface RawRequest {
  readonly method?: string;
  /** Sent exactly as given (fetch would resolve `..` first). */
  readonly path: string;
  /** Any header, Host included (fetch sets Host itself). */
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** One request over node:http, headers as given. */
export function rawRequest(base: string, r: RawRequest): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: r.path, method: r.method ?? 'GET', headers: r.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

export function json(a: Answer): Record<string, unknown> {
  return JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
}
