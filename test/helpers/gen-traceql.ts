/**
 * Generated TraceQL search queries for the planner's differential test, drawn from the
 * vocabulary of gen-traces.ts so that most of them match something: spanset filters
 * with every comparison operator (regexes and `!= nil` too), intrinsics, every
 * attribute scope and unscoped names, `&&` `||` `!`, structural operators with their
 * negated and union forms, pipelines with aggregates, by(), coalesce() and select(),
 * and time windows. A query the validator refuses is simply drawn again by the caller.
 *
 * Nothing here produces a query that throws at evaluation on some traces only
 * (a spanset operator after by() splits a trace into several spansets): the planner
 * decides which traces are evaluated, so such errors would not be comparable.
 */
import { Rng } from '../../scripts/lib/rng.ts';
import { quoteGoString } from '../../src/traceql/go-string.ts';
import {
  DATA_SPAN_S, EVENT_NAMES, FLOATS, INTS, KEY_STRINGS, KEYS, NUMERIC_STRINGS, SCOPE_NAMES, SCOPE_VERSIONS, SERVICES, SPAN_NAMES,
  STATUS_MESSAGES, STRINGS, T0_NS, type Scope,
} from './gen-traces.ts';

export interface GeneratedQuery {
  readonly text: string;
  /** Unix ns; a trace qualifies when it overlaps [startNs, endNs]. */
  readonly window: { readonly startNs?: bigint; readonly endNs?: bigint };
}

type ValueType = 'string' | 'int' | 'float' | 'bool' | 'duration' | 'status' | 'kind';

const TYPICAL: Readonly<Record<string, ValueType>> = {
  'http.method': 'string', 'http.status_code': 'int', 'user.id': 'string', retries: 'int', ratio: 'float', flag: 'bool',
  tags: 'string', blob: 'string', tier: 'string', 'req.id': 'string', n: 'int', 'user agent': 'string',
  'service.name': 'string', 'deployment.environment': 'string', 'host.cpus': 'int', 'exception.type': 'string',
  attempt: 'int', 'link.kind': 'string', 'scope.attr': 'string',
};

const INTRINSICS: ReadonlyArray<readonly [string, ValueType]> = [
  ['name', 'string'], ['span:name', 'string'], ['status', 'status'], ['span:status', 'status'], ['kind', 'kind'],
  ['duration', 'duration'], ['span:duration', 'duration'], ['statusMessage', 'string'], ['rootName', 'string'],
  ['rootServiceName', 'string'], ['trace:rootService', 'string'], ['traceDuration', 'duration'], ['event:name', 'string'],
  ['event:timeSinceStart', 'duration'], ['link:traceID', 'string'], ['link:spanID', 'string'],
  ['instrumentation:name', 'string'], ['instrumentation:version', 'string'], ['trace:id', 'string'], ['span:id', 'string'],
  ['nestedSetLeft', 'int'], ['nestedSetRight', 'int'], ['nestedSetParent', 'int'],
];

const PATTERNS = [
  '.*', 'GET', 'G.*', '.*foo.*', 'foo.*', '.*foo', '(?i)get', '[0-9]+', '0.*', '1\\.5.*', 'user-1.', 'a|b', 'gold|silver',
  '.*\\n.*', '\\d+', '\\p{Greek}+', '', '[[:alpha:]]+', '.?', 'x{2,3}', '(foo|bar)+', 'ü.*', '.*[ ].*', 'req-1.*',
  '-?[0-9]+', '.*e.*', '(?i)FOO.*', '[^a-z]*', 'exception|retry', 'GET /.*', '\\Q1.5\\E', '\\w+\\.\\w+',
];

const SPANSET_OPS = ['&&', '||', '>', '>>', '<', '<<', '~', '!>', '!>>', '!<', '!<<', '!~', '&>', '&>>', '&<', '&<<', '&~'];
const COMPARE_OPS = ['=', '=', '=', '!=', '!=', '<', '<=', '>', '>=', '=~', '=~', '!~'];
const DURATIONS = ['0s', '1ns', '100ns', '1us', '250us', '1ms', '10ms', '1.5s', '1s', '30s', '2h', '99h', '-1ms', '1000000h'];
const EXTRA_STRINGS = ['user-3', 'req-12', 'req-1000', 'lib-x', 'CardError', 'follows', 'nope'];

function attributeName(name: string): string {
  return /^[\w.]+$/.test(name) ? name : `"${name.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

export function createQueryGenerator(seed: number): () => GeneratedQuery {
  const rng = new Rng(seed);

  function literal(type: ValueType, key?: string): string {
    switch (type) {
      case 'string': {
        const typical = key === undefined ? undefined : KEY_STRINGS[key];
        if (typical !== undefined && rng.chance(0.6)) return quoteGoString(rng.pick(typical));
        const pool = rng.pick([STRINGS, NUMERIC_STRINGS, SERVICES, SPAN_NAMES, EVENT_NAMES, SCOPE_NAMES, SCOPE_VERSIONS, STATUS_MESSAGES, EXTRA_STRINGS]);
        return quoteGoString(rng.pick(pool));
      }
      case 'int':
        return rng.chance(0.6) ? String(rng.int(6)) : rng.pick(INTS);
      case 'float': {
        const f = rng.pick(FLOATS);
        if (typeof f === 'string') return rng.pick(['0.0', '-0.0', '1e308', '9007199254740993.0']);
        return Number.isInteger(f) ? `${f}.0` : String(f);
      }
      case 'bool':
        return rng.chance(0.5) ? 'true' : 'false';
      case 'duration':
        return rng.pick(DURATIONS);
      case 'status':
        return rng.pick(['error', 'ok', 'unset']);
      case 'kind':
        return rng.pick(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']);
    }
  }

  const attributeType = (): ValueType => rng.pick<ValueType>(['string', 'int', 'float', 'bool', 'duration']);

  /**
   * An attribute or intrinsic reference, the type of value it usually holds, whether that
   * type is fixed, and the attribute key.
   */
  function reference(intrinsics = true): [string, ValueType, boolean, string?] {
    const r = rng.int(100);
    if (intrinsics && r < 22) {
      const [name, type] = rng.pick(INTRINSICS);
      return [name, type, true];
    }
    const scope: Scope | 'none' = r < 50 ? 'span' : r < 62 ? 'resource' : r < 77 ? 'none' : r < 86 ? 'event' : r < 94 ? 'link' : 'instrumentation';
    const keys = scope === 'none' ? [...KEYS.span, ...KEYS.resource, 'req.id'] : scope === 'span' ? [...KEYS.span, 'req.id'] : KEYS[scope];
    const key = rng.chance(0.04) ? 'nope' : rng.pick(keys);
    const type = TYPICAL[key] ?? attributeType();
    return [scope === 'none' ? `.${attributeName(key)}` : `${scope}.${attributeName(key)}`, type, false, key];
  }

  function comparison(): string {
    const [ref, typical, fixed, key] = reference();
    if (!fixed && rng.chance(0.06)) return `${ref} != nil`;
    const type = fixed || rng.chance(0.8) ? typical : attributeType();
    let op = rng.pick(COMPARE_OPS);
    if ((op === '=~' || op === '!~') && fixed && type !== 'string') op = '=';
    if (op === '=~' || op === '!~') return `${ref} ${op} ${quoteGoString(rng.pick(PATTERNS))}`;
    if (type === 'bool' || type === 'status' || type === 'kind') op = rng.pick(['=', '!=']);
    const value = literal(type, key);
    // A static on the left is planned by flipping the operator.
    return rng.chance(0.1) ? `${value} ${op} ${ref}` : `${ref} ${op} ${value}`;
  }

  function field(depth: number): string {
    const r = rng.int(100);
    if (depth >= 2 || r < 55) return comparison();
    if (r < 70) return `(${field(depth + 1)}) && (${field(depth + 1)})`;
    if (r < 82) return `(${field(depth + 1)}) || (${field(depth + 1)})`;
    if (r < 87) return `!(${field(depth + 1)})`;
    if (r < 91) {
      const [a] = reference(false);
      const [b] = reference(false);
      return `${a} ${rng.pick(['=', '!=', '<', '>'])} ${b}`;
    }
    if (r < 95) {
      const [ref] = rng.chance(0.3) ? ['duration'] : reference(false);
      return `${ref} ${rng.pick(['+', '-', '*', '/'])} ${rng.int(3) + 1} ${rng.pick(['>', '<', '='])} ${literal(rng.pick<ValueType>(['int', 'float', 'duration']))}`;
    }
    return rng.pick(['true', 'false', 'span.flag', '!span.flag', '.flag']);
  }

  const filter = (): string => (rng.chance(0.05) ? '{ }' : `{ ${field(0)} }`);

  function spanset(depth: number): string {
    if (depth >= 2 || rng.chance(0.55)) return filter();
    const wrap = (s: string): string => (s.startsWith('{') ? s : `(${s})`);
    return `${wrap(spanset(depth + 1))} ${rng.pick(SPANSET_OPS)} ${wrap(spanset(depth + 1))}`;
  }

  function aggregate(): string {
    return rng.pick([
      `count() ${rng.pick(['>', '>=', '=', '<'])} ${rng.int(4)}`,
      `avg(duration) > ${rng.pick(DURATIONS)}`,
      `min(span.retries) <= ${rng.int(3)}`,
      `max(duration) >= ${rng.pick(DURATIONS)}`,
      `sum(span.n) > ${rng.int(2000)}`,
      `avg(span.ratio) < ${rng.pick(['0.5', '1.0', '100.0'])}`,
    ]);
  }

  /** `nested` pipelines are operands of a spanset operator: they must end as one spanset per trace. */
  function pipeline(nested: boolean): string {
    const stages = [spanset(0)];
    let split = false;
    // A lone `({ … })` would read as a parenthesised spanset, not as a pipeline operand.
    const n = rng.int(4);
    for (let i = 0; i < n; i++) {
      const r = rng.int(100);
      if (r < 30) stages.push(filter());
      else if (r < 45) {
        if (!split) stages.push(`${filter()} ${rng.pick(SPANSET_OPS)} ${filter()}`);
      } else if (r < 65) stages.push(aggregate());
      else if (r < 75) {
        if (!nested) {
          stages.push(`by(${rng.pick(['resource.service.name', 'span.http.method', 'name', 'status', '.tier', 'span.flag'])})`);
          split = true;
        }
      } else if (r < 85) {
        stages.push('coalesce()');
        split = false;
      } else stages.push(`select(${rng.pick(['span.http.method', 'duration', 'resource.service.name, span.user.id', 'event:name'])})`);
    }
    if (nested && split) stages.push('coalesce()');
    if (nested && stages.length === 1) stages.push(filter());
    return stages.join(' | ');
  }

  function root(): string {
    return rng.chance(0.85) ? pipeline(false) : `(${pipeline(true)}) ${rng.pick(SPANSET_OPS)} (${pipeline(true)})`;
  }

  function window(): GeneratedQuery['window'] {
    if (rng.chance(0.55)) return {};
    const at = (): bigint => T0_NS + BigInt(rng.range(-60, DATA_SPAN_S + 60)) * 1_000_000_000n + BigInt(rng.int(1_000_000_000));
    const a = at();
    const b = rng.chance(0.3) ? a + BigInt(rng.int(5_000_000_000)) : at();
    const [startNs, endNs] = a <= b ? [a, b] : [b, a];
    const r = rng.int(10);
    if (r < 2) return { startNs };
    if (r < 4) return { endNs };
    return { startNs, endNs };
  }

  return () => ({ text: root(), window: window() });
}
