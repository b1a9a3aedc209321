/**
 * How `tracebox runs` and `tracebox diff` reach the runs: a running tracebox (`--url`,
 * `$TRACEBOX_URL`), or a data directory (`--data`, `$TRACEBOX_DATA`, default ./.tracebox)
 * opened for the command's length on free loopback ports, retention off (reading must
 * not delete).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import { DEFAULTS } from '../defaults.ts';
import { DB_FILE } from '../store/index.ts';
import { startTracebox, TraceboxClient } from '../testing/index.ts';
import { CONNECTION_FLAGS, clientFor } from './options.ts';

export const STORE_FLAGS = { ...CONNECTION_FLAGS, data: { type: 'string' } } as const;

export const STORE_HELP = `  --data DIR         the data directory tracebox run --data wrote (default $TRACEBOX_DATA or ./${DEFAULTS.data})
  --url URL          a running tracebox's query API instead (default $TRACEBOX_URL)
  --auth-token TOKEN the token of a tracebox started with --auth-token (default $TRACEBOX_AUTH_TOKEN)`;

export async function withRuns<T>(values: { data?: string; url?: string; 'auth-token'?: string }, use: (client: TraceboxClient) => Promise<T>): Promise<T> {
  if (values.url !== undefined || (values.data === undefined && process.env.TRACEBOX_URL)) return use(clientFor(values));
  const dir = values.data ?? (process.env.TRACEBOX_DATA || DEFAULTS.data);
  if (!fs.existsSync(path.join(dir, DB_FILE))) {
    throw new ConfigError(`no tracebox data in ${dir}: record runs with "tracebox run --data ${dir} -- <command>", or give --url of a running tracebox`);
  }
  const tb = await startTracebox({ memory: false, data: dir, allowReset: false, retentionMs: 0, maxSize: 0, log: () => {} });
  try {
    return await use(new TraceboxClient(tb.apiUrl, tb.otlpHttpUrl));
  } finally {
    await tb.close();
  }
}
