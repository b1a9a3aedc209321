/** @module model/critical-path The critical path, from the analysis module (src/analysis/critical-path.ts). */
export { criticalPath, onPath, type CriticalPath } from '../../../src/analysis/index.ts';
