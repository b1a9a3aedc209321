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
 * `more` says whether more records matched than were returned.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bytesToHex } from '../shared/ids.ts';
import { BadRequestError } from '../shared/errors.ts';
import { valueTerm, type LogQuery, type LogRow, type StoreReader } from '../store/index.ts';
import { decodeLogRecord, decodeScope, keyValuesOf, RESOURCE, SESSION_ATTRIBUTE, SEVERITY, stringAttribute, type AnyValueType, type LogAttribute } from '../otlp/index.ts';
import { encodeUtf8 } from '../shared/protowire.ts';
import { parseFractionalSeconds, parseRfc3339 } from './params.ts';
import { parseTraceId } from '../shared/ids.ts';

export const DEFAULT_LOG_LIMIT = 100;
export const MAX_LOG_LIMIT = 5000;
const SESSION_KEY = encodeUtf8(SESSION_ATTRIBUTE);

export interface LogJson {
  /** Arrival order: the cursor for `after`. */
  id: number;
  /** The record's time; its observed time when that was 0 (the arrival time when both were). */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  /** The body as text (a map or array as compact JSON); '' without one. */
  body: string;
  bodyType: AnyValueType | 'none';
  attributes: Record<string, string>;
  droppedAttributesCount: number;
  flags: number;
  /** Hex; '' outside a trace. */
  traceId: string;
  spanId: string;
  eventName: string;
  service: string;
  resource: Record<string, string>;
  scope: { name: string; version: string };
  /** Whether spans of the record's trace are stored (the trace can be opened). */
  traceStored: boolean;
}

/** A time parameter: unix seconds (up to 10 digits), unix ns (more digits), fractional seconds or RFC 3339. */
export function parseLogTime(name: string, text: string): bigint {
  if (/^\d{1,10}$/.test(text)) return BigInt(text) * 1_000_000_000n;
  if (/^\d{11,19}$/.test(text)) return BigInt(text);
  const ns = parseFractionalSeconds(text) ?? parseRfc3339(text);
  if (ns === undefined) throw new BadRequestError(`invalid ${name}: ${JSON.stringify(text)} is not unix seconds, unix nanoseconds or an RFC 3339 time`);
  return ns;
}

const LEVELS: Record<string, number> = { TRACE: SEVERITY.TRACE, DEBUG: SEVERITY.DEBUG, INFO: SEVERITY.INFO, WARN: SEVERITY.WARN, ERROR: SEVERITY.ERROR, FATAL: SEVERITY.FATAL };

/** A SeverityNumber (1–24) or a level name (its lowest number). */
export function parseSeverity(name: string, text: string): number {
  const level = LEVELS[text.toUpperCase()];
  if (level !== undefined) return level;
  if (/^\d+$/.test(text) && Number(text) <= SEVERITY.MAX) return Number(text);
  throw new BadRequestError(`invalid ${name}: ${JSON.stringify(text)}; use 1–24 or one of ${Object.keys(LEVELS).join(', ')}`);
}

/** The words FTS5's unicode61 tokenizer makes of a text (letters and digits), for `terms`. */
export function bodyWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function textRecord(attrs: readonly LogAttribute[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of attrs) out[a.key] = a.text;
  return out;
}

export function createLogRoutes(store: StoreReader): Hono {
  const app = new Hono();

  /** Resource rowids whose attribute passes `keep`; undefined when not asked. */
  function resourcesWhere(keep: (raw: Uint8Array, service: string) => boolean): number[] {
    return store.search
      .resources()
      .filter((r) => keep(r.raw, r.service))
      .map((r) => r.id);
  }

  function intersect(a: number[] | undefined, b: number[]): number[] {
    if (a === undefined) return b;
    const keep = new Set(b);
    return a.filter((id) => keep.has(id));
  }

  app.get('/api/logs', (c: Context) => {
    const q = (name: string): string | undefined => {
      const v = c.req.query(name);
      return v === undefined || v === '' ? undefined : v;
    };
    const terms: string[] = [];
    let resourceIds: number[] | undefined;
    const services = c.req.queries('service')?.filter((s) => s !== '') ?? [];
    if (services.length > 0) resourceIds = resourcesWhere((_raw, service) => services.includes(service));
    const session = q('session');
    if (session !== undefined) resourceIds = intersect(resourceIds, resourcesWhere((raw) => stringAttribute(raw, SESSION_KEY) === session));
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
    const limitText = q('limit');
    const limit = limitText === undefined ? DEFAULT_LOG_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LIMIT) throw new BadRequestError(`invalid limit: a whole number from 1 to ${MAX_LOG_LIMIT}`);
    const direction = q('direction') ?? 'backward';
    if (direction !== 'backward' && direction !== 'forward') throw new BadRequestError('invalid direction: backward or forward');
    const after = q('after');
    if (after !== undefined && !/^\d+$/.test(after)) throw new BadRequestError('invalid after: a log id');
    const start = q('start');
    const end = q('end');
    const min = q('minSeverity');
    const max = q('maxSeverity');
    const query: LogQuery = {
      direction,
      // One more tells whether there were more.
      limit: limit + 1,
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
    let rows = store.logs.query(query);
    const more = rows.length > limit;
    if (more) rows = rows.slice(0, limit);
    const logs: LogJson[] = [];
    const resources = new Map<number, { service: string; attrs: Record<string, string> }>();
    const scopes = new Map<number, { name: string; version: string }>();
    const traces = new Map<string, boolean>();
    for (const row of rows) {
      const rec = decodeLogRecord(row.raw);
      // Attribute terms are hashes: confirm them against the record.
      if (attrs.some(([k, v]) => !rec.attributes.some((a) => a.key === k && a.type === 'string' && a.text === v))) continue;
      logs.push(toJson(row, rec));
    }
    return c.json({ logs, more, ...(logs.length === 0 ? {} : { lastId: Math.max(...logs.map((l) => l.id)) }) });

    function toJson(row: LogRow, rec: ReturnType<typeof decodeLogRecord>): LogJson {
      let resource = resources.get(row.resourceId);
      if (resource === undefined) {
        const r = store.search.resource(row.resourceId);
        resource = { service: r.service, attrs: textRecord(keyValuesOf(r.raw, RESOURCE.attributes)) };
        resources.set(row.resourceId, resource);
      }
      let scope = scopes.get(row.scopeId);
      if (scope === undefined) {
        const s = decodeScope(store.search.scope(row.scopeId).raw);
        scope = { name: s.name, version: s.version };
        scopes.set(row.scopeId, scope);
      }
      const trace = row.traceId === null ? '' : bytesToHex(row.traceId);
      let stored = traces.get(trace);
      if (stored === undefined) {
        stored = row.traceId !== null && store.search.rowidOf(row.traceId) !== undefined;
        traces.set(trace, stored);
      }
      return {
        id: row.id,
        timeUnixNano: row.timeNs.toString(),
        observedTimeUnixNano: rec.observedNs.toString(),
        severityNumber: rec.severityNumber,
        severityText: rec.severityText,
        body: row.body,
        bodyType: rec.body?.type ?? 'none',
        attributes: textRecord(rec.attributes),
        droppedAttributesCount: rec.droppedAttributesCount,
        flags: rec.flags,
        traceId: trace,
        spanId: row.spanId === null ? '' : bytesToHex(row.spanId),
        eventName: rec.eventName,
        service: resource.service,
        resource: resource.attrs,
        scope,
        traceStored: stored,
      };
    }
  });

  return app;
}
