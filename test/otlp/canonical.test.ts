/**
 * The read side's canonical OTLP, checked against protobufjs: for any request the
 * receivers accept, the canonical trace is what protobufjs writes for the same values
 * without their proto3 defaults, and a canonical trace is served without a copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { canonicalResourceSpans, decodeExportRequest, encodeTracesData, type RawResourceSpans, type RawScopeSpans } from '../../src/otlp/index.ts';
import { otlpRequest } from '../helpers/fuzz.ts';
import { decodePlain, encode, TracesData } from '../helpers/proto.ts';
import { encodeRequest } from '../helpers/requests.ts';
import { cleanMessage } from '../helpers/tempo-json.ts';

// The request arbitrary nests kvlists past protobufjs' default recursion limit.
protobuf.util.recursionLimit = 1000;
protobuf.Reader.recursionLimit = 1000;

/** The accepted spans of a request in OTLP's nesting, as the store keeps them. */
function storedParts(request: Uint8Array): RawResourceSpans[] {
  const batch = decodeExportRequest(request);
  const out: RawResourceSpans[] = [];
  const byResource = new Map<number, { rs: RawResourceSpans; scopes: Map<number, RawScopeSpans> }>();
  for (const span of batch.spans) {
    let res = byResource.get(span.resource);
    if (res === undefined) {
      const r = batch.resources[span.resource];
      res = { rs: { resource: r.present ? r.raw : undefined, schemaUrl: r.schemaUrl, scopeSpans: [] }, scopes: new Map() };
      byResource.set(span.resource, res);
      out.push(res.rs);
    }
    let ss = res.scopes.get(span.scope);
    if (ss === undefined) {
      const s = batch.scopes[span.scope];
      ss = { scope: s.present ? s.raw : undefined, schemaUrl: s.schemaUrl, spans: [] };
      res.scopes.set(span.scope, ss);
      res.rs.scopeSpans.push(ss);
    }
    ss.spans.push(span.raw);
  }
  return out;
}

/** Each singular field with its default value, as pdata-based exporters write some. */
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const EXTRA_FIELDS = {
  resource: [[0x10, 0]],
  scope: [[0x0a, 0], [0x12, 0], [0x20, 0]],
  span: [[0x0a, 0], [0x12, 0], [0x1a, 0], [0x22, 0], [0x2a, 0], [0x30, 0], [0x39, ...zeros(8)], [0x41, ...zeros(8)], [0x50, 0], [0x60, 0], [0x70, 0], [0x85, 0x01, ...zeros(4)], [0x30, 0x80, 0x00]],
} as const;
/** Other trace and span ids, overridden by the span's own (every accepted span has both). */
const SPAN_OVERRIDDEN = [[0x0a, 16, ...new Array<number>(16).fill(0xff)], [0x12, 8, ...new Array<number>(8).fill(0xff)]];

type Insertion = readonly [pick: number, append: boolean];

/**
 * Adds explicit defaults before or after a message's own fields, and other values
 * before them; a later field of the same number overrides an earlier one (the last one counts).
 */
function withExtraFields(bytes: Uint8Array, defaults: ReadonlyArray<readonly number[]>, insertions: readonly Insertion[], overridden: ReadonlyArray<readonly number[]> = []): Uint8Array {
  const before: number[] = [];
  const after: number[] = [];
  for (const [pick, append] of insertions) {
    const i = pick % (defaults.length + overridden.length);
    if (i < defaults.length) (append ? after : before).push(...defaults[i]);
    else before.push(...overridden[i - defaults.length]);
  }
  return Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]);
}

function exporterWritten(parts: readonly RawResourceSpans[], insertions: readonly Insertion[][]): RawResourceSpans[] {
  let i = 0;
  const next = (): readonly Insertion[] => insertions[i++ % insertions.length] ?? [];
  return parts.map((rs) => ({
    resource: rs.resource && withExtraFields(rs.resource, EXTRA_FIELDS.resource, next()),
    schemaUrl: rs.schemaUrl,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      scope: ss.scope && withExtraFields(ss.scope, EXTRA_FIELDS.scope, next()),
      schemaUrl: ss.schemaUrl,
      spans: ss.spans.map((span) => withExtraFields(span, EXTRA_FIELDS.span, next(), SPAN_OVERRIDDEN)),
    })),
  }));
}

function allParts(parts: readonly RawResourceSpans[]): Array<Uint8Array | undefined> {
  return parts.flatMap((rs) => [rs.resource, ...rs.scopeSpans.flatMap((ss) => [ss.scope, ...ss.spans])]);
}

const insertions = fc.array(fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 4 }), { maxLength: 8 });

test('canonical trace = protobufjs encoding of the same values without defaults; canonical input is not copied', () => {
  fc.assert(
    fc.property(otlpRequest, insertions, (request, noise) => {
      const parts = exporterWritten(storedParts(encodeRequest(request)), noise);
      const canonicalParts = canonicalResourceSpans(parts);
      const canonical = encodeTracesData(canonicalParts);
      // protobufjs reads what was sent as a proto3 decoder does (the last of a singular field counts).
      const values = decodePlain(TracesData, encodeTracesData(parts));
      assert.deepStrictEqual(Buffer.from(canonical), Buffer.from(encode(TracesData, cleanMessage(values))));
      const again = allParts(canonicalResourceSpans(canonicalParts));
      allParts(canonicalParts).forEach((part, i) => assert.equal(again[i], part));
    }),
    { numRuns: 150 },
  );
});

test('explicit defaults anywhere (an empty parent id, a zero kind, an empty key inside a kvlist) are dropped', () => {
  const w = protobuf.Writer.create();
  w.uint32(0x0a).bytes(Buffer.alloc(16, 1)).uint32(0x12).bytes(Buffer.alloc(8, 2)).uint32(0x22).bytes(new Uint8Array(0)).uint32(0x30).uint32(0);
  // attributes: { key: "list", value: { kvlistValue: { values: [{ key: "", value: { intValue: 0 } }] } } }
  w.uint32(0x4a).fork().uint32(0x0a).string('list').uint32(0x12).fork().uint32(0x32).fork();
  w.uint32(0x0a).fork().uint32(0x0a).string('').uint32(0x12).fork().uint32(0x18).int64(0).ldelim().ldelim();
  w.ldelim().ldelim().ldelim();
  const span = w.finish();
  const [rs] = canonicalResourceSpans([{ resource: undefined, schemaUrl: '', scopeSpans: [{ scope: undefined, schemaUrl: '', spans: [span] }] }]);
  const expected = protobuf.Writer.create();
  expected.uint32(0x0a).bytes(Buffer.alloc(16, 1)).uint32(0x12).bytes(Buffer.alloc(8, 2));
  expected.uint32(0x4a).fork().uint32(0x0a).string('list').uint32(0x12).fork().uint32(0x32).fork();
  expected.uint32(0x0a).fork().uint32(0x12).fork().uint32(0x18).int64(0).ldelim().ldelim();
  expected.ldelim().ldelim().ldelim();
  assert.deepStrictEqual(Buffer.from(rs.scopeSpans[0].spans[0]), Buffer.from(expected.finish()));
});
