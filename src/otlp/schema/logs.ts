/**
 * @module otlp/schema/logs
 * The logs signal's messages (opentelemetry/proto/logs/v1/logs.proto and the
 * collector's ExportLogsServiceRequest), described as common.ts describes the shared ones.
 */
import { defineMessage, InstrumentationScope, KeyValue, AnyValue, Resource, type MessageSpec } from './common.ts';

/** LogsData; ExportLogsServiceRequest is the same on the wire (`repeated ResourceLogs = 1`). */
export const LogsData = defineMessage('LogsData', {
  resourceLogs: { number: 1, type: 'message', repeated: true, message: (): MessageSpec => ResourceLogs },
});

export const ResourceLogs = defineMessage('ResourceLogs', {
  resource: { number: 1, type: 'message', message: (): MessageSpec => Resource },
  scopeLogs: { number: 2, type: 'message', repeated: true, message: (): MessageSpec => ScopeLogs },
  schemaUrl: { number: 3, type: 'string' },
});

export const ScopeLogs = defineMessage('ScopeLogs', {
  scope: { number: 1, type: 'message', message: (): MessageSpec => InstrumentationScope },
  logRecords: { number: 2, type: 'message', repeated: true, message: (): MessageSpec => LogRecord },
  schemaUrl: { number: 3, type: 'string' },
});

export const LogRecord = defineMessage('LogRecord', {
  timeUnixNano: { number: 1, type: 'fixed64' },
  severityNumber: { number: 2, type: 'enum' },
  severityText: { number: 3, type: 'string' },
  body: { number: 5, type: 'message', message: (): MessageSpec => AnyValue },
  attributes: { number: 6, type: 'message', repeated: true, message: (): MessageSpec => KeyValue },
  droppedAttributesCount: { number: 7, type: 'uint32' },
  flags: { number: 8, type: 'fixed32' },
  traceId: { number: 9, type: 'bytes' },
  spanId: { number: 10, type: 'bytes' },
  observedTimeUnixNano: { number: 11, type: 'fixed64' },
  eventName: { number: 12, type: 'string' },
});

/** SeverityNumber: four numbers per level, 1–4 TRACE … 21–24 FATAL; the first of each level here. */
export const SEVERITY = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21, MAX: 24 } as const;

/** SeverityNumber names by number (SEVERITY_NUMBER_UNSPECIFIED, SEVERITY_NUMBER_TRACE, …_TRACE2 … _FATAL4). */
export const SEVERITY_NUMBER_NAMES: readonly string[] = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level) => ['', '2', '3', '4'].map((n) => `SEVERITY_NUMBER_${level}${n}`)),
];

/** Tags of the logs messages, for switches. */
export const LOGS_DATA = LogsData.tag;
export const RESOURCE_LOGS = ResourceLogs.tag;
export const SCOPE_LOGS = ScopeLogs.tag;
export const LOG_RECORD = LogRecord.tag;
