/**
 * @module model/logs-link
 * "Logs for this span": a URL template with {traceId}, {spanId}, {service}, {name},
 * {startMs}, {endMs}, {startIso}, {endIso}; each value URL-encoded where it lands. Only
 * http(s) templates make a link, so a stored template can never become a script URL.
 */
export interface LinkSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly service: string;
  readonly name: string;
  /** Unix ms. */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Grafana Explore on a Loki datasource, a minute either side of the span, filtered on the
 * trace_id and span_id that OpenTelemetry log records carry (Loki's structured metadata).
 */
export const DEFAULT_LOGS_TEMPLATE =
  'http://localhost:3000/explore?schemaVersion=1&orgId=1&panes=' +
  encodeURIComponent(
    JSON.stringify({
      logs: {
        datasource: 'loki',
        queries: [{ refId: 'A', expr: '{service_name="{service}"} | trace_id="{traceId}" | span_id="{spanId}"' }],
        range: { from: '{startMs}', to: '{endMs}' },
      },
    }),
  );

export function logsUrl(template: string, span: LinkSpan): string | undefined {
  const t = template.trim();
  if (!/^https?:\/\//i.test(t)) return undefined;
  const values: Record<string, string> = {
    traceId: span.traceId,
    spanId: span.spanId,
    service: span.service,
    name: span.name,
    startMs: String(Math.floor(span.startMs - 60_000)),
    endMs: String(Math.ceil(span.endMs + 60_000)),
    startIso: new Date(span.startMs - 60_000).toISOString(),
    endIso: new Date(span.endMs + 60_000).toISOString(),
  };
  // The template may hold its placeholders raw ({traceId}) or URL-encoded (%7BtraceId%7D).
  return t.replace(/\{(\w+)\}|%7B(\w+)%7D/gi, (whole, a: string | undefined, b: string | undefined) => {
    const key = a ?? b ?? '';
    if (!(key in values)) return whole;
    // Inside an encoded JSON string a quote must stay escaped: encode for the URL, and
    // escape JSON-significant characters when the placeholder was encoded.
    const v = b !== undefined ? JSON.stringify(values[key]).slice(1, -1) : values[key];
    return encodeURIComponent(v);
  });
}
