/**
 * Zipkin's joined spans: with Brave's or zipkin-js's `supportsJoin`, the server half of
 * an RPC reuses the client half's span id (and its parent). Both halves are stored as
 * received, told apart by kind, as the OpenTelemetry Collector's Zipkin receiver passes
 * them on. A trace is read as Tempo's trace-by-id deduper (itself Jaeger's) serves it: a
 * server span sharing its id with a client span gets an id of its own, its parent becomes
 * the client half, and the spans below the shared id hang under the server half. Both
 * halves then show and the tree reads client → server → the server's work.
 *
 * The new id is derived from the shared one, so a span keeps its id from one read of the
 * trace to the next.
 */

const SERVER = 2;
const CLIENT = 3;

export interface IdentifiedSpan {
  /** Lowercase hex. */
  readonly spanId: string;
  /** Lowercase hex, '' for none. */
  readonly parentId: string;
  /** OTLP SpanKind number. */
  readonly kind: number;
}

export interface ServedIds {
  readonly spanId: string;
  readonly parentId: string;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** A 64-bit id derived from `id` (FNV-1a over it and a counter), not among `used`. */
function ownId(id: string, used: ReadonlySet<string>): string {
  for (let n = 0; ; n++) {
    let h = FNV_OFFSET;
    for (const c of `${id}/server/${n}`) h = ((h ^ BigInt(c.charCodeAt(0))) * FNV_PRIME) & MASK;
    const hex = h.toString(16).padStart(16, '0');
    if (!used.has(hex) && h !== 0n) return hex;
  }
}

/**
 * The ids to serve, by index, for the spans whose ids change; undefined when no server
 * span shares its id with a client span (nearly every trace: one pass, no allocation
 * beyond a set of the client spans' ids).
 */
export function joinedSpanIds(spans: readonly IdentifiedSpan[]): Map<number, ServedIds> | undefined {
  let clients: Set<string> | undefined;
  for (const s of spans) if (s.kind === CLIENT) (clients ??= new Set()).add(s.spanId);
  if (clients === undefined) return undefined;
  let out: Map<number, ServedIds> | undefined;
  let renamed: Map<string, string> | undefined;
  let used: Set<string> | undefined;
  spans.forEach((s, i) => {
    if (s.kind !== SERVER || !clients.has(s.spanId)) return;
    used ??= new Set(spans.map((x) => x.spanId));
    const id = ownId(s.spanId, used);
    used.add(id);
    (renamed ??= new Map()).set(s.spanId, id);
    (out ??= new Map()).set(i, { spanId: id, parentId: s.spanId });
  });
  if (out === undefined || renamed === undefined) return undefined;
  const served = out;
  const moved = renamed;
  spans.forEach((s, i) => {
    if (served.has(i)) return;
    const parent = moved.get(s.parentId);
    if (parent !== undefined) served.set(i, { spanId: s.spanId, parentId: parent });
  });
  return served;
}
