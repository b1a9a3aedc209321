/**
 * @module keys
 * Keyboard shortcuts per page, ignored while typing in a field; and the "first page is
 * interactive" mark the browser test reads.
 */
import { useEffect, useRef } from 'preact/hooks';

export type Shortcuts = Record<string, (ev: KeyboardEvent) => unknown>;

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

/** `map` keys: a character ('j', '?', '/') or a key name ('Enter', 'Escape', 'ArrowDown'). */
export function useShortcuts(map: Shortcuts): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.defaultPrevented || ev.metaKey || ev.ctrlKey || ev.altKey) return;
      if (typing(ev.target) && ev.key !== 'Escape') return;
      // A focused button or link handles its own Enter.
      if (ev.key === 'Enter' && (ev.target as HTMLElement | null)?.closest?.('button,a')) return;
      const fn = ref.current[ev.key];
      if (fn === undefined) return;
      ev.preventDefault();
      fn(ev);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

let ready = false;
let resolveReady: () => void = () => undefined;
/** Resolves once the first page shows its data: extras (the editor chunk, tag lists) wait for it. */
export const whenReady: Promise<void> = new Promise((resolve) => (resolveReady = resolve));
// Never wait for long: a page that shows nothing still wants its editor.
setTimeout(() => resolveReady(), 2000);

/** The shell and the page's controls are drawn and take input (before any data). */
export function markInteractive(): void {
  requestAnimationFrame(() => {
    performance.mark('tracebox-interactive');
    document.documentElement.dataset.interactive = String(Math.round(performance.now()));
  });
}

/** The page shows its data: recorded once per load. */
export function markReady(): void {
  if (ready) return;
  ready = true;
  requestAnimationFrame(() => {
    performance.mark('tracebox-ready');
    document.documentElement.dataset.ready = String(Math.round(performance.now()));
    resolveReady();
  });
}
