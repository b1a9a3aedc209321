/**
 * The `--auth-token` check shared by every listener: a presented token is compared in
 * constant time (both sides hashed first, so neither content nor length leaks through
 * timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether `presented` is the expected token. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

/**
 * The token in an Authorization header: `Bearer <token>` (what OTLP exporters send via
 * OTEL_EXPORTER_OTLP_HEADERS), or the password of `Basic` credentials (what Grafana's
 * basic-auth data source option sends). Undefined for anything else.
 */
export function authorizationToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(header);
  if (m === null) return undefined;
  if (m[1].toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** The header and hint a refusal carries. */
export const WWW_AUTHENTICATE = 'Bearer realm="tracebox"';
export const UNAUTHORIZED_MESSAGE = 'unauthorized: this tracebox was started with --auth-token; send the header Authorization: Bearer <token>';
