/**
 * The query port: Tempo's HTTP API, health endpoints and the viewer, with one error
 * mapping (bad input → 400 with Tempo's plain-text message, anything else → logged 500).
 */
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { BadRequestError } from '../shared/errors.ts';
import type { Store } from '../store/index.ts';
import { DEFAULTS } from '../defaults.ts';
import { createMcpRoutes } from '../mcp/index.ts';
import { createMetricsRoutes, sharedDerivedMetrics } from '../metrics/index.ts';
import { createIngest, type AttributeLimits, type IngestDoctor } from '../otlp/index.ts';
import { createSearch } from '../query/index.ts';
import { createViewerRoutes } from '../viewer/index.ts';
import { requireToken } from './auth.ts';
import { createDoctorRoutes } from './doctor-routes.ts';
import { createImportRoutes } from './import-routes.ts';
import { createPromRoutes } from './prom-routes.ts';
import { guardRequests } from './request-guard.ts';
import { createSearchRoutes } from './search-routes.ts';
import { createTempoRoutes } from './tempo-routes.ts';
import { createTestRoutes } from './test-routes.ts';
import { createTraceQLMetricsRoutes } from './traceql-metrics-routes.ts';

export { TEMPO_COMPAT_VERSION } from './tempo-routes.ts';

export interface ApiOptions {
  readonly store: Store;
  readonly log: (line: string) => void;
  readonly doctor: IngestDoctor;
  /** Whether DELETE /api/traces may delete stored traces. */
  readonly allowReset: boolean;
  /** Largest POST /api/import body, before and after decompression (default 16 MiB, as OTLP's --max-body). */
  readonly maxBody?: number;
  /** When set, every request but GET /ready must carry this token (see auth.ts). */
  readonly authToken?: string;
  /** Attribute limits for POST /api/import, as on the OTLP receivers. */
  readonly attributeLimits?: AttributeLimits;
  /** The interface the port is bound to, and further names it answers to (`--allowed-hosts`); see request-guard.ts. */
  readonly host?: string;
  readonly allowedHosts?: readonly string[];
}

export function createApiApp(options: ApiOptions): Hono {
  const app = new Hono();
  app.use('*', guardRequests({ boundHost: options.host ?? DEFAULTS.host, allowedHosts: options.allowedHosts ?? [] }));
  if (options.authToken !== undefined) app.use('*', requireToken(options.authToken));
  app.use('/api/*', compress());
  app.get('/ready', (c) => c.text('ready\n'));
  app.route('/', createTempoRoutes(options.store));
  const search = createSearch(options.store);
  app.route('/', createSearchRoutes(options.store, search));
  app.route('/', createTraceQLMetricsRoutes(options.store));
  app.route('/', createPromRoutes(() => sharedDerivedMetrics(options.store)));
  app.route('/', createTestRoutes(options.store, search, { allowReset: options.allowReset }));
  app.route('/', createDoctorRoutes(options.store, options.doctor));
  app.route('/', createMcpRoutes({ store: options.store, search, log: options.log }));
  app.route('/', createImportRoutes(createIngest(options.store, undefined, options.attributeLimits), { maxBody: options.maxBody ?? DEFAULTS.maxBody }));
  app.route('/', createMetricsRoutes(options.store));
  app.route('/', createViewerRoutes());
  app.notFound((c) => c.text('404 page not found\n', 404));
  app.onError((err, c) => {
    if (err instanceof BadRequestError) return c.text(err.message, 400);
    options.log(`api: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    return c.text(`internal error: ${err.message}`, 500);
  });
  return app;
}
