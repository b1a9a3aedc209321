/**
 * @module pages/UploadPage
 * Open a trace file (OTLP/JSON, Tempo or Grafana download, Jaeger JSON, tracebox span
 * JSON) in the viewer without storing it: drop it anywhere on the page or pick it.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { fmtDur } from '../format.ts';
import { parseTraceFile } from '../model/otlp.ts';
import type { TraceJson } from '../model/trace.ts';
import { navigate, traceHref } from '../router.ts';
import { putUploads } from '../uploads.ts';
import { ErrorBox, Icon } from '../ui/common.tsx';
import { markReady } from '../keys.ts';

export async function openFiles(files: FileList | readonly File[]): Promise<TraceJson[]> {
  const traces: TraceJson[] = [];
  for (const f of Array.from(files)) traces.push(...parseTraceFile(await f.text()));
  putUploads(traces);
  return traces;
}

export function UploadPage(): JSX.Element {
  const [traces, setTraces] = useState<TraceJson[]>([]);
  const [error, setError] = useState<unknown>();
  const [over, setOver] = useState(false);
  markReady();
  const take = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    try {
      const list = await openFiles(files);
      setError(undefined);
      if (list.length === 1) navigate(traceHref(list[0].traceId, { src: 'upload' }));
      else setTraces(list);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="page">
      <section
        class={`panel dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void take(e.dataTransfer?.files ?? null);
        }}
      >
        <Icon name="upload" size={36} />
        <h1 class="page-title">Open a trace file</h1>
        <p>OTLP/JSON, a Tempo or Grafana download, Jaeger JSON, or tracebox's span JSON. The file stays in this browser tab.</p>
        <label class="btn primary">
          Choose a file…
          <input type="file" accept=".json,.jsonl,application/json" multiple class="sr-only" onChange={(e) => void take((e.target as HTMLInputElement).files)} data-testid="file-input" />
        </label>
        <p class="muted small">or drop it here</p>
        {error !== undefined ? <ErrorBox error={error} /> : null}
      </section>
      {traces.length > 1 ? (
        <section class="panel">
          <h2>{traces.length} traces in the file</h2>
          <ul class="pick-list">
            {traces.map((t) => (
              <li key={t.traceId}>
                <a href={traceHref(t.traceId, { src: 'upload' })}>
                  <span class="mono">{t.traceId.slice(0, 16)}</span> {t.rootServiceName ?? '?'}: {t.rootName ?? '?'} · {t.spans.length} spans · {fmtDur(Number(t.durationNanos))}
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
