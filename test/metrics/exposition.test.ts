/**
 * Exposure of the derived metrics: GET /metrics through a strict text-format parser,
 * remote write into a receiver that decodes snappy + the protobuf WriteRequest, the
 * viewer's service-graph JSON, and the flags.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import protobuf from 'protobufjs';
import { parseCommandLine } from '../../src/config.ts';
import { snappyCompress } from '../../src/metrics/index.ts';
import { PROTO_DIR } from '../helpers/proto.ts';
import { get, postTraces } from '../helpers/http.ts';
import { startTestTracebox, type TestTracebox } from '../helpers/tracebox.ts';
import { parsePrometheusText, snappyDecode, type Sample } from './prom-text.ts';
import { T0, WORKLOAD, exportRequest } from './workload.ts';

const remote = protobuf.loadSync(path.join(PROTO_DIR, 'prometheus/remote.proto'));
const WriteRequest = remote.lookupType('prometheus.WriteRequest');

interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: string }[];
}

interface Received {
  headers: http.IncomingHttpHeaders;
  series: DecodedSeries[];
}

function find(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

function labelsOf(ts: DecodedSeries): Record<string, string> {
  return Object.fromEntries(ts.labels.map((l) => [l.name, l.value]));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /metrics, remote write and the service-graph API', () => {
  let tb: TestTracebox;
  let receiver: http.Server;
  const received: Received[] = [];

  before(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = snappyDecode(Buffer.concat(chunks));
        const msg = WriteRequest.toObject(WriteRequest.decode(body), { longs: String, defaults: true }) as { timeseries: DecodedSeries[] };
        received.push({ headers: req.headers, series: msg.timeseries });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`;
    tb = await startTestTracebox({ remoteWrite: { url, intervalMs: 100 } });
    const res = await postTraces(tb.otlpHttpUrl, exportRequest(WORKLOAD));
    assert.equal(res.status, 200);
  });

  after(async () => {
    await tb.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  test('/metrics parses as Prometheus text and carries derived and own metrics', async () => {
    const res = await get(`${tb.apiUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheusText(res.body.toString('utf8'));
    assert.equal(types.get('traces_service_graph_request_total'), 'counter');
    assert.equal(types.get('traces_service_graph_request_server_seconds'), 'histogram');
    assert.equal(types.get('traces_spanmetrics_latency'), 'histogram');
    assert.equal(types.get('process_resident_memory_bytes'), 'gauge');
    const gw = { client: 'gateway', server: 'orders' };
    assert.equal(find(samples, 'traces_service_graph_request_total', gw), 2);
    assert.equal(find(samples, 'traces_service_graph_request_failed_total', gw), 1);
    assert.equal(find(samples, 'traces_service_graph_request_server_seconds_bucket', { ...gw, le: '0.4' }), 1);
    assert.equal(find(samples, 'traces_service_graph_request_server_seconds_bucket', { ...gw, le: '3.2' }), 2);
    assert.equal(find(samples, 'traces_service_graph_request_server_seconds_bucket', { ...gw, le: '+Inf' }), 2);
    assert.equal(find(samples, 'traces_service_graph_request_server_seconds_sum', gw), 2.55);
    assert.equal(find(samples, 'traces_service_graph_request_total', { client: 'orders', server: 'pg-primary', connection_type: 'database' }), 1);
    const charge = { service: 'payments', span_name: 'POST /charge', span_kind: 'SPAN_KIND_CLIENT', status_code: 'STATUS_CODE_ERROR' };
    assert.equal(find(samples, 'traces_spanmetrics_calls_total', charge), 1);
    assert.equal(find(samples, 'traces_spanmetrics_latency_bucket', { ...charge, le: '1.024' }), 0);
    assert.equal(find(samples, 'traces_spanmetrics_latency_bucket', { ...charge, le: '2.048' }), 1);
    assert.equal(find(samples, 'tracebox_ingest_spans_stored_total', {}), WORKLOAD.length);
    assert.ok((find(samples, 'process_cpu_seconds_total', {}) ?? 0) > 0);
  });

  test('remote write: snappy protobuf with sorted labels; a new series starts with a zero', async () => {
    const gw = (ts: DecodedSeries): boolean => {
      const l = labelsOf(ts);
      return l.__name__ === 'traces_service_graph_request_total' && l.client === 'gateway' && l.server === 'orders';
    };
    const push = await until('a push with the workload', () => received.find((r) => r.series.some(gw)));
    assert.equal(push.headers['content-encoding'], 'snappy');
    assert.equal(push.headers['content-type'], 'application/x-protobuf');
    assert.equal(push.headers['x-prometheus-remote-write-version'], '0.1.0');
    for (const ts of push.series) {
      const names = ts.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort(), 'labels sorted by name');
      assert.ok(names.includes('__name__'));
    }
    const series = push.series.find(gw)!;
    assert.equal(series.samples.at(-1)!.value, 2);
    const bucket = push.series.find((ts) => {
      const l = labelsOf(ts);
      return l.__name__ === 'traces_service_graph_request_client_seconds_bucket' && l.client === 'gateway' && l.le === '+Inf';
    });
    assert.equal(bucket?.samples.at(-1)?.value, 2);

    // A series that appears later: a 0 one millisecond before its first value.
    const count = received.length;
    const trace = '0e0000000000000000000000000000e1';
    const spans = [
      { trace, id: '00000000000000f1', service: 'web', name: 'GET /', kind: 'CLIENT' as const, at: 0, ms: 10 },
      { trace, id: '00000000000000f2', parent: '00000000000000f1', service: 'api', name: 'GET /', kind: 'SERVER' as const, at: 1, ms: 8 },
    ];
    assert.equal((await postTraces(tb.otlpHttpUrl, exportRequest(spans))).status, 200);
    const webToApi = (ts: DecodedSeries): boolean => {
      const l = labelsOf(ts);
      return l.__name__ === 'traces_service_graph_request_total' && l.client === 'web' && l.server === 'api';
    };
    const later = await until('a push with web→api', () => received.slice(count).find((r) => r.series.some(webToApi)));
    const fresh = later.series.find(webToApi)!;
    assert.equal(fresh.samples.length, 2);
    assert.equal(fresh.samples[0].value, 0);
    assert.equal(BigInt(fresh.samples[1].timestamp) - BigInt(fresh.samples[0].timestamp), 1n);
    assert.equal(fresh.samples[1].value, 1);
    assert.equal(later.series.find(gw)!.samples.length, 1);
  });

  test('GET /api/service-graph gives nodes with RED and edges with rate, errors and percentiles', async () => {
    const t0 = Number(T0 / 1_000_000_000n);
    const res = await get(`${tb.apiUrl}/api/service-graph?start=${t0 - 50}&end=${t0 + 50}`);
    assert.equal(res.status, 200);
    const graph = JSON.parse(res.body.toString('utf8'));
    assert.equal(graph.start, t0 - 50);
    const e = graph.edges.find((x: { source: string; target: string }) => x.source === 'gateway' && x.target === 'orders');
    assert.equal(e.requests, 2);
    assert.equal(e.errors, 1);
    assert.equal(e.errorRate, 0.5);
    assert.equal(e.rate, 2 / 100);
    assert.equal(e.connectionType, '');
    // Server latencies 0.25 s and 2.3 s; percentiles from 2^(1/8) buckets, within 4.5%.
    assert.ok(Math.abs(e.latency.p50 - 0.25) / 0.25 < 0.045, `p50 ${e.latency.p50}`);
    assert.ok(Math.abs(e.latency.p99 - 2.3) / 2.3 < 0.045, `p99 ${e.latency.p99}`);
    assert.equal(e.latency.avg, 1.275);
    const node = (id: string) => graph.nodes.find((n: { id: string }) => n.id === id);
    assert.equal(node('orders').type, 'service');
    assert.equal(node('orders').requests, 2);
    assert.equal(node('orders').errors, 1);
    assert.equal(node('pg-primary').type, 'database');
    assert.equal(node('pg-primary').requests, 1);
    assert.equal(node('shipping').type, 'service');
    assert.equal(node('gateway').requests, 0, 'root spans become user → gateway only after the wait window');

    const bad = await get(`${tb.apiUrl}/api/service-graph?start=10&end=5`);
    assert.equal(bad.status, 400);
    assert.equal((await get(`${tb.apiUrl}/api/service-graph?start=abc`)).status, 400);
  });
});

describe('remote-write pieces', () => {
  test('snappy round-trips through an independent decoder', () => {
    const rnd = new Uint8Array(70_000).map((_, i) => (i * 2654435761) >>> 24);
    const text = Buffer.from('traces_service_graph_request_total{client="a",server="b"} '.repeat(3000));
    const runs = new Uint8Array(200_000).fill(7);
    for (const input of [new Uint8Array(0), Buffer.from('a'), rnd, text, runs, Buffer.concat([rnd, text, rnd])]) {
      const packed = snappyCompress(input);
      assert.deepEqual(Buffer.from(snappyDecode(packed)), Buffer.from(input));
    }
    assert.ok(snappyCompress(text).length < text.length / 10, 'repetitive input compresses');
  });

  test('flags', () => {
    const cmd = parseCommandLine(['--remote-write', 'http://prom:9090/api/v1/write', '--metrics-dimensions', 'http.method, deployment.environment,http.method'], {});
    assert.equal(cmd.kind, 'serve');
    if (cmd.kind !== 'serve') return;
    assert.equal(cmd.options.remoteWrite, 'http://prom:9090/api/v1/write');
    assert.deepEqual(cmd.options.metricsDimensions, ['http.method', 'deployment.environment']);
    assert.throws(() => parseCommandLine(['--remote-write', 'prom:9090'], {}), /--remote-write: expected an http\(s\) URL/);
    const env = parseCommandLine([], { TRACEBOX_REMOTE_WRITE: 'https://mimir/api/v1/push' });
    assert.equal(env.kind === 'serve' && env.options.remoteWrite, 'https://mimir/api/v1/push');
  });
});
