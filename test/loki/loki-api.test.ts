/**
 * Grafana's Loki data source against tracebox: records sent by the real OpenTelemetry JS
 * logs SDK (inside and outside spans) read back through the Loki API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { createLoggerProvider } from '../helpers/logs-sdk.ts';
import { PROTOCOLS } from '../helpers/sdk.ts';

let tb: TestTracebox;
const run = `r${Date.now()}`;
let traceId = '';
let spanId = '';
const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
let endNs = 0n;

interface StreamsData {
  resultType: string;
  result: { stream: Record<string, string>; values: [string, string, { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }?][] }[];
  encodingFlags?: string[];
}

async function get(path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${tb.apiUrl}${path}?${new URLSearchParams(params)}`, { headers });
}

async function queryRange(query: string, extra: Record<string, string> = {}, categorize = false): Promise<StreamsData> {
  const res = await get('/loki/api/v1/query_range', { query, start: String(startNs), end: String(endNs), limit: '1000', ...extra },
    categorize ? { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } : {});
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { status: string; data: StreamsData };
  assert.equal(body.status, 'success');
  return body.data;
}

const lines = (d: StreamsData): string[] => d.result.flatMap((s) => s.values.map((v) => v[1])).sort();

before(async () => {
  tb = await startTestTracebox();
  const exporter = (service: string): LoggerProvider =>
    new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'dev', 'service.version': '1.2.3' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${tb.otlpHttpUrl}/v1/logs` }) })],
    });
  const shopA = exporter(`shop-a-${run}`);
  const shopB = exporter(`shop-b-${run}`);
  const logA = shopA.getLogger('checkout', '0.1.0');
  const logB = shopB.getLogger('cart');
  const tracer = new BasicTracerProvider().getTracer('test');
  const span = tracer.startSpan('POST /checkout');
  traceId = span.spanContext().traceId;
  spanId = span.spanContext().spanId;
  // Inside the span: the SDK takes the trace and span ids from the record's context.
  const inSpan = trace.setSpan(context.active(), span);
  logA.emit({ body: 'payment declined for order 9: insufficient funds', severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', attributes: { 'order.id': `${run}-9`, 'exception.type': 'CardError' }, context: inSpan });
  logA.emit({ body: 'charging card for order 9', severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { 'order.id': `${run}-9` }, context: inSpan });
  span.end();
  logA.emit({ body: 'checkout service started', severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
  logA.emit({ body: 'order 12-34: retrying', severityNumber: SeverityNumber.WARN, severityText: 'WARN', attributes: { 'order.id': `${run}-12` } });
  logB.emit({ body: { event: 'cart.updated', items: 3, run }, severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
  await shopA.forceFlush();
  await shopB.forceFlush();
  await shopA.shutdown();
  await shopB.shutdown();
  endNs = BigInt(Date.now() + 60_000) * 1_000_000n;
});

after(async () => {
  await tb.close();
});

test('a service selector returns every record, with nanosecond timestamps as strings', async () => {
  const d = await queryRange(`{service_name="shop-a-${run}"}`);
  assert.equal(d.resultType, 'streams');
  assert.deepEqual(lines(d), ['charging card for order 9', 'checkout service started', 'order 12-34: retrying', 'payment declined for order 9: insufficient funds']);
  for (const s of d.result) {
    for (const [ts] of s.values) {
      assert.equal(typeof ts, 'string');
      assert.match(ts, /^\d{19}$/);
    }
    // Without categorize-labels, a stream holds the index labels and every structured metadata value.
    assert.equal(s.stream.service_name, `shop-a-${run}`);
    assert.equal(s.stream.deployment_environment, 'dev');
    assert.equal(s.stream.service_version, '1.2.3');
    assert.equal(s.stream.scope_name, 'checkout');
  }
  const both = await queryRange(`{service_name=~"shop-.-${run}"}`, { direction: 'forward' });
  assert.equal(lines(both).length, 5);
  const times = both.result.flatMap((s) => s.values.map((v) => BigInt(v[0])));
  assert.ok(times.every((t) => t >= startNs && t <= endNs));
  for (const s of both.result) assert.deepEqual(s.values.map((v) => BigInt(v[0])), s.values.map((v) => BigInt(v[0])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'forward: oldest first');
  // backward (the default) with a limit: the newest records.
  const newest = await queryRange(`{service_name="shop-a-${run}"}`, { limit: '2' });
  assert.deepEqual(lines(newest), ['checkout service started', 'order 12-34: retrying']);
  const rfc = await queryRange(`{service_name="shop-b-${run}"}`, { start: new Date(Number(startNs / 1_000_000n)).toISOString(), end: String(Number(endNs / 1_000_000n) / 1000) });
  assert.equal(lines(rfc).length, 1, 'RFC 3339 and fractional seconds');
});

test('line filters select exactly', async () => {
  const sel = `{service_name="shop-a-${run}"}`;
  assert.deepEqual(lines(await queryRange(`${sel} |= "declined"`)), ['payment declined for order 9: insufficient funds']);
  assert.deepEqual(lines(await queryRange(`${sel} != "order"`)), ['checkout service started']);
  assert.deepEqual(lines(await queryRange(`${sel} |~ "order [0-9]+-[0-9]+: retry"`)), ['order 12-34: retrying']);
  assert.deepEqual(lines(await queryRange(`${sel} |= "order" != "9"`)), ['order 12-34: retrying']);
  assert.deepEqual(lines(await queryRange(`${sel} |= "Declined"`)), [], 'line filters are case-sensitive');
  // Whole words inside the text go through the word index too; the answer is the same.
  assert.deepEqual(lines(await queryRange(`${sel} |= "payment declined for"`)), ['payment declined for order 9: insufficient funds']);
  assert.deepEqual(lines(await queryRange(`${sel} |= "ing card for ord"`)), ['charging card for order 9']);
  assert.deepEqual(lines(await queryRange(`${sel} |= "PAYMENT declined for"`)), []);
});

test('structured metadata filters: trace_id, span_id, severity_text, a record attribute', async () => {
  const sel = `{service_name=~"shop-.-${run}"}`;
  const inSpan = ['charging card for order 9', 'payment declined for order 9: insufficient funds'];
  assert.deepEqual(lines(await queryRange(`${sel} | trace_id="${traceId}"`)), inSpan);
  assert.deepEqual(lines(await queryRange(`${sel} | span_id="${spanId}"`)), inSpan);
  assert.deepEqual(lines(await queryRange(`${sel} | trace_id="${traceId.toUpperCase()}"`)), [], 'ids are lower-case hex');
  assert.deepEqual(lines(await queryRange(`${sel} | severity_text="ERROR"`)), ['payment declined for order 9: insufficient funds']);
  assert.deepEqual(lines(await queryRange(`${sel} | order_id="${run}-12"`)), ['order 12-34: retrying']);
  assert.deepEqual(lines(await queryRange(`${sel} | severity_number >= 13`)), ['order 12-34: retrying', 'payment declined for order 9: insufficient funds']);
  assert.deepEqual(lines(await queryRange(`${sel} | detected_level="warn"`)), ['order 12-34: retrying']);
});

test('categorize-labels: index labels as the stream, structured metadata and parsed labels per value', async () => {
  const d = await queryRange(`{service_name="shop-a-${run}"} | trace_id="${traceId}" | severity_text="ERROR"`, {}, true);
  assert.deepEqual(d.encodingFlags, ['categorize-labels']);
  assert.equal(d.result.length, 1);
  assert.deepEqual(d.result[0].stream, { service_name: `shop-a-${run}`, deployment_environment: 'dev' });
  const [, line, extra] = d.result[0].values[0];
  assert.equal(line, 'payment declined for order 9: insufficient funds');
  const md = extra?.structuredMetadata ?? {};
  assert.equal(md.trace_id, traceId);
  assert.equal(md.span_id, spanId);
  assert.equal(md.severity_text, 'ERROR');
  assert.equal(md.severity_number, '17');
  assert.equal(md.detected_level, 'error');
  assert.equal(md.order_id, `${run}-9`);
  assert.equal(md.exception_type, 'CardError');
  assert.equal(md.service_version, '1.2.3');
  assert.equal(md.scope_name, 'checkout');
  assert.equal(md.scope_version, '0.1.0');
  assert.match(md.observed_timestamp ?? '', /^\d{19}$/);
  assert.equal(extra?.parsed, undefined);
  // Flags are echoed as given, an unknown one included; without categorize-labels, values stay pairs.
  const res = await get('/loki/api/v1/query_range', { query: `{service_name="shop-a-${run}"} |= "declined"`, start: String(startNs), end: String(endNs) }, { 'X-Loki-Response-Encoding-Flags': 'other-flag' });
  const other = (await res.json()) as { data: StreamsData };
  assert.deepEqual(other.data.encodingFlags, ['other-flag']);
  assert.equal(other.data.result[0].values[0].length, 2);
});

test('a map body is a JSON line, and | json reads it', async () => {
  const sel = `{service_name="shop-b-${run}"}`;
  assert.deepEqual(lines(await queryRange(sel)), [`{"event":"cart.updated","items":3,"run":"${run}"}`]);
  const parsed = await queryRange(`${sel} | json | event="cart.updated" | items > 2`, {}, true);
  assert.deepEqual(parsed.result[0].values[0][2]?.parsed, { event: 'cart.updated', items: '3', run });
  assert.deepEqual(lines(await queryRange(`${sel} | json | items > 3`)), []);
});

test('metric queries count the records', async () => {
  const res = await get('/loki/api/v1/query_range', {
    query: `sum by (service_name) (count_over_time({service_name=~"shop-.-${run}"}[1h]))`,
    start: String(endNs), end: String(endNs), step: '60s',
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } };
  assert.equal(body.data.resultType, 'matrix');
  assert.deepEqual(body.data.result.map((s) => [s.metric.service_name, s.values.map((v) => v[1])]), [
    [`shop-a-${run}`, ['4']], [`shop-b-${run}`, ['1']],
  ]);
  const instant = await get('/loki/api/v1/query', { query: `sum by (detected_level) (count_over_time({service_name="shop-a-${run}"}[1h]))`, time: String(endNs) });
  const iv = (await instant.json()) as { data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.equal(iv.data.resultType, 'vector');
  assert.deepEqual(iv.data.result.map((s) => [s.metric.detected_level, s.value[1]]), [['error', '1'], ['info', '2'], ['warn', '1']]);
  assert.equal(iv.data.result[0].value[0], Number(endNs / 1_000_000n) / 1000);
  // The shape Grafana's log-volume histogram asks for, counted in SQL, equals the general path.
  const params = { start: String(startNs), end: String(endNs), step: '60000ms' };
  const volume = await get('/loki/api/v1/query_range', { query: `sum by (level, detected_level) (count_over_time({service_name="shop-a-${run}"} | drop __error__[1m]))`, ...params });
  const general = await get('/loki/api/v1/query_range', { query: `sum by (level, detected_level) (count_over_time({service_name="shop-a-${run}"} |= "" [1m]))`, ...params });
  const v = (await volume.json()) as { data: { result: unknown[] } };
  const g = (await general.json()) as { data: { result: unknown[] } };
  assert.deepEqual(v.data.result, g.data.result);
  assert.equal(v.data.result.length, 3);
});

test('metric queries answered from SQL counts equal the record-by-record evaluation', async () => {
  // `|= ""` keeps every line but is not a filter the store applies, so it forces reading the records one by one.
  const sel = `{service_name=~"shop-.-${run}"}`;
  const shapes = [
    (f: string) => `sum by (level, detected_level) (count_over_time(${sel}${f} | drop __error__[1m]))`,
    (f: string) => `sum by (detected_level, service_name) (count_over_time(${sel}${f} | severity_text="ERROR" or severity_number < 10 [5m]))`,
    (f: string) => `sum(rate(${sel}${f} |= "order" != "12" [2m]))`,
    (f: string) => `sum by (severity_text) (bytes_over_time(${sel}${f} | detected_level=~"info|warn" [3m]))`,
    (f: string) => `sum without () (count_over_time(${sel}${f}[1m]))`,
  ];
  for (const shape of shapes) {
    for (const [path, extra] of [
      ['/loki/api/v1/query_range', { start: String(startNs), end: String(endNs), step: '60s' }],
      ['/loki/api/v1/query', { time: String(endNs - 60_000_000_000n) }],
    ] as const) {
      const fast = await get(path, { query: shape(''), ...extra });
      const slow = await get(path, { query: shape(' |= ""'), ...extra });
      assert.equal(fast.status, 200, shape(''));
      const f = (await fast.json()) as { data: { result: unknown[] } };
      const s = (await slow.json()) as { data: { result: unknown[] } };
      assert.ok(f.data.result.length > 0, shape(''));
      assert.deepEqual(f.data.result, s.data.result, `${path} ${shape('')}`);
    }
  }
});

test('the health check Grafana runs: vector(1)+vector(1)', async () => {
  const res = await get('/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: '4000000000' });
  const body = (await res.json()) as { status: string; data: { resultType: string; result: unknown } };
  assert.equal(body.status, 'success');
  assert.deepEqual([body.data.resultType, body.data.result], ['vector', [{ metric: {}, value: [4000000000, '2'] }]], 'ten digits or fewer are seconds, as Loki reads them');
});

test('labels, label values, series, detected labels and fields list what was sent', async () => {
  const window = { start: String(startNs), end: String(endNs) };
  const labels = (await (await get('/loki/api/v1/labels', window)).json()) as { status: string; data: string[] };
  assert.deepEqual(labels, { status: 'success', data: ['deployment_environment', 'service_name'] });
  const values = (await (await get('/loki/api/v1/label/service_name/values', window)).json()) as { data: string[] };
  assert.deepEqual(values.data.filter((v) => v.endsWith(run)), [`shop-a-${run}`, `shop-b-${run}`]);
  const scoped = (await (await get('/loki/api/v1/label/service_name/values', { ...window, query: `{service_name=~".+-b-${run}"}` })).json()) as { data: string[] };
  assert.deepEqual(scoped.data, [`shop-b-${run}`]);
  const series = (await (await get('/loki/api/v1/series', { ...window, 'match[]': `{service_name="shop-a-${run}"}` })).json()) as { data: unknown[] };
  assert.deepEqual(series.data, [{ service_name: `shop-a-${run}`, deployment_environment: 'dev' }]);
  const detected = (await (await get('/loki/api/v1/detected_labels', { ...window, query: `{service_name=~"shop-.-${run}"}` })).json()) as { detectedLabels: { label: string; cardinality: number }[] };
  assert.deepEqual(detected.detectedLabels, [{ label: 'deployment_environment', cardinality: 1 }, { label: 'service_name', cardinality: 2 }]);
  const fields = (await (await get('/loki/api/v1/detected_fields', { ...window, query: `{service_name=~"shop-.-${run}"}` })).json()) as { fields: { label: string; type: string; cardinality: number; parsers: string[] | null }[] };
  const byName = new Map(fields.fields.map((f) => [f.label, f]));
  assert.deepEqual(byName.get('trace_id'), { label: 'trace_id', type: 'string', cardinality: 1, parsers: null });
  assert.deepEqual(byName.get('event'), { label: 'event', type: 'string', cardinality: 1, parsers: ['json'] });
  assert.deepEqual(byName.get('items'), { label: 'items', type: 'int', cardinality: 1, parsers: ['json'] });
  const stats = (await (await get('/loki/api/v1/index/stats', { ...window, query: `{service_name="shop-a-${run}"}` })).json()) as Record<string, number>;
  assert.deepEqual({ streams: stats.streams, entries: stats.entries }, { streams: 1, entries: 4 });
  const volume = (await (await get('/loki/api/v1/index/volume', { ...window, query: `{service_name=~"shop-.-${run}"}` })).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.deepEqual(volume.data.result.map((r) => r.metric.service_name).sort(), [`shop-a-${run}`, `shop-b-${run}`]);
});

test('a malformed or unsupported query is a 400 with a plain-text message', async () => {
  const bad = await get('/loki/api/v1/query_range', { query: '{service_name=' });
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(await bad.text(), 'parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING');
  const unsupported = await get('/loki/api/v1/query_range', { query: '{service_name="x"} | regexp "(?P<a>.*)"' });
  assert.equal(unsupported.status, 400);
  assert.match(await unsupported.text(), /^\| regexp is not supported by tracebox's LogQL subset; supported: /);
  const limit = await get('/loki/api/v1/query_range', { query: '{service_name="x"}', limit: '10000' });
  assert.equal(limit.status, 400);
  assert.equal(await limit.text(), 'max entries limit per query exceeded, limit > max_entries_limit (10000 > 5000)');
});

test('records sent over each OTLP protocol read back the same', async () => {
  const tracer = new BasicTracerProvider().getTracer('test');
  for (const protocol of PROTOCOLS) {
    const service = `proto-${protocol.replace('/', '-')}-${run}`;
    const provider = createLoggerProvider(protocol, tb, { 'service.name': service });
    const logger = provider.getLogger('p');
    const span = tracer.startSpan('work');
    logger.emit({ body: 'inside the span', severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', context: trace.setSpan(context.active(), span) });
    logger.emit({ body: { outside: true, n: 1.5 }, severityNumber: SeverityNumber.DEBUG, attributes: { 'order.id': 'o-1' } });
    span.end();
    await provider.shutdown();
    const sel = `{service_name="${service}"}`;
    assert.deepEqual(lines(await queryRange(sel)), ['inside the span', '{"n":1.5,"outside":true}'], protocol);
    assert.deepEqual(lines(await queryRange(`${sel} | trace_id="${span.spanContext().traceId}" | span_id="${span.spanContext().spanId}"`)), ['inside the span'], protocol);
    assert.deepEqual(lines(await queryRange(`${sel} | order_id="o-1" | detected_level="debug"`)), ['{"n":1.5,"outside":true}'], protocol);
  }
});

test('records sharing one timestamp are read across pages once each', async () => {
  const service = `same-time-${run}`;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${tb.otlpHttpUrl}/v1/logs` }), maxExportBatchSize: 512 })],
  });
  const logger = provider.getLogger('burst');
  const at = Date.now();
  for (let i = 0; i < 700; i++) logger.emit({ body: `burst ${i}`, timestamp: at, severityNumber: SeverityNumber.INFO });
  await provider.shutdown();
  const sel = `{service_name="${service}"}`;
  for (const direction of ['backward', 'forward']) {
    const all = lines(await queryRange(`${sel} != "burst 7"`, { direction, limit: '5000' }));
    const expected = Array.from({ length: 700 }, (_, i) => `burst ${i}`).filter((l) => !l.includes('burst 7')).sort();
    assert.deepEqual(all, expected, direction);
    const some = lines(await queryRange(`${sel} | severity_text=""`, { direction, limit: '300' }));
    assert.equal(new Set(some).size, 300, direction);
  }
});
