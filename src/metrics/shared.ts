/** Creating engines, and the one engine per store that a running server shares. */
import type { Store } from '../store/index.ts';
import { DerivedMetricsEngine, type DerivedMetricsOptions } from './derived.ts';

/** A new engine over `store` (it watches the store until dispose()). */
export function createDerivedMetrics(store: Store, options: DerivedMetricsOptions = {}): DerivedMetricsEngine {
  return new DerivedMetricsEngine(store, options);
}

const shared = new WeakMap<Store, DerivedMetricsEngine>();

/**
 * The one engine of a store that the running server's readers share (/metrics, remote
 * write, the service-graph API, PromQL): created with `options` on first call; later
 * calls return it as it is.
 */
export function sharedDerivedMetrics(store: Store, options?: DerivedMetricsOptions): DerivedMetricsEngine {
  let engine = shared.get(store);
  if (engine === undefined) {
    engine = new DerivedMetricsEngine(store, options);
    shared.set(store, engine);
  }
  return engine;
}
