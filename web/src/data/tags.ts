/**
 * @module data/tags
 * Tag names and values for the search form's suggestions, asked after the first
 * results are drawn (they serve the next query, not this one).
 */
import { useEffect, useState } from 'preact/hooks';
import { tagScopes, tagValues } from '../api.ts';
import { whenReady } from '../keys.ts';

/** Values of a scoped tag, sorted; [] for no tag or while unknown. */
export function useTagValues(tag: string, q?: string): string[] {
  const [values, setValues] = useState<string[]>([]);
  useEffect(() => {
    if (tag === '') return setValues([]);
    const ac = new AbortController();
    const t = setTimeout(() => {
      whenReady
        .then(() => tagValues(tag, q, ac.signal))
        .then((v) => setValues(v.map((x) => x.value).sort()))
        .catch(() => undefined);
    }, 150);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [tag, q]);
  return values;
}

/** Span and resource tag names as `span.k` / `resource.k`, sorted. */
export function useTagNames(): string[] {
  const [tags, setTags] = useState<string[]>([]);
  useEffect(() => {
    whenReady
      .then(() => tagScopes())
      .then((scopes) =>
        setTags(
          scopes
            .filter((s) => s.name === 'span' || s.name === 'resource')
            .flatMap((s) => s.tags.map((t) => `${s.name}.${t}`))
            .sort(),
        ),
      )
      .catch(() => undefined);
  }, []);
  return tags;
}
