/**
 * Blocking expectations on log records, as `expect.ts` is for spans: wait until between
 * `min` and `max` stored records meet a condition (words of the body, severity range,
 * service, string attributes, trace, span, test session).
 *
 * The store narrows the candidates (its term index holds body words, attribute hashes and
 * ids); each candidate is then confirmed against its record, so hashes and word
 * boundaries never count a record that does not match. The store is read once, then only
 * the records each commit added. A count is never reported from a partial reading: past
 * MAX_CANDIDATES candidates the expectation fails and says so. With a finite `max`, the
 * count must also have held still for `settleMs` after the last matching record arrived.
 */
import { decodeLogRecord } from '../otlp/index.ts';
import { valueTerm, type LogFilter, type LogRow, type StoreReader } from '../store/index.ts';

export interface LogCondition {
  /** The body (as text; a map or array as JSON) contains this, case-sensitively. */
  readonly body?: string;
  /** SeverityNumber range, inclusive. */
  readonly minSeverity?: number;
  readonly maxSeverity?: number;
  /** Resource rowids the record's resource must be one of (service, session); empty: none match. */
  readonly resourceIds?: readonly number[];
  /** Record attributes that must have these values (compared as text). */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  /** 16 and 8 bytes. */
  readonly traceId?: Uint8Array;
  readonly spanId?: Uint8Array;
}

export interface LogExpectRequest {
  /** Asked again at each reading: resources (a service, a session) may first arrive while it waits. */
  readonly condition: () => LogCondition;
  readonly min: number;
  readonly max: number;
  readonly timeoutMs: number;
  readonly settleMs: number;
  readonly signal?: AbortSignal;
}

export interface LogExpectResult {
  readonly ok: boolean;
  /** Matching records found (all of them, also when there are too many). */
  readonly count: number;
  /** The matching records, oldest first, at most MAX_RETURNED. */
  readonly matches: LogRow[];
  readonly message: string;
  /** False when the store could not be read completely; `ok` is then false too. */
  readonly complete: boolean;
}

/** Candidates one expectation reads at most; past this it cannot tell. */
export const MAX_CANDIDATES = 50_000;
const MAX_RETURNED = 200;
/** Re-readings after commits are at least this far apart. */
const RECHECK_MS = 50;

/**
 * Words of `text` that are whole words wherever `text` occurs: the first and last are left
 * out when they touch its ends (they may be the tail or head of a longer word).
 */
export function wholeWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const at = m.index;
    if (at > 0 && at + m[0].length < text.length) out.push(m[0]);
  }
  return out;
}

/** The store filter that over-approximates a condition (every match passes it). */
export function logFilterOf(c: LogCondition): LogFilter {
  const terms = c.body === undefined ? [] : wholeWords(c.body);
  for (const [k, v] of Object.entries(c.attributes ?? {})) if (typeof v === 'string') terms.push(valueTerm('s', k, v));
  return {
    ...(c.minSeverity === undefined ? {} : { minSeverity: c.minSeverity }),
    ...(c.maxSeverity === undefined ? {} : { maxSeverity: c.maxSeverity }),
    ...(c.resourceIds === undefined ? {} : { resourceIds: c.resourceIds }),
    ...(c.traceId === undefined ? {} : { traceId: c.traceId }),
    ...(c.spanId === undefined ? {} : { spanId: c.spanId }),
    ...(terms.length === 0 ? {} : { terms }),
  };
}

/** Whether a candidate row meets the parts of the condition the store only narrows. */
export function logMatches(c: LogCondition, row: LogRow): boolean {
  if (c.body !== undefined && !row.body.includes(c.body)) return false;
  const attrs = Object.entries(c.attributes ?? {});
  if (attrs.length === 0) return true;
  const rec = decodeLogRecord(row.raw);
  return attrs.every(([k, v]) => rec.attributes.some((a) => a.key === k && a.text === String(v)));
}

export function createLogExpect(store: StoreReader): (request: LogExpectRequest) => Promise<LogExpectResult> {
  return (request) =>
    new Promise<LogExpectResult>((resolve) => {
      const started = Date.now();
      const deadline = started + request.timeoutMs;
      const matched = new Map<number, LogRow>();
      /** Log rowids up to this one have been read. */
      let readUpTo = 0;
      let lastMatchAt = 0;
      let incomplete: string | undefined;
      let needFull = true;
      let pending = false;
      let lastRun = 0;
      let timer: NodeJS.Timeout | undefined;
      let done = false;

      const unsubscribeLogs = store.onLogs(() => {
        pending = true;
        schedule(0);
      });
      const unsubscribeDeletes = store.onDelete(() => {
        needFull = true;
        schedule(0);
      });
      const onAbort = (): void => finish(false, 'the client went away');
      request.signal?.addEventListener('abort', onAbort, { once: true });

      function finish(ok: boolean, message: string): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribeLogs();
        unsubscribeDeletes();
        request.signal?.removeEventListener('abort', onAbort);
        const matches = [...matched.values()].sort((a, b) => (a.timeNs === b.timeNs ? a.id - b.id : a.timeNs < b.timeNs ? -1 : 1)).slice(0, MAX_RETURNED);
        resolve({ ok, count: matched.size, matches, message, complete: incomplete === undefined });
      }

      function schedule(delayMs: number): void {
        if (done) return;
        const at = Math.max(Date.now() + delayMs, lastRun + RECHECK_MS);
        clearTimeout(timer);
        timer = setTimeout(run, Math.max(0, at - Date.now()));
      }

      /** Reads the candidates stored after `afterId` (all when 0); notes when there were too many to tell. */
      function read(afterId: number): void {
        const top = store.logs.maxId();
        const condition = request.condition();
        const rows = store.logs.query({ ...logFilterOf(condition), ...(afterId > 0 ? { afterId } : {}), direction: 'forward', limit: MAX_CANDIDATES + 1 });
        if (rows.length > MAX_CANDIDATES) {
          incomplete = `more than ${MAX_CANDIDATES} records are candidates; give a narrower condition`;
          return;
        }
        incomplete = undefined;
        for (const row of rows) {
          if (matched.has(row.id)) continue;
          if (logMatches(condition, row)) {
            matched.set(row.id, row);
            lastMatchAt = Date.now();
          }
        }
        readUpTo = Math.max(readUpTo, top);
      }

      function run(): void {
        if (done) return;
        if (request.signal?.aborted) return onAbort();
        if (needFull || incomplete !== undefined) {
          needFull = false;
          pending = false;
          matched.clear();
          readUpTo = 0;
          read(0);
        } else if (pending) {
          pending = false;
          read(readUpTo);
        }
        lastRun = Date.now();
        decide();
      }

      function decide(): void {
        const now = Date.now();
        const count = matched.size;
        if (pending || needFull) return schedule(0);
        if (incomplete === undefined && count > request.max) return finish(false, `expected at most ${request.max} matching log record(s), found ${count}`);
        if (incomplete === undefined && count >= request.min) {
          const quietSince = Math.max(lastMatchAt, started);
          const settled = request.max === Number.MAX_SAFE_INTEGER || now - quietSince >= request.settleMs;
          if (settled) return finish(true, `found ${count} matching log record(s)`);
          if (now < deadline + request.settleMs) return schedule(quietSince + request.settleMs - now);
        }
        if (now >= deadline) {
          if (incomplete !== undefined) return finish(false, `could not tell: ${incomplete}`);
          return finish(
            false,
            count >= request.min
              ? `found ${count} matching log record(s), but matching records were still arriving after ${request.timeoutMs} ms (a max needs ${request.settleMs} ms without new ones)`
              : `expected at least ${request.min} matching log record(s) within ${request.timeoutMs} ms, found ${count}`,
          );
        }
        schedule(incomplete !== undefined ? 250 : deadline - now);
      }

      try {
        run();
      } catch (err) {
        incomplete = 'internal error';
        finish(false, `internal error: ${(err as Error).message}`);
      }
    });
}
