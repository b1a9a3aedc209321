/**
 * Calls between threads: a request carries an id, the answer (or error) comes back with
 * it. Errors keep their kind across the boundary, because the receivers answer a bad
 * request, an overload and a bug differently.
 */
import type { MessagePort, Transferable, Worker } from 'node:worker_threads';
import { BadRequestError, UnavailableError } from '../shared/errors.ts';

export type Port = Pick<MessagePort | Worker, 'postMessage' | 'on' | 'off'>;

interface CallMessage {
  readonly rpc: 'call';
  readonly id: number;
  readonly method: string;
  readonly args: unknown;
}

interface ReplyMessage {
  readonly rpc: 'reply';
  readonly id: number;
  readonly value?: unknown;
  readonly error?: { readonly kind: 'bad-request' | 'unavailable' | 'internal'; readonly message: string };
}

/** What a handler returns: a value, and the buffers in it to transfer rather than copy. */
export interface Answer {
  readonly value: unknown;
  readonly transfer?: readonly Transferable[];
}

export type Handler = (args: never) => Answer | Promise<Answer>;

function errorKind(err: unknown): NonNullable<ReplyMessage['error']>['kind'] {
  if (err instanceof BadRequestError) return 'bad-request';
  if (err instanceof UnavailableError) return 'unavailable';
  return 'internal';
}

/** The error as it crosses to another thread; an internal one (a bug) is logged here, with its stack, as `what`. */
export function errorReply(err: unknown, what: string, log: (line: string) => void): NonNullable<ReplyMessage['error']> {
  const kind = errorKind(err);
  if (kind === 'internal') log(`${what}: ${(err as Error)?.stack ?? String(err)}`);
  return { kind, message: (err as Error)?.message ?? String(err) };
}

/** The error a reply carries, as its kind of Error again. */
function errorOf(error: NonNullable<ReplyMessage['error']>): Error {
  if (error.kind === 'bad-request') return new BadRequestError(error.message);
  if (error.kind === 'unavailable') return new UnavailableError(error.message);
  return new Error(error.message);
}

/** Sends the answer to call `id` on `port`: how a thread answers a call that another thread made. */
export function postReply(port: Port, id: number, answer: { readonly value: unknown } | { readonly error: NonNullable<ReplyMessage['error']> }): void {
  port.postMessage({ rpc: 'reply', id, ...answer } satisfies ReplyMessage);
}

/** Answers calls arriving on `port` with `handlers`; other messages are left to other listeners. */
export function serve(port: Port, handlers: Readonly<Record<string, Handler>>, log: (line: string) => void): void {
  port.on('message', (message: CallMessage) => {
    if (message?.rpc !== 'call') return;
    const handler = handlers[message.method];
    const reply = (r: Omit<ReplyMessage, 'rpc' | 'id'>, transfer?: readonly Transferable[]): void =>
      port.postMessage({ rpc: 'reply', id: message.id, ...r } satisfies ReplyMessage, transfer as Transferable[] | undefined);
    if (handler === undefined) {
      reply({ error: { kind: 'internal', message: `no such call: ${message.method}` } });
      return;
    }
    const fail = (err: unknown): void => reply({ error: errorReply(err, message.method, log) });
    try {
      Promise.resolve(handler(message.args as never)).then((answer) => reply({ value: answer.value }, answer.transfer), fail);
    } catch (err) {
      fail(err);
    }
  });
}

/**
 * Answers awaited by id on a port. A Client's own calls wait here; so does a thread that
 * handed a call on to a third one, for that thread's reply (postReply): one hop shorter
 * than a relay.
 */
export class Answers {
  protected readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(port: Port) {
    port.on('message', (message: ReplyMessage) => {
      if (message?.rpc !== 'reply') return;
      const p = this.pending.get(message.id);
      if (p === undefined) return;
      this.pending.delete(message.id);
      if (message.error === undefined) p.resolve(message.value);
      else p.reject(errorOf(message.error));
    });
  }

  /** The answer to `id`, once it comes; register before the call is made. */
  waitFor<T>(id: number): Promise<T> {
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** No answer to `id` will come (the call was answered the usual way). */
  cancel(id: number): void {
    this.pending.delete(id);
  }

  /** Fails every answer awaited (the other side is gone). */
  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Makes calls over `port`. */
export class Client extends Answers {
  private next = 1;

  constructor(private readonly port: Port) {
    super(port);
  }

  /** Calls in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  call<T>(method: string, args?: unknown, transfer?: readonly Transferable[]): Promise<T> {
    const id = this.next++;
    const answer = this.waitFor<T>(id);
    try {
      this.port.postMessage({ rpc: 'call', id, method, args } satisfies CallMessage, transfer as Transferable[] | undefined);
    } catch (err) {
      this.cancel(id);
      return Promise.reject(err as Error);
    }
    return answer;
  }
}
