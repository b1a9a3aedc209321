/**
 * @module loki/plan
 * What of a LogQL log query the store can decide (pushdown): the stream selector as the
 * set of matching resources, `|=` / `!=` line filters before any line_format (SQL's
 * instr() over the stored body, which is the line; whole words inside a `|=` text also
 * through the word index), and label filters on the record's own
 * fields — trace_id, span_id, severity_number, severity_text, detected_level — when they
 * are required (top-level `and`) and come before any
 * stage that could change labels (a parser, line_format, drop, keep). The pipeline still
 * checks everything: the plan may only narrow what is read, never decide alone.
 */
import { bytesToHex, hexToBytes } from '../shared/ids.ts';
import { selects, type LabelPredicate, type LogExpr, type MetricExpr, type Query } from '../logql/index.ts';
import type { LogFilter } from '../store/index.ts';
import type { LokiData } from './data.ts';
import type { Window } from './params.ts';
import { DETECTED_LEVEL, INDEX_LABELS, LEVEL_SEVERITIES, RECORD_FIELD_LABELS, TEXT_LEVELS } from './model.ts';

export interface StorePlan {
  /** No record can match (a trace_id that no record could carry, an empty severity range). */
  readonly empty: boolean;
  readonly traceId?: Uint8Array;
  readonly spanId?: Uint8Array;
  readonly minSeverity?: number;
  readonly maxSeverity?: number;
  /** `severity_text="X"`. */
  readonly severityTexts?: readonly string[];
  /** `detected_level="x"` for a known level. */
  readonly level?: { readonly minSeverity: number; readonly maxSeverity: number; readonly texts: readonly string[] };
  /** Line filters `|=` / `!=` before any line_format: the line is the stored body there. */
  readonly bodyContains: readonly string[];
  readonly bodyExcludes: readonly string[];
  /** Words every matching body has (from bodyContains), for the store's word index. */
  readonly words: readonly string[];
}

const isAsciiAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * The words a body containing `text` must have as whole words of the store's index (FTS5's
 * unicode61 tokenizer: runs of letters and digits, case folded): the runs of ASCII letters
 * and digits inside `text` with an ASCII separator on both sides. A run at either end of
 * `text` may continue in the body (`declined` is inside `undeclined`), so it is not one.
 */
export function wholeWords(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isAsciiAlnum(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isAsciiAlnum(text.charCodeAt(i))) i++;
    const before = start > 0 ? text.charCodeAt(start - 1) : -1;
    const after = i < text.length ? text.charCodeAt(i) : -1;
    if (before >= 0 && before < 0x80 && after >= 0 && after < 0x80) out.push(text.slice(start, i).toLowerCase());
  }
  return out;
}

function conjuncts(p: LabelPredicate, out: LabelPredicate[]): void {
  if (p.kind === 'and') {
    conjuncts(p.left, out);
    conjuncts(p.right, out);
  } else out.push(p);
}

export function planLog(expr: LogExpr): StorePlan {
  let empty = false;
  let traceId: Uint8Array | undefined;
  let spanId: Uint8Array | undefined;
  let min = 0;
  let max = Number.MAX_SAFE_INTEGER;
  let severityText: string | undefined;
  let level: string | undefined;
  const id = (value: string, hexLength: number, current: Uint8Array | undefined): Uint8Array | undefined => {
    if (value === '') return current; // `trace_id=""` selects the records without one
    if (value.length !== hexLength || !/^[0-9a-f]+$/.test(value)) {
      empty = true; // stored ids are lower-case hex of this length: nothing else can be equal
      return current;
    }
    if (current !== undefined && current.length > 0 && bytesToHex(current) !== value) empty = true;
    return hexToBytes(value);
  };
  const bodyContains: string[] = [];
  const bodyExcludes: string[] = [];
  let labelsIntact = true;
  for (const stage of expr.stages) {
    if (stage.kind === 'lineFormat' || stage.kind === 'decolorize') break; // the line is no longer the stored body
    if (stage.kind === 'line') {
      if (stage.op === '|=' && stage.values.length === 1 && stage.values[0] !== '') bodyContains.push(stage.values[0]);
      else if (stage.op === '!=') bodyExcludes.push(...stage.values.filter((v) => v !== ''));
      if (stage.op === '!=' && stage.values.includes('')) empty = true; // every line contains ""
      continue;
    }
    if (stage.kind === 'parser' || stage.kind === 'pattern' || stage.kind === 'labelFormat' || stage.kind === 'drop' || stage.kind === 'keep') labelsIntact = false;
    if (stage.kind !== 'labelFilter' || !labelsIntact) continue;
    const parts: LabelPredicate[] = [];
    conjuncts(stage.predicate, parts);
    for (const p of parts) {
      if (p.kind === 'string' && p.matcher.op === '=') {
        if (p.matcher.name === 'trace_id') traceId = id(p.matcher.value, 32, traceId);
        else if (p.matcher.name === 'span_id') spanId = id(p.matcher.value, 16, spanId);
        else if (p.matcher.name === 'severity_text' && p.matcher.value !== '') {
          if (severityText !== undefined && severityText !== p.matcher.value) empty = true;
          severityText = p.matcher.value;
        } else if (p.matcher.name === DETECTED_LEVEL) {
          if (level !== undefined && level !== p.matcher.value) empty = true;
          level = p.matcher.value;
        } else if (p.matcher.name === 'severity_number' && /^[1-9][0-9]?$/.test(p.matcher.value)) {
          min = Math.max(min, Number(p.matcher.value));
          max = Math.min(max, Number(p.matcher.value));
        }
      } else if (p.kind === 'number' && p.name === 'severity_number' && p.unit === 'number') {
        // A record without a severity has no severity_number label: a numeric filter drops it.
        const v = p.value;
        if (p.op === '==') {
          min = Math.max(min, Math.ceil(v));
          max = Math.min(max, Math.floor(v));
        } else if (p.op === '>') min = Math.max(min, Math.floor(v) + 1);
        else if (p.op === '>=') min = Math.max(min, Math.ceil(v));
        else if (p.op === '<') max = Math.min(max, Math.ceil(v) - 1);
        else if (p.op === '<=') max = Math.min(max, Math.floor(v));
        min = Math.max(min, 1);
      }
    }
  }
  if (min > max) empty = true;
  return {
    empty,
    ...(traceId === undefined ? {} : { traceId }),
    ...(spanId === undefined ? {} : { spanId }),
    ...(min > 0 ? { minSeverity: min } : {}),
    ...(max < Number.MAX_SAFE_INTEGER ? { maxSeverity: max } : {}),
    ...(severityText === undefined ? {} : { severityTexts: [severityText] }),
    ...(level === undefined || level === 'unknown' ? {} : { level: levelFilter(level) }),
    bodyContains,
    bodyExcludes,
    words: [...new Set(bodyContains.flatMap(wholeWords))],
  };
}

/** The records whose detected_level is `level` (one Loki knows; any other matches nothing). */
function levelFilter(level: string): { minSeverity: number; maxSeverity: number; texts: string[] } {
  const [minSeverity, maxSeverity] = LEVEL_SEVERITIES[level] ?? [1, 0];
  return { minSeverity, maxSeverity, texts: Object.keys(TEXT_LEVELS).filter((t) => TEXT_LEVELS[t] === level) };
}

/** Labels known without decoding a record's attributes. */
const CHEAP: ReadonlySet<string> = new Set([...INDEX_LABELS, ...RECORD_FIELD_LABELS, 'scope_name', 'scope_version', '__error__', '__error_details__']);

export function predicateNames(p: LabelPredicate, out: Set<string>): void {
  switch (p.kind) {
    case 'and':
    case 'or':
      predicateNames(p.left, out);
      predicateNames(p.right, out);
      return;
    case 'string':
      out.add(p.matcher.name);
      return;
    case 'number':
      out.add(p.name);
  }
}

/** Whether every label the log pipeline reads is cheap; a parser reads them all (a parsed name is renamed when taken). */
function pipelineIsCheap(log: LogExpr, names: Set<string>): boolean {
  for (const s of log.stages) {
    if (s.kind === 'parser' || s.kind === 'pattern' || s.kind === 'labelFormat') return false;
    if (s.kind === 'labelFilter') predicateNames(s.predicate, names);
    if (s.kind === 'lineFormat') for (const p of s.parts) if ('label' in p) names.add(p.label);
  }
  return true;
}

/**
 * Whether a query needs the records' attributes decoded: always for a log query (they are
 * answered); for a metric query, unless each of its range aggregations sits right under a
 * `sum` by cheap labels and its pipeline reads only cheap labels.
 */
export function needsAttributes(q: Query): boolean {
  if (q.kind === 'log') return true;
  const names = new Set<string>();
  const walk = (e: MetricExpr, underSum: boolean): boolean => {
    switch (e.kind) {
      case 'number':
      case 'vector':
        return true;
      case 'range':
        return underSum && pipelineIsCheap(e.log, names);
      case 'aggregate': {
        if (e.grouping !== undefined) {
          if (e.grouping.without) return false; // every other label is kept
          for (const l of e.grouping.labels) names.add(l);
        }
        return walk(e.inner, e.op === 'sum');
      }
      case 'binary':
        return walk(e.left, false) && walk(e.right, false);
    }
  };
  if (!walk(q, false)) return true;
  for (const n of names) if (!CHEAP.has(n)) return true;
  return false;
}

/** The store filter for a log query over [startNs, endNs), or undefined when nothing can match. */
export function storeFilter(data: LokiData, expr: LogExpr, window: Window): LogFilter | undefined {
  const plan = planLog(expr);
  if (plan.empty) return undefined;
  const all = data.allResources();
  const resourceIds = all.filter((r) => selects(expr.selector, r.model.stream)).map((r) => r.id);
  if (resourceIds.length === 0) return undefined;
  return {
    startNs: window.startNs,
    endNs: window.endNs,
    // A selector every stored resource satisfies is no filter: the time index alone reads the window in order.
    ...(resourceIds.length === all.length ? {} : { resourceIds }),
    ...(plan.traceId === undefined ? {} : { traceId: plan.traceId }),
    ...(plan.spanId === undefined ? {} : { spanId: plan.spanId }),
    ...(plan.minSeverity === undefined ? {} : { minSeverity: plan.minSeverity }),
    ...(plan.maxSeverity === undefined ? {} : { maxSeverity: plan.maxSeverity }),
    ...(plan.severityTexts === undefined ? {} : { severityTexts: plan.severityTexts }),
    ...(plan.level === undefined ? {} : { level: plan.level }),
    bodyContains: plan.bodyContains,
    bodyExcludes: plan.bodyExcludes,
    ...(plan.words.length === 0 ? {} : { terms: plan.words }),
  };
}
