/**
 * GET /api/logs: log records as plain JSON for the viewer and test clients, found by
 * trace, span, words of the body, service, severity, attribute, test session and time.
 *
 *   traceId, spanId   hex
 *   q                 words that must all be in the body (whole words, any case)
 *   service           service.name (repeatable)
 *   attr              key=value, a string attribute of the record (repeatable)
 *   session           the test session (resource attribute tracebox.session)
 *   minSeverity, maxSeverity   SeverityNumber 1–24, or TRACE, DEBUG, INFO, WARN, ERROR, FATAL
 *   start, end        unix seconds (10 digits or fewer), unix ns, fractional seconds or RFC 3339
 *   limit             1–5000 (default 100); direction backward (newest first, default) | forward
 *   after             only records stored after this log id (a live tail's cursor)
 *
 * `more` says whether more records matched than were returned. GET /api/logs/volume counts
 * the same records per time bucket and severity level. GET /api/logs/export?traceId= writes a
 * trace's records as one OTLP/JSON logs request (hex ids, numeric enums), every field as
 * received, for `tracebox export --logs`.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { BadRequestError } from '../shared/errors.ts';
import { bodyWords, valueTerm, type LogFilter, type LogQuery, type StoreReader } from '../store/index.ts';
import { logJsonOf, parseSeverity, resourcesOf, type LogJson } from '../query/index.ts';
import { decodeLogRecord, encodeLogsData, logsDataToJson, type RawLogGroup } from '../otlp/index.ts';
import { severityLevel } from '../analysis/index.ts';
import { parseFractionalSeconds, parseRfc3339 } from './params.ts';
import { parseTraceId } from '../shared/ids.ts';

export type { LogJson };
/** Body words as the term index holds them (the store's tokenizer). */
export { bodyWords };

export const DEFAULT_LOG_LIMIT = 100;
export const MAX_LOG_LIMIT = 5000;
/** Records of one trace `/api/logs/export` writes at most; past this it refuses rather than cut the trace's records short. */
export const MAX_EXPORT_RECORDS = 100_000;

/** A time parameter: unix seconds (up to 10 digits), unix ns (more digits), fractional seconds or RFC 3339. */
export function parseLogTime(name: string, text: string): bigint {
  if (/^\d{1,10}$/.test(text)) return BigInt(text) * 1_000_000_000n;
  if (/^\d{11,19}$/.test(text)) return BigInt(text);
  const ns = parseFractionalSeconds(text) ?? parseRfc3339(text);
  if (ns === undefined) throw new BadRequestError(`invalid ${name}: ${JSON.stringify(text)} is not unix seconds, unix nanoseconds or an RFC 3339 time`);
  return ns;
}


export function createLogRoutes(store: StoreReader): Hono {
  const app = new Hono();

  /** The filter a request's parameters describe (shared by the listing and the volume), and the attributes to confirm. */
  function filterOf(c: Context): { filter: LogFilter; attrs: Array<[string, string]> } {
    const q = (name: string): string | undefined => {
      const v = c.req.query(name);
      return v === undefined || v === '' ? undefined : v;
    };
    const terms: string[] = [];
    const resourceIds = resourcesOf(store, c.req.queries('service')?.filter((s) => s !== '') ?? [], q('session'));
    const attrs: Array<[string, string]> = [];
    for (const a of c.req.queries('attr') ?? []) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new BadRequestError(`invalid attr: ${JSON.stringify(a)}; use key=value`);
      attrs.push([a.slice(0, eq), a.slice(eq + 1)]);
      terms.push(valueTerm('s', a.slice(0, eq), a.slice(eq + 1)));
    }
    const text = q('q');
    if (text !== undefined) terms.push(...bodyWords(text));
    const traceId = q('traceId');
    const spanId = q('spanId');
    if (spanId !== undefined && !/^[0-9a-fA-F]{16}$/.test(spanId)) throw new BadRequestError('invalid spanId: 16 hex characters expected');
    const after = q('after');
    if (after !== undefined && !/^\d+$/.test(after)) throw new BadRequestError('invalid after: a log id');
    const start = q('start');
    const end = q('end');
    const min = q('minSeverity');
    const max = q('maxSeverity');
    const filter: LogFilter = {
      ...(start === undefined ? {} : { startNs: parseLogTime('start', start) }),
      ...(end === undefined ? {} : { endNs: parseLogTime('end', end) }),
      ...(resourceIds === undefined ? {} : { resourceIds }),
      ...(min === undefined ? {} : { minSeverity: parseSeverity('minSeverity', min) }),
      ...(max === undefined ? {} : { maxSeverity: parseSeverity('maxSeverity', max) }),
      ...(traceId === undefined ? {} : { traceId: parseTraceId(traceId) }),
      ...(spanId === undefined ? {} : { spanId: Buffer.from(spanId, 'hex') }),
      ...(terms.length === 0 ? {} : { terms }),
      ...(after === undefined ? {} : { afterId: Number(after) }),
    };
    return { filter, attrs };
  }

  /**
   * GET /api/logs/volume: how many records match, per time bucket and severity level, for
   * a histogram. The same parameters as /api/logs (start and end required) and `buckets`
   * (1–500, default 60). Attribute filters are counted by the term index alone (hashes):
   * `exact` says whether the counts may include a record whose attribute only shares a hash.
   */
  app.get('/api/logs/volume', (c: Context) => {
    const { filter, attrs } = filterOf(c);
    if (filter.startNs === undefined || filter.endNs === undefined) throw new BadRequestError('start and end are required');
    if (filter.endNs <= filter.startNs) throw new BadRequestError('end must be after start');
    const bucketsText = c.req.query('buckets');
    const buckets = bucketsText === undefined || bucketsText === '' ? 60 : Number(bucketsText);
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 500) throw new BadRequestError('invalid buckets: a whole number from 1 to 500');
    const span = filter.endNs - filter.startNs;
    const stepNs = (span + BigInt(buckets) - 1n) / BigInt(buckets);
    const byLevel = new Map<string, number[]>();
    for (const { bucketNs, severity, count } of store.logs.counts({ ...filter, startNs: filter.startNs }, stepNs)) {
      const level = severityLevel(severity);
      let counts = byLevel.get(level);
      if (counts === undefined) byLevel.set(level, (counts = new Array<number>(buckets).fill(0)));
      const i = Number((bucketNs - filter.startNs) / stepNs);
      if (i >= 0 && i < buckets) counts[i] += count;
    }
    return c.json({
      startUnixNano: filter.startNs.toString(),
      stepNanos: stepNs.toString(),
      buckets,
      levels: Object.fromEntries(byLevel),
      exact: attrs.length === 0,
    });
  });

  app.get('/api/logs/export', (c: Context) => {
    const id = c.req.query('traceId');
    if (id === undefined || id === '') throw new BadRequestError('traceId is required');
    const rows = store.logs.query({ traceId: parseTraceId(id), direction: 'forward', limit: MAX_EXPORT_RECORDS + 1 });
    if (rows.length > MAX_EXPORT_RECORDS) throw new BadRequestError(`trace ${id} has more than ${MAX_EXPORT_RECORDS} log records; read them with /api/logs`);
    // The records of one resource and scope share a group, in time order, as an SDK batches them.
    const groups = new Map<string, RawLogGroup & { records: Uint8Array[] }>();
    for (const row of rows) {
      const key = `${row.resourceId}/${row.scopeId}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { resource: store.search.resource(row.resourceId).raw, scope: store.search.scope(row.scopeId).raw, records: [] }));
      g.records.push(row.raw);
    }
    return c.json(logsDataToJson(encodeLogsData([...groups.values()]), { ids: 'hex', enums: 'numbers' }));
  });

  app.get('/api/logs', (c: Context) => {
    const q = (name: string): string | undefined => {
      const v = c.req.query(name);
      return v === undefined || v === '' ? undefined : v;
    };
    const { filter, attrs } = filterOf(c);
    const limitText = q('limit');
    const limit = limitText === undefined ? DEFAULT_LOG_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LIMIT) throw new BadRequestError(`invalid limit: a whole number from 1 to ${MAX_LOG_LIMIT}`);
    const direction = q('direction') ?? 'backward';
    if (direction !== 'backward' && direction !== 'forward') throw new BadRequestError('invalid direction: backward or forward');
    // One more tells whether there were more.
    const query: LogQuery = { ...filter, direction, limit: limit + 1 };
    let rows = store.logs.query(query);
    const more = rows.length > limit;
    if (more) rows = rows.slice(0, limit);
    const logs: LogJson[] = [];
    const toJson = logJsonOf(store);
    for (const row of rows) {
      const rec = decodeLogRecord(row.raw);
      // Attribute terms are hashes: confirm them against the record.
      if (attrs.some(([k, v]) => !rec.attributes.some((a) => a.key === k && a.type === 'string' && a.text === v))) continue;
      logs.push(toJson(row, rec));
    }
    return c.json({ logs, more, ...(logs.length === 0 ? {} : { lastId: Math.max(...logs.map((l) => l.id)) }) });
  });

  return app;
}
