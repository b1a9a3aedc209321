/**
 * The tag dictionary with one key of millions of values (ids): what recording new values
 * costs the writer, and how long listings take — whole (cut at Tempo's 5 MB), over a
 * short recent window, over a window the first/last times cannot decide alone — and how
 * long the planner takes to give up pushing a regex down over the key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSearch, tagValues } from '../../src/query/index.ts';
import { createPlanner } from '../../src/query/planner.ts';
import { Store, TAG_REFRESH_NS, type TagObservation } from '../../src/store/index.ts';
import { createTagWriter } from '../../src/store/tags.ts';
import { parse, type AttributeRef } from '../../src/traceql/index.ts';

const fix = (x: number, d = 1): string => x.toFixed(d);

function timed<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

export function benchDictionary(count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-dictionary-'));
  const store = Store.open({ dataDir: dir });
  const lines: string[] = [];
  try {
    const endNs = Date.UTC(2025, 0, 1) * 1e6;
    const spanNs = (2 * 3600 * 1e9) / count; // values spread evenly over two hours
    const writer = createTagWriter(store.db);
    const batch = 10_000;
    const write = store.db.transaction((from: number) => {
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const at = endNs - (count - i) * spanNs;
        const obs: TagObservation = ['span', 'id', 'string', `id-${i.toString(36).padStart(8, '0')}`, at, 'span\0id', ''];
        writer.record(obs, 0, 0);
      }
    });
    const w = timed(() => {
      for (let i = 0; i < count; i += batch) write(i);
    });
    // The window checks read the oldest span: one span at the start of the two hours.
    store.db
      .prepare('INSERT INTO spans(trace_rowid, span_id, resource_id, scope_id, name_id, kind, status, start_ns, duration_ns, raw) VALUES (1, ?, 1, 1, 1, 1, 0, ?, 0, ?)')
      .run(Buffer.alloc(8, 1), BigInt(Math.round(endNs - 2 * 3600 * 1e9)), Buffer.alloc(0));
    const bytes = fs.statSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.db'))!)).size;
    lines.push(
      `dictionary: ${count.toLocaleString('en')} values of one key recorded in ${fix(w.ms / 1000)} s (${fix((w.ms * 1000) / count, 2)} µs a new value), ` +
        `database ${fix(bytes / 2 ** 20, 0)} MB`,
    );

    const search = createSearch(store);
    const ref: AttributeRef = { kind: 'Attribute', scope: 'span', parent: false, name: 'id', from: 0, to: 0 };
    const s = (sec: number): bigint => BigInt(Math.round(endNs / 1e9 + sec)) * 1_000_000_000n;
    const cases: Array<[string, { startNs?: bigint; endNs?: bigint }]> = [
      ['no window (cut at 5 MB)', {}],
      ['last 1 min', { startNs: s(-60), endNs: s(0) }],
      ['last 30 min', { startNs: s(-1800), endNs: s(0) }],
      // Values within TAG_REFRESH_NS before a window's start are looked up among its spans.
      ['a 10 min window an hour ago', { startNs: s(-3600), endNs: s(-3000) }],
    ];
    for (const [name, window] of cases) {
      tagValues(store, search, { ref, window, limit: 0 }); // warm-up
      const runs = 5;
      const times: number[] = [];
      let result = tagValues(store, search, { ref, window, limit: 0 });
      for (let r = 0; r < runs; r++) {
        const t = timed(() => tagValues(store, search, { ref, window, limit: 0 }));
        times.push(t.ms);
        result = t.value;
      }
      times.sort((a, b) => a - b);
      lines.push(
        `  listing, ${name}: ${result.values.length.toLocaleString('en')} values${result.incomplete === undefined ? '' : ` (${result.incomplete})`}, ` +
          `median ${fix(times[Math.floor(runs / 2)])} ms, worst ${fix(times[runs - 1])} ms`,
      );
    }
    const planner = createPlanner({ search: store.search, tags: store.tags, generation: () => store.generation });
    const root = parse('{ span.id =~ "id-0000.*" }');
    planner(root);
    const p = timed(() => planner(root));
    lines.push(`  planner, regex over the key: ${fix(p.ms, 2)} ms (${p.value.kind}; the key has more values than a pushdown tests, so it is planned as "has the key")`);
    lines.push(`  (first/last times are refreshed every ${TAG_REFRESH_NS / 60e9} min of span time)`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
