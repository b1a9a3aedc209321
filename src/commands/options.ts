/** Flags shared by the client subcommands (`query`, `assert`, `export`, …). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config.ts';
import { DEFAULTS } from '../defaults.ts';
import { TraceboxClient } from '../testing/client.ts';

export const CLIENT_FLAGS = {
  url: { type: 'string' },
  session: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CLIENT_HELP = `  --url URL          the tracebox query API (default $TRACEBOX_URL or http://${DEFAULTS.host}:${DEFAULTS.port})
  --session ID       only this test session's spans`;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${usage}`);
  }
}

export function clientFor(values: { url?: string | boolean; session?: string | boolean }): TraceboxClient {
  const url = (typeof values.url === 'string' ? values.url : process.env.TRACEBOX_URL) ?? `http://${DEFAULTS.host}:${DEFAULTS.port}`;
  const client = new TraceboxClient(url.replace(/\/+$/, ''), '');
  return typeof values.session === 'string' ? client.session(values.session) : client;
}
