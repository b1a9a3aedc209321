// A tiny service instrumented with the OpenTelemetry SDK: it handles one pretend checkout
// request as a trace of nested spans (one of which fails) with log records inside them,
// exports both over OTLP/HTTP (protobuf), prints the trace id, and exits.
//
//   node examples/app.js [--fail]
//
// OTEL_EXPORTER_OTLP_ENDPOINT   where to send spans (default http://localhost:4318)
// OTEL_SERVICE_NAME             service.name of the spans (default tracebox-example)
// OTEL_RESOURCE_ATTRIBUTES      more resource attributes, k=v,k2=v2
//
// Exit status: 0 once the spans are exported; 1 with --fail (after exporting, so a
// failing command's spans are stored too); 2 when the export itself failed.
// It uses the SDK packages the repository has as devDependencies (run `npm install` first).
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const fail = process.argv.slice(2).includes('--fail');

// The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_EXPORTER_OTLP_* variables) itself.
const exporter = new OTLPTraceExporter();
let exportError;
const checkedExporter = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      if (result.error !== undefined || result.code !== 0) exportError ??= result.error ?? new Error('export failed');
      done(result);
    });
  },
  forceFlush: () => exporter.forceFlush(),
  shutdown: () => exporter.shutdown(),
};

// envDetector reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; they win over the default name.
const resource = resourceFromAttributes({ 'service.name': 'tracebox-example' }).merge(detectResources({ detectors: [envDetector] }));
const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(checkedExporter)] });
const tracer = provider.getTracer('tracebox-example', '1.0.0');
// Log records go to the same endpoint (/v1/logs); emitted with a span's context, they carry its ids.
const loggers = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })] });
const logger = loggers.getLogger('tracebox-example', '1.0.0');
const log = (span, severityNumber, severityText, body, attributes) =>
  logger.emit({ context: trace.setSpan(context.active(), span), severityNumber, severityText, body, attributes });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` in a span that is a child of `parent` (no context manager is registered, so parents are explicit). */
async function inSpan(parent, name, options, work) {
  const span = tracer.startSpan(name, options, parent === undefined ? context.active() : trace.setSpan(context.active(), parent));
  try {
    return await work(span);
  } catch (err) {
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    return undefined;
  } finally {
    span.end();
  }
}

const traceId = await inSpan(
  undefined,
  'POST /checkout',
  { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': '/checkout', 'http.route': '/checkout' } },
  async (root) => {
    log(root, SeverityNumber.INFO, 'INFO', 'checkout started', { 'cart.id': 'c-42' });
    await inSpan(root, 'load cart', {}, async (span) => {
      await inSpan(
        span,
        'SELECT carts',
        { kind: SpanKind.CLIENT, attributes: { 'db.system': 'sqlite', 'db.query.text': 'SELECT * FROM carts WHERE id = ?' } },
        () => sleep(3),
      );
      span.setAttribute('cart.items', 3);
    });
    await inSpan(
      root,
      'charge card',
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'server.address': 'payments.example' } },
      async (span) => {
        await sleep(5);
        span.setAttribute('http.response.status_code', 402);
        log(span, SeverityNumber.ERROR, 'ERROR', 'payment failed: card declined', { 'payment.provider': 'payments.example' });
        throw new Error('card declined');
      },
    );
    await inSpan(root, 'render receipt', {}, () => sleep(1));
    root.setAttribute('http.response.status_code', 402);
    return root.spanContext().traceId;
  },
);

try {
  await provider.forceFlush();
  await provider.shutdown();
  await loggers.shutdown();
} catch (err) {
  exportError ??= err; // the batch processor rejects with an array of errors
}
if (exportError !== undefined) {
  const first = [exportError].flat()[0];
  process.stderr.write(`example app: could not export spans: ${first?.message ?? String(first)}\n`);
  process.exit(2);
}
process.stdout.write(`example app: exported 5 spans and 2 log records in trace ${traceId}\n`);
process.exit(fail ? 1 : 0);
