/**
 * @module loki/routes
 * Loki's HTTP API as Grafana's Loki data source uses it (Explore, log panels, its query
 * builder's label lookups, Logs Drilldown, trace-to-logs, "Save & test"), answered from the
 * stored OTLP log records in the shapes a Loki 3.4 gives for OTLP logs. Errors are plain
 * text with status 400, as Loki answers them.
 */
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import type { Context } from 'hono';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader } from '../store/index.ts';
import { formatFloat } from '../promql/index.ts';
import {
  isLogQuery, labelsKey, LogQLEvaluationError, MAX_POINTS, stepCount, LogQLSyntaxError, LogQLUnsupportedError, newLabels, parseLogQL, parseSelector,
  type LabelMatcher, type Labels, type MetricResult, type Query,
} from '../logql/index.ts';
import { LokiData } from './data.ts';
import { DEFAULT_SINCE_NS, nowNs, parseCount, parseDirection, parseLimit, parseStep, parseTime, parseWindow, sampleTime, type Window } from './params.ts';
import { QueryBudgetError, runLogQuery, runMetricQuery, type TimedEntry } from './query.ts';
import { detectedFields, detectedFieldValues } from './detected.ts';
import { streamStats, volume, volumeRange } from './volume.ts';

/** The Loki release whose API this one follows (its build info says so). */
export const LOKI_COMPAT_VERSION = '3.4.0';

const CATEGORIZE = 'categorize-labels';

/** Parses a query, turning LogQL's refusals into 400s with their messages. */
function parse(text: string | undefined): Query {
  if (text === undefined || text === '') throw new BadRequestError('parse error : the query parameter is empty');
  return refusals(() => parseLogQL(text));
}

function refusals<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LogQLSyntaxError || err instanceof LogQLUnsupportedError || err instanceof LogQLEvaluationError || err instanceof QueryBudgetError) {
      throw new BadRequestError(err.message);
    }
    throw err;
  }
}

/** The stream selector of `query` (a bare selector or any log query); undefined when absent. */
function selectorOf(text: string | undefined): readonly LabelMatcher[] | undefined {
  if (text === undefined || text === '') return undefined;
  const q = parse(text);
  if (!isLogQuery(q)) throw new BadRequestError('parse error : a stream selector was expected, not a metric query');
  return q.selector;
}

/** The encoding flags asked for: a comma-separated list, read and echoed back as given, as Loki does. */
function encodingFlags(c: Context): string[] {
  const header = c.req.header('X-Loki-Response-Encoding-Flags') ?? '';
  return header === '' ? [] : header.split(',');
}

function summary(execMs: number, lines: number, bytes: number, returned: number): Record<string, unknown> {
  const seconds = Math.max(execMs / 1000, 1e-6);
  return {
    summary: {
      bytesProcessedPerSecond: Math.round(bytes / seconds),
      linesProcessedPerSecond: Math.round(lines / seconds),
      totalBytesProcessed: bytes,
      totalLinesProcessed: lines,
      execTime: execMs / 1000,
      queueTime: 0,
      subqueries: 0,
      totalEntriesReturned: returned,
      splits: 0,
      shards: 0,
      totalPostFilterLines: returned,
      totalStructuredMetadataBytesProcessed: 0,
    },
  };
}

function merged(e: TimedEntry): Labels {
  const out = newLabels();
  for (const k in e.stream) out[k] = e.stream[k];
  for (const k in e.metadata) out[k] = e.metadata[k];
  for (const k in e.parsed) out[k] = e.parsed[k];
  return out;
}

/**
 * Entries as Loki's `streams`: with categorize-labels a stream is its index labels and each
 * value carries its structured metadata and parsed labels; without, a stream is every label.
 */
function streams(entries: readonly TimedEntry[], categorize: boolean): unknown[] {
  const byKey = new Map<string, { stream: Labels; values: unknown[] }>();
  for (const e of entries) {
    const stream = categorize ? e.stream : merged(e);
    const key = labelsKey(stream);
    let s = byKey.get(key);
    if (s === undefined) {
      s = { stream, values: [] };
      byKey.set(key, s);
    }
    const ts = String(e.tsNs);
    if (!categorize) {
      s.values.push([ts, e.line]);
      continue;
    }
    const extra: Record<string, Labels> = {};
    if (Object.keys(e.metadata).length > 0) extra.structuredMetadata = e.metadata;
    if (Object.keys(e.parsed).length > 0) extra.parsed = e.parsed;
    s.values.push([ts, e.line, extra]);
  }
  return [...byKey.values()];
}

function matrix(result: MetricResult, steps: { startNs: bigint; stepNs: bigint }): { resultType: string; result: unknown } {
  const time = (i: number): number => sampleTime(steps.startNs + BigInt(i) * steps.stepNs);
  if (result.kind === 'scalar') return { resultType: 'matrix', result: [{ metric: {}, values: [...result.values].map((v, i) => [time(i), formatFloat(v)]) }] };
  const series = result.series
    .map((s) => ({ metric: s.metric, values: [...s.values].flatMap((v, i) => (Number.isNaN(v) ? [] : [[time(i), formatFloat(v)]])) }))
    .filter((s) => s.values.length > 0)
    .sort((a, b) => (labelsKey(a.metric) < labelsKey(b.metric) ? -1 : 1));
  return { resultType: 'matrix', result: series };
}

function vector(result: MetricResult, timeNs: bigint): { resultType: string; result: unknown } {
  const t = sampleTime(timeNs);
  if (result.kind === 'scalar') return { resultType: 'scalar', result: [t, formatFloat(result.values[0])] };
  const series = result.series
    .filter((s) => !Number.isNaN(s.values[0]))
    .sort((a, b) => (labelsKey(a.metric) < labelsKey(b.metric) ? -1 : 1))
    .map((s) => ({ metric: s.metric, value: [t, formatFloat(s.values[0])] }));
  return { resultType: 'vector', result: series };
}

function success(data: unknown, warnings?: readonly string[]): Record<string, unknown> {
  return warnings === undefined || warnings.length === 0 ? { status: 'success', data } : { status: 'success', data, warnings };
}

/** Index label names (sorted) of the resources holding records in the window and matching the selector. */
function streamsInWindow(data: LokiData, window: Window, selector: readonly LabelMatcher[] | undefined): Labels[] {
  const inWindow = new Set(data.store.logs.resourceIds(window.startNs, window.endNs + 1n));
  const matching = selector === undefined ? data.allResources().map((r) => r.id) : data.resourceIds(selector);
  return matching.filter((id) => inWindow.has(id)).map((id) => data.resource(id).stream);
}

export function createLokiRoutes(store: StoreReader): Hono {
  const app = new Hono();
  const data = new LokiData(store);
  app.use('/loki/*', compress());

  app.get('/loki/api/v1/query_range', async (c) => {
    const started = Date.now();
    const q = c.req.query();
    const query = parse(q.query);
    const window = parseWindow(q.start, q.end);
    if (isLogQuery(query)) {
      const limit = parseLimit(q.limit);
      const r = await runLogQuery(data, query, window, parseDirection(q.direction), limit, c.req.raw.signal);
      const flags = encodingFlags(c);
      const categorize = flags.includes(CATEGORIZE);
      return c.json(success({
        resultType: 'streams',
        result: streams(r.entries, categorize),
        stats: summary(Date.now() - started, r.linesScanned, r.bytesScanned, r.entries.length),
        ...(flags.length > 0 ? { encodingFlags: flags } : {}),
      }, r.warning === undefined ? undefined : [r.warning]));
    }
    const stepNs = parseStep(q.step ?? q.interval, window);
    const steps = { startNs: window.startNs, endNs: window.endNs, stepNs };
    const result = refusals(() => runMetricQuery(data, query, steps));
    return c.json(success({ ...matrix(result, steps), stats: summary(Date.now() - started, 0, 0, 0) }));
  });

  app.get('/loki/api/v1/query', async (c) => {
    const started = Date.now();
    const q = c.req.query();
    const query = parse(q.query);
    const timeNs = parseTime('time', q.time, nowNs());
    if (isLogQuery(query)) {
      const r = await runLogQuery(data, query, { startNs: timeNs - DEFAULT_SINCE_NS, endNs: timeNs + 1n }, parseDirection(q.direction), parseLimit(q.limit), c.req.raw.signal);
      const flags = encodingFlags(c);
      const categorize = flags.includes(CATEGORIZE);
      return c.json(success({
        resultType: 'streams',
        result: streams(r.entries, categorize),
        stats: summary(Date.now() - started, r.linesScanned, r.bytesScanned, r.entries.length),
        ...(flags.length > 0 ? { encodingFlags: flags } : {}),
      }, r.warning === undefined ? undefined : [r.warning]));
    }
    const result = refusals(() => runMetricQuery(data, query, { startNs: timeNs, endNs: timeNs, stepNs: 1n }));
    return c.json(success({ ...vector(result, timeNs), stats: summary(Date.now() - started, 0, 0, 0) }));
  });

  app.get('/loki/api/v1/labels', (c) => {
    const q = c.req.query();
    const names = new Set<string>();
    for (const s of streamsInWindow(data, parseWindow(q.start, q.end), selectorOf(q.query))) for (const k in s) names.add(k);
    return c.json(success([...names].sort()));
  });

  app.get('/loki/api/v1/label/:name/values', (c) => {
    const q = c.req.query();
    const name = c.req.param('name');
    const values = new Set<string>();
    for (const s of streamsInWindow(data, parseWindow(q.start, q.end), selectorOf(q.query))) if (s[name] !== undefined) values.add(s[name]);
    return c.json(success([...values].sort()));
  });

  app.get('/loki/api/v1/series', (c) => {
    const q = c.req.query();
    const matches = c.req.queries('match[]') ?? c.req.queries('match') ?? [];
    if (matches.length === 0) throw new BadRequestError('match[] parameter is required: a stream selector such as {service_name="shop"}');
    const window = parseWindow(q.start, q.end);
    const seen = new Map<string, Labels>();
    for (const m of matches) {
      const selector = refusals(() => parseSelector(m));
      for (const s of streamsInWindow(data, window, selector)) seen.set(labelsKey(s), s);
    }
    return c.json(success([...seen.values()]));
  });

  app.get('/loki/api/v1/index/stats', (c) => {
    const q = c.req.query();
    const selector = selectorOf(q.query);
    if (selector === undefined) throw new BadRequestError('the query parameter is required: a stream selector');
    return c.json(streamStats(data, selector, parseWindow(q.start, q.end)));
  });

  app.get('/loki/api/v1/index/volume', (c) => {
    const q = c.req.query();
    const selector = selectorOf(q.query);
    if (selector === undefined) throw new BadRequestError('the query parameter is required: a stream selector');
    const window = parseWindow(q.start, q.end);
    const targets = (q.targetLabels ?? '').split(',').filter((s) => s !== '');
    return c.json(success(volume(data, selector, window, targets, parseCount('limit', q.limit, 100))));
  });

  app.get('/loki/api/v1/index/volume_range', (c) => {
    const q = c.req.query();
    const selector = selectorOf(q.query);
    if (selector === undefined) throw new BadRequestError('the query parameter is required: a stream selector');
    const window = parseWindow(q.start, q.end);
    const targets = (q.targetLabels ?? '').split(',').filter((s) => s !== '');
    const stepNs = parseStep(q.step, window);
    if (stepCount({ ...window, stepNs }) > MAX_POINTS) {
      throw new BadRequestError(`exceeded maximum resolution of ${MAX_POINTS} points per timeseries. Try decreasing the query resolution (?step=XX)`);
    }
    return c.json(success(volumeRange(data, selector, window, stepNs, targets, parseCount('limit', q.limit, 100))));
  });

  app.get('/loki/api/v1/detected_labels', (c) => {
    const q = c.req.query();
    const selector = selectorOf(q.query) ?? [];
    const values = new Map<string, Set<string>>();
    for (const s of streamsInWindow(data, parseWindow(q.start, q.end), selector.length === 0 ? undefined : selector)) {
      for (const k in s) {
        let set = values.get(k);
        if (set === undefined) values.set(k, (set = new Set()));
        set.add(s[k]);
      }
    }
    const detectedLabels = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, set]) => ({ label, cardinality: set.size }));
    return c.json({ detectedLabels });
  });

  app.get('/loki/api/v1/detected_fields', async (c) => {
    const q = c.req.query();
    const query = parse(q.query);
    if (!isLogQuery(query)) throw new BadRequestError('detected_fields needs a log query, not a metric query');
    const lineLimit = q.line_limit === undefined ? 1000 : parseLimit(q.line_limit);
    return c.json(await detectedFields(data, query, parseWindow(q.start, q.end), lineLimit, parseCount('limit', q.limit, 1000)));
  });

  app.get('/loki/api/v1/detected_field/:name/values', async (c) => {
    const q = c.req.query();
    const query = parse(q.query);
    if (!isLogQuery(query)) throw new BadRequestError('detected_field values need a log query, not a metric query');
    const lineLimit = q.line_limit === undefined ? 1000 : parseLimit(q.line_limit);
    return c.json({ values: await detectedFieldValues(data, query, parseWindow(q.start, q.end), lineLimit, c.req.param('name')) });
  });

  app.get('/loki/api/v1/status/buildinfo', (c) =>
    c.json({ version: LOKI_COMPAT_VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' }),
  );

  return app;
}
