/**
 * Run diff benchmark: two recorded runs of `--traces` traces of `--spans` spans each (a
 * request, its queries and a downstream call) stored in an in-memory tracebox, then
 * `GET /api/runs/diff` timed `--repeat` times: loading both runs' traces on a query
 * thread, profiling and comparing them. Prints milliseconds per diff and spans per second.
 * Figures, not pass/fail.
 *
 *   node --import tsx scripts/bench-diff.ts [--traces 5000] [--spans 20] [--repeat 3]
 */
import { parseArgs } from 'node:util';
import { startTracebox } from '../src/testing/index.ts';

const { values } = parseArgs({
  options: {
    traces: { type: 'string', default: '5000' },
    spans: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
  },
});
const TRACES = Number(values.traces);
const SPANS = Math.max(2, Number(values.spans));
const REPEAT = Number(values.repeat);
const PER_REQUEST = 100;

let next = 0;
const hex = (width: number): string => (++next).toString(16).padStart(width, '0');
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** One OTLP/JSON request of `count` traces tagged with `run`; `slow` makes the downstream call 30% slower. */
function request(run: string, count: number, slow: boolean): string {
  const spans: object[] = [];
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  for (let t = 0; t < count; t++) {
    const traceId = hex(32);
    const root = hex(16);
    const start = t0 + BigInt(t) * 1_000_000n;
    spans.push({ traceId, spanId: root, name: 'GET /cart', kind: 2, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 50_000_000n), attributes: [attr('http.route', '/cart')] });
    for (let i = 1; i < SPANS; i++) {
      const downstream = i === SPANS - 1;
      const ms = downstream ? (slow ? 26 : 20) : 1 + (i % 3);
      const s = start + BigInt(i) * 1_000_000n;
      spans.push({
        traceId,
        spanId: hex(16),
        parentSpanId: root,
        name: downstream ? 'POST /charge' : `SELECT t${i % 4}`,
        kind: 3,
        startTimeUnixNano: String(s),
        endTimeUnixNano: String(s + BigInt(ms * 1e6)),
        attributes: downstream ? [] : [attr('db.operation', 'SELECT')],
      });
    }
  }
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [attr('service.name', 'shop'), attr('tracebox.run', run)] }, scopeSpans: [{ spans }] }] });
}

const tb = await startTracebox({ log: () => {} });
try {
  for (const [label, slow] of [['before', false], ['after', true]] as const) {
    const run = await tb.startRun({ label });
    for (let sent = 0; sent < TRACES; sent += PER_REQUEST) {
      const res = await fetch(`${tb.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request(run.id, Math.min(PER_REQUEST, TRACES - sent), slow) });
      if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`);
    }
    await tb.endRun(run.id, 0);
  }
  const spans = 2 * TRACES * SPANS;
  console.log(`two runs of ${TRACES} traces × ${SPANS} spans (${spans} spans in all)`);
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    const diff = await tb.diff();
    const ms = performance.now() - t;
    const changed = diff.operations.map((o) => o.name).join(', ');
    console.log(`diff ${i + 1}: ${ms.toFixed(0)} ms, ${Math.round(spans / (ms / 1000))} spans/s; changed: ${changed}${diff.a.partial ? ` (A: ${diff.a.partial})` : ''}`);
  }
} finally {
  await tb.close();
}
