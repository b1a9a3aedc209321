/**
 * The `tracebox` command line: `tracebox [serve] [flags]` runs the server; the other
 * subcommands talk to one (or start their own, for `run`).
 */
import { serve } from './serve.ts';

export type Command = (args: readonly string[]) => Promise<number>;

/** Subcommands by name; a first argument that is not one of them is a flag of `serve`. */
export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => serve,
  query: async () => (await import('./query.ts')).query,
  assert: async () => (await import('./assert.ts')).assert,
  run: async () => (await import('./run.ts')).run,
  doctor: async () => (await import('./doctor.ts')).doctor,
  import: async () => (await import('./import.ts')).importFiles,
  export: async () => (await import('./export.ts')).exportTraces,
};

export async function runCli(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  const load = name !== undefined ? COMMANDS[name] : undefined;
  if (load === undefined) return serve(argv);
  return (await load())(argv.slice(1));
}
