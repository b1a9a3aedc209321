/**
 * @module ui/QueryEditor
 * The TraceQL input. A plain textarea is there at once; the CodeMirror editor (its own
 * chunk, ~100 KB gzipped) replaces it when loaded, with the same text and cursor-free
 * hand-over. Enter runs the query, Shift+Enter too; the editor adds highlighting,
 * completion (Ctrl+Space) and the parser's error under the text.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EditorHandle } from '../editor/codemirror.ts';
import { whenReady } from '../keys.ts';

let editorModule: Promise<typeof import('../editor/codemirror.ts')> | undefined;
/** The editor's chunk, fetched once the first page shows its data (it is not needed for that). */
export function loadEditor(): Promise<typeof import('../editor/codemirror.ts')> {
  editorModule ??= whenReady.then(() => import('../editor/codemirror.ts'));
  return editorModule;
}

export interface QueryEditorProps {
  value: string;
  /**
   * Bumped by the parent when `value` changes from outside (the form, the URL). Only then
   * is it written into the editor: echoes of the user's own typing arrive a render late
   * and would reset the cursor.
   */
  revision: number;
  onChange: (v: string) => void;
  onRun: () => void;
  /** Registers a focus function (for the `/` shortcut). */
  focusRef?: { current: (() => void) | null };
}

export function QueryEditor({ value, revision, onChange, onRun, focusRef }: QueryEditorProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const latest = useRef({ onChange, onRun, value });
  latest.current = { onChange, onRun, value };
  const [ready, setReady] = useState(false);
  const fallback = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    let cancelled = false;
    loadEditor()
      .then((m) => {
        if (cancelled || host.current === null) return;
        handle.current = m.mountEditor(host.current, {
          value: latest.current.value,
          onChange: (v) => latest.current.onChange(v),
          onRun: () => latest.current.onRun(),
        });
        setReady(true);
      })
      .catch(() => undefined); // the textarea stays
    return () => {
      cancelled = true;
      handle.current?.destroy();
      handle.current = null;
    };
  }, []);

  useEffect(() => {
    handle.current?.setValue(latest.current.value);
  }, [revision]);

  useEffect(() => {
    if (focusRef) focusRef.current = () => (handle.current ? handle.current.focus() : fallback.current?.focus());
  });

  return (
    <div class={`query-editor${ready ? ' ready' : ''}`}>
      <div ref={host} class="cm-host" />
      {ready ? null : (
        <textarea
          ref={fallback}
          class="query-fallback"
          aria-label="TraceQL query"
          spellcheck={false}
          rows={1}
          value={value}
          onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              onRun();
            }
          }}
        />
      )}
    </div>
  );
}
