/**
 * Acceptance: the query planner never under-fetches. Generated traces are stored through
 * the OTLP ingest in a SQLite file, and for generated queries the indexed search
 * (planner + store pushdown) answers exactly what a full scan evaluated by the same
 * evaluator answers (test/helpers/planner-diff.ts). Then the cases it found, each on a
 * small hand-made data set.
 *
 * TRACEBOX_PLANNER_DIFF_QUERIES=N checks N queries instead of 300, and
 * TRACEBOX_PLANNER_DIFF_SEED=S replays a run (a failure prints its seed); long runs:
 * `node --import tsx scripts/planner-diff.ts --queries 20000`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/tracebox.ts';
import { checkQuery, loadAll, openDiffStore, runPlannerDiff, send, type DiffStore } from '../helpers/planner-diff.ts';
import type { Json } from '../helpers/tempo-json.ts';

function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, got "${text}"`);
  return n;
}

const queries = envCount('TRACEBOX_PLANNER_DIFF_QUERIES', 300);
const seed = envCount('TRACEBOX_PLANNER_DIFF_SEED', Math.floor(Math.random() * 2 ** 31));

test(`generated queries: the indexed search answers what a full scan answers (seed ${seed}, ${queries} queries)`, async (t) => {
  const tmp = tempDir('tracebox-planner-diff-');
  try {
    const stats = await runPlannerDiff({ seed, queries, traces: 120, queriesPerDataset: 300, dir: tmp.dir });
    t.diagnostic(`plans ${JSON.stringify(stats.plans)}; ${stats.matching} queries matched something; ${stats.invalid} refused by the validator`);
    // The generators must keep producing queries worth checking.
    assert.ok(stats.invalid <= queries / 4, `${stats.invalid} generated queries were refused by the validator`);
    assert.ok(stats.matching >= queries / 10, `only ${stats.matching} of ${queries} queries matched anything`);
    assert.ok((stats.plans.candidates ?? 0) >= queries / 4, `plans: ${JSON.stringify(stats.plans)}`);
  } finally {
    tmp.remove();
  }
});

// ------------------------------------------------------------------ regressions

const T0 = 1_750_000_000_000_000_000n;

interface SpanSpec {
  readonly id: string;
  readonly parent?: string;
  readonly name?: string;
  readonly attributes?: Json[];
  readonly durationNs?: bigint;
  readonly events?: Json[];
  readonly status?: number;
}

/** One trace per spec list, all spans of one service. */
function request(traces: ReadonlyArray<readonly SpanSpec[]>): Json {
  const spans = traces.flatMap((specs, i) =>
    specs.map((s) => {
      const start = T0 + BigInt(i) * 1_000_000_000n;
      const span: Json = {
        traceId: (i + 1).toString(16).padStart(32, '0'),
        spanId: s.id,
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: (start + (s.durationNs ?? 1_000_000n)).toString(),
        attributes: s.attributes ?? [],
      };
      if (s.parent !== undefined) span.parentSpanId = s.parent;
      if (s.name !== undefined) span.name = s.name;
      if (s.events !== undefined) span.events = s.events;
      if (s.status !== undefined) span.status = { code: s.status };
      return span;
    }),
  );
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }] };
}

const attr = (key: string, value: Json): Json => ({ key, value });

describe('planner regressions (each query must match on its data, and the indexed search must find it)', () => {
  let ds: DiffStore;
  let remove: () => void;
  let all: ReturnType<typeof loadAll>;

  before(() => {
    const tmp = tempDir('tracebox-planner-regressions-');
    remove = tmp.remove;
    ds = openDiffStore(tmp.dir);
    send(ds, [
      request([
        [{ id: '0000000000000001', attributes: [attr('big', { intValue: '9007199254740993' })] }],
        [{ id: '0000000000000002', attributes: [attr('ratio', { doubleValue: 'NaN' })] }],
        [{ id: '0000000000000003', attributes: [attr('code', { stringValue: '007' }), attr('price', { stringValue: '1.50' })] }],
        [{ id: '0000000000000004', durationNs: (1n << 62n) + 1n }],
        [{ id: '0000000000000005', name: 'work', attributes: [attr('present', { boolValue: true })] }],
        [
          { id: '0000000000000006', name: '', events: [{ timeUnixNano: T0.toString(), name: '' }] },
          { id: '0000000000000007', parent: '0000000000000006', name: 'child' },
        ],
        [
          { id: '0000000000000008', status: 2 },
          { id: '0000000000000009', parent: '0000000000000008' },
          { id: '000000000000000a', status: 1 },
          { id: '000000000000000b', parent: '000000000000000a', attributes: [attr('marker', { stringValue: 'b' })] },
        ],
        // A few values of a key whose name needs quoting: a regex over it becomes a list of them.
        [
          { id: '000000000000000c', attributes: [attr('user agent', { stringValue: 'Mozilla/5.0' })] },
          { id: '000000000000000d', parent: '000000000000000c', name: 'leaf', attributes: [attr('user agent', { stringValue: 'curl/8.0' })] },
        ],
        // Spans of the right-hand side only: nothing for a negated operator's left side to exclude.
        [
          { id: '000000000000000e', name: 'leaf' },
          { id: '000000000000000f', parent: '000000000000000e', name: 'leaf' },
          { id: '0000000000000010', parent: '000000000000000e', name: 'leaf' },
        ],
      ]),
    ]);
    all = loadAll(ds.store);
  });
  after(() => {
    ds?.close();
    remove?.();
  });

  const cases: ReadonlyArray<readonly [string, string]> = [
    // Numbers compare as doubles: 9007199254740993 is stored exactly but equals 2^53 when read.
    ['an int past 2^53 equals its rounded value', '{ span.big = 9007199254740992 }'],
    ['an int past 2^53 equals itself as written', '{ span.big = 9007199254740993 }'],
    ['an int past 2^53 in a range, through the tag dictionary', '{ span.big > 9007199254740991 }'],
    // SQLite stores NaN as NULL, so the dictionary never lists it; NaN != anything.
    ['a NaN double is != any number', '{ span.ratio != 5 }'],
    // The dictionary column's numeric affinity keeps "007" as 7 and "1.50" as 1.5.
    ['a numeric-looking string by regex', '{ span.code =~ "0.*" }'],
    ['a numeric-looking string by range', '{ span.code < "01" }'],
    ['a numeric-looking string with a trailing zero', '{ span.price =~ ".*0" }'],
    ['a duration literal beyond int64 nanoseconds', '{ duration < 1.0e30 }'],
    ['a duration near 2^62 compared as a double', `{ duration = 4611686018427387904 }`],
    // A nil on the right is an existence test: `"x" != span.absent` holds for spans without it.
    ['a static on the left of != with the attribute absent', '{ "x" != span.absent }'],
    // An empty span or event name is an absent field, which has no term.
    ['an empty span name', '{ name = "" }'],
    ['an empty span name under a structural operator', '{ name = "" } > { name = "child" }'],
    ['an empty event name', '{ event:name = "" }'],
    // `{B} && { }` answers every span, not only B spans: the parent check is not on B spans.
    ['a structural operator over a spanset operation', '{ status = error } > ({ span.marker = "b" } && { })'],
    ['a structural operator over a pipeline with an operation', '({ status = error } | { }) > ({ span.marker = "b" } && { } | { })'],
    // A negated operator answers right-hand spans without a related left-hand one, so a trace
    // with no left-hand span at all matches: nothing of the left side may be required.
    ...['!>', '!>>', '!<', '!<<', '!~'].map((op): [string, string] => [
      `a negated ${op} with a pipeline on the left that no span of the trace satisfies`,
      `({ span."user agent" =~ ".*e.*" } &> { } | { duration = 10ms } | select(span.n)) ${op} ({ name = "leaf" } | { })`,
    ]),
    ['a negated operator whose left side names a value never seen', '({ span."user agent" = "nope" } | { }) !>> ({ name = "leaf" } | { })'],
    ['a negated operator between spanset filters', '{ span."user agent" =~ "curl.*" } !< { name = "leaf" }'],
  ];

  for (const [what, text] of cases) {
    test(`${what}: ${text}`, async () => {
      const outcome = await checkQuery(ds, all, { text, window: {} });
      assert.equal(outcome.kind, 'checked', `${text}: ${outcome.kind}`);
      assert.ok(outcome.kind === 'checked' && outcome.matches > 0, `${text} matches nothing in the full scan: the case proves nothing`);
    });
  }
});
