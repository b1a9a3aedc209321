/**
 * What a new connection speaks, from its first bytes: HTTP/2 with prior knowledge (the
 * client preface, as gRPC clients send it over cleartext), HTTP/1.x, or a TLS handshake.
 * Lets one port serve HTTP/1.1 and gRPC, and a port meant for one of them tell a client of
 * the other what went wrong.
 */
import type { Socket } from 'node:net';

export type ConnectionKind = 'http2' | 'http1' | 'tls' | 'unknown';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');
const HTTP1_METHOD = /^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH) (\S+) HTTP\/1\.[01]/;

/** The kind of a connection whose first bytes are `head`; undefined while they could still be the HTTP/2 preface. */
export function classify(head: Buffer): ConnectionKind | undefined {
  const n = Math.min(head.length, PREFACE.length);
  if (n > 0 && head.subarray(0, n).equals(PREFACE.subarray(0, n))) return n === PREFACE.length ? 'http2' : undefined;
  if (head[0] === 0x16 && head[1] === 0x03) return 'tls';
  if (HTTP1_METHOD.test(head.subarray(0, 64).toString('latin1'))) return 'http1';
  return 'unknown';
}

/**
 * Reads from `socket` until its kind is known, then pauses it, puts the bytes read back
 * and calls `decided`, which hands the socket on (an HTTP/2 session and Node's HTTP/1
 * parser both take over bytes put back into a paused socket). A socket that says nothing
 * for `silentMs` is closed, so idle connections cannot pile up before anyone owns them.
 */
export function sniff(socket: Socket, silentMs: number, decided: (kind: ConnectionKind, head: Buffer) => void): void {
  let head: Buffer = Buffer.alloc(0);
  socket.setTimeout(silentMs, () => socket.destroy());
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const kind = classify(head);
    if (kind === undefined) return;
    socket.off('data', onData);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(head);
    decided(kind, head);
  };
  socket.on('data', onData);
}
