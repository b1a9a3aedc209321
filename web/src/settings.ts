/**
 * @module settings
 * What a user configures once, kept in localStorage: theme, the "logs for this span"
 * link template, the editor link template and the source path mapping.
 */
import { createStore } from './store.ts';
import { DEFAULT_LOGS_TEMPLATE } from './model/logs-link.ts';

export interface Settings {
  theme: 'auto' | 'light' | 'dark';
  logsTemplate: string;
  editorTemplate: string;
  /** `from=to` per line. */
  pathMappings: string;
}

const KEY = 'tracebox.settings';
export const DEFAULT_SETTINGS: Settings = {
  theme: 'auto',
  logsTemplate: DEFAULT_LOGS_TEMPLATE,
  editorTemplate: 'vscode://file{path}:{line}:{col}',
  pathMappings: '',
};

function load(): Settings {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<Settings>) } : DEFAULT_SETTINGS;
  } catch {
    return DEFAULT_SETTINGS;
  }
}

export const settings = createStore<Settings>(load());

/** The theme on screen: the setting's, the system's for 'auto', or a link's `?theme=`. */
export const shownTheme = createStore<'light' | 'dark'>('light');

settings.subscribe((s) => {
  try {
    localStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    /* private mode: settings last for this page only */
  }
  applyTheme(s.theme);
});

const media = matchMedia('(prefers-color-scheme: dark)');
export function applyTheme(theme: Settings['theme']): void {
  const forced = new URLSearchParams(location.search).get('theme');
  const t = forced === 'light' || forced === 'dark' ? forced : theme;
  const dark = t === 'dark' || (t === 'auto' && media.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
  shownTheme.set(dark ? 'dark' : 'light');
}
media.addEventListener('change', () => applyTheme(settings.get().theme));
