/**
 * @module loki/model
 * OTLP log records in Loki's model, as Loki 3 maps its own OTLP ingestion:
 *
 * - stream (index) labels: the resource attributes of a fixed list (service.name,
 *   deployment.environment, k8s names …), dots turned into underscores; a resource without
 *   service.name is `service_name="unknown_service"`;
 * - structured metadata: every other resource attribute, the scope's name, version and
 *   attributes, the record's attributes, trace_id and span_id (lower-case hex),
 *   severity_text, severity_number, flags, observed_timestamp (ns), and detected_level
 *   (from the severity);
 * - the line: the body's text (a map or array body as compact JSON);
 * - the time: the record's time (the observed time when that was 0).
 *
 * Attribute names become label names as Loki normalises them: any character other than a
 * letter, digit or `_` becomes `_`, and a name starting with a digit gets `key_` before it.
 */
import { ProtoReader } from '../shared/protowire.ts';
import { bytesToHex } from '../shared/ids.ts';
import { decodeLogRecord, keyValuesOf, RESOURCE, SCOPE } from '../otlp/index.ts';
import { newLabels, type Labels, type MutableLabels } from '../logql/index.ts';

/** Resource attributes that become stream labels (Loki's default `otlp_config`). */
export const INDEX_LABEL_ATTRIBUTES: readonly string[] = [
  'service.name', 'service.namespace', 'service.instance.id', 'deployment.environment',
  'cloud.region', 'cloud.availability_zone',
  'k8s.cluster.name', 'k8s.namespace.name', 'k8s.pod.name', 'k8s.container.name', 'container.name',
  'k8s.replicaset.name', 'k8s.deployment.name', 'k8s.statefulset.name', 'k8s.daemonset.name',
  'k8s.cronjob.name', 'k8s.job.name',
];
const INDEX_SET: ReadonlySet<string> = new Set(INDEX_LABEL_ATTRIBUTES);

const SERVICE_LABEL = 'service_name';
const UNKNOWN_SERVICE = 'unknown_service';
export const DETECTED_LEVEL = 'detected_level';

/** The structured-metadata names every record may carry from its own fields, not its attributes. */
export const RECORD_FIELD_LABELS: readonly string[] = [
  'trace_id', 'span_id', 'severity_text', 'severity_number', 'flags', 'observed_timestamp', DETECTED_LEVEL,
];

/** Stream label names tracebox can hold (the index attributes, normalised). */
export const INDEX_LABELS: ReadonlySet<string> = new Set(INDEX_LABEL_ATTRIBUTES.map(normalizeLabelName));

export function normalizeLabelName(key: string): string {
  const out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return out !== '' && out[0] >= '0' && out[0] <= '9' ? `key_${out}` : out;
}

/** Severity texts Loki reads as a level (trimmed of spaces, lower-cased), for records without a severity number. */
export const TEXT_LEVELS: Readonly<Record<string, string>> = {
  trace: 'trace', debug: 'debug', dbg: 'debug', info: 'info', information: 'info', notice: 'info',
  warn: 'warn', warning: 'warn', error: 'error', err: 'error', fatal: 'fatal', critical: 'critical', crit: 'critical',
};

/** SeverityNumber bands per detected level. */
export const LEVEL_SEVERITIES: Readonly<Record<string, readonly [number, number]>> = {
  trace: [1, 4], debug: [5, 8], info: [9, 12], warn: [13, 16], error: [17, 20], fatal: [21, 24],
};

/** Loki's level of an OTLP record: its severity number's band, else its severity text, else `unknown`. */
export function detectedLevel(severityNumber: number, severityText: string): string {
  if (severityNumber >= 1 && severityNumber <= 24) {
    return ['trace', 'debug', 'info', 'warn', 'error', 'fatal'][Math.floor((severityNumber - 1) / 4)];
  }
  // Spaces only, as SQLite's trim() (the store filters levels the same way).
  return TEXT_LEVELS[severityText.replace(/^ +| +$/g, '').toLowerCase()] ?? 'unknown';
}

/** The tags of Resource.attributes and InstrumentationScope.attributes. */
const RESOURCE_ATTRIBUTES = RESOURCE.attributes;
const SCOPE_ATTRIBUTES = SCOPE.attributes;

/** What a resource contributes to each of its records. */
export interface ResourceModel {
  readonly stream: Labels;
  /** Resource attributes outside the index list. */
  readonly metadata: Labels;
}

export function resourceModel(raw: Uint8Array | null): ResourceModel {
  const stream = newLabels();
  const metadata = newLabels();
  if (raw !== null) {
    for (const { key, text } of keyValuesOf(raw, RESOURCE_ATTRIBUTES)) {
      if (INDEX_SET.has(key)) stream[normalizeLabelName(key)] = text;
      else metadata[normalizeLabelName(key)] = text;
    }
  }
  if (stream[SERVICE_LABEL] === undefined || stream[SERVICE_LABEL] === '') stream[SERVICE_LABEL] = UNKNOWN_SERVICE;
  return { stream, metadata };
}

/** scope_name, scope_version and the scope's attributes. */
export function scopeMetadata(raw: Uint8Array | null): Labels {
  const out = newLabels();
  if (raw === null) return out;
  const r = new ProtoReader(raw);
  while (r.more()) {
    const t = r.uint32();
    if (t === SCOPE.name) {
      const name = r.string();
      if (name !== '') out.scope_name = name;
    } else if (t === SCOPE.version) {
      const version = r.string();
      if (version !== '') out.scope_version = version;
    } else r.skip(t & 7);
  }
  for (const { key, text } of keyValuesOf(raw, SCOPE_ATTRIBUTES)) out[normalizeLabelName(key)] = text;
  return out;
}

/** A stored record's columns that Loki's model reads (a store LogRow fits). */
export interface RecordFields {
  readonly timeNs: bigint;
  readonly observedNs: bigint;
  readonly severity: number;
  readonly severityText: string;
  readonly traceId: Uint8Array | null;
  readonly spanId: Uint8Array | null;
  readonly flags: number;
  readonly body: string;
  readonly raw: Uint8Array;
}

/**
 * A record's structured metadata: resource and scope parts first, then its fields, then (when
 * `withAttributes`) its attributes, which cost a decode of the stored record.
 */
export function recordMetadata(row: RecordFields, resource: Labels, scope: Labels, withAttributes: boolean): Labels {
  const out: MutableLabels = newLabels();
  for (const k in resource) out[k] = resource[k];
  for (const k in scope) out[k] = scope[k];
  if (withAttributes) {
    for (const a of decodeLogRecord(row.raw).attributes) out[normalizeLabelName(a.key)] = a.text;
  }
  if (row.traceId !== null && row.traceId.length > 0) out.trace_id = bytesToHex(row.traceId);
  if (row.spanId !== null && row.spanId.length > 0) out.span_id = bytesToHex(row.spanId);
  if (row.severityText !== '') out.severity_text = row.severityText;
  if (row.severity !== 0) out.severity_number = String(row.severity);
  if (row.flags !== 0) out.flags = String(row.flags);
  if (row.observedNs !== 0n) out.observed_timestamp = String(row.observedNs);
  out[DETECTED_LEVEL] = detectedLevel(row.severity, row.severityText);
  return out;
}
