/**
 * Runs: spans sent during a recorded run carry the resource attribute `tracebox.run`
 * (`tracebox run` sets it through OTEL_RESOURCE_ATTRIBUTES), which is how a run's spans
 * are searched, counted and kept by retention.
 */
import { encodeUtf8 } from '../shared/protowire.ts';
import { stringAttribute } from './decode-protobuf.ts';

export const RUN_ATTRIBUTE = 'tracebox.run';
const RUN_KEY = encodeUtf8(RUN_ATTRIBUTE);

/** The run a stored Resource message is tagged with, if any. */
export function runOfResource(raw: Uint8Array): string | undefined {
  return stringAttribute(raw, RUN_KEY);
}
