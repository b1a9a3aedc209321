/**
 * The MCP log tools, driven by the official MCP client, over records the OpenTelemetry
 * logs SDK sent: a child process's request with records inside its span and one outside,
 * and a chatty service whose records are far more than one answer holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { createLogExporter } from './helpers/logs-sdk.ts';
import { startTracebox, type TestTracebox } from '../src/testing/index.ts';

const LOG_SERVICE = fileURLToPath(new URL('./fixtures/log-service.mjs', import.meta.url));

function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
}

function textOf(r: CallToolResult): string {
  const [item] = r.content;
  assert.equal(item.type, 'text');
  return (item as { text: string }).text;
}

describe('MCP log tools', () => {
  let tb: TestTracebox;
  let client: Client;
  let traceId: string;
  let spanId: string;

  before(async () => {
    tb = await startTracebox();
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [LOG_SERVICE], { env: { ...process.env, ...tb.env(), OTEL_SERVICE_NAME: 'pay' }, stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? -1));
    });
    assert.equal(code, 0);
    [{ traceId, spanId }] = await tb.waitForSpans({ service: 'pay', name: 'POST /pay' });
    await tb.waitForLogs({ service: 'pay' }, { count: 3 });
    // One batch: a record per export would pass the exporter's limit of concurrent exports.
    const chatty = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'chatty' }),
      processors: [new BatchLogRecordProcessor({ exporter: createLogExporter('http/protobuf', tb), maxExportBatchSize: 512 })],
    });
    const logger = chatty.getLogger('chatty');
    for (let i = 0; i < 300; i++) logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `polling queue ${i}: ${'x'.repeat(60)}`, attributes: { 'poll.n': String(i) } });
    await chatty.shutdown();
    await tb.waitForLogs({ service: 'chatty' }, { count: 300 });
    client = new Client({ name: 'tracebox-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${tb.apiUrl}/mcp`)));
  });
  after(async () => {
    await client?.close();
    await tb?.close();
  });

  test('get_logs: the records of a trace in time order, placed on their span', async () => {
    const r = await call(client, 'get_logs', { traceId });
    const lines = textOf(r).split('\n');
    assert.equal(lines[0], `2 log record(s) of trace ${traceId}, oldest first:`);
    assert.match(lines[1], new RegExp(`^\\+\\S+ \\S+ INFO pay: cart loaded with 3 items {2}cart\\.items="3" {2}in pay: POST /pay #${spanId}$`));
    assert.match(lines[2], /ERROR pay: payment declined for order 42 {2}order\.id="42"/);
    const s = r.structuredContent as { total: number; complete: boolean; records: Array<{ severity: string; spanName?: string; spanId: string }> };
    assert.equal(s.total, 2);
    assert.equal(s.complete, true);
    assert.deepEqual(s.records.map((x) => [x.severity, x.spanName, x.spanId]), [
      ['INFO', 'POST /pay', spanId],
      ['ERROR', 'POST /pay', spanId],
    ]);
    const errors = await call(client, 'get_logs', { traceId, spanId, minSeverity: 'ERROR' });
    assert.equal((errors.structuredContent as { total: number }).total, 1);
    assert.match(textOf(errors), new RegExp(`^1 log record\\(s\\) of span ${spanId} of trace ${traceId}`));
    const none = await call(client, 'get_logs', { traceId: 'f'.repeat(32) });
    assert.match(textOf(none), /^No log records of trace f{32}\.$/);
    const bad = await call(client, 'get_logs', { traceId, spanId: 'nope' });
    assert.equal(bad.isError, true);
  });

  test('search_logs: by words, severity, service and attribute, newest first, each with its trace', async () => {
    const r = await call(client, 'search_logs', { text: 'payment declined' });
    const text = textOf(r);
    assert.match(text, new RegExp(`ERROR pay: payment declined for order 42 {2}order\\.id="42" {2}trace ${traceId} span ${spanId}`));
    assert.deepEqual((r.structuredContent as { more: boolean }).more, false);
    const warn = await call(client, 'search_logs', { minSeverity: 'WARN', service: 'pay' });
    assert.deepEqual((warn.structuredContent as { records: Array<{ body: string }> }).records.map((x) => x.body), ['payment declined for order 42', 'slow start: cache cold']);
    const attr = await call(client, 'search_logs', { attribute: 'poll.n=7' });
    assert.deepEqual((attr.structuredContent as { records: Array<{ body: string }> }).records.map((x) => x.body.slice(0, 15)), ['polling queue 7']);
  });

  test('both are bounded and say when they left records out', async () => {
    const many = await call(client, 'search_logs', { service: 'chatty', limit: 200 });
    const s = many.structuredContent as { more: boolean; records: unknown[] };
    assert.equal(s.more, true);
    assert.ok(s.records.length < 200, `${s.records.length} records shown`);
    assert.ok(textOf(many).length < 5000);
    assert.match(textOf(many), /more record\(s\) not shown/);
    const limited = await call(client, 'search_logs', { service: 'chatty', limit: 5 });
    assert.equal((limited.structuredContent as { records: unknown[] }).records.length, 5);
    assert.match(textOf(limited), /More records match/);
    const first = await call(client, 'get_logs', { traceId, limit: 1 });
    assert.equal((first.structuredContent as { complete: boolean }).complete, false);
    assert.match(textOf(first), /… 1 more record\(s\) not shown/);
  });
});
