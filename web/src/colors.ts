/**
 * @module colors
 * A colour per service from 10 hues that stay apart from each other and from the error
 * red, readable on light and dark backgrounds. Services get them in the order they are
 * first listed (the first seven are the most distinct), remembered in localStorage; an
 * unlisted one falls back to its name's hash.
 */
const PALETTE = [
  '#3b82f6', '#f59e0b', '#10b981', '#a855f7', '#ec4899', '#06b6d4', '#84cc16', '#6366f1', '#f97316', '#14b8a6',
];

const KEY = 'tracebox.colors';
/** Given colours, kept in localStorage so a service keeps its colour across pages and visits. */
const cache = new Map<string, string>();
try {
  for (const [k, v] of JSON.parse(localStorage.getItem(KEY) ?? '[]') as Array<[string, string]>) cache.set(k, v);
} catch {
  /* none saved, or no storage (tests in Node) */
}
function save(): void {
  try {
    localStorage.setItem(KEY, JSON.stringify([...cache].slice(-300)));
  } catch {
    /* private mode */
  }
}

function hashIndex(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) % PALETTE.length;
}

/** The service's colour: the one assignColors() gave it, else its hash's. */
export function serviceColor(service: string): string {
  return cache.get(service) ?? PALETTE[hashIndex(service)];
}

/**
 * Gives the services of a list that have no colour yet the first colours no other
 * service of the list has, in palette order; a colour once given stays for the session.
 */
export function assignColors(services: readonly string[]): void {
  const used = new Set<string>();
  let changed = false;
  for (const s of services) {
    const c = cache.get(s);
    if (c !== undefined) used.add(c);
  }
  for (const s of services) {
    if (cache.has(s)) continue;
    const pick = PALETTE.find((c) => !used.has(c)) ?? PALETTE[hashIndex(s)];
    cache.set(s, pick);
    used.add(pick);
    changed = true;
  }
  if (changed) save();
}

export const ERROR_COLOR = '#ef4444';
