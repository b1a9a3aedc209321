/**
 * Log records beside spans for the viewer's tests: a failed checkout traced with the
 * OpenTelemetry JS SDK and logged with its logs SDK (records inside its spans, explicit
 * times), plus a record outside any trace. Both exported over OTLP/HTTP protobuf.
 */
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface LoggedTrace {
  readonly traceId: string;
  readonly rootSpanId: string;
  /** The failed charge call, holding the error record. */
  readonly chargeSpanId: string;
  /** The error record's body. */
  readonly errorText: string;
}

export async function sendLoggedErrorTrace(otlpHttpUrl: string, now = Date.now()): Promise<LoggedTrace> {
  const resource = resourceFromAttributes({ 'service.name': 'billing', 'deployment.environment': 'dev' });
  const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${otlpHttpUrl}/v1/traces` }))] });
  const loggers = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${otlpHttpUrl}/v1/logs` }) })] });
  const t = tracer.getTracer('billing');
  const log = loggers.getLogger('billing', '2.0.1');
  const t0 = now - 60_000;
  const root = t.startSpan('POST /invoices', { kind: SpanKind.SERVER, startTime: t0, attributes: { 'http.route': '/invoices' } });
  const inRoot = trace.setSpan(context.active(), root);
  const charge = t.startSpan('POST /charge', { kind: SpanKind.CLIENT, startTime: t0 + 20 }, inRoot);
  const inCharge = trace.setSpan(context.active(), charge);
  const errorText = 'payment declined for order o-991: card expired';
  log.emit({ context: inRoot, timestamp: t0 + 2, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'invoice started for cart c-77', attributes: { 'cart.id': 'c-77' } });
  log.emit({ context: inRoot, timestamp: t0 + 10, severityNumber: SeverityNumber.DEBUG, severityText: 'DEBUG', body: 'tax rules loaded' });
  log.emit({ context: inCharge, timestamp: t0 + 60, severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'charge slow, retrying once' });
  log.emit({ context: inCharge, timestamp: t0 + 140, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: errorText, attributes: { 'order.id': 'o-991' } });
  log.emit({ timestamp: t0 + 500, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'cache warmed outside any request' });
  charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card expired' });
  charge.end(t0 + 150);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  root.end(t0 + 170);
  await tracer.shutdown();
  await loggers.shutdown();
  return { traceId: root.spanContext().traceId, rootSpanId: root.spanContext().spanId, chargeSpanId: charge.spanContext().spanId, errorText };
}
