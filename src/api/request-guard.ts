/**
 * What a web page in the user's browser must not do with the query port. Any page can
 * make the browser send requests here: through DNS rebinding (a name of the page's own
 * resolving to this machine) its scripts can read the answers, and forms, `fetch` without
 * a preflight and beacons can write. So, before anything else:
 *
 * - `Host` must name this tracebox: `localhost` (and `*.localhost`), any IP address, the
 *   bound host, or a name given with `--allowed-hosts` (`*` accepts any). A rebinding needs
 *   a name: a page whose address is an IP literal has that address as its origin, so it is
 *   tracebox's own origin or cannot read tracebox's answers.
 * - A request with an `Origin` to `/mcp` (the MCP spec requires servers to check it), or
 *   with a method that writes, must come from the same origin or from one whose host is a
 *   loopback name or address, the bound host or an allowed name (not `*`, and not any IP).
 * - A POST that writes must carry a content type a page cannot send without a preflight,
 *   which this port never grants: `text/plain`, the form encodings and no type at all are
 *   refused with 415. Other methods always need a preflight.
 *
 * `GET /ready` is exempt: health probes come with whatever Host their platform uses. The
 * Prometheus API's form-encoded POSTs (`/api/v1/…`) and the viewer's sign-in form
 * (`POST /login`) only read, so their content types are left alone.
 */
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';

export interface RequestGuardOptions {
  /** The interface the query port is bound to (a wildcard address adds nothing). */
  readonly boundHost: string;
  /** Names from `--allowed-hosts`: exact host names, `.example.com` for a domain and its subdomains, `*` for any Host. */
  readonly allowedHosts: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What the Fetch standard lets a page POST cross-origin without asking first. */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);

interface HostAndPort {
  /** Lower case, punycode, no trailing dot, IPv6 in brackets. */
  readonly hostname: string;
  /** '' when not given. */
  readonly port: string;
}

/** A `Host` header value or an `--allowed-hosts` entry read as URLs read hosts; undefined when it is anything else. */
function parseHost(text: string): HostAndPort | undefined {
  if (/[/?#@\\\s]/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${text}`);
  } catch {
    return undefined;
  }
  const hostname = url.hostname.replace(/\.$/, '');
  // URL drops port 80 as the default; a Host header's port is kept as given.
  const port = url.port !== '' ? url.port : /:80$/.test(text) ? '80' : '';
  return hostname === '' ? undefined : { hostname, port };
}

function isIpAddress(hostname: string): boolean {
  return isIP(hostname.startsWith('[') ? hostname.slice(1, -1) : hostname) !== 0;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * An `--allowed-hosts` entry as the guard compares it (`.example.com` keeps its dot, `*`
 * stays); undefined when it is not a host name or address without a port.
 */
export function normalizeAllowedHost(entry: string): string | undefined {
  const text = entry.trim();
  if (text === '*') return text;
  const domain = text.startsWith('.');
  const parsed = parseHost(domain ? text.slice(1) : text);
  if (parsed === undefined || parsed.port !== '' || text.endsWith(':')) return undefined;
  return domain ? `.${parsed.hostname}` : parsed.hostname;
}

class HostPolicy {
  private readonly any: boolean;
  private readonly names = new Set<string>();
  private readonly domains: string[] = [];

  constructor(options: RequestGuardOptions) {
    this.any = options.allowedHosts.includes('*');
    const b = options.boundHost;
    const bound = normalizeAllowedHost(isIP(b) === 6 ? `[${b}]` : b);
    if (bound !== undefined && !WILDCARD_HOSTS.has(bound)) this.names.add(bound);
    for (const entry of options.allowedHosts) {
      const name = normalizeAllowedHost(entry);
      if (name === undefined || name === '*') continue;
      if (name.startsWith('.')) this.domains.push(name);
      else this.names.add(name);
    }
  }

  /** Names this tracebox answers to under any port: loopback, the bound host, the listed names. */
  named(hostname: string): boolean {
    return isLoopback(hostname) || this.names.has(hostname) || this.domains.some((d) => hostname === d.slice(1) || hostname.endsWith(d));
  }

  hostAllowed(hostname: string): boolean {
    return this.any || isIpAddress(hostname) || this.named(hostname);
  }

  /** An Origin header: the request's own origin, or a named host's. "null" and the unreadable are foreign. */
  originAllowed(origin: string, host: HostAndPort | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const hostname = url.hostname.replace(/\.$/, '');
    if (host !== undefined && host.hostname === hostname) {
      const defaultPort = url.protocol === 'https:' ? '443' : '80';
      if ((url.port || defaultPort) === (host.port || defaultPort)) return true;
    }
    return this.named(hostname);
  }
}

function refuse(c: Context, status: 400 | 403 | 415, message: string): Response {
  // An MCP client reads JSON-RPC errors, as the SDK's own transport answers them.
  if (c.req.path === '/mcp') {
    return c.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, status);
  }
  return c.text(`${message}\n`, status);
}

/** The content type's essence as a browser judges it: lower case, parameters dropped. */
function essence(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function readsOnly(c: Context): boolean {
  return c.req.path.startsWith('/api/v1/') || c.req.path === '/login';
}

export function guardRequests(options: RequestGuardOptions): MiddlewareHandler {
  const policy = new HostPolicy(options);
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' && c.req.path === '/ready') return next();

    // HTTP/1.0 clients may omit Host; browsers never do.
    const hostHeader = c.req.header('host');
    const host = hostHeader === undefined ? undefined : parseHost(hostHeader);
    if (hostHeader !== undefined) {
      if (host === undefined) return refuse(c, 400, `unreadable Host header ${JSON.stringify(hostHeader.slice(0, 100))}`);
      if (!policy.hostAllowed(host.hostname)) {
        return refuse(c, 403, `Host "${host.hostname}" is not allowed: start tracebox with --allowed-hosts ${host.hostname} (or TRACEBOX_ALLOWED_HOSTS) to answer to that name`);
      }
    }

    const origin = c.req.header('origin');
    if (origin !== undefined && (!SAFE_METHODS.has(method) || c.req.path === '/mcp') && !policy.originAllowed(origin, host)) {
      return refuse(c, 403, `cross-origin request from ${JSON.stringify(origin.slice(0, 100))} refused: tracebox answers pages of its own origin and of names given with --allowed-hosts`);
    }

    if (method === 'POST' && !readsOnly(c)) {
      const type = essence(c.req.header('content-type'));
      if (type === '' || SIMPLE_CONTENT_TYPES.has(type)) {
        const sent = type === '' ? 'no Content-Type' : `Content-Type ${type}`;
        return refuse(c, 415, `POST ${c.req.path} with ${sent} refused, as any web page can send that: send the body as application/json (or application/gzip for a compressed file)`);
      }
    }
    return next();
  };
}
