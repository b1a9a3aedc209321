/**
 * The part of the Prometheus HTTP API that Grafana's Prometheus data source uses for the
 * Tempo service map and APM table, on the API port: /api/v1/query, /api/v1/query_range,
 * /api/v1/labels, /api/v1/label/<name>/values, /api/v1/series, /api/v1/metadata (the
 * derived families' types and help), /api/v1/status/buildinfo, plus empty answers for the
 * exemplar and rules look-ups the data source makes.
 * Queries run over the derived metrics (src/promql). GET and form-encoded POST both
 * work, as in Prometheus. Errors use Prometheus' JSON envelope, never Tempo's plain text.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { derivedFamilies, type DerivedMetrics } from '../metrics/index.ts';
import {
  instantQuery,
  MAX_POINTS,
  MetricsSource,
  parsePromDurationMs,
  parsePromQL,
  parseSelector,
  PromQLEvaluationError,
  PromQLSyntaxError,
  PromQLUnsupportedError,
  rangeQuery,
  selects,
  type Sample,
  type VectorSelector,
} from '../promql/index.ts';

/** The Prometheus version tracebox's API answers as (Grafana reads it for feature checks). */
export const PROMETHEUS_COMPAT_VERSION = '2.53.0';

class PromError extends Error {
  constructor(
    readonly errorType: 'bad_data' | 'execution' | 'internal',
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
  }
}

function badParam(name: string, reason: string): PromError {
  return new PromError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${reason}`);
}

interface Params {
  get(name: string): string | undefined;
  all(name: string): string[];
}

/** Query-string and form-body parameters; the body's come first, as Go's Request.Form has them. */
async function params(c: Context): Promise<Params> {
  const merged = new URLSearchParams();
  if (c.req.method === 'POST' && (c.req.header('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(await c.req.text())) merged.append(k, v);
  }
  for (const [k, v] of new URL(c.req.url).searchParams) merged.append(k, v);
  return {
    get: (name) => merged.get(name) ?? undefined,
    all: (name) => merged.getAll(name),
  };
}

/** Prometheus' parseTime: float unix seconds or RFC 3339; milliseconds. */
function parseTime(name: string, text: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const s = Number(text);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(t)) return t;
  throw badParam(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

/** Prometheus' parseDuration: float seconds or a Prometheus duration; milliseconds. */
function parseDuration(name: string, text: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const s = Number(text);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  const ms = parsePromDurationMs(text);
  if (ms === undefined) throw badParam(name, `cannot parse ${JSON.stringify(text)} to a valid duration`);
  return ms;
}

function parseQueryText(text: string | undefined): ReturnType<typeof parsePromQL> {
  try {
    return parsePromQL(text ?? '');
  } catch (err) {
    if (err instanceof PromQLSyntaxError || err instanceof PromQLUnsupportedError) throw badParam('query', err.message);
    throw err;
  }
}

function matchSelectors(p: Params): VectorSelector[] {
  return p.all('match[]').map((m) => {
    try {
      return parseSelector(m);
    } catch (err) {
      if (err instanceof PromQLSyntaxError || err instanceof PromQLUnsupportedError) throw badParam('match[]', err.message);
      throw err;
    }
  });
}

function optionalRange(p: Params): { startNs?: bigint; endNs?: bigint } {
  const start = p.get('start');
  const end = p.get('end');
  return {
    startNs: start === undefined || start === '' ? undefined : BigInt(parseTime('start', start)) * 1_000_000n,
    endNs: end === undefined || end === '' ? undefined : BigInt(parseTime('end', end)) * 1_000_000n,
  };
}

export function createPromRoutes(derived: DerivedMetrics | (() => DerivedMetrics)): Hono {
  const app = new Hono();
  const metrics = typeof derived === 'function' ? derived : () => derived;
  const source = (): MetricsSource => new MetricsSource(metrics());

  const success = (c: Context, data: unknown) => c.json({ status: 'success', data });

  /** The series that exist over the request's window (or now), filtered by its match[] selectors. */
  const seriesOf = (p: Params): Sample[] => {
    const selectors = matchSelectors(p);
    const { startNs, endNs } = optionalRange(p);
    const all = source().series(startNs, endNs);
    return selectors.length === 0 ? all : all.filter((s) => selectors.some((sel) => selects(sel, s.metric)));
  };

  const handlers: Record<string, (c: Context, p: Params) => Response | Promise<Response>> = {
    '/api/v1/query': (c, p) => {
      const { expr, type } = parseQueryText(p.get('query'));
      const time = p.get('time');
      const src = source();
      const timeMs = time === undefined || time === '' ? src.nowMs : parseTime('time', time);
      return success(c, instantQuery(expr, type, timeMs, src));
    },
    '/api/v1/query_range': (c, p) => {
      const { expr, type } = parseQueryText(p.get('query'));
      const [start, end, step] = [p.get('start'), p.get('end'), p.get('step')];
      if (start === undefined || start === '') throw badParam('start', 'cannot parse "" to a valid timestamp');
      if (end === undefined || end === '') throw badParam('end', 'cannot parse "" to a valid timestamp');
      if (step === undefined || step === '') throw badParam('step', 'cannot parse "" to a valid duration');
      const startMs = parseTime('start', start);
      const endMs = parseTime('end', end);
      if (endMs < startMs) throw badParam('end', 'end timestamp must not be before start time');
      const stepMs = parseDuration('step', step);
      if (stepMs <= 0) throw badParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
      if ((endMs - startMs) / stepMs > MAX_POINTS) {
        throw new PromError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
      }
      return success(c, rangeQuery(expr, type, startMs, endMs, stepMs, source()));
    },
    '/api/v1/labels': (c, p) => {
      const names = new Set<string>();
      for (const s of seriesOf(p)) for (const k of Object.keys(s.metric)) names.add(k);
      return success(c, [...names].sort());
    },
    '/api/v1/series': (c, p) => {
      if (p.all('match[]').length === 0) throw new PromError('bad_data', 'no match[] parameter provided');
      const seen = new Map<string, Record<string, string>>();
      for (const s of seriesOf(p)) {
        const key = JSON.stringify(Object.entries(s.metric).sort());
        if (!seen.has(key)) seen.set(key, s.metric);
      }
      return success(c, [...seen.values()]);
    },
    '/api/v1/query_exemplars': (c, p) => {
      parseQueryText(p.get('query'));
      return success(c, []);
    },
    '/api/v1/metadata': (c, p) => {
      const metric = p.get('metric') || undefined;
      const limitText = p.get('limit');
      // Prometheus: a negative limit (the default) is none.
      const limit = limitText === undefined || limitText === '' ? -1 : Number(limitText);
      if (!Number.isInteger(limit)) throw new PromError('bad_data', 'limit must be a number');
      const data: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
      for (const f of derivedFamilies(metrics().totals())) {
        if (limit >= 0 && Object.keys(data).length >= limit) break;
        if (metric === undefined || f.name === metric) data[f.name] = [{ type: f.type, help: f.help, unit: '' }];
      }
      return success(c, data);
    },
    '/api/v1/rules': (c) => success(c, { groups: [] }),
    '/api/v1/alerts': (c) => success(c, { alerts: [] }),
    '/api/v1/status/buildinfo': (c) =>
      success(c, { version: PROMETHEUS_COMPAT_VERSION, revision: 'tracebox', branch: 'HEAD', buildUser: '', buildDate: '', goVersion: '' }),
  };

  const run = async (c: Context, handler: (c: Context, p: Params) => Response | Promise<Response>): Promise<Response> => {
    try {
      return await handler(c, await params(c));
    } catch (err) {
      if (err instanceof PromError) return c.json({ status: 'error', errorType: err.errorType, error: err.message }, err.status as 400);
      if (err instanceof PromQLEvaluationError) return c.json({ status: 'error', errorType: 'execution', error: err.message }, 422);
      throw err; // the API's error handler logs it and answers 500
    }
  };

  for (const [path, handler] of Object.entries(handlers)) {
    app.get(path, (c) => run(c, handler));
    app.post(path, (c) => run(c, handler));
  }
  app.get('/api/v1/label/:name/values', (c) => {
    const name = c.req.param('name');
    return run(c, (c2, p) => {
      const values = new Set<string>();
      for (const s of seriesOf(p)) {
        const v = s.metric[name];
        if (v !== undefined && v !== '') values.add(v);
      }
      return success(c2, [...values].sort());
    });
  });
  return app;
}
