/**
 * @module main
 * The viewer's shell: top bar (pages, theme, settings, help), the page for the URL,
 * toasts, the settings dialog, the keyboard help, and dropping a trace file anywhere.
 */
import './styles.css';
import type { JSX } from 'preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate, installLinkInterception, setParams, traceHref, useRoute } from './router.ts';
import { applyTheme, DEFAULT_SETTINGS, settings, shownTheme, type Settings } from './settings.ts';
import { useStore } from './store.ts';
import { markInteractive, useShortcuts } from './keys.ts';
import { Icon, Kbd, toast, Toasts } from './ui/common.tsx';
import { SearchPage } from './pages/SearchPage.tsx';
import { lazy } from './ui/lazy.tsx';
import { loadEditor } from './ui/QueryEditor.tsx';

// Search is the first page; the others come in a chunk of their own, fetched when first
// shown, and warmed once the first page is up (a trace is the usual next step).
const others = () => import('./pages/others.ts');
const TracePage = lazy(() => others().then((m) => m.TracePage), 'the trace page');
const ServicesPage = lazy(() => others().then((m) => m.ServicesPage), 'the services page');
const LogsPage = lazy(() => others().then((m) => m.LogsPage), 'the logs page');
const ComparePage = lazy(() => others().then((m) => m.ComparePage), 'the compare page');
const RunsPage = lazy(() => others().then((m) => m.RunsPage), 'the runs page');
const UploadPage = lazy(() => others().then((m) => m.UploadPage), 'the file page');

function SettingsDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const current = useStore(settings);
  const [draft, setDraft] = useState<Settings>(current);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const field = (key: keyof Settings) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  return (
    <dialog ref={ref} class="dialog" onClose={onClose} aria-label="Settings">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          settings.set(draft);
          toast('Settings saved');
          onClose();
        }}
      >
        <h2>Settings</h2>
        <label class="stack-field">
          <span>“Logs for this span” link</span>
          <input class="input mono" value={draft.logsTemplate} onInput={field('logsTemplate')} data-testid="logs-template" />
          <small class="muted">
            An http(s) URL with <code>{'{traceId}'}</code> <code>{'{spanId}'}</code> <code>{'{service}'}</code> <code>{'{name}'}</code> <code>{'{startMs}'}</code>{' '}
            <code>{'{endMs}'}</code> <code>{'{startIso}'}</code> <code>{'{endIso}'}</code>. The default opens Grafana Explore on Loki.
          </small>
        </label>
        <label class="stack-field">
          <span>Editor link</span>
          <input class="input mono" value={draft.editorTemplate} onInput={field('editorTemplate')} />
          <small class="muted">
            <code>{'{path}'}</code> <code>{'{line}'}</code> <code>{'{col}'}</code>; e.g. <code>vscode://file{'{path}'}:{'{line}'}:{'{col}'}</code>, <code>cursor://file{'{path}'}:{'{line}'}</code>,{' '}
            <code>idea://open?file={'{path}'}&amp;line={'{line}'}</code>.
          </small>
        </label>
        <label class="stack-field">
          <span>Source path mapping</span>
          <textarea class="input mono" rows={3} value={draft.pathMappings} onInput={field('pathMappings')} placeholder="/srv/payment=/home/me/src/payment" />
          <small class="muted">One <code>where it ran=where it is here</code> per line, applied to code.filepath and stack frames.</small>
        </label>
        <label class="stack-field">
          <span>Theme</span>
          <select class="input" value={draft.theme} onChange={field('theme')}>
            <option value="auto">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <div class="dialog-actions">
          <button type="button" class="btn ghost" onClick={() => setDraft({ ...DEFAULT_SETTINGS, theme: draft.theme })}>
            Defaults
          </button>
          <span class="spacer" />
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary">
            Save
          </button>
        </div>
      </form>
    </dialog>
  );
}

const HELP: Array<[string, string[]]> = [
  ['Everywhere', ['? this help', 's search', 'm service map', 'g logs', 'u open a trace file', 't theme']],
  ['Search', ['/ edit the query', 'Enter run it (in the editor)', 'Ctrl+Space complete', 'j / k move', 'Enter open', 'x pick for compare', 'l live mode']],
  ['Trace', ['j / k or ↑ / ↓ spans', '← / → collapse, expand', 'Enter toggle', '/ find, n / N next, previous', 'f flame graph', 'c critical path', 'h colour vs. usual', '+ / - / 0 zoom', 'e / w expand, collapse all', 'Esc close, unzoom']],
];

function HelpDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => ref.current?.showModal(), []);
  return (
    <dialog ref={ref} class="dialog help" onClose={onClose} aria-label="Keyboard shortcuts">
      <h2>Keyboard</h2>
      <div class="help-grid">
        {HELP.map(([title, keys]) => (
          <div key={title}>
            <h3>{title}</h3>
            <ul>
              {keys.map((k) => {
                const [key, ...rest] = k.split(' ');
                const multi = k.includes(' / ') ? k.split(' ').slice(0, 3).join(' ') : key;
                const text = k.includes(' / ') ? k.split(' ').slice(3).join(' ') : rest.join(' ');
                return (
                  <li key={k}>
                    <Kbd>{multi}</Kbd> {text}
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </div>
      <form method="dialog" class="dialog-actions">
        <span class="spacer" />
        <button class="btn primary">Close</button>
      </form>
    </dialog>
  );
}

function App(): JSX.Element {
  const route = useRoute();
  const cfg = useStore(settings);
  const [dialog, setDialog] = useState<'settings' | 'help' | null>(null);
  const [dropping, setDropping] = useState(false);
  const shown = useStore(shownTheme);
  const other = shown === 'dark' ? 'light' : 'dark';
  // Every click changes what is shown: the other theme than the one on screen (following the system stays a setting).
  const toggleTheme = () => {
    if (route.params.has('theme')) setParams({ theme: undefined });
    settings.set({ ...cfg, theme: other });
  };
  useShortcuts({
    '?': () => setDialog('help'),
    s: () => route.page !== 'search' && navigate('/search'),
    m: () => navigate('/services'),
    g: () => navigate('/logs'),
    u: () => navigate('/upload'),
    t: toggleTheme,
  });
  useEffect(() => {
    const titles: Record<string, string> = { search: 'Search', trace: `Trace ${route.id.slice(0, 8)}`, services: 'Services', logs: 'Logs', compare: 'Compare', runs: 'Runs', upload: 'Open a file', notfound: 'Not found' };
    document.title = `${titles[route.page]} · tracebox`;
  }, [route.page, route.id]);
  useEffect(() => {
    // Warm the editor's and the trace page's chunks once the first page is up.
    const t = setTimeout(() => {
      void loadEditor().catch(() => undefined);
      void TracePage.preload().catch(() => undefined);
    }, 300);
    return () => clearTimeout(t);
  }, []);
  const page =
    route.page === 'search' ? (
      <SearchPage route={route} />
    ) : route.page === 'trace' ? (
      <TracePage key={route.id} route={route} />
    ) : route.page === 'services' ? (
      <ServicesPage route={route} />
    ) : route.page === 'logs' ? (
      <LogsPage route={route} />
    ) : route.page === 'compare' ? (
      <ComparePage route={route} />
    ) : route.page === 'runs' ? (
      <RunsPage route={route} />
    ) : route.page === 'upload' ? (
      <UploadPage />
    ) : (
      <div class="page">
        <section class="panel no-results">
          <h2>Nothing here</h2>
          <a href="/search" class="btn">
            Search traces
          </a>
        </section>
      </div>
    );
  const nav = (href: string, label: string, icon: string, active: boolean, key: string) => (
    <a href={href} class={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} title={`${label} (${key})`}>
      <Icon name={icon} /> {label}
    </a>
  );
  return (
    <div
      class={`app${dropping ? ' dropping' : ''}`}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes('Files')) {
          e.preventDefault();
          setDropping(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.relatedTarget === null) setDropping(false);
      }}
      onDrop={(e) => {
        if (!e.dataTransfer?.files.length) return;
        e.preventDefault();
        setDropping(false);
        const files = e.dataTransfer.files;
        others()
          .then((m) => m.openFiles(files))
          .then(
            (list) => navigate(list.length === 1 ? traceHref(list[0].traceId, { src: 'upload' }) : '/upload'),
            (err: unknown) => toast(err instanceof Error ? err.message : String(err), 'error'),
          );
      }}
    >
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a href="/search" class="brand" aria-label="tracebox home">
          <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="var(--accent)" />
            <rect x="6" y="8" width="14" height="4" rx="2" fill="#fff" />
            <rect x="10" y="14" width="16" height="4" rx="2" fill="#fff" opacity=".85" />
            <rect x="14" y="20" width="8" height="4" rx="2" fill="#fff" opacity=".7" />
          </svg>
          tracebox
        </a>
        <nav class="nav" aria-label="Pages">
          {nav('/search', 'Search', 'search', route.page === 'search' || route.page === 'trace', 's')}
          {nav('/services', 'Services', 'map', route.page === 'services', 'm')}
          {nav('/logs', 'Logs', 'logs', route.page === 'logs', 'g')}
          {nav('/compare', 'Compare', 'compare', route.page === 'compare', '')}
          {nav('/runs', 'Runs', 'timeline', route.page === 'runs', '')}
          {nav('/upload', 'Open file', 'upload', route.page === 'upload', 'u')}
        </nav>
        <span class="spacer" />
        <button
          type="button"
          class="btn-icon"
          onClick={toggleTheme}
          title={`Theme: ${shown}${cfg.theme === 'auto' ? ', as the system' : ''}; switch to ${other} (t)`}
          aria-label={`Switch to the ${other} theme`}
          data-testid="theme"
        >
          <Icon name={shown === 'dark' ? 'moon' : 'sun'} />
        </button>
        <button type="button" class="btn-icon" onClick={() => setDialog('help')} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          <Icon name="keyboard" />
        </button>
        <button type="button" class="btn-icon" onClick={() => setDialog('settings')} title="Settings" aria-label="Settings" data-testid="settings">
          <Icon name="gear" />
        </button>
      </header>
      <main id="main">{page}</main>
      <Toasts />
      {dialog === 'settings' ? <SettingsDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'help' ? <HelpDialog onClose={() => setDialog(null)} /> : null}
      {dropping ? <div class="drop-overlay">Drop a trace file to open it</div> : null}
    </div>
  );
}

applyTheme(settings.get().theme);
const root = document.getElementById('app') as HTMLElement;
root.textContent = '';
installLinkInterception(root);
render(<App />, root);
markInteractive();
