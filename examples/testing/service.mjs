// A tiny instrumented service for the examples. It is configured only through OTEL_*
// variables (as a test's child process gets them from `tb.session().env()`), handles one
// pretend request as a server span with a database call beneath it, exports the spans
// over OTLP/HTTP and exits. `--fail` makes the request fail (status error, HTTP 500).
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector } from '@opentelemetry/resources';

const fail = process.argv.includes('--fail');

const provider = new BasicTracerProvider({
  // envDetector reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the test session's id).
  resource: detectResources({ detectors: [envDetector] }),
  // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS itself.
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
const tracer = provider.getTracer('example-service', '1.0.0');

const request = tracer.startSpan('POST /cart', {
  kind: SpanKind.SERVER,
  attributes: { 'http.route': '/cart', 'http.status_code': fail ? 500 : 200 },
});
// No context manager is registered, so the parent is passed explicitly.
const query = tracer.startSpan(
  'SELECT carts',
  { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM carts WHERE id = $1' } },
  trace.setSpan(context.active(), request),
);
query.end();
if (fail) request.setStatus({ code: SpanStatusCode.ERROR, message: 'cart service unavailable' });
request.end();

// Export before exiting: spans still in the batch would be lost.
await provider.shutdown();
process.exit(fail ? 1 : 0);
