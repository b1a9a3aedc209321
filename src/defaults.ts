/** Default listen addresses and limits, shared by the server, its flags and the client commands. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 3200,
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  data: '.tracebox',
  maxBody: 16 * 1024 * 1024,
  maxPending: 64 * 1024 * 1024,
  /**
   * Exports are refused (retryable) once what already waits would take longer than this to
   * store: with the export's own time, an answer within ~2 s, inside an exporter's timeout,
   * and what waits in memory stays small.
   */
  maxLagMs: 500,
  /** As in common Tempo set-ups. */
  retentionMs: 72 * 3600 * 1000,
  maxSize: 1024 * 1024 * 1024,
  /**
   * Longest attribute key or string value, in characters; 0: no limit. Like the OTel SDK
   * (and unlike Tempo's 2 KiB), nothing is cut by default: what was sent comes back whole,
   * and the request body limit already bounds one value. --max-attr-length sets a cap.
   */
  maxAttrLength: 0,
  /** Most attributes per span, event and link: the OTel SDK's AttributeCountLimit default. */
  maxAttrsPerSpan: 128,
  /** How long a search works before it answers with what it found, marked incomplete (Tempo's query_timeout is 30s). */
  searchTimeoutMs: 10_000,
} as const;
