/**
 * @module
 * `npm run bench:decode`: tracebox's protobuf decoding against protobufjs (the proto/ files)
 * on the same export requests, in this process, one thread.
 *
 *   npm run bench:decode -- [--seconds S] [--rounds R]
 *
 * Payloads (ExportTraceServiceRequest bytes, made before anything is timed):
 *   realistic    the ingest benchmark's corpus (scripts/lib/span-generator.ts): 10 services,
 *                9–11 mixed attributes a span, 20% with an event, 512 spans a request
 *   many attrs   60 attributes a span (strings, ints, doubles, bools, a short array), 3 events, 512 spans
 *   big strings  4 attributes of 4 KiB strings a span, 64 spans a request
 *
 * Rows, each in spans per second (best of R rounds of S seconds, the rows taking turns), and
 * the ratio to the row it is compared with:
 *   tracebox decode      decodeExportRequest(): ids, times, name, kind, status read, each
 *                        span a view of the request (what ingest needs to index a span)
 *   tracebox ingest      the ingest thread's whole decode stage on the request: decode,
 *                        attribute limits and nesting checks, every attribute hashed into
 *                        search terms, rows for the writer (createDecoder().prepare())
 *   protobufjs decode    ExportTraceServiceRequest.decode(): every field into objects
 *   tracebox to-JSON     tracesDataToJson(): every field into JSON-ready objects
 *   protobufjs to-JSON   decode() then toObject() with the same conversions (longs and
 *                        bytes as strings, enum names)
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createDecoder, decodeExportRequest, finish, tracesDataToJson } from '../src/otlp/index.ts';
import { ExportTraceServiceRequest, PLAIN, encode } from '../test/helpers/proto.ts';
import { generateCorpus } from './lib/span-generator.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' } },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

interface Payload {
  readonly name: string;
  readonly requests: Uint8Array[];
  readonly spans: number;
}

const hex = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');
const b64 = (h: string): string => Buffer.from(h, 'hex').toString('base64');

/** One request of `spans` spans with `attrs(i)` attributes and `events` events each, encoded by protobufjs. */
function request(seed: number, spans: number, attrs: (i: number) => object[], events: number): Uint8Array {
  const t0 = 1_700_000_000_000_000_000n + BigInt(seed) * 1_000_000_000n;
  const list = Array.from({ length: spans }, (_, i) => ({
    traceId: b64(hex(seed * 100_000 + Math.floor(i / 16) + 1, 16)),
    spanId: b64(hex(seed * 100_000 + i + 1, 8)),
    parentSpanId: i % 16 === 0 ? '' : b64(hex(seed * 100_000 + i, 8)),
    name: `GET /api/v1/items/${i % 50}`,
    kind: 1 + (i % 5),
    startTimeUnixNano: String(t0 + BigInt(i) * 1000n),
    endTimeUnixNano: String(t0 + BigInt(i) * 1000n + 250_000n),
    attributes: attrs(i),
    events: Array.from({ length: events }, (_, e) => ({
      timeUnixNano: String(t0 + BigInt(i) * 1000n + BigInt(e)),
      name: `event ${e}`,
      attributes: [{ key: 'message', value: { stringValue: `step ${e} of span ${i}` } }],
    })),
    status: { code: i % 31 === 0 ? 2 : 0 },
  }));
  return encode(ExportTraceServiceRequest, {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: `service-${seed % 7}` } }, { key: 'host.name', value: { stringValue: 'node-1' } }] },
        scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans: list }],
      },
    ],
  });
}

function manyAttrs(i: number): object[] {
  const out: object[] = [];
  for (let a = 0; a < 60; a++) {
    const key = `attr.${a}`;
    switch (a % 5) {
      case 0:
        out.push({ key, value: { stringValue: `value-${(i * 7 + a) % 1000}` } });
        break;
      case 1:
        out.push({ key, value: { intValue: String(i * a) } });
        break;
      case 2:
        out.push({ key, value: { doubleValue: i / (a + 1) } });
        break;
      case 3:
        out.push({ key, value: { boolValue: (i + a) % 2 === 0 } });
        break;
      default:
        out.push({ key, value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }, { intValue: String(a) }] } } });
    }
  }
  return out;
}

const BIG = 'x'.repeat(4096);
const bigStrings = (i: number): object[] => Array.from({ length: 4 }, (_, a) => ({ key: `payload.${a}`, value: { stringValue: `${i}:${BIG}` } }));

function payloads(): Payload[] {
  const corpus = generateCorpus({ spans: 20_480, spansPerRequest: 512, seed: 1, endTimeMs: 1_700_000_000_000 });
  const many = Array.from({ length: 8 }, (_, s) => request(s + 1, 512, manyAttrs, 3));
  const big = Array.from({ length: 16 }, (_, s) => request(s + 1, 64, bigStrings, 0));
  return [
    { name: 'realistic', requests: corpus.requests.map((r) => r.bytes), spans: corpus.stats.spans },
    { name: 'many attrs', requests: many, spans: 8 * 512 },
    { name: 'big strings', requests: big, spans: 16 * 64 },
  ];
}

/** Spans/s of one round: the whole payload again and again for SECONDS. */
function round(payload: Payload, run: (bytes: Uint8Array) => unknown): number {
  let spans = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    for (const r of payload.requests) run(r);
    spans += payload.spans;
    elapsed = performance.now() - t0;
  }
  return spans / (elapsed / 1000);
}

const decoder = createDecoder();
const rows: Array<[string, (bytes: Uint8Array) => unknown, string | undefined]> = [
  ['tracebox decode', (b) => decodeExportRequest(b), 'protobufjs decode'],
  ['tracebox ingest', (b) => finish(decoder.prepare({ body: b, format: 'protobuf' })), 'protobufjs decode'],
  ['protobufjs decode', (b) => ExportTraceServiceRequest.decode(b), undefined],
  ['tracebox to-JSON', (b) => tracesDataToJson(b, { ids: 'base64', enums: 'names' }), 'protobufjs to-JSON'],
  ['protobufjs to-JSON', (b) => ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(b), PLAIN), undefined],
];

console.log(`tracebox decode benchmark: Node ${process.version}, best of ${ROUNDS} rounds of ${SECONDS} s`);
for (const payload of payloads()) {
  const bytes = payload.requests.reduce((n, r) => n + r.length, 0);
  console.log(`\n${payload.name}: ${payload.spans.toLocaleString('en-US')} spans in ${payload.requests.length} requests, ${Math.round(bytes / payload.spans)} B/span`);
  // Rounds take turns between the rows, so that a busy machine slows every row alike.
  const rates = new Map<string, number>();
  for (const [, run] of rows) for (const r of payload.requests) run(r); // warm-up
  for (let i = 0; i < ROUNDS; i++) for (const [name, run] of rows) rates.set(name, Math.max(rates.get(name) ?? 0, round(payload, run)));
  for (const [name, , against] of rows) {
    const rate = rates.get(name)!;
    const ratio = against === undefined ? '' : `  ${(rate / rates.get(against)!).toFixed(2)}x ${against}`;
    console.log(`  ${name.padEnd(20)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} spans/s${ratio}`);
  }
}
