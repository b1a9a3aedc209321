/**
 * TraceQL metrics: `/api/metrics/query_range` and `/api/metrics/query`, answered in
 * Tempo 2.7's JSON shapes.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { createMetricsQuery, queryInstantResponse, queryRangeResponse, type MetricsRequest, type MetricsResult } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader } from '../store/index.ts';
import { EvaluationError } from '../traceql/index.ts';
import { parseQueryInstantParams, parseQueryRangeParams } from './metrics-params.ts';

export function createTraceQLMetricsRoutes(store: StoreReader): Hono {
  const app = new Hono();
  const metrics = createMetricsQuery(store);
  const query = (c: Context) => (name: string) => c.req.query(name);

  /** Runs a query, or answers 499 (Tempo's "client closed request") when the client went away. */
  async function run(c: Context, request: MetricsRequest, respond: (result: MetricsResult) => unknown): Promise<Response> {
    const signal = c.req.raw.signal;
    try {
      // The request's signal fires when the client goes away: a long query then stops.
      return c.json(respond(await metrics.run(request, signal)));
    } catch (err) {
      if (signal.aborted) return new Response('context canceled', { status: 499 });
      // A valid query that cannot run on the data (e.g. a spanset operator after by()).
      if (err instanceof EvaluationError) throw new BadRequestError(`compiling query: ${err.message}`);
      throw err;
    }
  }

  app.get('/api/metrics/query_range', (c) => run(c, parseQueryRangeParams(query(c)), queryRangeResponse));
  app.get('/api/metrics/query', (c) => run(c, parseQueryInstantParams(query(c)), queryInstantResponse));
  return app;
}
