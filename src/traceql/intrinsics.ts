/**
 * @module traceql/intrinsics
 * The intrinsics Tempo 2.7 knows, how each is spelled in a query, and the static
 * type the validator assumes for it. Scoped spellings (`span:name`) map onto the
 * same intrinsic as the legacy bare word (`name`), as in Tempo, so both parse to
 * one AST value and print in the legacy form.
 */
import type { IntrinsicScopeToken, Keyword } from './tokens.ts';

export const INTRINSIC_NAMES = [
  'duration', 'name', 'status', 'statusMessage', 'kind', 'childCount', 'parent',
  'traceDuration', 'rootName', 'rootServiceName',
  'trace:id', 'span:id',
  'event:name', 'event:timeSinceStart',
  'link:traceID', 'link:spanID',
  'instrumentation:name', 'instrumentation:version',
  'nestedSetLeft', 'nestedSetRight', 'nestedSetParent',
] as const;
export type IntrinsicName = (typeof INTRINSIC_NAMES)[number];

/**
 * Static types as the validator sees them. `attribute` means "known only at run
 * time" and is compatible with everything (Tempo's TypeAttribute).
 */
export type StaticType =
  | 'nil' | 'int' | 'float' | 'string' | 'bool' | 'duration' | 'status' | 'kind'
  | 'attribute';

/** Bare intrinsic words usable on their own in a field expression. */
export const BARE_INTRINSICS: ReadonlyMap<Keyword, IntrinsicName> = new Map<Keyword, IntrinsicName>([
  ['duration', 'duration'],
  ['childCount', 'childCount'],
  ['name', 'name'],
  ['status', 'status'],
  ['statusMessage', 'statusMessage'],
  ['kind', 'kind'],
  ['parent', 'parent'],
  ['rootName', 'rootName'],
  ['rootServiceName', 'rootServiceName'],
  ['traceDuration', 'traceDuration'],
  ['nestedSetLeft', 'nestedSetLeft'],
  ['nestedSetRight', 'nestedSetRight'],
  ['nestedSetParent', 'nestedSetParent'],
]);

/**
 * What may follow each `scope:` prefix, in Tempo's token order (which is also
 * the order its "expecting a or b" messages list them in).
 */
export const SCOPED_INTRINSICS: ReadonlyMap<IntrinsicScopeToken, ReadonlyMap<Keyword, IntrinsicName>> = new Map([
  ['trace:', new Map<Keyword, IntrinsicName>([
    ['duration', 'traceDuration'],
    ['rootName', 'rootName'],
    ['rootService', 'rootServiceName'],
    ['id', 'trace:id'],
  ])],
  ['span:', new Map<Keyword, IntrinsicName>([
    ['duration', 'duration'],
    ['name', 'name'],
    ['status', 'status'],
    ['statusMessage', 'statusMessage'],
    ['kind', 'kind'],
    ['id', 'span:id'],
  ])],
  ['event:', new Map<Keyword, IntrinsicName>([
    ['name', 'event:name'],
    ['timeSinceStart', 'event:timeSinceStart'],
  ])],
  ['link:', new Map<Keyword, IntrinsicName>([
    ['traceID', 'link:traceID'],
    ['spanID', 'link:spanID'],
  ])],
  ['instrumentation:', new Map<Keyword, IntrinsicName>([
    ['name', 'instrumentation:name'],
    ['version', 'instrumentation:version'],
  ])],
]);

/**
 * Tempo 2.7's `impliedType` per intrinsic. instrumentation:name/version are
 * strings at run time, but Tempo does not type them statically, so neither do we
 * (`{ instrumentation:name = 1 }` validates there, and matches nothing).
 */
export const INTRINSIC_TYPES: Readonly<Record<IntrinsicName, StaticType>> = {
  duration: 'duration',
  name: 'string',
  status: 'status',
  statusMessage: 'string',
  kind: 'kind',
  childCount: 'int',
  parent: 'nil',
  traceDuration: 'duration',
  rootName: 'string',
  rootServiceName: 'string',
  'trace:id': 'string',
  'span:id': 'string',
  'event:name': 'string',
  'event:timeSinceStart': 'duration',
  'link:traceID': 'string',
  'link:spanID': 'string',
  'instrumentation:name': 'attribute',
  'instrumentation:version': 'attribute',
  nestedSetLeft: 'int',
  nestedSetRight: 'int',
  nestedSetParent: 'int',
};

/** Intrinsics that parse but that Tempo 2.7 rejects as "not yet supported". */
export const UNSUPPORTED_INTRINSICS: ReadonlySet<IntrinsicName> = new Set(['childCount', 'parent']);
