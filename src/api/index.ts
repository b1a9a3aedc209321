/**
 * The query port, in two parts:
 *
 * - createApiApp(): Tempo's HTTP API, Loki's (for stored logs), the Prometheus subset,
 *   test endpoints, MCP and imports, with one error mapping (bad input → 400 with Tempo's plain-text message,
 *   anything else → logged 500). It runs on the query threads.
 * - createFrontApp(): what the main thread answers itself (health, the token check, the
 *   viewer's static files) in front of a hand-over of everything else to a query thread.
 */
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader, StoreWrites } from '../store/index.ts';
import { DEFAULTS } from '../defaults.ts';
import { createMetricsRoutes, type DerivedMetricsEngine } from '../metrics/index.ts';
import type { DoctorReport, Ingest } from '../otlp/index.ts';
import type { ApiBindings, ApiEnv } from './env.ts';
import { createSearch } from '../query/index.ts';
import { createViewerRoutes } from '../viewer/index.ts';
import { createLokiRoutes } from '../loki/index.ts';
import { requireToken } from './auth.ts';
import { createDoctorRoutes } from './doctor-routes.ts';
import { createGrpcRoutes } from './grpc-routes.ts';
import { createImportRoutes } from './import-routes.ts';
import { createLogRoutes } from './log-routes.ts';
import { createPromRoutes } from './prom-routes.ts';
import { guardRequests } from './request-guard.ts';
import { createSearchRoutes } from './search-routes.ts';
import { createTempoRoutes } from './tempo-routes.ts';
import { createTestRoutes } from './test-routes.ts';
import { createRunRoutes } from './run-routes.ts';
import { createTraceQLMetricsRoutes } from './traceql-metrics-routes.ts';

export { TEMPO_COMPAT_VERSION } from './tempo-routes.ts';
export { serveQueryGrpc, type QueryGrpc } from './grpc-front.ts';
export type { ApiBindings, ApiEnv } from './env.ts';
export type { LogJson } from './log-routes.ts';
export { normalizeAllowedHost } from './request-guard.ts';

/** Paths answered from the derived metrics, which one query thread owns. */
export const DERIVED_METRICS_PATHS = /^\/(metrics$|api\/v1\/|api\/service-graph$)/;

export interface ApiOptions {
  readonly store: StoreReader;
  readonly writes: StoreWrites;
  /** Stores imported files (the same decode stage as the OTLP receivers). */
  readonly ingest: Ingest;
  /** The derived metrics, on the query thread that owns them (their routes answer only there). */
  readonly metrics?: DerivedMetricsEngine;
  readonly log: (line: string) => void;
  /** Whether DELETE /api/traces may delete stored traces. */
  readonly allowReset: boolean;
  /** How long a search works before it answers with what it found, marked incomplete (default 10 s). */
  readonly searchTimeoutMs?: number;
  /** Largest POST /api/import body, before and after decompression (default 16 MiB, as OTLP's --max-body). */
  readonly maxBody?: number;
}

export function createApiApp(options: ApiOptions): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('/api/*', compress());
  app.route('/', createTempoRoutes(options.store));
  const search = createSearch(options.store, { budgetMs: options.searchTimeoutMs ?? DEFAULTS.searchTimeoutMs });
  app.route('/', createSearchRoutes(options.store, search, options.log));
  app.route('/', createTraceQLMetricsRoutes(options.store));
  app.route('/', createLokiRoutes(options.store));
  const { metrics } = options;
  if (metrics !== undefined) {
    app.route('/', createPromRoutes(() => metrics));
    app.route('/', createMetricsRoutes(options.store, metrics));
  }
  app.route('/', createTestRoutes(options.store, options.writes, search, { allowReset: options.allowReset }));
  app.route('/', createDoctorRoutes(options.store));
  app.route('/', createLogRoutes(options.store));
  app.route('/', createRunRoutes(options.store, options.writes, search));
  // The MCP SDK and its schema libraries are most of a query thread's code: loaded on the first call.
  let mcp: Promise<Hono> | undefined;
  app.all('/mcp', async (c) => {
    mcp ??= import('../mcp/index.ts').then(({ createMcpRoutes }) => createMcpRoutes({ store: options.store, search, log: options.log }));
    return (await mcp).fetch(c.req.raw);
  });
  app.route('/', createImportRoutes(options.ingest, { maxBody: options.maxBody ?? DEFAULTS.maxBody }));
  // Tempo's streaming gRPC calls, answered by this app's own HTTP routes.
  app.route('/', createGrpcRoutes({ fetch: (request, env) => app.fetch(request, env) }));
  app.notFound((c) => c.text('404 page not found\n', 404));
  app.onError((err, c) => {
    if (err instanceof BadRequestError) return c.text(err.message, 400);
    options.log(`api: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    return c.text(`internal error: ${err.message}`, 500);
  });
  return app;
}

export interface FrontOptions {
  /** When set, every request but GET /ready must carry this token (see auth.ts). */
  readonly authToken?: string;
  /** The interface the port is bound to, and further names it answers to (`--allowed-hosts`); see request-guard.ts. */
  readonly host?: string;
  readonly allowedHosts?: readonly string[];
  /** Answers a request on a query thread. */
  readonly handOver: (req: Request, bindings: ApiBindings) => Promise<Response>;
  /** The ingest doctor's report, handed over with GET /api/doctor. */
  readonly doctor: () => DoctorReport;
}

export function createFrontApp(options: FrontOptions): Hono {
  const app = new Hono();
  // First: a foreign Host or Origin learns nothing, not even whether a token is needed.
  app.use('*', guardRequests({ boundHost: options.host ?? DEFAULTS.host, allowedHosts: options.allowedHosts ?? [] }));
  if (options.authToken !== undefined) app.use('*', requireToken(options.authToken));
  app.get('/ready', (c) => c.text('ready\n'));
  app.route('/', createViewerRoutes());
  app.all('*', (c) => options.handOver(c.req.raw, c.req.path === '/api/doctor' ? { doctor: options.doctor() } : {}));
  return app;
}
