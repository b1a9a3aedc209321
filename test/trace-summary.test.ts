/**
 * The per-trace summary row (start, end, span and error counts, root) the writer keeps:
 * exact when a trace arrives in one request, across several requests, in one group
 * commit of several requests, with its root late, and with spans sent twice.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecoder, createIngest, finish } from '../src/otlp/index.ts';
import { nameTerm, Store } from '../src/store/index.ts';
import { encodeRequest } from './helpers/requests.ts';
import { tempDir } from './helpers/tracebox.ts';

type Json = Record<string, unknown>;

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function span(traceId: string, spanId: string, parent: string, name: string, startS: number, endS: number, error = false): Json {
  return {
    traceId: b64(traceId),
    spanId: b64(spanId),
    ...(parent === '' ? {} : { parentSpanId: b64(parent) }),
    name,
    startTimeUnixNano: String(BigInt(startS) * 1_000_000_000n),
    endTimeUnixNano: String(BigInt(endS) * 1_000_000_000n),
    ...(error ? { status: { code: 2 } } : {}),
  };
}

function request(service: string, spans: Json[]): Uint8Array {
  return encodeRequest({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] });
}

interface Summary {
  start_s: number;
  end_s: number;
  span_count: number;
  error_count: number;
  root_service: string | null;
  root_name: string | null;
}

function summary(store: Store, traceId: string): Summary | undefined {
  return store.db
    .prepare(
      `SELECT start_ns / 1000000000 AS start_s, end_ns / 1000000000 AS end_s, span_count, error_count, root_service, root_name
       FROM traces WHERE trace_id = ?`,
    )
    .get(Buffer.from(traceId, 'hex')) as Summary | undefined;
}

const T1 = '11111111111111111111111111111111';
const T2 = '22222222222222222222222222222222';
const T3 = '33333333333333333333333333333333';

describe('trace summaries', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  // Closed by the last test, which reopens the file.
  const store = Store.open({ dataDir: tmp.dir });
  const ingest = createIngest(store);
  const send = (bytes: Uint8Array): void => {
    const answer = ingest({ body: bytes, format: 'protobuf' });
    assert.equal(answer.ok, true);
  };

  test('a trace in one request, a span in it twice', () => {
    const child = span(T1, 'a000000000000002', 'a000000000000001', 'child', 102, 103, true);
    send(request('front', [span(T1, 'a000000000000001', '', 'root', 100, 110), child, child, span(T1, 'a000000000000003', 'a000000000000001', 'other', 104, 111)]));
    assert.deepEqual(summary(store, T1), { start_s: 100, end_s: 111, span_count: 3, error_count: 1, root_service: 'front', root_name: 'root' });
  });

  test('a later request: an earlier span, a span sent again, a second error', () => {
    send(request('back', [span(T1, 'a000000000000004', 'a000000000000003', 'db', 95, 96, true), span(T1, 'a000000000000002', 'a000000000000001', 'child', 102, 103, true)]));
    assert.deepEqual(summary(store, T1), { start_s: 95, end_s: 111, span_count: 4, error_count: 2, root_service: 'front', root_name: 'root' });
  });

  test('one transaction of two requests holding the same new trace', () => {
    const decoder = createDecoder();
    const first = finish(decoder.prepare({ body: request('front', [span(T2, 'b000000000000002', 'b000000000000001', 'child', 201, 202)]), format: 'protobuf' }));
    const second = finish(decoder.prepare({ body: request('front', [span(T2, 'b000000000000001', '', 'root', 200, 205), span(T2, 'b000000000000002', 'b000000000000001', 'child', 201, 202)]), format: 'protobuf' }));
    assert.deepEqual(store.write([...first.slices, ...second.slices]), [{ stored: 1, duplicates: 0 }, { stored: 1, duplicates: 1 }]);
    assert.deepEqual(summary(store, T2), { start_s: 200, end_s: 205, span_count: 2, error_count: 0, root_service: 'front', root_name: 'root' });
  });

  test('a root that arrives after its children', () => {
    send(request('worker', [span(T3, 'c000000000000002', 'c000000000000001', 'job', 301, 302)]));
    assert.deepEqual(summary(store, T3), { start_s: 301, end_s: 302, span_count: 1, error_count: 0, root_service: null, root_name: null });
    send(request('api', [span(T3, 'c000000000000001', '', 'enqueue', 300, 303)]));
    assert.deepEqual(summary(store, T3), { start_s: 300, end_s: 303, span_count: 2, error_count: 0, root_service: 'api', root_name: 'enqueue' });
  });

  test('a request of many spans, some stored before, one in it twice: each stored span keeps its own terms', () => {
    const T4 = '44444444444444444444444444444444';
    const id = (k: number): string => `d${k.toString(16).padStart(15, '0')}`;
    const each = (from: number, to: number): Json[] => Array.from({ length: to - from }, (_, j) => span(T4, id(from + j), id(0), `op-${from + j}`, 400 + from + j, 401 + from + j, (from + j) % 10 === 0));
    send(request('bulk', [span(T4, id(0), '', 'root', 399, 500), ...each(1, 11)]));
    // 80 spans: 1–10 again (a retry), 11–78 new, 40 twice.
    const again = [...each(1, 11), ...each(11, 40), ...each(40, 41), ...each(40, 79)];
    const answer = ingest({ body: request('bulk', again), format: 'protobuf' });
    assert.ok(answer.ok && answer.result.stored === 68, JSON.stringify(answer));
    assert.deepEqual(summary(store, T4), { start_s: 399, end_s: 500, span_count: 79, error_count: 7, root_service: 'bulk', root_name: 'root' });
    const byName = store.db.prepare("SELECT hex(s.span_id) FROM span_terms f JOIN spans s ON s.id = f.rowid WHERE span_terms MATCH ?").pluck();
    for (let k = 1; k < 79; k++) assert.deepEqual(byName.all(`"${nameTerm(`op-${k}`)}"`), [id(k).toUpperCase()], `op-${k}`);
  });

  test('one transaction with more new traces than the writer caches, a trace\'s spans at both ends', () => {
    const traceHex = (k: number): string => `5${k.toString(16).padStart(31, '0')}`;
    const first = span(traceHex(0), 'e000000000000001', '', 'first', 600, 601);
    const spans = [first, ...Array.from({ length: 60_000 }, (_, k) => span(traceHex(k + 1), 'e000000000000002', '', `t${k % 100}`, 600, 602))];
    spans.push(span(traceHex(0), 'e000000000000003', 'e000000000000001', 'last', 600, 603));
    const answer = ingest({ body: request('many', spans), format: 'protobuf' });
    assert.ok(answer.ok && answer.result.stored === 60_002, JSON.stringify(answer));
    assert.deepEqual(summary(store, traceHex(0)), { start_s: 600, end_s: 603, span_count: 2, error_count: 0, root_service: 'many', root_name: 'first' });
  });

  test('the same traces after a restart, and a span re-sent then', () => {
    store.close();
    const reopened = Store.open({ dataDir: tmp.dir });
    try {
      createIngest(reopened)({ body: request('front', [span(T1, 'a000000000000001', '', 'root', 100, 110)]), format: 'protobuf' });
      assert.deepEqual(summary(reopened, T1), { start_s: 95, end_s: 111, span_count: 4, error_count: 2, root_service: 'front', root_name: 'root' });
      assert.equal(reopened.db.prepare('SELECT count(*) FROM traces').pluck().get(), 60_005);
    } finally {
      reopened.close();
    }
  });
});
