/** What the main thread hands a query thread along with a request (hono's bindings). */
import type { DoctorReport } from '../otlp/index.ts';
import type { SearchResponse } from '../query/index.ts';

export interface ApiBindings {
  /** The ingest doctor's report, for GET /api/doctor (the receivers keep it on the main thread). */
  readonly doctor?: DoctorReport;
  /** A gRPC call handed over by the query port (grpc-routes.ts answers only these). */
  readonly grpc?: boolean;
  /**
   * Set only by the gRPC routes, calling /api/search inside the query thread: receives the
   * traces found since the last report while the search runs.
   */
  readonly searchProgress?: (partial: SearchResponse) => void;
}

export type ApiEnv = { Bindings: ApiBindings };
