/**
 * Endpoints for tests, usable from any language with one HTTP call: blocking
 * expectations on spans and on log records, span queries as plain JSON, and (when
 * enabled) deleting stored traces.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { createExpect, createLogExpect, createTraceLoader, DEFAULT_SETTLE_MS, INCOMPLETE_HEADER, incompleteReason, logJsonOf, parseQuery, parseSeverity, resourcesOf, scopeToSession, traceJson, type LogCondition, type Search } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader, StoreWrites } from '../store/index.ts';
import { parseTraceId } from '../shared/ids.ts';
import { SESSION_ATTRIBUTE, stringAttribute } from '../otlp/index.ts';
import { encodeUtf8 } from '../shared/protowire.ts';

const SESSION_KEY = encodeUtf8(SESSION_ATTRIBUTE);

export interface TestRoutesOptions {
  /** Whether DELETE /api/traces may empty the store. */
  readonly allowReset: boolean;
}

const MAX_TIMEOUT_MS = 120_000;

function intField(body: Record<string, unknown>, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new BadRequestError(`"${name}" must be a whole number from 0 to ${max}`);
  }
  return v;
}

function sessionOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestError('"session" must be a string');
  return value;
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`"${name}" must be a string`);
  return v;
}

/** A log expectation's condition from its JSON body. */
function logCondition(store: StoreReader, body: Record<string, unknown>): LogCondition {
  const text = stringField(body, 'body');
  const service = stringField(body, 'service');
  const min = body.severity ?? body.minSeverity;
  const max = body.maxSeverity;
  const severity = (name: string, v: unknown): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw new BadRequestError(`"${name}" must be a SeverityNumber or a level name`);
    return parseSeverity(name, String(v));
  };
  const attrs = body.attributes;
  if (attrs !== undefined && (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs) || Object.values(attrs).some((v) => !['string', 'number', 'boolean'].includes(typeof v)))) {
    throw new BadRequestError('"attributes" must be an object of strings, numbers and booleans');
  }
  const traceId = stringField(body, 'traceId');
  const spanId = stringField(body, 'spanId');
  if (spanId !== undefined && !/^[0-9a-fA-F]{16}$/.test(spanId)) throw new BadRequestError('"spanId" must be 16 hex characters');
  const minSeverity = severity('severity', min);
  const maxSeverity = severity('maxSeverity', max);
  const resourceIds = resourcesOf(store, service === undefined ? [] : [service], sessionOf(body.session));
  return {
    ...(text === undefined || text === '' ? {} : { body: text }),
    ...(minSeverity === undefined ? {} : { minSeverity }),
    ...(maxSeverity === undefined ? {} : { maxSeverity }),
    ...(resourceIds === undefined ? {} : { resourceIds }),
    ...(attrs === undefined ? {} : { attributes: attrs as Record<string, string | number | boolean> }),
    ...(traceId === undefined ? {} : { traceId: parseTraceId(traceId) }),
    ...(spanId === undefined ? {} : { spanId: Buffer.from(spanId, 'hex') }),
  };
}

export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    throw new BadRequestError(`the body must be a JSON object: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('the body must be a JSON object');
  return body as Record<string, unknown>;
}

export function createTestRoutes(store: StoreReader, writes: StoreWrites, search: Search, options: TestRoutesOptions): Hono {
  const app = new Hono();
  const expect = createExpect(store, search);
  const expectLogs = createLogExpect(store);

  app.post('/api/expect', async (c) => {
    const body = await jsonBody(c);
    if (typeof body.query !== 'string' || body.query.trim() === '') throw new BadRequestError('"query" must be a TraceQL string');
    const root = parseQuery(body.query, 'invalid TraceQL query: ');
    const max = intField(body, 'max', Number.MAX_SAFE_INTEGER);
    // `max: 0` alone means "none": the default minimum is 1 only where a match may exist.
    const min = intField(body, 'min', Math.min(1, max));
    if (max < min) throw new BadRequestError('"max" must not be less than "min"');
    const timeoutMs = intField(body, 'timeoutMs', 5000, MAX_TIMEOUT_MS);
    const settleMs = intField(body, 'settleMs', DEFAULT_SETTLE_MS, MAX_TIMEOUT_MS);
    const result = await expect({ root, min, max, timeoutMs, settleMs, session: sessionOf(body.session), signal: c.req.raw.signal });
    return c.json(result);
  });

  /**
   * POST /api/expect/logs: wait until between `min` and `max` log records meet a condition
   * (`body` text, `severity` (least) / `maxSeverity`, `service`, `attributes`, `traceId`,
   * `spanId`, `session`); the answer lists them (oldest first, at most 200) with `count`.
   */
  app.post('/api/expect/logs', async (c) => {
    const body = await jsonBody(c);
    const max = intField(body, 'max', Number.MAX_SAFE_INTEGER);
    const min = intField(body, 'min', Math.min(1, max));
    if (max < min) throw new BadRequestError('"max" must not be less than "min"');
    const timeoutMs = intField(body, 'timeoutMs', 5000, MAX_TIMEOUT_MS);
    const settleMs = intField(body, 'settleMs', DEFAULT_SETTLE_MS, MAX_TIMEOUT_MS);
    // Checked now (a bad field is a 400), and again at each reading: a service's or a
    // session's resources may first arrive while the expectation waits.
    logCondition(store, body);
    const result = await expectLogs({ condition: () => logCondition(store, body), min, max, timeoutMs, settleMs, signal: c.req.raw.signal });
    const toJson = logJsonOf(store);
    return c.json({ ...result, matches: result.matches.map((row) => toJson(row)) });
  });

  // Matching spans with their whole traces, newest first: what `tracebox query` prints.
  app.get('/api/spans', (c) => {
    const q = c.req.query('q') || '{ }';
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? '20') || 20, 1), 10_000);
    let root = parseQuery(q, 'invalid TraceQL query: ');
    const session = sessionOf(c.req.query('session'));
    if (session !== undefined) root = scopeToSession(root, session);
    const result = search({ root, limit, window: {} });
    if (result.stopped !== undefined) c.header(INCOMPLETE_HEADER, result.stopped);
    const traces = result.hits.map((hit) => {
      const matched = new Set<string>();
      for (const set of hit.spansets) for (const s of set.spans) matched.add(s.spanId);
      return { ...traceJson(hit.trace), matched: [...matched] };
    });
    return c.json({ traces });
  });

  app.get('/api/spans/trace/:id', (c) => {
    const rowid = store.search.rowidOf(parseTraceId(c.req.param('id')));
    const loaded = rowid === undefined ? undefined : createTraceLoader(store.search)(rowid);
    if (loaded === undefined) return c.json({ error: 'trace not found' }, 404);
    return c.json(traceJson(loaded.trace));
  });

  app.delete('/api/traces', async (c) => {
    if (!options.allowReset) {
      return c.text('deleting traces is disabled; start tracebox with --allow-reset (the test API enables it)', 403);
    }
    const session = sessionOf(c.req.query('session'));
    if (session === undefined) {
      await writes.clear();
      return c.json({ deleted: 'all' });
    }
    const root = scopeToSession(parseQuery('{ }', ''), session);
    // A search cut short by its budget found part of the session: delete that, then look
    // again, until a search sees the whole store. One that finds nothing to delete and
    // still cannot finish answers 503 rather than claim the session is gone.
    let deletedTraces = 0;
    let deletedSpans = 0;
    for (;;) {
      const result = await search.run({ root, limit: Number.MAX_SAFE_INTEGER, window: {}, signal: c.req.raw.signal });
      if (result.hits.length > 0) {
        deletedSpans += await writes.deleteTraces(result.hits.map((h) => h.row.rowid));
        deletedTraces += result.hits.length;
      }
      if (result.stopped === undefined) break;
      if (result.hits.length === 0 || result.stopped === 'aborted') {
        c.header(INCOMPLETE_HEADER, result.stopped);
        c.header('Retry-After', '1');
        return c.text(`deleted ${deletedTraces} trace(s) of session ${session}, but could not finish: ${incompleteReason(result)}; try again\n`, 503);
      }
    }
    // The session's log records: those of the resources tagged with it.
    const resources = store.search.resources().filter((r) => stringAttribute(r.raw, SESSION_KEY) === session);
    const deletedLogs = resources.length === 0 ? 0 : await writes.deleteLogsOf(resources.map((r) => r.id));
    return c.json({ deletedTraces, deletedSpans, deletedLogs });
  });

  return app;
}

