/**
 * The `tracebox` command line: `tracebox [serve] [flags]` runs the server; the other
 * subcommands talk to one (or start their own, for `run`). `tracebox --help` lists them,
 * `tracebox <command> --help` (or `tracebox help <command>`) shows one's flags.
 */
import { ConfigError, HELP } from '../config.ts';
import { serve } from './serve.ts';

export type Command = (args: readonly string[]) => Promise<number>;

interface CommandEntry {
  /** One line for `tracebox --help`. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** Subcommands by name; a first argument that starts with "-" is a flag of `serve`. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: { summary: 'receive, store and serve traces (the default; its options are below)', load: async () => serve },
  run: { summary: 'run a command with a fresh tracebox around it, then summarize its traces', load: async () => (await import('./run.ts')).run },
  query: { summary: 'print the spans a TraceQL query matches in a running tracebox', load: async () => (await import('./query.ts')).query },
  assert: { summary: 'exit 0 when a TraceQL query matches as many spans as expected, 1 otherwise', load: async () => (await import('./assert.ts')).assert },
  import: { summary: 'load trace files (OTLP/JSON, Tempo, Jaeger) into a running tracebox', load: async () => (await import('./import.ts')).importFiles },
  export: { summary: 'write traces (by id or TraceQL) as OTLP/JSON', load: async () => (await import('./export.ts')).exportTraces },
  runs: { summary: 'list the runs tracebox run recorded in a data directory (or a running tracebox)', load: async () => (await import('./runs.ts')).runs },
  diff: { summary: 'compare two runs (or selections, or files) per operation; exit 1 past --fail-on thresholds', load: async () => (await import('./diff.ts')).diff },
  doctor: { summary: 'show why spans are (not) arriving at a running tracebox', load: async () => (await import('./doctor.ts')).doctor },
};

/** `tracebox --help`: the commands, then the server's options. */
export function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  // serve's help: its usage line, a description, then its options.
  const [description, ...options] = HELP.replace(/^Usage: tracebox \[options\]\n\n/, '').split('\n\n');
  const lines = [
    'Usage: tracebox [serve] [options]        run tracebox (the default command)',
    '       tracebox <command> [arguments]',
    '',
    description,
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "tracebox <command> --help" (or "tracebox help <command>") for a command\'s flags.',
    '',
  ];
  return lines.join('\n') + '\n' + options.join('\n\n');
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The command a misspelled name was probably meant to be. */
export function suggest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of Object.keys(COMMANDS)) {
    const d = candidate.startsWith(name.toLowerCase()) ? 0 : distance(name.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(overview());
    return 0;
  }
  if (name === 'help') return runCli([rest[0], '--help']);
  if (name === undefined || name.startsWith('-')) return serve(argv);
  const entry = COMMANDS[name];
  if (entry === undefined) {
    const guess = suggest(name);
    throw new ConfigError(`unknown command "${name}"${guess === undefined ? '' : `; did you mean "${guess}"?`}\nRun tracebox --help for the commands.`);
  }
  return (await entry.load())(rest);
}
