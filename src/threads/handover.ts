/**
 * Handing HTTP requests from the main thread (which owns the sockets) to a query thread
 * (which runs the API app) and the response back, streamed in chunks. When the client
 * goes away, the query thread's request signal fires, so a long search stops there.
 */
import type { MessagePort, Transferable, Worker } from 'node:worker_threads';

type Headers = Array<[string, string]>;

type ToQuery =
  | { readonly http: 'request'; readonly id: number; readonly method: string; readonly url: string; readonly headers: Headers; readonly body: Uint8Array | null; readonly bindings: unknown }
  | { readonly http: 'cancel'; readonly id: number };

type FromQuery =
  | { readonly http: 'head'; readonly id: number; readonly status: number; readonly headers: Headers }
  | { readonly http: 'chunk'; readonly id: number; readonly data: Uint8Array }
  | { readonly http: 'end'; readonly id: number }
  | { readonly http: 'error'; readonly id: number; readonly message: string };

/** Bytes this side owns alone (not a view into a shared pool), so they can be transferred. */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export interface FetchApp {
  fetch(request: Request, env: unknown): Response | Promise<Response>;
}

/** The query thread's side: runs each handed-over request through `app`. */
export function serveHttp(port: MessagePort, app: FetchApp, log: (line: string) => void): void {
  const running = new Map<number, AbortController>();
  const send = (message: FromQuery, transfer?: Transferable[]): void => port.postMessage(message, transfer);

  async function handle(m: Extract<ToQuery, { http: 'request' }>): Promise<void> {
    const abort = new AbortController();
    running.set(m.id, abort);
    try {
      const init: RequestInit = { method: m.method, headers: m.headers, signal: abort.signal };
      if (m.body !== null && m.method !== 'GET' && m.method !== 'HEAD') init.body = m.body as Uint8Array<ArrayBuffer>;
      const res = await app.fetch(new Request(m.url, init), m.bindings);
      const headers: Headers = [];
      res.headers.forEach((value, name) => headers.push([name, value]));
      send({ http: 'head', id: m.id, status: res.status, headers });
      if (res.body !== null) {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const data = owned(value);
          send({ http: 'chunk', id: m.id, data }, [data.buffer as ArrayBuffer]);
        }
      }
      send({ http: 'end', id: m.id });
    } catch (err) {
      if (!abort.signal.aborted) log(`api: ${m.method} ${m.url}: ${(err as Error).stack ?? String(err)}`);
      send({ http: 'error', id: m.id, message: (err as Error).message ?? String(err) });
    } finally {
      running.delete(m.id);
    }
  }

  port.on('message', (m: ToQuery) => {
    if (m?.http === 'request') void handle(m);
    else if (m?.http === 'cancel') running.get(m.id)?.abort();
  });
}

interface Pending {
  readonly head: (response: Response) => void;
  readonly fail: (err: Error) => void;
  /** The response body's stream, until it is closed or its reader went away. */
  controller?: ReadableStreamDefaultController<Uint8Array>;
  /** Counts toward its thread's load (long polls such as /api/expect do not). */
  readonly busy: boolean;
}

/** One query thread as the main thread sees it. */
export class QueryThread {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests in flight that keep the thread busy. */
  load = 0;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromQuery) => {
      if (typeof m?.http !== 'string') return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      if (m.http === 'head') {
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => void (p.controller = controller),
          // The client went away while the body streamed: the rest is not wanted.
          cancel: () => {
            p.controller = undefined;
            this.worker.postMessage({ http: 'cancel', id: m.id } satisfies ToQuery);
          },
        });
        p.head(new Response(m.status === 204 || m.status === 304 ? null : body, { status: m.status, headers: m.headers }));
      } else if (m.http === 'chunk') {
        p.controller?.enqueue(m.data);
      } else {
        this.done(m.id, p);
        if (m.http === 'end') p.controller?.close();
        else if (p.controller !== undefined) p.controller.error(new Error(m.message));
        else p.fail(new Error(m.message));
        p.controller = undefined;
      }
    });
  }

  private done(id: number, p: Pending): void {
    this.pending.delete(id);
    if (p.busy) this.load--;
  }

  /** Hands `req` (with its body already read) to the thread. */
  handOver(req: Request, body: Uint8Array | null, bindings: unknown, busy: boolean): Promise<Response> {
    const id = this.next++;
    return new Promise<Response>((head, fail) => {
      this.pending.set(id, { head, fail, busy });
      if (busy) this.load++;
      const headers: Headers = [];
      req.headers.forEach((value, name) => headers.push([name, value]));
      const bytes = body === null ? null : owned(body);
      const message: ToQuery = { http: 'request', id, method: req.method, url: req.url, headers, body: bytes, bindings };
      this.worker.postMessage(message, bytes === null ? [] : [bytes.buffer as ArrayBuffer]);
      req.signal.addEventListener('abort', () => this.worker.postMessage({ http: 'cancel', id } satisfies ToQuery), { once: true });
    });
  }

  /** The thread is gone: every request in flight fails. */
  failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.done(id, p);
      if (p.controller !== undefined) p.controller.error(err);
      else p.fail(err);
    }
  }
}
