/** Starting tracebox for a test: free ports, in memory unless a data dir is given, problem lines captured. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTracebox, type Tracebox, type TraceboxOptions } from '../../src/server.ts';

export interface TestTracebox extends Tracebox {
  /** Lines tracebox logged (instead of writing them to stderr). */
  readonly logs: string[];
}

export async function startTestTracebox(options: TraceboxOptions = {}): Promise<TestTracebox> {
  const logs: string[] = [];
  const tb = await startTracebox({
    memory: options.data === undefined,
    port: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    log: (line) => logs.push(line),
    ...options,
  });
  return Object.assign(tb, { logs });
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'tracebox-test-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;
/** A random 16-byte trace id in hex; `leadingZeroBytes` zero bytes first (to test URL padding). */
export function randomTraceId(leadingZeroBytes = 0): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes.fill(0, 0, leadingZeroBytes);
  bytes[15] = (bytes[15] & 0xf0) | (++counter & 0x0f) | 1; // never all zeros
  return Buffer.from(bytes).toString('hex');
}

export function randomSpanId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  bytes[7] |= 1;
  return Buffer.from(bytes).toString('hex');
}

/** Holds a loopback port open until `release()` (to test "port in use"). */
export async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { port, release } = await holdPort();
  await release();
  return port;
}
