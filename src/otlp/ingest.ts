/**
 * The one ingest entry point that every receiver calls: bytes in, spans committed,
 * an OTLP outcome out.
 */
import { BadRequestError } from '../shared/errors.ts';
import type { Store } from '../store/index.ts';
import { decodeExportRequest } from './decode-protobuf.ts';
import { withSession } from './session.ts';
import { OtlpJsonError, otlpJsonToProtobuf } from './json-to-protobuf.ts';
import type { ExportOutcome } from './responses.ts';
import { applyAttributeLimits, type AttributeLimits } from './limits.ts';
import type { DecodedBatch } from './types.ts';

export interface IngestResult extends ExportOutcome {
  readonly stored: number;
}

/** `session` tags every resource of the request with a test session (see session.ts). */
export type Ingest = (body: Uint8Array, format: 'protobuf' | 'json', session?: string) => IngestResult;

/** Without limits given, only the nesting checks of applyAttributeLimits() apply. */
const NO_LIMITS: AttributeLimits = { maxAttrLength: 0, maxAttrsPerSpan: 0 };

/**
 * `onStored` sees each batch that stored new spans, after the commit (forwarding uses it); it must not throw.
 * `limits` caps attribute lengths and counts as the OTel SDK does (limits.ts).
 */
export function createIngest(store: Store, onStored?: (batch: DecodedBatch) => void, limits: AttributeLimits = NO_LIMITS): Ingest {
  return (body, format, session) => {
    const bytes = format === 'json' ? jsonToProtobuf(body) : body;
    let batch;
    try {
      batch = decodeExportRequest(bytes);
      if (session !== undefined && session !== '') batch = withSession(batch, session);
    } catch (err) {
      throw new BadRequestError((err as Error).message);
    }
    batch = applyAttributeLimits(batch, limits);
    const written = batch.spans.length > 0 ? store.insert(batch) : { stored: 0, invalid: 0, reasons: [] };
    if (written.stored > 0) onStored?.(batch);
    const rejected = batch.rejected + written.invalid;
    const reasons = [...batch.rejections, ...written.reasons];
    const message = rejected > 0 ? `rejected ${rejected} invalid span(s): ${reasons.join('; ')}` : '';
    return { stored: written.stored, rejected, message };
  };
}

function jsonToProtobuf(body: Uint8Array): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`invalid JSON: ${(err as Error).message}`);
  }
  try {
    return otlpJsonToProtobuf(parsed);
  } catch (err) {
    if (err instanceof OtlpJsonError) throw new BadRequestError(`invalid OTLP/JSON: ${err.message}`);
    throw err;
  }
}
