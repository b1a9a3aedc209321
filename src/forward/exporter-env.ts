/**
 * Forwarding is an OTLP exporter, so it takes the exporter settings of the OpenTelemetry
 * environment as the OTLP exporter specification defines them:
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_<X>` wins over `OTEL_EXPORTER_OTLP_<X>` (the whole setting:
 *   traces headers replace the general headers, they are not merged name by name);
 * - headers are W3C Baggage's list form, `k1=v1,k2=v2`: values percent-decoded, blanks
 *   around members trimmed, `;` properties not supported (dropped);
 * - the timeout is whole milliseconds, 0 meaning no limit;
 * - compression is `gzip` or `none`, in any case.
 *
 * An empty variable counts as unset. A value that cannot be read is ignored with a warning,
 * as the specification asks, and the general variable (or the default) applies.
 */

export interface ExporterSettings {
  readonly headers?: Readonly<Record<string, string>>;
  readonly compress?: boolean;
  readonly timeoutMs?: number;
  /** One line per value that was ignored, naming the variable. */
  readonly warnings: readonly string[];
}

/** The longest timer Node keeps (about 24.8 days), standing in for "no limit". */
export const NO_TIMEOUT_MS = 2 ** 31 - 1;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\0\r\n]/;

/** One `--forward-header 'Name: value'`; throws with what is wrong. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw new Error(`expected a header such as "X-Scope-OrgID: tenant-1", got ${JSON.stringify(text)}`);
  return [name, value];
}

/** `base` with `extra` on top, header names compared without case (HTTP's rule). */
export function mergeHeaders(base: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const taken = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(base)) if (!taken.has(k.toLowerCase())) out[k] = v;
  return { ...out, ...extra };
}

/** The headers; undefined when there were members and none could be read. */
function parseBaggageHeaders(variable: string, text: string, warnings: string[]): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  let ignored = 0;
  for (const raw of text.split(',')) {
    const member = raw.split(';')[0].trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    const key = eq < 0 ? '' : member.slice(0, eq).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      value = undefined;
    }
    if (!TOKEN.test(key) || value === undefined || BAD_VALUE.test(value)) {
      warnings.push(`${variable}: ignored ${JSON.stringify(raw.trim())}, expected name=value with the value percent-encoded`);
      ignored++;
      continue;
    }
    headers[key] = value;
  }
  return ignored > 0 && Object.keys(headers).length === 0 ? undefined : headers;
}

function parseTimeout(variable: string, text: string, warnings: string[]): number | undefined {
  if (!/^\d+$/.test(text.trim())) {
    warnings.push(`${variable}: ignored ${JSON.stringify(text)}, expected whole milliseconds such as 10000 (0: no limit)`);
    return undefined;
  }
  const ms = Number(text.trim());
  return ms === 0 ? NO_TIMEOUT_MS : Math.min(ms, NO_TIMEOUT_MS);
}

function parseCompression(variable: string, text: string, warnings: string[]): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === 'gzip') return true;
  if (v === 'none') return false;
  warnings.push(`${variable}: ignored ${JSON.stringify(text)}, expected gzip or none`);
  return undefined;
}

/** The traces variable when it is set and readable, else the general one. */
function setting<T>(env: NodeJS.ProcessEnv, suffix: string, read: (variable: string, text: string, warnings: string[]) => T | undefined, warnings: string[]): T | undefined {
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const text = env[variable];
    if (text === undefined || text.trim() === '') continue;
    const value = read(variable, text, warnings);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function exporterSettings(env: NodeJS.ProcessEnv): ExporterSettings {
  const warnings: string[] = [];
  const headers = setting(env, 'HEADERS', parseBaggageHeaders, warnings);
  const timeoutMs = setting(env, 'TIMEOUT', parseTimeout, warnings);
  const compress = setting(env, 'COMPRESSION', parseCompression, warnings);
  return {
    ...(headers === undefined ? {} : { headers }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(compress === undefined ? {} : { compress }),
    warnings,
  };
}
