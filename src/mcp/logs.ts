/**
 * The MCP log tools. get_logs: the log records of a trace or of one of its spans, in time
 * order, each placed on its span (offset into the trace, span name) when the trace is
 * stored. search_logs: records by words of the body, service, least severity, attribute
 * and time window, newest first, each with its trace and span. Both bounded, both say
 * when they left records out.
 */
import * as z from 'zod';
import { humanDuration, placeLogs, severityLevel, type TraceTree } from '../analysis/index.ts';
import { logJsonOf, parseSeverity, resourcesOf, type LogJson } from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import { parseTraceId } from '../shared/ids.ts';
import { bodyWords, valueTerm, type LogFilter, type StoreReader } from '../store/index.ts';
import { BoundedText, clip, isoTime, loadTrace, nowNs, parseTime, type Answer } from './common.ts';
import { traceIdArg } from './get-trace.ts';
import { timeArg } from './search-traces.ts';

/** Records read for one answer at most; the count says how many there were in all. */
export const MAX_LOG_LIMIT = 200;
const BODY_CHARS = 300;

const severityArg = z
  .union([z.number().int().min(1).max(24), z.string()])
  .describe('Least severity: a SeverityNumber 1–24 or a level, TRACE, DEBUG, INFO, WARN, ERROR or FATAL.');

const recordOutput = z.object({
  time: z.string(),
  severity: z.string().describe('The severity text as sent, else the level of its number.'),
  service: z.string(),
  body: z.string(),
  attributes: z.record(z.string(), z.string()),
  traceId: z.string(),
  spanId: z.string(),
});

type RecordOutput = z.infer<typeof recordOutput>;

function severityOf(r: LogJson): string {
  if (r.severityText !== '') return r.severityText;
  const level = severityLevel(r.severityNumber);
  return level === 'unspecified' ? '-' : level.toUpperCase();
}

function recordOf(r: LogJson): RecordOutput {
  return { time: isoTime(BigInt(r.timeUnixNano)), severity: severityOf(r), service: r.service, body: clip(r.body, BODY_CHARS), attributes: r.attributes, traceId: r.traceId, spanId: r.spanId };
}

function attrText(r: LogJson): string {
  const a = Object.entries(r.attributes).map(([k, v]) => `${k}=${JSON.stringify(clip(v, 80))}`);
  return a.length === 0 ? '' : `  ${a.join(' ')}`;
}

function severityFilter(v: number | string | undefined): number | undefined {
  return v === undefined ? undefined : parseSeverity('minSeverity', String(v));
}

export const getLogsInput = {
  traceId: traceIdArg,
  spanId: z.string().optional().describe("Only this span's records: 16 hex characters."),
  minSeverity: severityArg.optional(),
  limit: z.number().int().min(1).max(MAX_LOG_LIMIT).optional().describe(`Most records, oldest first (default 50, at most ${MAX_LOG_LIMIT}).`),
};

export interface GetLogsArgs {
  traceId: string;
  spanId?: string;
  minSeverity?: number | string;
  limit?: number;
}

export const getLogsOutput = {
  traceId: z.string(),
  spanId: z.string().optional(),
  total: z.number().describe('Records of the trace (or span) with at least the severity asked.'),
  records: z.array(recordOutput.extend({ offsetMs: z.number().optional().describe('ms from the trace start.'), spanName: z.string().optional() })),
  complete: z.boolean().describe('False when records were left out (past the limit or the text bound).'),
};

type GetLogsOutput = z.infer<z.ZodObject<typeof getLogsOutput>>;

export function getLogs(store: StoreReader, args: GetLogsArgs): Answer<GetLogsOutput> {
  const traceId = parseTraceId(args.traceId.trim());
  const spanId = args.spanId?.trim().toLowerCase();
  if (spanId !== undefined && !/^[0-9a-f]{16}$/.test(spanId)) throw new BadRequestError('"spanId" must be 16 hex characters');
  const limit = args.limit ?? 50;
  const filter: LogFilter = {
    traceId,
    ...(spanId === undefined ? {} : { spanId: Buffer.from(spanId, 'hex') }),
    ...(args.minSeverity === undefined ? {} : { minSeverity: severityFilter(args.minSeverity) }),
  };
  const total = store.logs.count(filter);
  const toJson = logJsonOf(store);
  const records = store.logs.query({ ...filter, direction: 'forward', limit }).map((row) => toJson(row));
  const hex = Buffer.from(traceId).toString('hex');
  const trace: TraceTree | undefined = store.search.rowidOf(traceId) === undefined ? undefined : loadTrace(store, hex);
  const placed = new Map((trace === undefined ? [] : placeLogs(trace, records).list).map((p) => [p.log, p]));
  const out = new BoundedText();
  const what = spanId === undefined ? `trace ${hex}` : `span ${spanId} of trace ${hex}`;
  out.force(
    total === 0
      ? `No log records of ${what}${args.minSeverity === undefined ? '' : ` at severity ${args.minSeverity} or above`}.`
      : `${total} log record(s) of ${what}${trace === undefined ? ' (no span of this trace is stored)' : ''}, oldest first:`,
  );
  const shown: GetLogsOutput['records'] = [];
  for (const r of records) {
    const p = placed.get(r);
    const span = p !== undefined && p.span >= 0 ? trace?.spans[p.span] : undefined;
    const at = p === undefined ? isoTime(BigInt(r.timeUnixNano)) : `+${humanDuration(Math.max(0, p.t))}`;
    const where = spanId !== undefined ? '' : r.spanId === '' ? '' : span === undefined ? `  #${r.spanId}` : `  in ${span.service}: ${span.name} #${r.spanId}`;
    if (!out.add(`${at} ${severityOf(r)} ${r.service}: ${clip(r.body, BODY_CHARS)}${attrText(r)}${where}`)) break;
    shown.push({ ...recordOf(r), ...(p === undefined ? {} : { offsetMs: Math.round(p.t / 1e3) / 1e3 }), ...(span === undefined ? {} : { spanName: span.name }) });
  }
  const complete = shown.length === total;
  if (!complete) out.force(`… ${total - shown.length} more record(s) not shown; ask with a higher limit, a spanId or a minSeverity.`);
  return { text: out.toString(), structured: { traceId: hex, ...(spanId === undefined ? {} : { spanId }), total, records: shown, complete } };
}

export const searchLogsInput = {
  text: z.string().optional().describe('Words that must all be in the body (whole words, any case), e.g. "payment declined".'),
  service: z.string().optional().describe('service.name of the emitting resource.'),
  minSeverity: severityArg.optional(),
  attribute: z.string().optional().describe('A record attribute as key=value, e.g. "order.id=42" (string values).'),
  start: timeArg.optional().describe('Only records at this time or later (default: 1h ago). ' + timeArg.description),
  end: timeArg.optional().describe('Only records before this time (default: now). ' + timeArg.description),
  limit: z.number().int().min(1).max(MAX_LOG_LIMIT).optional().describe(`Most records, newest first (default 30, at most ${MAX_LOG_LIMIT}).`),
};

export interface SearchLogsArgs {
  text?: string;
  service?: string;
  minSeverity?: number | string;
  attribute?: string;
  start?: number | string;
  end?: number | string;
  limit?: number;
}

export const searchLogsOutput = {
  records: z.array(recordOutput),
  more: z.boolean().describe('True when more records matched than are listed (past the limit or the text bound).'),
};

type SearchLogsOutput = z.infer<z.ZodObject<typeof searchLogsOutput>>;

export function searchLogs(store: StoreReader, args: SearchLogsArgs): Answer<SearchLogsOutput> {
  const now = nowNs();
  const startNs = args.start === undefined ? now - 3_600_000_000_000n : parseTime(args.start, 'start', now);
  const endNs = args.end === undefined ? now + 1n : parseTime(args.end, 'end', now);
  if (endNs <= startNs) throw new BadRequestError('"end" must be after "start"');
  const terms = args.text === undefined ? [] : bodyWords(args.text);
  let attr: [string, string] | undefined;
  if (args.attribute !== undefined) {
    const eq = args.attribute.indexOf('=');
    if (eq <= 0) throw new BadRequestError('"attribute" must be key=value');
    attr = [args.attribute.slice(0, eq), args.attribute.slice(eq + 1)];
    terms.push(valueTerm('s', attr[0], attr[1]));
  }
  const resourceIds = resourcesOf(store, args.service === undefined ? [] : [args.service], undefined);
  const limit = args.limit ?? 30;
  const filter: LogFilter = {
    startNs,
    endNs,
    ...(resourceIds === undefined ? {} : { resourceIds }),
    ...(args.minSeverity === undefined ? {} : { minSeverity: severityFilter(args.minSeverity) }),
    ...(terms.length === 0 ? {} : { terms }),
  };
  const toJson = logJsonOf(store);
  const rows = store.logs.query({ ...filter, direction: 'backward', limit: limit + 1 });
  let more = rows.length > limit;
  // Attribute terms are hashes: confirm them against the record.
  const records = rows
    .slice(0, limit)
    .map((row) => toJson(row))
    .filter((r) => attr === undefined || r.attributes[attr[0]] === attr[1]);
  const out = new BoundedText();
  out.force(records.length === 0 ? 'No log record matches in the window.' : `Log records, newest first${more ? ` (the newest ${records.length} of more)` : ''}:`);
  const shown: RecordOutput[] = [];
  for (const r of records) {
    const where = r.traceId === '' ? '' : `  trace ${r.traceId}${r.spanId === '' ? '' : ` span ${r.spanId}`}`;
    if (!out.add(`${isoTime(BigInt(r.timeUnixNano))} ${severityOf(r)} ${r.service}: ${clip(r.body, BODY_CHARS)}${attrText(r)}${where}`)) break;
    shown.push(recordOf(r));
  }
  if (shown.length < records.length) {
    more = true;
    out.force(`… ${records.length - shown.length} more record(s) not shown; narrow the search or lower the limit.`);
  } else if (more) out.force('More records match: narrow the search (words, service, minSeverity, a shorter window) or raise the limit.');
  return { text: out.toString(), structured: { records: shown, more } };
}
