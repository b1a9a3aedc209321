/** The OTLP wire schema: a module per message family (common.ts: shared messages and the field walk; trace.ts: spans; logs.ts: log records). */
export * from './common.ts';
export * from './trace.ts';
export * from './logs.ts';
