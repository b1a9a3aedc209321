/**
 * The OpenTelemetry JS logs SDK sends records, inside and outside spans, over OTLP/gRPC,
 * OTLP/HTTP protobuf and OTLP/HTTP JSON; GET /api/logs reads them back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLoggerProvider } from '../helpers/logs-sdk.ts';
import { createExporter, PROTOCOLS } from '../helpers/sdk.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import type { LogJson } from '../../src/api/log-routes.ts';

let tb: TestTracebox;
before(async () => {
  tb = await startTestTracebox();
});
after(() => tb?.close());

async function logs(query: Record<string, string>): Promise<{ logs: LogJson[]; more: boolean }> {
  const res = await fetch(`${tb.apiUrl}/api/logs?${new URLSearchParams(query)}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { logs: LogJson[]; more: boolean };
}

describe('the OpenTelemetry logs SDK', () => {
  for (const protocol of PROTOCOLS) {
    test(`sends records inside and outside spans over ${protocol}`, async () => {
      const service = `shop-${protocol.replace(/\W/g, '-')}`;
      const provider = createLoggerProvider(protocol, tb, { 'service.name': service, 'deployment.environment': 'dev' });
      const logger = provider.getLogger('checkout', '1.2.3');
      const tracerProvider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [new SimpleSpanProcessor(createExporter(protocol, tb))],
      });
      const span = tracerProvider.getTracer('checkout').startSpan('pay');
      const inSpan = trace.setSpan(context.active(), span);
      logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'cart has 3 items', attributes: { 'order.id': 'r1-1' } });
      logger.emit({
        context: inSpan,
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: 'payment declined for order 9: insufficient funds',
        attributes: { 'order.id': 'r1-3', 'exception.type': 'CardError' },
      });
      logger.emit({ context: inSpan, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: { event: 'cart.updated', items: 3 }, eventName: 'cart.updated' });
      span.end();
      await tracerProvider.shutdown();
      await provider.shutdown();

      const all = await logs({ service });
      assert.equal(all.logs.length, 3);
      assert.equal(all.more, false);
      const traceId = span.spanContext().traceId;
      const spanId = span.spanContext().spanId;
      const outside = all.logs.find((l) => l.body === 'cart has 3 items')!;
      assert.equal(outside.traceId, '');
      assert.equal(outside.spanId, '');
      assert.equal(outside.severityText, 'INFO');
      assert.equal(outside.attributes['order.id'], 'r1-1');
      assert.equal(outside.resource['deployment.environment'], 'dev');
      assert.deepStrictEqual(outside.scope, { name: 'checkout', version: '1.2.3' });
      assert.match(outside.timeUnixNano, /^\d{19}$/);

      const inside = await logs({ traceId });
      assert.equal(inside.logs.length, 2);
      for (const l of inside.logs) {
        assert.equal(l.traceId, traceId);
        assert.equal(l.spanId, spanId);
        assert.equal(l.traceStored, true);
        assert.equal(l.flags, 1);
      }
      const map = inside.logs.find((l) => l.bodyType === 'kvlist')!;
      assert.equal(map.body, '{"event":"cart.updated","items":3}');
      assert.equal(map.eventName, 'cart.updated');

      assert.deepStrictEqual((await logs({ spanId })).logs.map((l) => l.severityText).sort(), ['ERROR', 'INFO']);
      assert.deepStrictEqual((await logs({ service, minSeverity: 'ERROR' })).logs.map((l) => l.body), ['payment declined for order 9: insufficient funds']);
      assert.deepStrictEqual((await logs({ service, q: 'Declined insufficient' })).logs.map((l) => l.attributes['order.id']), ['r1-3']);
      assert.deepStrictEqual((await logs({ service, attr: 'order.id=r1-1' })).logs.map((l) => l.body), ['cart has 3 items']);
      assert.equal((await logs({ service, q: 'nowhere' })).logs.length, 0);
      // Newest first by default, oldest first on request.
      const forward = await logs({ service, direction: 'forward' });
      assert.deepStrictEqual(forward.logs.map((l) => l.id), [...all.logs.map((l) => l.id)].reverse());
    });
  }
});
