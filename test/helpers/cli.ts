/**
 * Runs the real `tracebox` command (src/cli.ts through tsx) as a child process; startCommand()
 * runs any command that prints tracebox's banner (scripts/smoke.ts: the built artifacts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'src/cli.ts');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly otlpGrpcUrl: string;
  readonly otlpHttpUrl: string;
  readonly apiUrl: string;
  readonly banner: string;
  /** Resolves when the process exits. */
  readonly exited: Promise<Exit>;
  /** SIGTERM, then the exit. */
  stop(): Promise<Exit>;
}

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRACEBOX_') && !k.startsWith('NODE_TEST')) out[k] = v;
  return { ...out, ...env };
}

const tsxCli = (args: readonly string[]): string[] => [process.execPath, '--import', 'tsx', CLI, ...args];

export interface CommandOptions {
  readonly env?: Record<string, string>;
  /** How long the banner may take (default 15 s). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /**
   * Runs the command in a process group of its own and signals the whole group, as a
   * terminal's Ctrl-C would: needed when tracebox runs under a wrapper such as npx, whose
   * `sh -c` does not pass SIGTERM on.
   */
  readonly processGroup?: boolean;
}

function launch(
  argv: readonly string[],
  env: Record<string, string>,
  cwd = REPO,
  processGroup = false,
): { child: ChildProcess; exited: Promise<Exit>; output: () => { stdout: string; stderr: string } } {
  const child = spawn(argv[0], argv.slice(1), { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: processGroup });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs the command to completion (kills it after `timeoutMs`). */
export async function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Exit> {
  const { child, exited } = launch(tsxCli(args), env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the command and waits for its banner with the endpoints. */
export function startCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<RunningCli> {
  return startCommand(tsxCli(args), { env, timeoutMs });
}

/** Starts `argv` (a tracebox, however packaged) and waits for its banner with the endpoints. */
export async function startCommand(argv: readonly string[], options: CommandOptions = {}): Promise<RunningCli> {
  const { env = {}, timeoutMs = 15_000, cwd = REPO, processGroup = false } = options;
  const { child, exited, output } = launch(argv, env, cwd, processGroup);
  const signal = (name: NodeJS.Signals): void => {
    if (processGroup) process.kill(-child.pid!, name);
    else child.kill(name);
  };
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`tracebox did not print its endpoints within ${timeoutMs} ms:\n${JSON.stringify(output())}`));
    }, timeoutMs);
    const check = (): void => {
      const { stdout } = output();
      // The banner ends with the OTEL_EXPORTER_OTLP_ENDPOINT line.
      const last = stdout.indexOf('OTEL_EXPORTER_OTLP_ENDPOINT=');
      if (last >= 0 && stdout.includes('\n', last)) {
        clearTimeout(timer);
        resolve(stdout);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`tracebox exited early (${e.code ?? e.signal}):\n${e.stdout}${e.stderr}`));
    });
  });
  const field = (label: string): string => {
    const m = new RegExp(`${label}\\s+(http://\\S+)`).exec(banner);
    if (!m) throw new Error(`no ${label} line in:\n${banner}`);
    return m[1];
  };
  const http = field('OTLP/HTTP');
  return {
    child,
    banner,
    otlpGrpcUrl: field('OTLP/gRPC'),
    otlpHttpUrl: http.replace(/\/v1\/traces$/, ''),
    apiUrl: field('Tempo API'),
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) signal('SIGTERM');
      return exited;
    },
  };
}
