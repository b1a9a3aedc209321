/** The client sent something invalid: answered with a 4xx (or INVALID_ARGUMENT) and its message, never retried. */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

/**
 * The server cannot take the request now but may soon (overload, a full disk): answered
 * with OTLP's retryable codes (HTTP 503 + Retry-After, gRPC UNAVAILABLE).
 */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}
