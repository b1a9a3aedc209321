/**
 * tracebox's own metrics for /metrics: the Node process, ingest counts, the store's
 * size, and what deriving metrics costs.
 */
import type { StoreReader } from '../store/index.ts';
import { VERSION } from '../version.ts';
import type { DerivedMetricsEngine } from './derived.ts';
import type { Family } from './exposition.ts';

const START_SECONDS = Math.floor(Date.now() / 1000 - process.uptime());
/** Row counts cost a scan of an index, so they are refreshed at most this often. */
const COUNT_TTL_MS = 15_000;

export function createSelfMetrics(store: StoreReader, engine: DerivedMetricsEngine): () => Family[] {
  let counts: { at: number; spans: number; traces: number } | undefined;
  return () => {
    const now = Date.now();
    if (counts === undefined || now - counts.at > COUNT_TTL_MS) {
      counts = { at: now, ...store.rowCounts() };
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const one = (value: number): { labels: Record<string, string>; value: number }[] => [{ labels: {}, value }];
    const stats = engine.stats;
    return [
      { name: 'process_cpu_user_seconds_total', type: 'counter', help: 'User CPU time spent in seconds.', values: one(cpu.user / 1e6) },
      { name: 'process_cpu_system_seconds_total', type: 'counter', help: 'System CPU time spent in seconds.', values: one(cpu.system / 1e6) },
      { name: 'process_cpu_seconds_total', type: 'counter', help: 'Total user and system CPU time spent in seconds.', values: one((cpu.user + cpu.system) / 1e6) },
      { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes.', values: one(mem.rss) },
      { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since unix epoch in seconds.', values: one(START_SECONDS) },
      { name: 'nodejs_heap_size_used_bytes', type: 'gauge', help: 'V8 heap in use, bytes.', values: one(mem.heapUsed) },
      { name: 'nodejs_heap_size_total_bytes', type: 'gauge', help: 'V8 heap allocated, bytes.', values: one(mem.heapTotal) },
      { name: 'tracebox_build_info', type: 'gauge', help: 'tracebox version.', values: [{ labels: { version: VERSION }, value: 1 }] },
      { name: 'tracebox_ingest_spans_stored_total', type: 'counter', help: 'Spans stored since the process started.', values: one(engine.ingest.spansStored) },
      { name: 'tracebox_ingest_spans_duplicate_total', type: 'counter', help: 'Spans received again and skipped (exporter retries).', values: one(engine.ingest.spansDuplicate) },
      { name: 'tracebox_ingest_commits_total', type: 'counter', help: 'Store transactions that stored spans (each holds one or more export requests).', values: one(engine.ingest.commits) },
      { name: 'tracebox_store_spans', type: 'gauge', help: 'Spans in the store (refreshed every 15 s).', values: one(counts.spans) },
      { name: 'tracebox_store_traces', type: 'gauge', help: 'Traces in the store (refreshed every 15 s).', values: one(counts.traces) },
      { name: 'tracebox_store_size_bytes', type: 'gauge', help: 'Database pages in bytes (free pages included).', values: one(store.pageBytes()) },
      { name: 'tracebox_metrics_compute_seconds_total', type: 'counter', help: 'Time spent deriving metrics from stored spans.', values: one(stats.computeSeconds) },
      { name: 'tracebox_metrics_cached_slots', type: 'gauge', help: '5-second slots of derived metrics held in memory.', values: one(stats.cachedSlots) },
    ];
  };
}
