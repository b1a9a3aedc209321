/**
 * tracebox as a library: `startTracebox()` runs the receivers, the store and the
 * Tempo-compatible API in this process.
 */
export { startTracebox, PortInUseError, DEFAULTS, type Tracebox, type TraceboxOptions } from './server.ts';
