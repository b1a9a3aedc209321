/** The real OpenTelemetry JS logs SDK pointed at tracebox, over each OTLP protocol. */
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { Endpoints, Protocol } from './sdk.ts';

export function createLogExporter(protocol: Protocol, tb: Endpoints, headers?: Record<string, string>): LogRecordExporter {
  const common = { timeoutMillis: 10_000, ...(headers === undefined ? {} : { headers }) };
  switch (protocol) {
    case 'grpc':
      return new GrpcLogExporter({ url: tb.otlpGrpcUrl, timeoutMillis: 10_000 });
    case 'http/protobuf':
      return new ProtoLogExporter({ url: `${tb.otlpHttpUrl}/v1/logs`, ...common });
    case 'http/json':
      return new HttpJsonLogExporter({ url: `${tb.otlpHttpUrl}/v1/logs`, ...common });
  }
}

/** A logger provider exporting each record as it is emitted; `shutdown()` flushes. */
export function createLoggerProvider(protocol: Protocol, tb: Endpoints, resource: Record<string, string>, headers?: Record<string, string>): LoggerProvider {
  return new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter: createLogExporter(protocol, tb, headers) })],
  });
}
