/**
 * @module ui/TraceJson
 * The trace as JSON in the page: as the viewer received it (tracebox's span JSON: hex
 * ids, flat attributes) or as OTLP/JSON (read from the Tempo API, or converted from a
 * file opened in the page). Long documents show their first megabyte; copy and download
 * take all of it.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fetchTempoTrace } from '../api.ts';
import { tempoToOtlpJson, traceJsonToOtlp } from '../model/otlp.ts';
import type { TraceJson as TraceJsonData } from '../model/trace.ts';
import { CopyButton, downloadJson, ErrorBox, Icon, Spinner } from './common.tsx';

const SHOWN = 1_000_000;

type Format = 'spans' | 'otlp';

export function TraceJson({ json, local }: { json: TraceJsonData; local: boolean }): JSX.Element {
  const [format, setFormat] = useState<Format>('spans');
  const [otlp, setOtlp] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (format !== 'otlp' || otlp !== undefined) return;
    if (local) return setOtlp(traceJsonToOtlp(json));
    fetchTempoTrace(json.traceId).then((t) => setOtlp(tempoToOtlpJson(t)), setError);
  }, [format, json.traceId]);
  const data = format === 'spans' ? json : otlp;
  const text = data === undefined ? undefined : JSON.stringify(data, null, 2);
  return (
    <div class="trace-json-view" data-testid="trace-json">
      <div class="view-head">
        <div class="segmented" role="group" aria-label="Format">
          <button type="button" class={format === 'spans' ? 'on' : ''} aria-pressed={format === 'spans'} onClick={() => setFormat('spans')} title="As the viewer reads it: hex ids, flat attributes">
            Span JSON
          </button>
          <button type="button" class={format === 'otlp' ? 'on' : ''} aria-pressed={format === 'otlp'} onClick={() => setFormat('otlp')} data-testid="json-otlp">
            OTLP/JSON
          </button>
        </div>
        {text !== undefined ? (
          <>
            <CopyButton text={text} label="Copy" what="the trace's JSON" />
            <button type="button" class="btn ghost small" onClick={() => downloadJson(`trace-${json.traceId}.${format === 'otlp' ? 'otlp' : 'spans'}.json`, data)}>
              <Icon name="download" /> Download
            </button>
            <span class="muted small">
              {(text.length / 1024).toFixed(0)} KB{text.length > SHOWN ? `; the first ${SHOWN / 1e6} MB is shown` : ''}
            </span>
          </>
        ) : null}
      </div>
      {error !== undefined ? (
        <ErrorBox error={error} />
      ) : text === undefined ? (
        <Spinner label="Loading OTLP/JSON" />
      ) : (
        <pre class="json-text" data-testid="json-text">
          {text.length > SHOWN ? `${text.slice(0, SHOWN)}\n…` : text}
        </pre>
      )}
    </div>
  );
}
