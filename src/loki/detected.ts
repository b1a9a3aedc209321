/**
 * @module loki/detected
 * `detected_fields` and `detected_field/<name>/values`, what Grafana's Logs Drilldown and
 * field filters ask: the fields of the newest `lineLimit` entries a query selects — their
 * structured metadata (no parser) and what `json` or `logfmt` reads from their lines (a
 * line that looks like a JSON object is read as JSON, one with `key=value` as logfmt) —
 * with a type guessed from the values and the number of distinct values.
 */
import { ERROR_DETAILS_LABEL, ERROR_LABEL, parseBytes, parseJsonLabels, parseLogfmtLabels, type LogExpr } from '../logql/index.ts';
import { parseDuration } from '../traceql/index.ts';
import type { LokiData } from './data.ts';
import type { Window } from './params.ts';
import { runLogQuery, type TimedEntry } from './query.ts';

type Parser = 'json' | 'logfmt';

interface Field {
  readonly values: Set<string>;
  parsers: Set<Parser> | null;
}

function collect(entries: readonly TimedEntry[]): Map<string, Field> {
  const fields = new Map<string, Field>();
  const add = (name: string, value: string, parser: Parser | null): void => {
    if (name === ERROR_LABEL || name === ERROR_DETAILS_LABEL) return;
    let f = fields.get(name);
    if (f === undefined) fields.set(name, (f = { values: new Set(), parsers: null }));
    f.values.add(value);
    if (parser !== null) (f.parsers ??= new Set()).add(parser);
  };
  for (const e of entries) {
    for (const k in e.metadata) add(k, e.metadata[k], null);
    for (const k in e.parsed) add(k, e.parsed[k], null);
    const line = e.line.trimStart();
    if (line.startsWith('{')) {
      const found: [string, string][] = [];
      if (parseJsonLabels(line, (n, v) => found.push([n, v])) === null) {
        for (const [n, v] of found) add(n, v, 'json');
        continue;
      }
    }
    // Bare words of a prose line are not fields: only key=value pairs count.
    if (line.includes('=')) parseLogfmtLabels(line, (n, v) => v !== '' && add(n, v, 'logfmt'));
  }
  return fields;
}

/** Loki's type guess: every value a boolean, an integer, a float, a duration or a byte size, else a string. */
function typeOf(values: Set<string>): string {
  const all = (test: (v: string) => boolean): boolean => [...values].every(test);
  if (all((v) => v === 'true' || v === 'false')) return 'boolean';
  if (all((v) => /^[+-]?\d+$/.test(v))) return 'int';
  if (all((v) => v.trim() !== '' && Number.isFinite(Number(v)))) return 'float';
  if (all((v) => /[a-zµ]$/i.test(v) && parseDuration(v) !== null)) return 'duration';
  if (all((v) => /[a-z]$/i.test(v) && parseBytes(v) !== null)) return 'bytes';
  return 'string';
}

export async function detectedFields(data: LokiData, query: LogExpr, window: Window, lineLimit: number, fieldLimit: number): Promise<{ fields: unknown[]; limit: number }> {
  const { entries } = await runLogQuery(data, query, window, 'backward', lineLimit);
  const fields = [...collect(entries).entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, fieldLimit)
    .map(([label, f]) => ({ label, type: typeOf(f.values), cardinality: f.values.size, parsers: f.parsers === null ? null : [...f.parsers].sort() }));
  return { fields, limit: fieldLimit };
}

export async function detectedFieldValues(data: LokiData, query: LogExpr, window: Window, lineLimit: number, name: string): Promise<string[]> {
  const { entries } = await runLogQuery(data, query, window, 'backward', lineLimit);
  return [...(collect(entries).get(name)?.values ?? [])].sort();
}
