/**
 * tracebox for tests: `startTracebox()` runs an in-memory instance on free ports and
 * returns it with a client to wait for and inspect the spans and log records a test's
 * services emit.
 *
 * @example
 *   const tb = await startTracebox();
 *   const child = spawn('node', ['service.js'], { env: { ...process.env, ...tb.env() } });
 *   const [span] = await tb.waitForSpans({ service: 'checkout', name: 'POST /cart' });
 *   await tb.close();
 */
import { startTracebox as startServer, type Tracebox, type TraceboxOptions } from '../server.ts';
import { TraceboxClient } from './client.ts';

export {
  TraceboxClient,
  TraceboxApiError,
  checkQuery,
  toTraceQL,
  type RunRecord,
  type RunStart,
  type DiffRequest,
  type Span,
  type SpanNode,
  type Trace,
  type SpanFilter,
  type SpanQuery,
  type WaitOptions,
  type LogFilter,
  type LogRecord,
  type Severity,
} from './client.ts';
export { formatTree } from './tree.ts';
export { toTraceJson } from './trace.ts';
export { assertTraceSnapshot, checkTraceSnapshot, traceMatchers, traceSnapshot, type SnapshotOptions, type SnapshotResult } from './snapshot.ts';
export { assertTraceBaseline, checkTraceBaseline, baselineMatchers, traceProfile, DEFAULT_BASELINE_RULES, type BaselineOptions, type BaselineResult } from './baseline.ts';
export { compareProfiles, failures, parseFailOn, diffText, diffMarkdown, DEFAULT_NOISE, type Profile, type RunDiff, type NoiseBound, type FailRule, type OperationChange } from '../analysis/index.ts';

export interface TestTracebox extends Tracebox, Omit<TraceboxClient, 'apiUrl' | 'otlpHttpUrl'> {}

/** Starts tracebox for a test: in memory, free ports, reset allowed, unless `options` say otherwise. */
export async function startTracebox(options: TraceboxOptions = {}): Promise<TestTracebox> {
  const server = await startServer({ memory: true, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, allowReset: true, ...options });
  const client = new TraceboxClient(server.apiUrl, server.otlpHttpUrl, undefined, options.authToken);
  return Object.assign(client, {
    otlpGrpcUrl: server.otlpGrpcUrl,
    dbPath: server.dbPath,
    ...(server.zipkinUrl === undefined ? {} : { zipkinUrl: server.zipkinUrl }),
    ...(server.forwarding === undefined ? {} : { forwarding: server.forwarding }),
    close: () => server.close(),
  });
}
