/** Flags shared by the client subcommands (`query`, `assert`, `export`, …). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config.ts';
import { DEFAULTS } from '../defaults.ts';
import { TraceboxClient } from '../testing/index.ts';

/** How to reach a running tracebox: every client command takes these. */
export const CONNECTION_FLAGS = {
  url: { type: 'string' },
  'auth-token': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CLIENT_FLAGS = {
  ...CONNECTION_FLAGS,
  session: { type: 'string' },
} as const;

export const CONNECTION_HELP = `  --url URL          the tracebox query API (default $TRACEBOX_URL or http://${DEFAULTS.host}:${DEFAULTS.port})
  --auth-token TOKEN the token of a tracebox started with --auth-token (default $TRACEBOX_AUTH_TOKEN)`;

export const CLIENT_HELP = `${CONNECTION_HELP}
  --session ID       only this test session's spans`;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${usage}`);
  }
}

/** A client for the flags' (or TRACEBOX_URL's) tracebox, with the flag's or TRACEBOX_AUTH_TOKEN's token. */
export function clientFor(values: { url?: string | boolean; session?: string | boolean; 'auth-token'?: string | boolean }): TraceboxClient {
  const url = (typeof values.url === 'string' ? values.url : process.env.TRACEBOX_URL) ?? `http://${DEFAULTS.host}:${DEFAULTS.port}`;
  const flag = values['auth-token'];
  const token = typeof flag === 'string' ? flag : process.env.TRACEBOX_AUTH_TOKEN || undefined;
  const client = new TraceboxClient(url.replace(/\/+$/, ''), '', undefined, token);
  return typeof values.session === 'string' ? client.session(values.session) : client;
}
