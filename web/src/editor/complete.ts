/**
 * @module editor/complete
 * What to offer at the cursor of a TraceQL query, from the text before it alone:
 *  - a value after `<attribute or intrinsic> <op>` (values come from the tag-value API);
 *  - a tag name after a scope (`resource.`, `span.`, `.` …);
 *  - scopes, intrinsics and known tags where a field starts inside `{ }`;
 *  - pipeline and spanset operators after a closing `}`; a `{ }` where a query starts.
 * Pure (no editor, no fetch), so it is tested on strings.
 */

export type CompletionContext =
  | { readonly kind: 'value'; readonly tag: string; readonly from: number; readonly quoted: boolean; readonly partial: string }
  | { readonly kind: 'tag'; readonly scope: string; readonly from: number; readonly partial: string }
  | { readonly kind: 'field'; readonly from: number; readonly partial: string }
  | { readonly kind: 'operator'; readonly from: number }
  | { readonly kind: 'start'; readonly from: number }
  | { readonly kind: 'none' };

export const SCOPES = ['resource.', 'span.', '.', 'event.', 'link.', 'instrumentation.'] as const;

export const INTRINSICS = [
  'duration', 'name', 'status', 'kind', 'statusMessage', 'rootName', 'rootServiceName', 'traceDuration',
  'span:duration', 'span:name', 'span:status', 'span:kind', 'span:statusMessage', 'span:id',
  'trace:duration', 'trace:rootName', 'trace:rootService', 'trace:id',
  'event:name', 'event:timeSinceStart', 'link:traceID', 'link:spanID', 'instrumentation:name', 'instrumentation:version',
] as const;

/** Values the grammar fixes, per intrinsic. */
export const INTRINSIC_VALUES: Readonly<Record<string, readonly string[]>> = {
  status: ['error', 'ok', 'unset'],
  'span:status': ['error', 'ok', 'unset'],
  kind: ['server', 'client', 'producer', 'consumer', 'internal', 'unspecified'],
  'span:kind': ['server', 'client', 'producer', 'consumer', 'internal', 'unspecified'],
};

export const AFTER_SPANSET = [
  { label: '&&', detail: 'both spansets' },
  { label: '||', detail: 'either spanset' },
  { label: '>>', detail: 'descendant of' },
  { label: '>', detail: 'child of' },
  { label: '~', detail: 'sibling of' },
  { label: '| count() > 1', detail: 'spans per spanset' },
  { label: '| avg(duration) > 100ms', detail: 'aggregate' },
  { label: '| select(span.http.route)', detail: 'return attributes' },
  { label: '| by(resource.service.name)', detail: 'group' },
  { label: '| rate()', detail: 'metrics' },
] as const;

/** Braces opened and not closed before `pos`, ignoring strings. */
function depthAt(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
  }
  return depth;
}

const INTRINSIC_ALT = INTRINSICS.map((i) => i.replace(':', '\\:')).join('|');
const VALUE_RE = new RegExp(
  `((?:parent\\.)?(?:resource|span|event|link|instrumentation)?\\.(?:"(?:[^"\\\\]|\\\\.)*"|[^\\s{}()=!<>~&|^,"])+|\\b(?:${INTRINSIC_ALT})\\b)\\s*(=|!=|=~|!~|>=|<=|>|<)\\s*("?)((?:[^"\\\\]|\\\\.)*)$`,
);
const TAG_RE = /(^|[\s{(&|!])((?:parent\.)?(?:resource|span|event|link|instrumentation)?\.)([^\s{}()=!<>~&|^,]*)$/;
const WORD_RE = /(^|[\s{(&|!])([A-Za-z_:]*)$/;

export function completionContext(before: string): CompletionContext {
  const depth = depthAt(before);
  if (depth === 0) {
    if (/\}\s*$/.test(before) || /\}\s*[|&>~<!]*\s*$/.test(before)) {
      const m = /[|&>~<!]*$/.exec(before.trimEnd());
      return { kind: 'operator', from: before.trimEnd().length - (m?.[0].length ?? 0) };
    }
    if (/^\s*[^{]*$/.test(before) && !/[|]/.test(before)) return { kind: 'start', from: before.length - (/\S*$/.exec(before)?.[0].length ?? 0) };
    return { kind: 'none' };
  }
  const v = VALUE_RE.exec(before);
  if (v !== null) {
    const quoted = v[3] === '"';
    const partial = v[4];
    return { kind: 'value', tag: v[1], from: before.length - partial.length - (quoted ? 1 : 0), quoted, partial };
  }
  const t = TAG_RE.exec(before);
  if (t !== null) return { kind: 'tag', scope: t[2], from: before.length - t[3].length - t[2].length, partial: t[2] + t[3] };
  const w = WORD_RE.exec(before);
  if (w !== null) return { kind: 'field', from: before.length - w[2].length, partial: w[2] };
  return { kind: 'none' };
}

/** The tag-value API's name for a tag as written: `.x` → `.x`, `span:name` → `name`. */
export function apiTagName(tag: string): string {
  const t = tag.replace(/^span:/, '').replace(/^trace:rootService$/, 'rootServiceName').replace(/^trace:rootName$/, 'rootName');
  return t;
}

/** A value as TraceQL text for a tag of the given type. */
export function valueLiteral(value: string, type: string): string {
  if (type === 'string' || type === '') return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  return value;
}
