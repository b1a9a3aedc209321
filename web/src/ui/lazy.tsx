/**
 * @module ui/lazy
 * A component fetched with its chunk the first time it is drawn (the pages other than
 * search): the first page does not carry them.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Spinner } from './common.tsx';

export interface Lazy<P> {
  (props: P): JSX.Element;
  /** Starts fetching the chunk (to have it by the time it is needed). */
  preload(): Promise<unknown>;
}

export function lazy<P extends object>(load: () => Promise<ComponentType<P>>, what: string): Lazy<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const fetchIt = () =>
    (pending ??= load().then((c) => (loaded = c))).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
  const Lazy = (props: P): JSX.Element => {
    const [C, setC] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<unknown>();
    useEffect(() => {
      if (C === undefined) fetchIt().then((c) => setC(() => c), setError);
    }, []);
    if (error !== undefined) return <ErrorBox error={`Could not load ${what}: ${error instanceof Error ? error.message : String(error)}`} />;
    return C === undefined ? <Spinner label={`Loading ${what}`} /> : <C {...props} />;
  };
  return Object.assign(Lazy, { preload: fetchIt });
}
