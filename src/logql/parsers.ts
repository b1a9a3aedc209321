/**
 * @module logql/parsers
 * `| json`, `| logfmt` and `| pattern` as Loki reads a line: json flattens nested objects into
 * `outer_inner` names and leaves arrays out; logfmt takes `key=value`, quoted values and
 * bare keys. Names are made valid label names (other characters become `_`, a leading
 * digit gets a `_` before it). Each calls `emit` per label and answers null, or the reason
 * the line could not be read.
 */

export type Emit = (name: string, value: string) => void;

export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '' || (out[0] >= '0' && out[0] <= '9')) out = `_${out}`;
  return out;
}

function flatten(prefix: string, value: unknown, emit: Emit): void {
  if (value === null) return;
  if (Array.isArray(value)) return;
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flatten(prefix === '' ? sanitizeLabelName(k) : `${prefix}_${sanitizeLabelName(k)}`, v, emit);
    }
    return;
  }
  emit(prefix, String(value));
}

export function parseJsonLabels(line: string, emit: Emit): string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the line is not a JSON object';
  flatten('', value, emit);
  return null;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function parseLogfmtLabels(line: string, emit: Emit): string | null {
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && !isSpace(line[i]) && line[i] !== '=') i++;
    const key = line.slice(keyStart, i);
    if (key === '') return `logfmt syntax error at pos ${i + 1}: unexpected '='`;
    if (line[i] !== '=') {
      emit(sanitizeLabelName(key), '');
      continue;
    }
    i++;
    let value = '';
    if (line[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = line[i];
        if (c === '\\' && i + 1 < n) {
          const e = line[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return `logfmt syntax error at pos ${n + 1}: unterminated quoted value`;
    } else {
      const valueStart = i;
      while (i < n && !isSpace(line[i])) i++;
      value = line.slice(valueStart, i);
    }
    emit(sanitizeLabelName(key), value);
  }
  return null;
}

/**
 * A pattern against a line: anchored at the start, each capture running to the first
 * occurrence of the literal after it (the last one to the end of the line). A line that
 * does not match gets no labels (and is kept).
 */
export function matchPattern(parts: readonly ({ readonly literal: string } | { readonly capture: string })[], line: string, emit: Emit): void {
  const found: [string, string][] = [];
  let pos = 0;
  let open: string | undefined; // a capture waiting for the literal that ends it
  for (const p of parts) {
    if ('capture' in p) {
      open = p.capture;
      continue;
    }
    if (open === undefined) {
      if (!line.startsWith(p.literal, pos)) return;
      pos += p.literal.length;
      continue;
    }
    const at = line.indexOf(p.literal, pos);
    if (at < 0) return;
    found.push([open, line.slice(pos, at)]);
    pos = at + p.literal.length;
    open = undefined;
  }
  if (open !== undefined) found.push([open, line.slice(pos)]);
  for (const [name, value] of found) if (name !== '_') emit(sanitizeLabelName(name), value);
}
