/**
 * Log records as plain JSON (hex ids, attribute values as text), for the log API, the
 * test API, the MCP tools and the viewer; the resources of services and test sessions;
 * severity arguments.
 */
import { decodeLogRecord, decodeScope, keyValuesOf, RESOURCE, SESSION_ATTRIBUTE, SEVERITY, stringAttribute, type AnyValueType, type LogAttribute, type LogRecordView } from '../otlp/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { bytesToHex } from '../shared/ids.ts';
import { encodeUtf8 } from '../shared/protowire.ts';
import type { LogRow, StoreReader } from '../store/index.ts';

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

const LEVELS: Record<string, number> = { TRACE: SEVERITY.TRACE, DEBUG: SEVERITY.DEBUG, INFO: SEVERITY.INFO, WARN: SEVERITY.WARN, ERROR: SEVERITY.ERROR, FATAL: SEVERITY.FATAL };

/** A SeverityNumber (1–24) or a level name (its lowest number). */
export function parseSeverity(name: string, text: string): number {
  const level = LEVELS[text.toUpperCase()];
  if (level !== undefined) return level;
  if (/^\d+$/.test(text) && Number(text) <= SEVERITY.MAX) return Number(text);
  throw new BadRequestError(`invalid ${name}: ${JSON.stringify(text)}; use 1–24 or one of ${Object.keys(LEVELS).join(', ')}`);
}

function textRecord(attrs: readonly LogAttribute[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of attrs) out[a.key] = a.text;
  return out;
}

/** Resource rowids of these services (any, when none given) and this test session; undefined when neither is asked. */
export function resourcesOf(store: StoreReader, services: readonly string[], session: string | undefined): number[] | undefined {
  if (services.length === 0 && session === undefined) return undefined;
  return store.search
    .resources()
    .filter((r) => (services.length === 0 || services.includes(r.service)) && (session === undefined || stringAttribute(r.raw, SESSION_KEY) === session))
    .map((r) => r.id);
}

/** A converter of stored rows to LogJson, keeping what it learned of resources, scopes and traces. */
export function logJsonOf(store: StoreReader): (row: LogRow, rec?: LogRecordView) => LogJson {
  const resources = new Map<number, { service: string; attrs: Record<string, string> }>();
  const scopes = new Map<number, { name: string; version: string }>();
  const traces = new Map<string, boolean>();
  return (row, rec = decodeLogRecord(row.raw)) => {
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
  };
}

