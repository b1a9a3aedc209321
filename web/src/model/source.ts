/**
 * @module model/source
 * Span to source: `code.filepath`/`code.lineno`/`code.function` (and the newer
 * `code.file.path`/`code.line.number`) and the frames of exception stack traces
 * (JavaScript, Python, Go, Java, .NET, Ruby shapes) become editor links, after the
 * configured path mapping (the path where the code ran → where it is checked out here).
 */
import type { FlatValue } from './trace.ts';

export interface PathMapping {
  readonly from: string;
  readonly to: string;
}

/** `from=to` per line, e.g. `/srv/payment=/home/me/src/payment`. */
export function parseMappings(text: string): PathMapping[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && l.includes('='))
    .map((l) => ({ from: l.slice(0, l.indexOf('=')).trim(), to: l.slice(l.indexOf('=') + 1).trim() }))
    .filter((m) => m.from !== '');
}

export function mapPath(path: string, mappings: readonly PathMapping[]): string {
  for (const m of mappings) if (path.startsWith(m.from)) return m.to + path.slice(m.from.length);
  return path;
}

/**
 * An editor URL for a file position. The template has {path}, {line} and {col}; the
 * default opens VS Code. Only vscode:, vscode-insiders:, cursor:, idea:, jetbrains:,
 * subl:, txmt:, zed: and http(s): templates are honoured.
 */
export function editorUrl(template: string, path: string, line: number | undefined, col: number | undefined, mappings: readonly PathMapping[]): string | undefined {
  if (!/^(vscode|vscode-insiders|cursor|idea|jetbrains|subl|txmt|zed|https?):/i.test(template)) return undefined;
  const p = mapPath(path, mappings);
  const abs = p.startsWith('/') ? p : /^[A-Za-z]:[\\/]/.test(p) ? '/' + p.replace(/\\/g, '/') : p;
  return template
    .replaceAll('{path}', encodeURI(abs).replace(/#/g, '%23').replace(/\?/g, '%3F'))
    .replaceAll('{line}', String(line ?? 1))
    .replaceAll('{col}', String(col ?? 1));
}

export interface CodeLocation {
  readonly path: string;
  readonly line?: number;
  readonly col?: number;
  readonly fn?: string;
}

export function codeLocation(attrs: Record<string, FlatValue>): CodeLocation | undefined {
  const path = attrs['code.filepath'] ?? attrs['code.file.path'];
  if (typeof path !== 'string' || path === '') return undefined;
  const line = Number(attrs['code.lineno'] ?? attrs['code.line.number']);
  const col = Number(attrs['code.column'] ?? attrs['code.column.number']);
  const fn = attrs['code.function'] ?? attrs['code.function.name'];
  return {
    path,
    line: Number.isFinite(line) && line > 0 ? line : undefined,
    col: Number.isFinite(col) && col > 0 ? col : undefined,
    fn: typeof fn === 'string' ? fn : undefined,
  };
}

/** A stack-trace line split into text and (at most one) file position. */
export interface FramePart {
  readonly before: string;
  readonly loc?: CodeLocation;
  readonly locText?: string;
  readonly after: string;
}

const FRAME_PATTERNS: RegExp[] = [
  // JavaScript: "at fn (/a/b.js:12:5)", "at /a/b.js:12:5", "at file:///a/b.mjs:1:2"
  /((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^\s():]+?):(\d+)(?::(\d+))?/,
  // Python: File "/a/b.py", line 12
  /File "([^"]+)", line (\d+)()/,
  // .NET: in C:\src\x.cs:line 42
  /in ((?:[A-Za-z]:)?[\\/][^:]+):line (\d+)()/,
];

export function splitFrame(line: string): FramePart {
  for (const re of FRAME_PATTERNS) {
    const m = re.exec(line);
    if (m === null || m[1] === undefined) continue;
    const path = m[1].replace(/^file:\/\//, '');
    const loc: CodeLocation = { path, line: Number(m[2]) || undefined, col: m[3] ? Number(m[3]) : undefined };
    return { before: line.slice(0, m.index), loc, locText: m[0], after: line.slice(m.index + m[0].length) };
  }
  return { before: line, after: '' };
}
