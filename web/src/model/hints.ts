/** @module model/hints N+1, sequential-call, retry and gap hints, from the analysis module (src/analysis/hints.ts). */
export { findHints, hintsBySpan, type Hint, type HintKind } from '../../../src/analysis/index.ts';
