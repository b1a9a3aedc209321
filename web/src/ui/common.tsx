/**
 * @module ui/common
 * Small shared pieces: icons, copy buttons, toasts, service chips, the empty state that
 * tells a new user how to send spans (with the doctor's findings), error boxes.
 * Everything untrusted goes through JSX text, never innerHTML.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useDoctor } from '../data/doctor.ts';
import { endpoints } from '../model/endpoints.ts';
import { serviceColor } from '../colors.ts';
import { fmtAgo } from '../format.ts';
import { createStore, useStore } from '../store.ts';

const PATHS: Record<string, string> = {
  search: 'M10.5 3a7.5 7.5 0 0 1 5.96 12.06l4.24 4.24-1.4 1.4-4.24-4.24A7.5 7.5 0 1 1 10.5 3zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z',
  copy: 'M8 3h10a2 2 0 0 1 2 2v12h-2V5H8V3zM5 7h10a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm0 2v11h10V9H5z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4L9 16.2z',
  download: 'M11 3h2v9.2l3.3-3.3 1.4 1.4L12 16 6.3 10.3l1.4-1.4 3.3 3.3V3zM4 18h16v2H4v-2z',
  upload: 'M11 16h2V6.8l3.3 3.3 1.4-1.4L12 3 6.3 8.7l1.4 1.4L11 6.8V16zM4 18h16v2H4v-2z',
  sun: 'M12 7a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0-5h1v3h-2V2h1zm0 17h1v3h-2v-3h1zM2 11h3v2H2v-2zm17 0h3v2h-3v-2zM4.2 5.6l1.4-1.4 2.1 2.1-1.4 1.4-2.1-2.1zm12.1 12.1 1.4-1.4 2.1 2.1-1.4 1.4-2.1-2.1zM4.2 18.4l2.1-2.1 1.4 1.4-2.1 2.1-1.4-1.4zM16.3 6.3l2.1-2.1 1.4 1.4-2.1 2.1-1.4-1.4z',
  moon: 'M12.3 2a8 8 0 0 0 9.7 9.7A10 10 0 1 1 12.3 2z',
  gear: 'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3h-4l-.4 2.7a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.7 1.7 1L11 21h4l.4-2.7c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5-2.2-1.6zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z',
  live: 'M12 8a4 4 0 1 1 0 8 4 4 0 0 1 0-8z',
  close: 'M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3 1.4 1.4z',
  chevron: 'M9 6l6 6-6 6-1.4-1.4 4.6-4.6-4.6-4.6L9 6z',
  external: 'M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14V3zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z',
  code: 'M8.6 16.6 4 12l4.6-4.6L7.2 6 1.2 12l6 6 1.4-1.4zm6.8 0L20 12l-4.6-4.6L16.8 6l6 6-6 6-1.4-1.4z',
  flame: 'M12 2s6 5 6 11a6 6 0 0 1-12 0c0-3 2-5 2-5s0 3 2 4c0-5 2-10 2-10z',
  timeline: 'M3 5h10v3H3V5zm4 5.5h12v3H7v-3zM11 16h7v3h-7v-3z',
  compare: 'M10 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h5v2h2V1h-2v2zm0 15H5l5-6v6zm9-15h-5v2h5v13l-5-6v9h5a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2z',
  map: 'M5 3a3 3 0 0 1 1 5.8V11h6V8.8a3 3 0 1 1 2 0V11h3a2 2 0 0 1 2 2v2.2a3 3 0 1 1-2 0V13H7v2.2a3 3 0 1 1-2 0V8.8A3 3 0 0 1 5 3z',
  warn: 'M12 2 1 21h22L12 2zm1 15h-2v2h2v-2zm0-7h-2v5h2v-5z',
  error: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm1 13h-2v2h2v-2zm0-8h-2v6h2V7z',
  path: 'M4 12h4l3-7 4 14 3-7h2',
  keyboard: 'M3 6h18a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1zm2 3v2h2V9H5zm4 0v2h2V9H9zm4 0v2h2V9h-2zm4 0v2h2V9h-2zM7 13v2h10v-2H7z',
  table: 'M3 4h18v16H3V4zm2 2v3h14V6H5zm0 5v3h6v-3H5zm8 0v3h6v-3h-6zm-8 5v2h6v-2H5zm8 0v2h6v-2h-6z',
  braces: 'M8 3H7a3 3 0 0 0-3 3v3a2 2 0 0 1-2 2v2a2 2 0 0 1 2 2v3a3 3 0 0 0 3 3h1v-2H7a1 1 0 0 1-1-1v-3a4 4 0 0 0-1.4-3A4 4 0 0 0 6 9V6a1 1 0 0 1 1-1h1V3zm8 0h1a3 3 0 0 1 3 3v3a2 2 0 0 0 2 2v2a2 2 0 0 0-2 2v3a3 3 0 0 1-3 3h-1v-2h1a1 1 0 0 0 1-1v-3a4 4 0 0 1 1.4-3A4 4 0 0 1 18 9V6a1 1 0 0 0-1-1h-1V3z',
  filter: 'M3 4h18l-7 8.5V19l-4 2v-8.5L3 4z',
  graph: 'M5 9a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm14 0a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm-7 12a3 3 0 1 1 0-6 3 3 0 0 1 0 6zM6.2 8.4l4.6 7 1.6-1-4.6-7-1.6 1zm11.6 0-1.6-1-4.6 7 1.6 1 4.6-7z',
  logs: 'M4 5h2v2H4V5zm4 0h12v2H8V5zm-4 6h2v2H4v-2zm4 0h12v2H8v-2zm-4 6h2v2H4v-2zm4 0h9v2H8v-2z',
  link: 'M10.6 13.4a1 1 0 0 0 1.4 0l4.2-4.2a3 3 0 0 0-4.2-4.2l-1.4 1.4 1.4 1.4 1.4-1.4a1 1 0 0 1 1.4 1.4L10.6 12a1 1 0 0 0 0 1.4zm2.8-2.8a1 1 0 0 0-1.4 0l-4.2 4.2a3 3 0 0 0 4.2 4.2l1.4-1.4-1.4-1.4-1.4 1.4a1 1 0 0 1-1.4-1.4l4.2-4.2a1 1 0 0 0 0-1.4z',
};

export function Icon({ name, size = 16, title }: { name: keyof typeof PATHS | string; size?: number; title?: string }): JSX.Element {
  const stroke = name === 'path';
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden={title ? undefined : 'true'} role={title ? 'img' : undefined}>
      {title ? <title>{title}</title> : null}
      <path d={PATHS[name] ?? ''} fill={stroke ? 'none' : 'currentColor'} stroke={stroke ? 'currentColor' : 'none'} stroke-width={stroke ? 2 : 0} />
    </svg>
  );
}

// ---------------------------------------------------------------- toasts

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}
export const toasts = createStore<Toast[]>([]);
let toastId = 0;
export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const id = ++toastId;
  toasts.update((list) => [...list, { id, text, kind }]);
  setTimeout(() => toasts.update((list) => list.filter((t) => t.id !== id)), kind === 'error' ? 6000 : 2200);
}

export function Toasts(): JSX.Element {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

export async function copyText(text: string, what = 'Copied'): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API needs a secure context or focus; fall back to a selection copy.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast(`${what}: ${text.length > 60 ? text.slice(0, 57) + '…' : text}`);
}

export function CopyButton({ text, label, what }: { text: string; label?: string; what?: string }): JSX.Element {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="btn-icon copy"
      title={`Copy ${what ?? label ?? ''}`.trim()}
      aria-label={`Copy ${what ?? label ?? text}`}
      onClick={(ev) => {
        ev.stopPropagation();
        void copyText(text, what ? `Copied ${what}` : 'Copied');
        setDone(true);
        setTimeout(() => setDone(false), 1200);
      }}
    >
      <Icon name={done ? 'check' : 'copy'} size={14} />
      {label ? <span>{label}</span> : null}
    </button>
  );
}

export function ServiceChip({ name, count, errors, onClick, dim }: { name: string; count?: number; errors?: number; onClick?: () => void; dim?: boolean }): JSX.Element {
  const Tag = onClick ? 'button' : 'span';
  return (
    <Tag
      class={`chip${dim ? ' dim' : ''}`}
      onClick={onClick}
      type={onClick ? 'button' : undefined}
      title={onClick ? `${name}: click to ${dim ? 'show' : 'hide'} its spans` : name}
      aria-pressed={onClick ? !dim : undefined}
    >
      <i class="dot" style={{ background: serviceColor(name) }} />
      <span class="chip-name">{name}</span>
      {count !== undefined ? <span class="chip-count">{count}</span> : null}
      {errors ? <span class="chip-err">{errors}</span> : null}
    </Tag>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }): JSX.Element {
  return (
    <div class="spinner" role="status">
      <span class="spin" />
      {label}
    </div>
  );
}

export function ErrorBox({ error, children }: { error: unknown; children?: ComponentChildren }): JSX.Element {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="errorbox" role="alert">
      <Icon name="error" size={18} />
      <div>
        <div class="errorbox-text">{message}</div>
        {children}
      </div>
    </div>
  );
}

/** No spans yet: how to send some, to this instance's ports, and what the receivers saw (the doctor's findings). */
export function SendSpansHelp({ title = 'No traces yet' }: { title?: string }): JSX.Element {
  const report = useDoctor();
  const ep = endpoints(location.hostname, report?.receivers);
  const env = `export OTEL_EXPORTER_OTLP_ENDPOINT=${ep.otlpHttp}`;
  const recent = Object.values(report?.requests ?? {})
    .flat()
    .sort((a, b) => b.at - a.at)
    .slice(0, 5);
  return (
    <div class="empty-state" data-testid="empty-state">
      <div class="empty-art" aria-hidden="true">
        <span style={{ width: '70%' }} />
        <span style={{ width: '45%', marginLeft: '18%' }} />
        <span style={{ width: '30%', marginLeft: '30%' }} />
      </div>
      <h2>{title}</h2>
      <p>Point any OpenTelemetry SDK at tracebox; spans show up here the moment their export returns.</p>
      {report === undefined ? (
        <Spinner label="Asking tracebox where it listens" />
      ) : (
        <>
          <div class="env-line" data-testid="env-line">
            <code>{env}</code>
            <CopyButton text={env} what="the export line" />
          </div>
          <p class="muted small" data-testid="other-endpoints">
            gRPC: <code>OTEL_EXPORTER_OTLP_ENDPOINT={ep.otlpGrpc} OTEL_EXPORTER_OTLP_PROTOCOL=grpc</code>.
            {ep.zipkin !== undefined ? (
              <>
                {' '}
                Zipkin: <code>{ep.zipkin}</code>.
              </>
            ) : null}
            {ep.assumed ? ' These are the default ports: if tracebox was started with --otlp-http-port or --otlp-grpc-port, use those.' : ''} Or{' '}
            <a href="/upload">open a trace file</a>.
          </p>
        </>
      )}
      {report && report.findings.length > 0 ? (
        <div class="doctor">
          <h3>
            <Icon name="warn" /> What the receivers noticed
          </h3>
          <ul>
            {report.findings.map((f) => (
              <li key={f.code}>
                <code>{f.code}</code> {f.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {recent.length > 0 ? (
        <div class="doctor">
          <h3>Recent export requests</h3>
          <ul>
            {recent.map((r, i) => (
              <li key={i}>
                {fmtAgo(r.at)}: <code>{r.path}</code> {r.contentType} → {String(r.status)}, {r.spans} spans
                {r.rejected ? <span class="err-text">, {r.rejected} rejected</span> : null}
                {r.error ? <span class="err-text"> — {r.error}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : report ? (
        <p class="muted small">No export request has reached tracebox since it started.</p>
      ) : null}
    </div>
  );
}

/** Saves `data` as a JSON file through the browser's download. */
export function downloadJson(name: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/** Keyboard shortcut hint. */
export const Kbd = ({ children }: { children: ComponentChildren }): JSX.Element => <kbd>{children}</kbd>;

/** A ref for an element and its width, kept current as the element resizes. */
export function useWidth<T extends HTMLElement>(initial = 800): [{ current: T | null }, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    setW(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}
