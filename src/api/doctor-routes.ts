/**
 * GET /api/doctor: what the receivers saw lately and which set-up mistakes they
 * recognized, plus one finding only the store can make: traces whose root span never
 * came, the mark of a process that exited before its exporter flushed. `receivers` gives
 * the ports the receivers listen on.
 */
import { Hono } from 'hono';
import type { Finding } from '../otlp/index.ts';
import type { StoreReader } from '../store/index.ts';
import type { ApiEnv } from './env.ts';

/** A trace with no root this long after its last span ended is taken as abandoned. */
const ROOTLESS_AFTER_MS = 30_000;

export function createDoctorRoutes(store: StoreReader): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/api/doctor', (c) => {
    const report = c.env?.doctor ?? { findings: [], requests: {} };
    const cutoff = BigInt(Date.now() - ROOTLESS_AFTER_MS) * 1_000_000n;
    const rootless = store.search.rootless(cutoff);
    const findings: Finding[] = [...report.findings];
    if (rootless.count > 0) {
      const now = Date.now();
      findings.push({
        code: 'traces-without-root',
        message:
          `${rootless.count} trace(s) never received their root span (services: ${rootless.services.join(', ') || 'unknown'}); ` +
          'a process probably exited before its exporter flushed: call forceFlush()/shutdown() on the tracer provider before exit',
        count: rootless.count,
        first: now,
        last: now,
      });
    }
    return c.json({ findings, requests: report.requests, ...(report.receivers === undefined ? {} : { receivers: report.receivers }) });
  });
  return app;
}
