/**
 * @module
 * tracebox in a child process for the benchmarks: a real server does not share its
 * process with its clients, so the client's work is never charged to it. This file is
 * also the child's entry point (forked with `--tracebox-child`).
 *
 * @example
 *   const server = await startChildServer({ options: { data: dir } });
 *   await server.resetCpu(); … const { cpuUs } = await server.usage(); await server.close();
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TraceboxOptions } from '../../src/server.ts';

/** The options that can cross to a child process (no functions). */
export type ChildOptions = Omit<TraceboxOptions, 'log'>;

export interface ChildServer {
  readonly otlpHttpUrl: string;
  readonly otlpGrpcUrl: string;
  readonly apiUrl: string;
  readonly pid: number;
  /** Starts counting CPU from now. */
  resetCpu(): Promise<void>;
  /** CPU time of the server process (all its threads) since resetCpu(), µs, and its peak RSS, bytes. */
  usage(): Promise<{ cpuUs: number; maxRss: number }>;
  close(): Promise<void>;
}

type ToChild = { type: 'reset' } | { type: 'usage' } | { type: 'close' };
type FromChild =
  | { type: 'ready'; otlpHttpUrl: string; otlpGrpcUrl: string; apiUrl: string }
  | { type: 'reset' }
  | { type: 'usage'; cpuUs: number; maxRss: number }
  | { type: 'error'; message: string };

const SELF = fileURLToPath(import.meta.url);
const OWN_SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

export interface StartOptions {
  readonly options: ChildOptions;
  /** Another version's src/server.ts (a baseline checkout); default this one. */
  readonly serverModule?: string;
  /** Extra Node flags, e.g. --cpu-prof. */
  readonly execArgv?: readonly string[];
}

export async function startChildServer(start: StartOptions): Promise<ChildServer> {
  const serverModule = start.serverModule ?? OWN_SERVER;
  const child: ChildProcess = fork(SELF, ['--tracebox-child', serverModule, JSON.stringify(start.options)], {
    execArgv: [...process.execArgv, ...(start.execArgv ?? [])],
    cwd: path.dirname(path.dirname(serverModule)),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  function next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromChild): void => {
        cleanup();
        if (msg.type === type) resolve(msg as Extract<FromChild, { type: T }>);
        else if (msg.type === 'error') reject(new Error(`server process: ${msg.message}`));
        else reject(new Error(`server process: expected ${type}, got ${msg.type}`));
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`server process exited (code ${code}) while waiting for ${type}`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  }
  const ask = <T extends 'reset' | 'usage'>(type: T): Promise<Extract<FromChild, { type: T }>> => {
    const reply = next(type);
    child.send({ type } satisfies ToChild);
    return reply;
  };

  const ready = await next('ready');
  return {
    otlpHttpUrl: ready.otlpHttpUrl,
    otlpGrpcUrl: ready.otlpGrpcUrl,
    apiUrl: ready.apiUrl,
    pid: child.pid!,
    resetCpu: async () => void (await ask('reset')),
    usage: async () => {
      const { cpuUs, maxRss } = await ask('usage');
      return { cpuUs, maxRss };
    },
    close: async () => {
      if (child.connected) child.send({ type: 'close' } satisfies ToChild);
      const code = await exited;
      if (code !== 0) throw new Error(`server process exited with code ${code}`);
    },
  };
}

async function childMain(serverModule: string, options: ChildOptions): Promise<void> {
  const send = (msg: FromChild): void => void process.send!(msg);
  let tb: { otlpHttpUrl: string; otlpGrpcUrl: string; apiUrl: string; close(): Promise<void> };
  try {
    const { startTracebox } = (await import(pathToFileURL(serverModule).href)) as typeof import('../../src/server.ts');
    tb = await startTracebox({ ...options, log: (line) => process.stderr.write(`tracebox: ${line}\n`) });
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
    process.disconnect();
    return;
  }
  let cpu = process.cpuUsage();
  process.on('message', (msg: ToChild) => {
    void (async () => {
      try {
        if (msg.type === 'reset') {
          cpu = process.cpuUsage();
          send({ type: 'reset' });
        } else if (msg.type === 'usage') {
          const c = process.cpuUsage(cpu);
          send({ type: 'usage', cpuUs: c.user + c.system, maxRss: process.resourceUsage().maxRSS * 1024 });
        } else if (msg.type === 'close') {
          await tb.close();
          process.disconnect(); // exits normally, so --cpu-prof writes its profile
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).stack ?? String(err) });
      }
    })();
  });
  send({ type: 'ready', otlpHttpUrl: tb.otlpHttpUrl, otlpGrpcUrl: tb.otlpGrpcUrl, apiUrl: tb.apiUrl });
}

if (process.argv[2] === '--tracebox-child' && process.argv[1] === SELF) {
  void childMain(process.argv[3], JSON.parse(process.argv[4]) as ChildOptions);
}
