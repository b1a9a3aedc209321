/**
 * Command-line flags and TRACEBOX_* environment variables → TraceboxOptions, validated
 * in one place. A flag wins over its variable, which wins over the default.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS } from './defaults.ts';
import { parseDuration } from './traceql/index.ts';
import type { TraceboxOptions } from './server.ts';
import { forwardUrl, exporterSettings, mergeHeaders, parseHeaderFlag } from './forward/index.ts';
import { normalizeAllowedHost } from './api/index.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `warnings`: settings that were ignored (OpenTelemetry variables are, as their specification asks), one line each. */
export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; options: TraceboxOptions; warnings: string[] };

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
  --max-pending SIZE      request bytes received but not yet stored before exports are
                          refused as retryable (HTTP 503, gRPC UNAVAILABLE; default 64MiB)
  --max-lag DURATION      refuse exports the same way when what already waits would take
                          longer than this to store, at the rate the store has been going
                          (default 500ms; 0: never)
  --retention DURATION    delete traces and logs that arrived longer ago, e.g. 72h, 30m (default 72h; 0 keeps all)
  --max-size SIZE         keep the database under this size, oldest traces and logs go first (default 1GiB; 0: no limit)
  --search-timeout DURATION  how long a search works before it answers with what it found,
                          marked incomplete (default 10s)
  --allow-reset           let DELETE /api/traces delete stored traces
  --allowed-hosts LIST    further names the query port answers to (its Host header), comma-
                          separated; .example.com takes subdomains too, * any name (containers
                          reached by service names). Always answered: localhost, IP addresses
                          and the --host name; other names get 403 (DNS rebinding)
  --auth-token TOKEN      require this token on every port: OTLP exporters send
                          Authorization: Bearer TOKEN (OTEL_EXPORTER_OTLP_HEADERS), API
                          clients too; the viewer asks for it once (default: none)
  --max-attr-length N     truncate attribute keys and string values longer than N
                          characters (default ${DEFAULTS.maxAttrLength}; 0: no limit)
  --max-attrs-per-span N  drop attributes past N per span, event, link and log record, counted in
                          dropped_attributes_count (default ${DEFAULTS.maxAttrsPerSpan}; 0: no limit)
  --remote-write URL      push the service-graph and span metrics (Tempo's metrics-generator
                          series, derived from the stored spans) to this Prometheus
                          remote-write endpoint every 15s; they are also at GET /metrics
  --metrics-dimensions LIST  extra labels for those metrics: comma-separated attribute
                          names, e.g. http.method,deployment.environment
  --zipkin-port PORT      also receive Zipkin v2 JSON at POST /api/v2/spans (off unless given;
                          Zipkin's usual port is 9411)
  --forward URL           relay received traces to an OTLP/HTTP endpoint (Tempo, a Collector),
                          e.g. http://tempo:4318; local storage keeps everything
  --forward-wait DURATION decide a trace once no span of it arrived for this long (default 10s)
  --forward-errors        forward every trace with an error span (on when any policy is given;
                          TRACEBOX_FORWARD_ERRORS=false turns it off)
  --forward-slower-than DURATION  forward every trace lasting at least this long, e.g. 1s
  --forward-sample PERCENT  forward this share of the other traces, chosen by trace id
                          (without a policy flag every trace is forwarded)
  --forward-header 'NAME: VALUE'  send this header with forwarded traces, e.g. X-Scope-OrgID
                          for a multi-tenant Tempo (repeatable; TRACEBOX_FORWARD_HEADER takes
                          one per line). Forwarding also reads OTEL_EXPORTER_OTLP_[TRACES_]HEADERS,
                          _TIMEOUT (ms, default 10000) and _COMPRESSION (gzip, the default, or none)
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
  'max-lag': { type: 'string' },
  'allow-reset': { type: 'boolean' },
  'search-timeout': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'auth-token': { type: 'string' },
  'max-attr-length': { type: 'string' },
  'max-attrs-per-span': { type: 'string' },
  retention: { type: 'string' },
  'max-size': { type: 'string' },
  'remote-write': { type: 'string' },
  'metrics-dimensions': { type: 'string' },
  'zipkin-port': { type: 'string' },
  forward: { type: 'string' },
  'forward-wait': { type: 'string' },
  'forward-errors': { type: 'boolean' },
  'forward-slower-than': { type: 'string' },
  'forward-sample': { type: 'string' },
  'forward-header': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type FlagName = keyof typeof FLAGS;

function envName(flag: string): string {
  return 'TRACEBOX_' + flag.toUpperCase().replace(/-/g, '_');
}

export function parsePort(flag: string, text: string): number {
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

function parseRemoteWrite(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--remote-write: expected an http(s) URL such as http://localhost:9090/api/v1/write, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`--remote-write: expected an http(s) URL such as http://localhost:9090/api/v1/write, got "${text}"`);
  }
  return text;
}

function parseDimensions(text: string): string[] {
  const dims = text.split(',').map((d) => d.trim()).filter((d) => d !== '');
  if (dims.length === 0) throw new ConfigError(`--metrics-dimensions: expected attribute names separated by commas, got "${text}"`);
  return [...new Set(dims)];
}

function parseAllowedHosts(text: string): string[] {
  const entries = text.split(',').map((h) => h.trim()).filter((h) => h !== '');
  const bad = entries.find((h) => normalizeAllowedHost(h) === undefined);
  if (entries.length === 0 || bad !== undefined) {
    throw new ConfigError(`--allowed-hosts: expected host names separated by commas (no ports; .example.com for a domain, * for any), got "${bad ?? text}"`);
  }
  return [...new Set(entries)];
}

function forwardHeaders(lines: readonly string[] | undefined): Record<string, string> {
  let headers: Record<string, string> = {};
  for (const line of lines ?? []) {
    if (line.trim() === '') continue;
    try {
      const [name, value] = parseHeaderFlag(line);
      headers = mergeHeaders(headers, { [name]: value });
    } catch (err) {
      throw new ConfigError(`--forward-header: ${(err as Error).message}`);
    }
  }
  return headers;
}

function parseForwardDuration(flag: string, text: string): number {
  const ns = parseDuration(text);
  if (ns === null || ns < 0) throw new ConfigError(`--${flag}: expected a duration such as 10s, 500ms or 1m, got "${text}"`);
  return ns / 1e6;
}

function parsePercent(text: string): number {
  const n = Number(text.trim().replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new ConfigError(`--forward-sample: expected a percentage from 0 to 100, got "${text}"`);
  return n;
}

function parseCount(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new ConfigError(`--${flag}: expected a whole number (0 for no limit), got "${text}"`);
  }
  return n;
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let values: Partial<Record<FlagName, string | boolean | string[]>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nRun tracebox --help for the options.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const get = (flag: Exclude<FlagName, 'forward-header'>): string | boolean | undefined => {
    const v = values[flag] as string | boolean | undefined;
    if (v !== undefined) return v;
    const e = env[envName(flag)];
    return e === undefined || e === '' ? undefined : e;
  };
  const str = (flag: Exclude<FlagName, 'forward-header'>): string | undefined => {
    const v = get(flag);
    return v === undefined ? undefined : String(v);
  };

  const bool = (flag: Exclude<FlagName, 'forward-header'>): boolean | undefined => {
    const v = get(flag);
    return v === undefined ? undefined : typeof v === 'boolean' ? v : parseBool(flag, v);
  };

  const options: TraceboxOptions = {};
  const warnings: string[] = [];
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
  const allowedHosts = str('allowed-hosts');
  if (allowedHosts !== undefined) options.allowedHosts = parseAllowedHosts(allowedHosts);
  const retention = str('retention');
  if (retention !== undefined) options.retentionMs = parseRetention(retention);
  const maxSize = str('max-size');
  if (maxSize !== undefined) options.maxSize = maxSize === '0' ? 0 : parseSize('max-size', maxSize);
  const maxLag = str('max-lag');
  if (maxLag !== undefined) {
    const ns = maxLag === '0' ? 0 : parseDuration(maxLag);
    if (ns === null || ns < 0) throw new ConfigError(`--max-lag: expected a duration such as 500ms, or 0, got "${maxLag}"`);
    options.maxLagMs = Math.round(ns / 1e6);
  }
  const searchTimeout = str('search-timeout');
  if (searchTimeout !== undefined) {
    const ns = parseDuration(searchTimeout);
    if (ns === null || ns < 0) throw new ConfigError(`--search-timeout: expected a duration such as 10s or 500ms, got "${searchTimeout}"`);
    options.searchTimeoutMs = Math.round(ns / 1e6);
  }
  const maxPending = str('max-pending');
  if (maxPending !== undefined) options.maxPending = parseSize('max-pending', maxPending);
  const maxBody = str('max-body');
  if (maxBody !== undefined) options.maxBody = parseSize('max-body', maxBody);
  const authToken = str('auth-token');
  if (authToken !== undefined) options.authToken = authToken;
  const maxAttrLength = str('max-attr-length');
  if (maxAttrLength !== undefined) options.maxAttrLength = parseCount('max-attr-length', maxAttrLength);
  const maxAttrsPerSpan = str('max-attrs-per-span');
  if (maxAttrsPerSpan !== undefined) options.maxAttrsPerSpan = parseCount('max-attrs-per-span', maxAttrsPerSpan);
  const remoteWrite = str('remote-write');
  if (remoteWrite !== undefined) options.remoteWrite = parseRemoteWrite(remoteWrite);
  const dimensions = str('metrics-dimensions');
  if (dimensions !== undefined) options.metricsDimensions = parseDimensions(dimensions);
  const zipkinPort = str('zipkin-port');
  if (zipkinPort !== undefined) options.zipkinPort = parsePort('zipkin-port', zipkinPort);
  const forward = str('forward');
  const wait = str('forward-wait');
  const errors = bool('forward-errors');
  const slower = str('forward-slower-than');
  const sample = str('forward-sample');
  if (forward === undefined) {
    const stray = (['forward-wait', 'forward-errors', 'forward-slower-than', 'forward-sample', 'forward-header'] as const).find((f) => values[f] !== undefined);
    if (stray !== undefined) throw new ConfigError(`--${stray} needs --forward URL`);
  } else {
    try {
      forwardUrl(forward);
    } catch (err) {
      throw new ConfigError(`--forward: ${(err as Error).message}`);
    }
    const otel = exporterSettings(env);
    warnings.push(...otel.warnings);
    const flagHeaders = forwardHeaders((values['forward-header'] as string[] | undefined) ?? env.TRACEBOX_FORWARD_HEADER?.split('\n'));
    const headers = mergeHeaders(otel.headers ?? {}, flagHeaders);
    options.forward = {
      endpoint: forward,
      ...(wait === undefined ? {} : { waitMs: parseForwardDuration('forward-wait', wait) }),
      ...(errors === undefined ? {} : { errors }),
      ...(slower === undefined ? {} : { slowerThanMs: parseForwardDuration('forward-slower-than', slower) }),
      ...(sample === undefined ? {} : { samplePercent: parsePercent(sample) }),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
      ...(otel.timeoutMs === undefined ? {} : { timeoutMs: otel.timeoutMs }),
      ...(otel.compress === undefined ? {} : { compress: otel.compress }),
    };
  }
  return { kind: 'serve', options, warnings };
}
