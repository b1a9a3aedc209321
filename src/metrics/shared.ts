/** Creating an engine: the server builds one per store and hands it to whoever reads derived metrics. */
import type { StoreReader } from '../store/index.ts';
import { DerivedMetricsEngine, type DerivedMetricsOptions } from './derived.ts';

/** A new engine over `store` (it watches the store until dispose()). */
export function createDerivedMetrics(store: StoreReader, options: DerivedMetricsOptions = {}): DerivedMetricsEngine {
  return new DerivedMetricsEngine(store, options);
}
