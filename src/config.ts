/**
 * Command-line flags and TRACEBOX_* environment variables → TraceboxOptions, validated
 * in one place. A flag wins over its variable, which wins over the default.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS } from './defaults.ts';
import { parseDuration } from './traceql/duration.ts';
import type { TraceboxOptions } from './server.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; options: TraceboxOptions };

export const HELP = `Usage: tracebox [options]

Receives OpenTelemetry traces over OTLP, stores them in SQLite and serves them
through Grafana Tempo's HTTP API and a bundled viewer.

Options (each also read from TRACEBOX_<NAME>, e.g. TRACEBOX_PORT=3300):
  --host HOST             interface to bind (default ${DEFAULTS.host})
  --port PORT             query API and viewer (default ${DEFAULTS.port})
  --otlp-http-port PORT   OTLP/HTTP receiver (default ${DEFAULTS.otlpHttpPort})
  --otlp-grpc-port PORT   OTLP/gRPC receiver (default ${DEFAULTS.otlpGrpcPort})
  --data DIR              data directory (default ./${DEFAULTS.data})
  --memory                keep spans in memory only
  --max-body SIZE         largest OTLP request, e.g. 16MiB (default 16MiB)
  --max-pending SIZE      request bytes waiting to be stored before exports are refused
                          as retryable (HTTP 503, gRPC UNAVAILABLE; default 64MiB)
  --retention DURATION    delete traces that arrived longer ago, e.g. 72h, 30m (default 72h; 0 keeps all)
  --max-size SIZE         keep the database under this size, oldest traces go first (default 1GiB; 0: no limit)
  --allow-reset           let DELETE /api/traces delete stored traces
  -h, --help              show this help
  -v, --version           print the version

A port of 0 picks a free port; the endpoints printed at start show the real ones.
`;

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'otlp-http-port': { type: 'string' },
  'otlp-grpc-port': { type: 'string' },
  data: { type: 'string' },
  memory: { type: 'boolean' },
  'max-body': { type: 'string' },
  'max-pending': { type: 'string' },
  'allow-reset': { type: 'boolean' },
  retention: { type: 'string' },
  'max-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type FlagName = keyof typeof FLAGS;

function envName(flag: string): string {
  return 'TRACEBOX_' + flag.toUpperCase().replace(/-/g, '_');
}

function parsePort(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new ConfigError(`--${flag}: expected a port number from 0 to 65535, got "${text}"`);
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) * unit < 1) {
    throw new ConfigError(`--${flag}: expected a size such as 16MiB, 512KiB or 1048576, got "${text}"`);
  }
  return Math.floor(Number(m[1]) * unit);
}

function parseRetention(text: string): number {
  if (text === '0') return 0;
  const ns = parseDuration(text);
  if (ns === null || ns <= 0) throw new ConfigError(`--retention: expected a duration such as 72h or 30m, or 0, got "${text}"`);
  return Math.round(ns / 1e6);
}

function parseBool(flag: string, text: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off|)$/i.test(text)) return false;
  throw new ConfigError(`${envName(flag)}: expected true or false, got "${text}"`);
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let values: Partial<Record<FlagName, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nRun tracebox --help for the options.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const get = (flag: FlagName): string | boolean | undefined => {
    const v = values[flag];
    if (v !== undefined) return v;
    const e = env[envName(flag)];
    return e === undefined || e === '' ? undefined : e;
  };
  const str = (flag: FlagName): string | undefined => {
    const v = get(flag);
    return v === undefined ? undefined : String(v);
  };

  const bool = (flag: FlagName): boolean | undefined => {
    const v = get(flag);
    return v === undefined ? undefined : typeof v === 'boolean' ? v : parseBool(flag, v);
  };

  const options: TraceboxOptions = {};
  const host = str('host');
  if (host !== undefined) options.host = host;
  const ports = [
    ['port', 'port'],
    ['otlp-http-port', 'otlpHttpPort'],
    ['otlp-grpc-port', 'otlpGrpcPort'],
  ] as const;
  for (const [flag, key] of ports) {
    const v = str(flag);
    if (v !== undefined) options[key] = parsePort(flag, v);
  }
  const data = str('data');
  if (data !== undefined) options.data = data;
  const memory = bool('memory');
  if (memory !== undefined) options.memory = memory;
  const allowReset = bool('allow-reset');
  if (allowReset !== undefined) options.allowReset = allowReset;
  const retention = str('retention');
  if (retention !== undefined) options.retentionMs = parseRetention(retention);
  const maxSize = str('max-size');
  if (maxSize !== undefined) options.maxSize = maxSize === '0' ? 0 : parseSize('max-size', maxSize);
  const maxPending = str('max-pending');
  if (maxPending !== undefined) options.maxPending = parseSize('max-pending', maxPending);
  const maxBody = str('max-body');
  if (maxBody !== undefined) options.maxBody = parseSize('max-body', maxBody);
  return { kind: 'serve', options };
}
