/** The client sent something invalid: answered with a 4xx (or INVALID_ARGUMENT) and its message, never retried. */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}
