/** What the main thread hands a query thread along with a request (hono's bindings). */
import type { DoctorReport } from '../otlp/index.ts';

export interface ApiBindings {
  /** The ingest doctor's report, for GET /api/doctor (the receivers keep it on the main thread). */
  readonly doctor?: DoctorReport;
}

export type ApiEnv = { Bindings: ApiBindings };
