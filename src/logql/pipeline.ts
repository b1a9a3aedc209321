/**
 * @module logql/pipeline
 * A log query's selector and stages compiled into one function over an entry: its line,
 * its stream (index) labels and its structured metadata. It answers null for a dropped
 * entry, or the line and the three label categories after the stages, as Loki keeps them
 * apart for `categorize-labels`. Semantics follow Loki's: a parsed label whose name is
 * taken is renamed `<name>_extracted`; a missing label compares as ""; a numeric filter
 * drops an entry without the label and marks one whose value is not a number with
 * `__error__="LabelFilterErr"`; a parser that cannot read the line marks it
 * `JSONParserErr` / `LogfmtParserErr`.
 */
import type { DropKeepStage, LabelMatcher, LabelPredicate, LineFilterStage, LineFormatStage, LogExpr, NumberUnit, Stage } from './ast.ts';
import { parseDuration } from '../traceql/index.ts';
import { parseBytes } from './lexer.ts';
import { copyLabels, newLabels, type Labels, type MutableLabels } from './labels.ts';
import { matchPattern, parseJsonLabels, parseLogfmtLabels } from './parsers.ts';

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';

export interface PipelineEntry {
  readonly line: string;
  readonly stream: Labels;
  readonly metadata: Labels;
  /** Labels added by parsers (and `__error__`); empty when there were none. */
  readonly parsed: Labels;
}

export type Pipeline = (line: string, stream: Labels, metadata: Labels) => PipelineEntry | null;

const EMPTY: Labels = Object.freeze(newLabels());

export function matches(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.re !== undefined && m.re.test(value);
    case '!~':
      return m.re === undefined || !m.re.test(value);
  }
}

/** Whether the stream labels satisfy every selector matcher. */
export function selects(selector: readonly LabelMatcher[], stream: Labels): boolean {
  for (const m of selector) if (!matches(m, stream[m.name] ?? '')) return false;
  return true;
}

function lineFilter(stage: LineFilterStage): (line: string) => boolean {
  const { values } = stage;
  switch (stage.op) {
    case '|=':
      return values.length === 1 ? (line) => line.includes(values[0]) : (line) => values.some((v) => line.includes(v));
    case '!=':
      return (line) => !values.some((v) => line.includes(v));
    case '|~': {
      const res = stage.res ?? [];
      return (line) => res.some((re) => re.test(line));
    }
    case '!~': {
      const res = stage.res ?? [];
      return (line) => !res.some((re) => re.test(line));
    }
  }
}

/** A label's text read as the filter's literal was written: a number, a duration (seconds) or a byte size. */
function numericValue(text: string, unit: NumberUnit): number | null {
  if (unit === 'duration') {
    const ns = parseDuration(text.trim());
    return ns === null ? null : ns;
  }
  if (unit === 'bytes') return parseBytes(text);
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isNaN(n) ? null : n;
}

/** The working state of one entry while the stages run; categories are copied on first write. */
class Entry {
  line: string;
  stream: Labels;
  metadata: Labels;
  parsed: Labels = EMPTY;
  private ownStream = false;
  private ownMetadata = false;
  private ownParsed = false;

  constructor(line: string, stream: Labels, metadata: Labels) {
    this.line = line;
    this.stream = stream;
    this.metadata = metadata;
  }

  get(name: string): string | undefined {
    return this.parsed[name] ?? this.metadata[name] ?? this.stream[name];
  }

  has(name: string): boolean {
    return name in this.parsed || name in this.metadata || name in this.stream;
  }

  setParsed(name: string, value: string): void {
    if (!this.ownParsed) {
      this.parsed = copyLabels(this.parsed);
      this.ownParsed = true;
    }
    (this.parsed as MutableLabels)[name] = value;
  }

  setError(error: string, details: string): void {
    if (this.get(ERROR_LABEL) !== undefined) return;
    this.setParsed(ERROR_LABEL, error);
    if (details !== '') this.setParsed(ERROR_DETAILS_LABEL, details);
  }

  /** Keeps only the labels `keep` accepts, in every category. */
  filter(keep: (name: string, value: string) => boolean): void {
    const sift = (from: Labels, own: boolean): [Labels, boolean] => {
      let out: MutableLabels | undefined;
      for (const k in from) {
        if (keep(k, from[k])) {
          if (out !== undefined) out[k] = from[k];
        } else if (out === undefined) {
          out = newLabels();
          for (const j in from) {
            if (j === k) break;
            out[j] = from[j];
          }
        }
      }
      return out === undefined ? [from, own] : [out, true];
    };
    [this.stream, this.ownStream] = sift(this.stream, this.ownStream);
    [this.metadata, this.ownMetadata] = sift(this.metadata, this.ownMetadata);
    [this.parsed, this.ownParsed] = sift(this.parsed, this.ownParsed);
  }
}

type Step = (e: Entry) => boolean;

/** A `{{.label}}` template against an entry's labels (a missing label is ""). */
function render(parts: LineFormatStage['parts'], e: Entry): string {
  let out = '';
  for (const p of parts) out += 'text' in p ? p.text : (e.get(p.label) ?? '');
  return out;
}

function predicate(p: LabelPredicate): Step {
  switch (p.kind) {
    case 'and': {
      const l = predicate(p.left);
      const r = predicate(p.right);
      return (e) => l(e) && r(e);
    }
    case 'or': {
      const l = predicate(p.left);
      const r = predicate(p.right);
      return (e) => l(e) || r(e);
    }
    case 'string': {
      const m = p.matcher;
      return (e) => matches(m, e.get(m.name) ?? '');
    }
    case 'number': {
      const { name, op, value, unit } = p;
      return (e) => {
        const text = e.get(name);
        if (text === undefined) return false;
        const n = numericValue(text, unit);
        if (n === null) {
          e.setError('LabelFilterErr', `cannot read ${JSON.stringify(text)} as a ${unit === 'number' ? 'number' : unit}`);
          return true;
        }
        switch (op) {
          case '==':
            return n === value;
          case '!=':
            return n !== value;
          case '>':
            return n > value;
          case '>=':
            return n >= value;
          case '<':
            return n < value;
          case '<=':
            return n <= value;
        }
      };
    }
  }
}

function dropKeep(stage: DropKeepStage): Step {
  const byName = new Map<string, (LabelMatcher | undefined)[]>();
  for (const l of stage.labels) byName.set(l.name, [...(byName.get(l.name) ?? []), l.matcher]);
  const listed = (name: string, value: string): boolean => {
    const ms = byName.get(name);
    return ms !== undefined && ms.some((m) => m === undefined || matches(m, value));
  };
  return stage.kind === 'drop'
    ? (e) => (e.filter((n, v) => !listed(n, v)), true)
    : (e) => (e.filter((n, v) => listed(n, v)), true);
}

function compileStage(stage: Stage): Step {
  switch (stage.kind) {
    case 'line': {
      const f = lineFilter(stage);
      return (e) => f(e.line);
    }
    case 'parser': {
      const parse = stage.parser === 'json' ? parseJsonLabels : parseLogfmtLabels;
      const error = stage.parser === 'json' ? 'JSONParserErr' : 'LogfmtParserErr';
      return (e) => {
        const out = parse(e.line, (name, value) => {
          // Loki keeps the labels an entry already has and gives a parsed duplicate a new name.
          const key = name in e.metadata || name in e.stream ? `${name}_extracted` : name;
          e.setParsed(key, value);
        });
        if (out !== null) e.setError(error, out);
        return true;
      };
    }
    case 'pattern': {
      const { parts } = stage;
      return (e) => {
        matchPattern(parts, e.line, (name, value) => e.setParsed(name in e.metadata || name in e.stream ? `${name}_extracted` : name, value));
        return true;
      };
    }
    case 'decolorize':
      return (e) => {
        // ESC [ parameters final-byte: the CSI sequences terminals colour text with.
        e.line = e.line.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
        return true;
      };
    case 'labelFilter':
      return predicate(stage.predicate);
    case 'lineFormat': {
      const { parts } = stage;
      return (e) => {
        e.line = render(parts, e);
        return true;
      };
    }
    case 'labelFormat': {
      const { items } = stage;
      return (e) => {
        // Every value is read before any is set, as Loki renders them against the labels as they were.
        const values = items.map((item) => ('src' in item ? e.get(item.src) : render(item.template, e)));
        items.forEach((item, i) => {
          const v = values[i];
          if (v === undefined) return;
          if ('src' in item && item.src !== item.dst) e.filter((name) => name !== item.src);
          e.setParsed(item.dst, v);
        });
        return true;
      };
    }
    case 'drop':
    case 'keep':
      return dropKeep(stage);
  }
}

export function compilePipeline(expr: LogExpr): Pipeline {
  const { selector } = expr;
  // Leading line filters run on the raw line before any state is made for the entry.
  let lead = 0;
  while (lead < expr.stages.length && expr.stages[lead].kind === 'line') lead++;
  const prefilters = expr.stages.slice(0, lead).map((s) => lineFilter(s as LineFilterStage));
  const steps = expr.stages.slice(lead).map(compileStage);
  return (line, stream, metadata) => {
    if (!selects(selector, stream)) return null;
    for (const f of prefilters) if (!f(line)) return null;
    if (steps.length === 0) return { line, stream, metadata, parsed: EMPTY };
    const e = new Entry(line, stream, metadata);
    for (const step of steps) if (!step(e)) return null;
    return { line: e.line, stream: e.stream, metadata: e.metadata, parsed: e.parsed };
  };
}
