/**
 * One pass over the stored spans of a time range → per-slot aggregates of Tempo's two
 * metrics-generator processors, by their rules (Tempo 2.7's service-graphs and span-metrics):
 *
 * - span metrics: every span whose start lies in the range, one series per service,
 *   span name, kind, status (+ dimensions);
 * - service graph: the CLIENT/SERVER/PRODUCER/CONSUMER spans of every trace with such a
 *   span in the range are replayed in arrival order through Tempo's edge store (key =
 *   trace + client span id / server parent id, last writer wins, database shortcut),
 *   then edges still open are either pending (the trace got spans within the wait
 *   window) or expire by Tempo's rules (root server → client "user", client with a peer
 *   attribute → that peer, both `virtual_node`; otherwise an unpaired span).
 *
 * An edge counts at its client span's start (its server span's when there is no client),
 * so each edge lands in exactly one slot however the range is cut. Only the columns and
 * attributes the rules need are read: raw span bytes only for CLIENT/PRODUCER spans (or
 * for every span when dimensions are configured), searched for a handful of keys.
 */
import type { GraphSpanRow, MetricsReads } from '../store/index.ts';
import type { Labels } from './types.ts';
import { AttributeLookup, RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES, sanitizeLabelName } from './attributes.ts';
import { type Agg, type Cell, Family, cellFor, observeEdge, observeSpan } from './aggregate.ts';

/** Slot width: the unit of caching and of "where an observation lands". */
export const SLOT_NS = 5_000_000_000n;
export const SLOT_NS_NUM = 5_000_000_000;

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const KIND_SERVER = 2;
const KIND_CLIENT = 3;
const KIND_PRODUCER = 4;
const KIND_CONSUMER = 5;
const STATUS_ERROR = 2;

/** Span-metrics label names a dimension may not take (Tempo prefixes such a dimension with `__`). */
const INTRINSIC_LABELS = new Set(['service', 'span_name', 'span_kind', 'status_code', 'status_message', 'job', 'instance']);

// Attributes the service-graph rules read, in this order (then the configured dimensions).
const DB_NAME = 0;
const DB_SYSTEM = 1;
const PEER_SERVICE = 2;
const SERVER_ADDRESS = 3;
const NET_PEER_ADDRESS = 4;
const NET_PEER_PORT = 5;
const GRAPH_KEYS = ['db.name', 'db.system', 'peer.service', 'server.address', 'network.peer.address', 'network.peer.port'];
/** Tempo 2.7's default peer_attributes (span attributes only), in order. */
const PEER_ATTRIBUTES = [PEER_SERVICE, DB_NAME, DB_SYSTEM];

export interface ComputeOptions {
  /** Extra label dimensions, looked up in resource attributes first, then span attributes. */
  readonly dimensions: readonly string[];
  /** Service graph: dimension labels become client_<dim> and server_<dim> (Tempo's enable_client_server_prefix). */
  readonly clientServerPrefix: boolean;
}

/** Tells whether a trace may still receive spans. */
export interface IdleOracle {
  /** undefined when the trace is idle; otherwise the wall time (ms) at which it becomes idle. */
  pendingUntil(traceRowid: number, maxLoadedSpanId: number): number | undefined;
}

export interface SlotResult {
  readonly agg: Agg;
  /** Wall time (ms) until which the result holds: Infinity unless edges are pending. */
  validUntil: number;
}

interface ResourceInfo {
  readonly service: string;
  readonly raw: Uint8Array | null;
  /** Resource-level values of GRAPH_KEYS + dimensions, read on first need. */
  graph?: (string | undefined)[];
  /** Resource-level values of the dimensions. */
  dims?: (string | undefined)[];
}

interface OpenEdge {
  readonly key: string;
  client: string;
  server: string;
  connectionType: string;
  failed: boolean;
  clientNs: number;
  serverNs: number;
  /** Whether serverNs was set (by a server span, or the database rule). */
  serverSet: boolean;
  peer: string;
  dims: Map<string, string> | undefined;
  clientRel: number | undefined;
  serverRel: number | undefined;
}

/** A CLIENT/SERVER/PRODUCER/CONSUMER span as the graph query returns it. */
type Half = GraphSpanRow;
const H_ID = 1;
const H_SPAN_ID = 2;
const H_PARENT_ID = 3;
const H_KIND = 4;
const H_STATUS = 5;
const H_REL = 6;
const H_DURATION = 7;
const H_RESOURCE = 8;
const H_RAW = 9;

export class Computer {
  /** Span row shape → series key and labels (bounded). */
  private readonly shapes = new Map<string | number, { key: string; labels: Labels }>();
  private readonly resources = new Map<number, ResourceInfo>();
  private readonly names = new Map<number, string>();
  private readonly labelMemo = new Map<string, Labels>();
  private readonly graphLookup: AttributeLookup;
  private readonly dimLookup: AttributeLookup;
  private readonly spanDimLabels: string[];
  private readonly graphDimKeys: { client: string[]; server: string[] };
  private readonly dims: readonly string[];

  constructor(
    private readonly reads: MetricsReads,
    private readonly options: ComputeOptions,
  ) {
    this.dims = options.dimensions;
    this.graphLookup = new AttributeLookup([...GRAPH_KEYS, ...this.dims]);
    this.dimLookup = new AttributeLookup(this.dims);
    this.spanDimLabels = this.dims.map((d) => {
      const l = sanitizeLabelName(d);
      return INTRINSIC_LABELS.has(l) ? '__' + l : l;
    });
    this.graphDimKeys = {
      client: this.dims.map((d) => (options.clientServerPrefix ? 'client_' + d : d)),
      server: this.dims.map((d) => (options.clientServerPrefix ? 'server_' + d : d)),
    };
  }

  /** The max span id of a trace (all kinds), for the idle test. */
  maxSpanId(traceRowid: number): number {
    return this.reads.traceMaxSpanId(traceRowid);
  }

  /** Forgets cached resource rows (after the store was cleared). */
  forget(): void {
    this.resources.clear();
    this.names.clear();
    this.shapes.clear();
  }

  private resource(id: number): ResourceInfo {
    let r = this.resources.get(id);
    if (r === undefined) {
      const row = this.reads.resource(id);
      r = { raw: row?.raw ?? null, service: row?.service ?? '' };
      if (this.resources.size > 100_000) this.resources.clear();
      this.resources.set(id, r);
    }
    return r;
  }

  private spanName(id: number): string {
    let n = this.names.get(id);
    if (n === undefined) {
      n = this.reads.spanName(id);
      if (this.names.size > 100_000) this.names.clear();
      this.names.set(id, n);
    }
    return n;
  }

  private labels(key: string, build: () => Record<string, string>): Labels {
    let l = this.labelMemo.get(key);
    if (l === undefined) {
      const raw = build();
      const out: Record<string, string> = {};
      for (const k of Object.keys(raw)) if (raw[k] !== '') out[k] = raw[k];
      l = Object.freeze(out);
      if (this.labelMemo.size > 200_000) this.labelMemo.clear();
      this.labelMemo.set(key, l);
    }
    return l;
  }

  /**
   * Aggregates of the spans starting in [startNs, endNs), which must lie within one
   * 2^53 ns stretch (the engine asks for at most an hour), keyed by absolute slot index.
   */
  compute(startNs: bigint, endNs: bigint, part: 'span' | 'graph', idle: IdleOracle): Map<number, SlotResult> {
    // The stretch at the end of the int64 range (clamped far-future times) ends past it.
    startNs = clampInt64(startNs);
    endNs = clampInt64(endNs);
    const baseSlot = Number(startNs / SLOT_NS);
    const base = BigInt(baseSlot) * SLOT_NS;
    const lo = Number(startNs - base);
    const hi = Number(endNs - base);
    const slots = new Map<number, SlotResult>();
    // Rows come roughly in time order: the last slot is usually the next one's too.
    let lastLo = 0;
    let lastHi = -1;
    let last: SlotResult | undefined;
    const slotAt = (rel: number): SlotResult => {
      if (rel >= lastLo && rel < lastHi) return last!;
      const k = Math.floor(rel / SLOT_NS_NUM);
      const s = baseSlot + k;
      let r = slots.get(s);
      if (r === undefined) {
        r = { agg: new Map(), validUntil: Infinity };
        slots.set(s, r);
      }
      lastLo = k * SLOT_NS_NUM;
      lastHi = lastLo + SLOT_NS_NUM;
      last = r;
      return r;
    };
    if (part === 'span') this.spanMetrics(base, startNs, endNs, slotAt);
    else this.serviceGraph(base, startNs, endNs, lo, hi, slotAt, idle);
    return slots;
  }

  private spanMetrics(base: bigint, startNs: bigint, endNs: bigint, slotAt: (rel: number) => SlotResult): void {
    for (const row of this.reads.spansStarting(base, startNs, endNs)) {
      this.observeRow(slotAt(row[0]).agg, row[1], row[2], row[3], row[4], row[5], row[6]);
    }
  }

  /**
   * Adds the spans with rowids in (afterId, uptoId] to the span-metrics aggregates that
   * `spanAgg` hands out (undefined: that slot is not cached, skip); returns, per trace
   * touched, the lowest and highest slot of its new spans.
   */
  addNewSpans(afterId: number, uptoId: number, spanAgg: (slot: number) => Agg | undefined): Map<number, [number, number]> {
    const touched = new Map<number, [number, number]>();
    let lastSlot = NaN;
    let lastAgg: Agg | undefined;
    for (const row of this.reads.spansAdded(afterId, uptoId)) {
      const [trace, slot] = row;
      const t = touched.get(trace);
      if (t === undefined) touched.set(trace, [slot, slot]);
      else if (slot < t[0]) t[0] = slot;
      else if (slot > t[1]) t[1] = slot;
      if (slot !== lastSlot) {
        lastSlot = slot;
        lastAgg = spanAgg(slot);
      }
      if (lastAgg !== undefined) this.observeRow(lastAgg, row[2], row[3], row[4], row[5], row[6], row[7]);
    }
    return touched;
  }

  /** Whether a span with rowid ≤ `id` starts in slot `slot`. */
  hasSpansUpTo(slot: number, id: number): boolean {
    const start = BigInt(slot) * SLOT_NS;
    // The last slot of the int64 range (a clamped far-future time) would overflow its end.
    return this.reads.hasSpanUpTo(clampInt64(start), clampInt64(start + SLOT_NS), id);
  }

  /** The slots a trace's spans start in: [first, last] (by its stored extent). */
  traceSlots(traceRowid: number): [number, number] | undefined {
    return this.reads.traceSlots(traceRowid);
  }

  private observeRow(agg: Agg, duration: number, resourceId: number, nameId: number, kind: number, status: number, sizeOrRaw: number | Uint8Array): void {
    let dimValues: (string | undefined)[] | undefined;
    let shape: string | number;
    let size: number;
    if (typeof sizeOrRaw !== 'number') {
      size = sizeOrRaw.length;
      dimValues = this.spanDims(resourceId, sizeOrRaw);
      shape = resourceId + ':' + nameId + ':' + kind + ':' + status + '\0' + dimValues.map((v) => v ?? '').join('\0');
    } else {
      size = sizeOrRaw;
      // A number while the ids are small enough to pack exactly (kind < 8, status < 4).
      shape =
        resourceId < 0x200000 && nameId < 0x200000 && kind < 8 && status < 4
          ? (resourceId * 0x200000 + nameId) * 32 + kind * 4 + status
          : resourceId + ':' + nameId + ':' + kind + ':' + status;
    }
    let series = this.shapes.get(shape);
    if (series === undefined) {
      const service = this.resource(resourceId).service;
      const name = this.spanName(nameId);
      const kindName = KIND_NAMES[kind] ?? KIND_NAMES[0];
      const statusName = STATUS_NAMES[status] ?? STATUS_NAMES[0];
      const dv = dimValues;
      const key = 'S' + service + '\0' + name + '\0' + kindName + '\0' + statusName + (dv ? '\0' + dv.map((v) => v ?? '').join('\0') : '');
      const labels = this.labels(key, () => {
        const l: Record<string, string> = { service, span_name: name, span_kind: kindName, status_code: statusName };
        if (dv) this.spanDimLabels.forEach((label, i) => (l[label] = dv[i] ?? ''));
        return l;
      });
      series = { key, labels };
      if (this.shapes.size > 100_000) this.shapes.clear();
      this.shapes.set(shape, series);
    }
    const { key, labels } = series;
    observeSpan(cellFor(agg, key, Family.Span, () => labels), duration, size);
  }

  private spanDims(resourceId: number, raw: Uint8Array): (string | undefined)[] {
    const res = this.resource(resourceId);
    res.dims ??= this.dimLookup.find(res.raw, RESOURCE_ATTRIBUTES);
    const fromResource = res.dims;
    if (fromResource.every((v) => v !== undefined)) return fromResource;
    const fromSpan = this.dimLookup.find(raw, SPAN_ATTRIBUTES);
    return fromResource.map((v, i) => v ?? fromSpan[i]);
  }

  private serviceGraph(
    base: bigint,
    startNs: bigint,
    endNs: bigint,
    lo: number,
    hi: number,
    slotAt: (rel: number) => SlotResult,
    idle: IdleOracle,
  ): void {
    let trace = -1;
    let halves: Half[] = [];
    const flush = (): void => {
      if (halves.length > 0) {
        // Arrival order (rowid); the index hands a trace's spans out by span id.
        halves.sort((x, y) => x[H_ID] - y[H_ID]);
        this.replayTrace(trace, halves, lo, hi, slotAt, idle);
      }
      halves = [];
    };
    for (const row of this.reads.graphSpans(base, startNs, endNs)) {
      if (row[0] !== trace) {
        flush();
        trace = row[0];
      }
      halves.push(row);
    }
    flush();
  }

  /** Tempo's edge store, replayed over one trace's halves in arrival order. */
  private replayTrace(
    traceRowid: number,
    halves: readonly Half[],
    lo: number,
    hi: number,
    slotAt: (rel: number) => SlotResult,
    idle: IdleOracle,
  ): void {
    const open = new Map<string, OpenEdge>();
    const inRange = (rel: number): boolean => rel >= lo && rel < hi;
    let maxId = 0;
    for (const h of halves) {
      if (h[H_ID] > maxId) maxId = h[H_ID];
      const res = this.resource(h[H_RESOURCE]);
      const isClient = h[H_KIND] === KIND_CLIENT || h[H_KIND] === KIND_PRODUCER;
      if (res.service === '') {
        // Tempo skips spans whose resource has no service.name; counted here as dropped.
        if (inRange(h[H_REL])) {
          const ct = h[H_KIND] === KIND_PRODUCER || h[H_KIND] === KIND_CONSUMER ? 'messaging_system' : '';
          const key = 'D' + ct;
          cellFor(slotAt(h[H_REL]).agg, key, Family.Dropped, () => this.labels(key, () => ({ connection_type: ct }))).v[0]++;
        }
        continue;
      }
      const key = isClient ? h[H_SPAN_ID] : h[H_PARENT_ID];
      let edge = open.get(key);
      const isNew = edge === undefined;
      edge ??= {
        key,
        client: '',
        server: '',
        connectionType: '',
        failed: false,
        clientNs: 0,
        serverNs: 0,
        serverSet: false,
        peer: '',
        dims: undefined,
        clientRel: undefined,
        serverRel: undefined,
      };
      const duration = h[H_DURATION] > 0 ? h[H_DURATION] : 0;
      if (isClient) {
        edge.connectionType = h[H_KIND] === KIND_PRODUCER ? 'messaging_system' : '';
        edge.client = res.service;
        edge.clientNs = duration;
        edge.clientRel = h[H_REL];
        edge.failed ||= h[H_STATUS] === STATUS_ERROR;
        const spanVals = this.graphLookup.find(h[H_RAW], SPAN_ATTRIBUTES);
        res.graph ??= this.graphLookup.find(res.raw, RESOURCE_ATTRIBUTES);
        const resVals = res.graph;
        const get = (i: number): string | undefined => resVals[i] ?? spanVals[i];
        this.setDims(edge, 'client', get);
        for (const p of PEER_ATTRIBUTES) {
          if (spanVals[p] !== undefined) {
            edge.peer = spanVals[p]!;
            break;
          }
        }
        // The database shortcut: db.name or db.system (resource or span) names a server now.
        const dbName = get(DB_NAME);
        if (dbName !== undefined || get(DB_SYSTEM) !== undefined) {
          edge.connectionType = 'database';
          edge.serverNs = duration;
          edge.serverSet = true;
          const peerService = get(PEER_SERVICE);
          const serverAddress = get(SERVER_ADDRESS);
          const netPeer = get(NET_PEER_ADDRESS);
          if (peerService !== undefined) edge.server = peerService;
          else if (serverAddress !== undefined) edge.server = serverAddress;
          else if (netPeer !== undefined) {
            const port = get(NET_PEER_PORT);
            edge.server = port !== undefined ? netPeer + ':' + port : netPeer;
          } else if (dbName !== undefined && dbName !== '') edge.server = dbName;
        }
      } else {
        edge.connectionType = h[H_KIND] === KIND_CONSUMER ? 'messaging_system' : '';
        edge.server = res.service;
        edge.serverNs = duration;
        edge.serverSet = true;
        edge.serverRel = h[H_REL];
        edge.failed ||= h[H_STATUS] === STATUS_ERROR;
        if (this.dims.length > 0) {
          const spanVals = this.graphLookup.find(h[H_RAW], SPAN_ATTRIBUTES);
          res.graph ??= this.graphLookup.find(res.raw, RESOURCE_ATTRIBUTES);
          const resVals = res.graph;
          this.setDims(edge, 'server', (i) => resVals[i] ?? spanVals[i]);
        }
      }
      if (edge.client !== '' && edge.server !== '') {
        this.emit(edge, inRange, slotAt);
        if (!isNew) open.delete(key);
      } else if (isNew) open.set(key, edge);
    }
    if (open.size === 0) return;
    // Edges still open: pending while the trace may get more spans, else expired.
    let pendingUntil: number | undefined;
    let asked = false;
    for (const edge of open.values()) {
      const rel = edge.clientRel ?? edge.serverRel!;
      if (!inRange(rel)) continue;
      if (!asked) {
        pendingUntil = idle.pendingUntil(traceRowid, maxId);
        asked = true;
      }
      if (pendingUntil !== undefined) {
        const slot = slotAt(rel);
        if (pendingUntil < slot.validUntil) slot.validUntil = pendingUntil;
        continue;
      }
      this.expire(edge, rel, slotAt);
    }
  }

  private setDims(edge: OpenEdge, side: 'client' | 'server', get: (i: number) => string | undefined): void {
    const names = this.graphDimKeys[side];
    for (let i = 0; i < names.length; i++) {
      const v = get(GRAPH_KEYS.length + i);
      if (v === undefined) continue;
      (edge.dims ??= new Map()).set(names[i], v);
    }
  }

  private expire(edge: OpenEdge, rel: number, slotAt: (rel: number) => SlotResult): void {
    const originalType = edge.connectionType;
    edge.connectionType = 'virtual_node';
    if (edge.client === '') {
      if (edge.key === '') {
        edge.client = 'user';
        this.emitAt(edge, rel, slotAt);
        return;
      }
    } else if (edge.server === '' && edge.peer !== '') {
      edge.server = edge.peer;
      this.emitAt(edge, rel, slotAt);
      return;
    }
    const side = edge.client !== '' ? 'client' : 'server';
    const service = side === 'client' ? edge.client : edge.server;
    const key = 'U' + side + '\0' + service + '\0' + originalType;
    cellFor(slotAt(rel).agg, key, Family.Unpaired, () =>
      this.labels(key, () => ({ client: side === 'client' ? service : '', server: side === 'server' ? service : '', connection_type: originalType })),
    ).v[0]++;
  }

  private emit(edge: OpenEdge, inRange: (rel: number) => boolean, slotAt: (rel: number) => SlotResult): void {
    const rel = edge.clientRel ?? edge.serverRel!;
    if (inRange(rel)) this.emitAt(edge, rel, slotAt);
  }

  private emitAt(edge: OpenEdge, rel: number, slotAt: (rel: number) => SlotResult): void {
    let key = 'E' + edge.client + '\0' + edge.server + '\0' + edge.connectionType;
    const dimLabels: [string, string][] = [];
    if (this.dims.length > 0) {
      const names = this.options.clientServerPrefix ? [...this.graphDimKeys.client, ...this.graphDimKeys.server] : this.graphDimKeys.client;
      for (const n of names) {
        const v = edge.dims?.get(n) ?? '';
        key += '\0' + v;
        dimLabels.push([sanitizeLabelName(n), v]);
      }
    }
    const cell: Cell = cellFor(slotAt(rel).agg, key, Family.Edge, () =>
      this.labels(key, () => {
        const l: Record<string, string> = { client: edge.client, server: edge.server, connection_type: edge.connectionType };
        for (const [n, v] of dimLabels) l[n] = v;
        return l;
      }),
    );
    observeEdge(cell, edge.failed, edge.serverNs, edge.clientNs, edge.serverSet ? edge.serverNs : edge.clientNs);
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Times bound as SQLite integers must stay within int64. */
function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}
