/**
 * Tempo's search half: `/api/search`, the v1/v2 tag-name and tag-value endpoints
 * (as in Tempo 2.7).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import {
  ATTRIBUTE_SCOPES,
  INCOMPLETE_HEADER,
  INTRINSIC_TAGS,
  MAX_TAG_VALUES_BYTES,
  searchResponse,
  tagNames,
  tagValues,
  type Search,
  type SearchProgress,
  type SearchResponse,
  type TypedTagValue,
} from '../query/index.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { StoreReader, TagScope } from '../store/index.ts';
import { parse, parseUnvalidated, EvaluationError, type AttributeRef, type Root } from '../traceql/index.ts';
import type { ApiEnv } from './env.ts';
import { parseSearchParams, parseWindow } from './search-params.ts';

const SCOPES = new Set(['', 'none', 'span', 'resource', 'event', 'link', 'instrumentation', 'intrinsic']);

function scopeParam(c: Context): string {
  const scope = c.req.query('scope') ?? '';
  if (!SCOPES.has(scope)) throw new BadRequestError(`invalid scope: ${scope}`);
  return scope === 'none' ? '' : scope;
}

/** Tag limit: 0, absent or invalid means no limit, as in Tempo. */
function tagLimit(c: Context): number {
  const n = Number(c.req.query('limit') ?? '0');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * The tag segment of the path, decoded twice as Tempo does (router, then query
 * unescaping; `+` becomes a space), because Grafana encodes it twice.
 */
function tagSegment(c: Context): string {
  const m = /\/tag\/([^/]+)\/values$/.exec(new URL(c.req.url).pathname);
  if (m === null || m[1] === '') throw new BadRequestError('please provide a non-empty tagName');
  try {
    return decodeURIComponent(decodeURIComponent(m[1]).replace(/\+/g, ' '));
  } catch {
    throw new BadRequestError('error in unescaping tagName');
  }
}

/** A v2 tag name (`span.http.route`, `.foo`, `status`, …) as an attribute reference. */
function scopedTag(tag: string): AttributeRef {
  const invalid = (): never => {
    throw new BadRequestError(`please provide a valid tagName: tag name is not valid intrinsic or scoped attribute: ${tag}`);
  };
  let root: Root;
  try {
    root = parseUnvalidated(`{ ${tag} }`);
  } catch {
    return invalid();
  }
  const stage = root.pipeline.stages[0];
  const e = stage?.kind === 'SpansetFilter' ? stage.expression : null;
  if (e === null || (e.kind !== 'Attribute' && e.kind !== 'Intrinsic') || (e.kind === 'Attribute' && e.parent)) return invalid();
  return e;
}

const V1_SPECIAL: Readonly<Record<string, string>> = {
  name: '{ name != nil }',
  'status.code': '{ status }',
  rootName: '{ rootName }',
  'root.name': '{ rootName }',
  rootServiceName: '{ rootServiceName }',
  'root.service.name': '{ rootServiceName }',
  'trace:id': '{ trace:id }',
  'span:id': '{ span:id }',
};

/** A v1 tag name: an unscoped key, or one of the special names Tempo knows. */
function unscopedTag(tag: string): AttributeRef {
  const special = V1_SPECIAL[tag];
  if (special !== undefined) {
    const stage = parseUnvalidated(special).pipeline.stages[0];
    const e = stage.kind === 'SpansetFilter' ? stage.expression : null;
    if (e !== null && e.kind === 'BinaryOperation' && e.lhs.kind === 'Intrinsic') return e.lhs;
    if (e !== null && e.kind === 'Intrinsic') return e;
  }
  return { kind: 'Attribute', scope: 'none', parent: false, name: tag, from: 0, to: tag.length };
}

// A quoted value must hold something: `= ""` is what the editor shows while a value is typed (Tempo drops it too).
const MATCHER = /([.\w:"-][^\s=!<>~&|{}()]*)\s*(=~|!~|!=|>=|<=|=|>|<)\s*("(?:[^"\\]|\\.)+"|true|false|[a-z]+|-?[0-9][0-9.]*(?:ns|us|µs|ms|s|m|h)?)/g;

/**
 * Tempo does not run `q` here: it keeps the simple `name op value` matchers of a single
 * `{ … }` without `||`, and drops the rest. Returns undefined for "no filter" and null
 * for "the query names the tag itself" (Tempo then lists nothing).
 */
function tagFilter(q: string | undefined, tag: string): Root | null | undefined {
  if (q === undefined || q.trim() === '' || q.includes('||')) return undefined;
  const trimmed = q.trim();
  if (!trimmed.startsWith('{') || trimmed.indexOf('{', 1) !== -1) return undefined;
  const matchers: string[] = [];
  for (const m of trimmed.matchAll(MATCHER)) {
    if (m[1] === tag && m[2] === '=') return null;
    matchers.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  if (matchers.length === 0) return undefined;
  try {
    return parse(`{ ${matchers.join(' && ')} }`);
  } catch {
    return undefined;
  }
}

export function createSearchRoutes(store: StoreReader, search: Search, log: (line: string) => void = () => {}): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const query = (c: Context) => (name: string) => c.req.query(name);

  app.get('/api/search', async (c) => {
    const params = parseSearchParams(query(c));
    const shape = (result: SearchProgress): SearchResponse => {
      const body = searchResponse(result, params.root, params.spss);
      if (params.legacy) {
        // Tempo's tag searches carry trace metadata only.
        for (const t of body.traces) {
          delete t.spanSet;
          delete t.spanSets;
          delete t.serviceStats;
        }
      }
      return body;
    };
    // Set only by the streaming gRPC API, which sends what is found while the search runs.
    const partial = c.env?.searchProgress;
    let reported = 0;
    const progress = (found: SearchProgress): void => {
      // The traces found since the last report; the search is not complete yet.
      const body = shape({ ...found, hits: found.hits.slice(reported) });
      reported = found.hits.length;
      partial?.({ ...body, metrics: { ...body.metrics, completedJobs: 0 } });
    };
    let result: ReturnType<Search>;
    try {
      // The request's signal fires when the client goes away: a long search then stops.
      result = await search.run({
        root: params.root,
        limit: params.limit,
        window: params.window,
        signal: c.req.raw.signal,
        ...(partial === undefined ? {} : { progress }),
      });
    } catch (err) {
      // A valid query that cannot run on the data (e.g. a spanset operator after by()) is the client's error.
      if (err instanceof EvaluationError) throw new BadRequestError(`invalid TraceQL query: ${err.message}`);
      throw err;
    }
    // Why the answer is partial, for clients that read more than Tempo's job counts.
    if (result.stopped !== undefined) c.header(INCOMPLETE_HEADER, result.stopped);
    return c.json(shape(result));
  });

  app.get('/api/search/tags', (c) => {
    const scope = scopeParam(c);
    const window = parseWindow(query(c));
    const limit = tagLimit(c);
    let names: string[];
    if (scope === 'intrinsic') names = [...INTRINSIC_TAGS];
    else {
      const scopes = scope === '' ? ATTRIBUTE_SCOPES : [scope as TagScope];
      names = [...new Set([...tagNames(store, scopes, window, 0).values()].flat())].sort();
    }
    return c.json({ tagNames: limit > 0 ? names.slice(0, limit) : names, metrics: {} });
  });

  app.get('/api/v2/search/tags', (c) => {
    const scope = scopeParam(c);
    const window = parseWindow(query(c));
    const limit = tagLimit(c);
    const scopes: Array<{ name: string; tags: string[] }> = [];
    if (scope !== 'intrinsic') {
      const attrScopes = scope === '' ? ATTRIBUTE_SCOPES : [scope as TagScope];
      for (const [name, tags] of tagNames(store, attrScopes, window, limit)) if (tags.length > 0) scopes.push({ name, tags });
    }
    if (scope === '' || scope === 'intrinsic') {
      scopes.push({ name: 'intrinsic', tags: limit > 0 ? INTRINSIC_TAGS.slice(0, limit) : [...INTRINSIC_TAGS] });
    }
    scopes.sort((a, b) => (a.name < b.name ? -1 : 1));
    return c.json({ scopes, metrics: {} });
  });

  /** A listing, with what Tempo does when one is cut at its byte limit: a warning in the log (and a header here). */
  function listValues(c: Context, tag: string, ref: AttributeRef, filter: Root | undefined): TypedTagValue[] {
    const result = tagValues(store, search, { ref, window: parseWindow(query(c)), limit: tagLimit(c), filter });
    if (result.incomplete !== undefined) c.header(INCOMPLETE_HEADER, result.incomplete);
    if (result.incomplete === 'max-bytes') {
      log(`search of tag values exceeded limit, reduce cardinality or size of tags: tag ${tag}, limit ${MAX_TAG_VALUES_BYTES} bytes`);
    }
    return result.values;
  }

  app.get('/api/search/tag/:tag/values', (c) => {
    const tag = tagSegment(c);
    const filter = tagFilter(c.req.query('q'), tag);
    const values = filter === null ? [] : listValues(c, tag, unscopedTag(tag), filter);
    return c.json({ tagValues: [...new Set(values.map((v) => v.value))], metrics: {} });
  });

  app.get('/api/v2/search/tag/:tag/values', (c) => {
    const tag = tagSegment(c);
    const ref = scopedTag(tag);
    const filter = tagFilter(c.req.query('q'), tag);
    const values = filter === null ? [] : listValues(c, tag, ref, filter);
    return c.json({ tagValues: values, metrics: {} });
  });

  return app;
}
