/**
 * GET /metrics (Prometheus text format: derived metrics' totals + tracebox's own) and
 * GET /api/service-graph?start=&end= (unix seconds; the viewer's JSON graph).
 */
import { Hono } from 'hono';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader } from '../store/index.ts';
import type { DerivedMetricsEngine } from './derived.ts';
import { derivedFamilies, renderText } from './exposition.ts';
import { createSelfMetrics } from './self.ts';
import { buildServiceGraph } from './service-graph.ts';

const DEFAULT_WINDOW_S = 3600;

function seconds(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const v = Number(text);
  if (!/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(text) || !Number.isFinite(v) || v < 0) {
    throw new BadRequestError(`invalid ${name}: expected unix seconds, got "${text}"`);
  }
  return v;
}

function toNs(s: number): bigint {
  return BigInt(Math.round(s * 1e3)) * 1_000_000n;
}

export function createMetricsRoutes(store: StoreReader, engine: DerivedMetricsEngine): Hono {
  const app = new Hono();
  const self = createSelfMetrics(store, engine);

  app.get('/metrics', (c) => {
    const body = renderText([...derivedFamilies(engine.totals()), ...self()]);
    return c.body(body, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.get('/api/service-graph', (c) => {
    const end = seconds('end', c.req.query('end')) ?? Date.now() / 1000;
    const start = seconds('start', c.req.query('start')) ?? end - DEFAULT_WINDOW_S;
    if (end <= start) throw new BadRequestError(`end must be greater than start (start=${start} end=${end})`);
    return c.json(buildServiceGraph(engine.window(toNs(start), toNs(end)), start, end));
  });

  return app;
}
