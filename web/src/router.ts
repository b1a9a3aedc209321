/**
 * @module router
 * Every view's state lives in the URL: the path picks the page (`/search`, `/trace/<id>`,
 * `/services`, `/logs`, `/compare`, `/runs`), the query string holds the rest. navigate() pushes a new
 * entry; setParams() replaces the current one (typing, zooming and toggling should not
 * flood the back button).
 */
import { createStore, useStore } from './store.ts';

export type Page = 'search' | 'trace' | 'services' | 'logs' | 'compare' | 'runs' | 'upload' | 'notfound';

export interface Route {
  readonly page: Page;
  /** The trace id on /trace/<id>. */
  readonly id: string;
  readonly params: URLSearchParams;
  readonly href: string;
}

function parse(loc: { pathname: string; search: string }): Route {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  const params = new URLSearchParams(loc.search);
  const href = loc.pathname + loc.search;
  const trace = /^\/trace\/([^/]+)$/.exec(path);
  if (trace) return { page: 'trace', id: decodeURIComponent(trace[1]), params, href };
  const page: Page =
    path === '/' || path === '/search' ? 'search' : path === '/services' ? 'services' : path === '/logs' ? 'logs' : path === '/compare' ? 'compare' : path === '/runs' ? 'runs' : path === '/upload' ? 'upload' : 'notfound';
  return { page, id: '', params, href };
}

export const route = createStore<Route>(parse(location));

addEventListener('popstate', () => route.set(parse(location)));

export function navigate(href: string, replace = false): void {
  const url = new URL(href, location.href);
  if (url.origin !== location.origin) {
    location.href = url.href;
    return;
  }
  if (url.pathname + url.search === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url.pathname + url.search + url.hash);
  route.set(parse(location));
  if (!replace) scrollTo(0, 0);
}

/** Changes query parameters of the current page (undefined or '' removes one). */
export function setParams(changes: Record<string, string | number | boolean | undefined | null>, push = false): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '' || v === false) params.delete(k);
    else params.set(k, String(v));
  }
  const qs = params.toString();
  navigate(location.pathname + (qs ? '?' + qs : ''), !push);
}

export function useRoute(): Route {
  return useStore(route);
}

export function traceHref(id: string, params: Record<string, string> = {}): string {
  const qs = new URLSearchParams(params).toString();
  return `/trace/${encodeURIComponent(id)}${qs ? '?' + qs : ''}`;
}

/** Same-origin links inside the app navigate without reloading (modifier clicks open tabs). */
export function installLinkInterception(root: HTMLElement): void {
  root.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/')) return;
    ev.preventDefault();
    navigate(href);
  });
}
