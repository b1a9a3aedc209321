import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// "tracebox": "file:../.." links the repository, so tracebox resolves to a path outside
// node_modules, which Vitest would run through Vite's transform (seconds, for a bundle
// that needs none). Load it with Node as it would be from an installed package.
const traceboxDist = path.dirname(createRequire(import.meta.url).resolve('tracebox/testing')) + path.sep;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default defineConfig({
  test: {
    // Only the Vitest example: the other *.test.mjs files here are for node:test and Jest.
    include: ['vitest.test.mjs'],
    // Above waitForSpans' default 5 s, so a wait that fails reports what it got instead of a bare
    // "Test timed out in 5000ms" (Vitest's default).
    testTimeout: 15_000,
    server: { deps: { external: [new RegExp(`^${escape(traceboxDist)}`)] } },
  },
});
