/**
 * @module colors
 * A colour per service from 10 that stay apart from each other and from the error red
 * (every two at least 20 apart in CIEDE2000, the palette's test checks it; the last three
 * differ from the first seven in lightness as much as in hue), readable on light and dark
 * backgrounds. Services get them in the order they are first listed, remembered in
 * localStorage; an unlisted one falls back to its name's hash. And which text reads on a
 * colour, blended or not.
 */
export const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#a855f7', '#ec4899', '#06b6d4', '#84cc16', '#797315', '#0b847c', '#0b841b'] as const;

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
    const pick: string = PALETTE.find((c) => !used.has(c)) ?? PALETTE[hashIndex(s)];
    cache.set(s, pick);
    used.add(pick);
    changed = true;
  }
  if (changed) save();
}

export const ERROR_COLOR = '#ef4444';

const rgb = (hex: string): [number, number, number] => {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) || 0) as [number, number, number];
};

/** `top` drawn with opacity `alpha` over `under`, as one colour. */
export function blend(top: string, alpha: number, under: string): string {
  const a = rgb(top);
  const b = rgb(under);
  return '#' + a.map((x, i) => Math.round(x * alpha + b[i] * (1 - alpha)).toString(16).padStart(2, '0')).join('');
}

/** Relative luminance (WCAG) of a colour. */
export function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const DARK_TEXT = '#0b1020';
const LIGHT_TEXT = '#ffffff';

/** The text colour, near-black or white, with the higher contrast on `bg`. */
export function textOn(bg: string): string {
  const l = luminance(bg);
  const contrast = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  return contrast(l, luminance(DARK_TEXT)) >= contrast(l, 1) ? DARK_TEXT : LIGHT_TEXT;
}
