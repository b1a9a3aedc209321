/**
 * @module
 * `npm run bench:write`: the write path alone, in this process, on prepared rows (decoding is
 * done up front and not timed): spans/s and CPU per span for a few writer settings, so the
 * choices in ARCHITECTURE.md can be measured again.
 *
 *   npm run bench:write -- [--spans N] [--seed S]
 *
 * Variants: the writer checkpointing itself (wal_autocheckpoint 10,000 pages, as a store in
 * one thread does) or not at all (the server's checkpoint thread does it), and requests per
 * transaction (1, or 4 as group commit gathers them with 4 exporters).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDecoder, finish } from '../src/otlp/index.ts';
import { Store } from '../src/store/index.ts';
import { generateCorpus } from './lib/span-generator.ts';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '200000' }, seed: { type: 'string', default: '1' } } });
const corpus = generateCorpus({ spans: Number(values.spans), seed: Number(values.seed) });
const decoder = createDecoder({ limits: { maxAttrLength: 0, maxAttrsPerSpan: 128 } });
const prepared = corpus.requests.map((r) => finish(decoder.prepare({ body: r.bytes, format: 'protobuf' })));
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

console.log(`tracebox write benchmark: ${corpus.stats.spans.toLocaleString('en-US')} spans in ${prepared.length} requests, Node ${process.version}`);
console.log('variant                                  spans/s   CPU µs/span');
for (const [label, checkpointPages, group] of [
  ['writer checkpoints, 1 request/tx', 10_000, 1],
  ['writer checkpoints, 4 requests/tx', 10_000, 4],
  ['no checkpoints, 1 request/tx', 0, 1],
  ['no checkpoints, 4 requests/tx', 0, 4],
] as const) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-bench-write-'));
  const store = Store.open({ dataDir: dir });
  try {
    store.db.pragma(`wal_autocheckpoint = ${checkpointPages}`);
    const c0 = cpu();
    const t0 = performance.now();
    for (let i = 0; i < prepared.length; i += group) store.write(prepared.slice(i, i + group).flatMap((p) => p.slices));
    const wall = performance.now() - t0;
    const n = corpus.stats.spans;
    console.log(`${label.padEnd(38)} ${Math.round(n / (wall / 1000)).toLocaleString('en-US').padStart(9)} ${((cpu() - c0) / n).toFixed(1).padStart(13)}`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
