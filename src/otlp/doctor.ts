/**
 * The ingest doctor: remembers the last requests each receiver saw and recognizes the
 * usual set-up mistakes, so "I see no traces" gets an answer in plain words
 * (`tracebox doctor`, GET /api/doctor, and one log line when a mistake first shows).
 */

export type Transport = 'otlp/http' | 'otlp/grpc' | 'zipkin';

export interface IngestRecord {
  /** Unix ms. */
  readonly at: number;
  readonly transport: Transport;
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly session: string;
  readonly bytes: number;
  /** Spans stored, or log records for a logs request (the path tells). */
  readonly spans: number;
  readonly rejected: number;
  /** HTTP status, or the gRPC status name. */
  readonly status: number | string;
  readonly error: string;
}

export interface Finding {
  readonly code: string;
  message: string;
  count: number;
  /** Unix ms. */
  first: number;
  last: number;
}

/** Where the receivers listen, once they do: the viewer's "how to send spans" shows these ports. */
export interface Receivers {
  readonly otlpHttp: number;
  readonly otlpGrpc: number;
  readonly zipkin?: number;
}

/** What the receivers saw lately, and the mistakes they recognized, newest first; where they listen. */
export interface DoctorReport {
  readonly requests: Record<string, IngestRecord[]>;
  readonly findings: Finding[];
  readonly receivers?: Receivers;
}

const KEEP = 20;
/** A finding is logged again when it recurs after this long. */
const RELOG_MS = 5 * 60_000;

export class IngestDoctor {
  private readonly records = new Map<Transport, IngestRecord[]>();
  private readonly findings = new Map<string, Finding & { logged: number }>();
  private receivers: Receivers | undefined;

  constructor(private readonly log: (line: string) => void) {}

  record(r: IngestRecord): void {
    let list = this.records.get(r.transport);
    if (list === undefined) this.records.set(r.transport, (list = []));
    list.push(r);
    if (list.length > KEEP) list.shift();
  }

  /** Notes a recognized mistake; the first time (and now and then after) it is logged. */
  notice(code: string, message: string): void {
    const now = Date.now();
    let f = this.findings.get(code);
    if (f === undefined) {
      f = { code, message, count: 0, first: now, last: now, logged: 0 };
      this.findings.set(code, f);
    }
    f.count++;
    f.last = now;
    f.message = message;
    if (now - f.logged > RELOG_MS) {
      f.logged = now;
      this.log(`doctor: ${message}`);
    }
  }

  /** Notes the receivers' ports once they listen. */
  listening(receivers: Receivers): void {
    this.receivers = receivers;
  }

  report(): DoctorReport {
    const requests: Record<string, IngestRecord[]> = {};
    for (const [t, list] of this.records) requests[t] = [...list].reverse();
    const findings = [...this.findings.values()].map(({ logged: _logged, ...f }) => f).sort((a, b) => b.last - a.last);
    return { requests, findings, ...(this.receivers === undefined ? {} : { receivers: this.receivers }) };
  }
}

/** Mistakes recognizable from one HTTP request to the OTLP/HTTP port. */
export const HTTP_MISTAKES = {
  wrongPath: (method: string, path: string): [string, string] =>
    /\/v1\/metrics$/.test(path)
      ? HTTP_MISTAKES.metrics(`${method} ${path}`)
      : [
          'otlp-http-path',
          /\/v1\/(traces|logs)\/v1\/(traces|logs)$/.test(path)
            ? `${method} ${path}: the path has /v1/${path.slice(path.lastIndexOf('/') + 1)} twice; OTEL_EXPORTER_OTLP_ENDPOINT takes the base URL only (the SDK adds /v1/traces and /v1/logs), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_LOGS_ENDPOINT the full URL`
            : `${method} ${path}: OTLP/HTTP takes POST /v1/traces and POST /v1/logs; check OTEL_EXPORTER_OTLP_ENDPOINT (base URL) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (full URLs)`,
        ],
  /** Metrics sent here (OTLP/HTTP or gRPC): not stored; the SDK is told to stop sending them. */
  metrics: (what: string): [string, string] => [
    'otlp-metrics',
    `${what}: tracebox takes traces and logs, not metrics; set OTEL_METRICS_EXPORTER=none (or send metrics elsewhere)`,
  ],
  jsonAsProtobuf: (): [string, string] => [
    'otlp-json-as-protobuf',
    'a request said Content-Type: application/x-protobuf but its body is JSON; use OTEL_EXPORTER_OTLP_PROTOCOL=http/json or send protobuf',
  ],
  protobufAsJson: (): [string, string] => [
    'otlp-protobuf-as-json',
    'a request said Content-Type: application/json but its body is not JSON; use OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf or send JSON',
  ],
  gzipWithoutHeader: (): [string, string] => [
    'otlp-gzip-without-header',
    'a request body was gzip-compressed without a Content-Encoding: gzip header (accepted anyway); fix the exporter or proxy that strips the header',
  ],
  grpcToHttpPort: (port: number): [string, string] => [
    'otlp-grpc-to-http-port',
    `a gRPC (HTTP/2) client connected to the OTLP/HTTP port ${port}; send gRPC to the OTLP/gRPC port (default 4317) or use OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`,
  ],
  httpToGrpcPort: (port: number, line: string): [string, string] => [
    'otlp-http-to-grpc-port',
    `an HTTP/1.1 request (${line}) reached the OTLP/gRPC port ${port}; OTLP/HTTP goes to port 4318 (default), or set OTEL_EXPORTER_OTLP_PROTOCOL=grpc`,
  ],
  tlsToPlaintext: (port: number): [string, string] => [
    'otlp-tls-to-plaintext',
    `a TLS connection reached port ${port}, which speaks plain text; use an http:// endpoint (OTEL_EXPORTER_OTLP_INSECURE=true for gRPC)`,
  ],
} as const;

/**
 * Whether bytes look like JSON rather than protobuf. A protobuf request starts with tag
 * 0x0a, which is also a newline, so only spaces, tabs and CRs may precede the bracket.
 */
export function looksLikeJson(body: Uint8Array): boolean {
  for (const b of body) {
    if (b === 0x20 || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b; // { or [
  }
  return false;
}

export function looksLikeGzip(body: Uint8Array): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}
