/**
 * DerivedMetrics over the store, with caching:
 *
 * - Time is cut into 5 s slots (grouped in 1 h blocks). A slot's aggregate is computed
 *   once from SQL (compute.ts) and kept in an LRU bounded by series cells; a block's
 *   aggregate is the sum of its 720 slots and is kept for every block with data.
 * - Nothing is done on the ingest path but one note per insert (wall time, highest span
 *   rowid). The next read looks at the spans stored since it last looked (rowids only
 *   grow) and drops the slots and blocks their traces span, because a new span can pair
 *   with any half of its trace.
 * - The service graph's wait window: a trace that got spans within `waitMs` (wall clock)
 *   leaves its open edges pending; the slot result says until when it holds.
 * - totals() are counters: whatever a block loses when it is recomputed (retention
 *   deleted its traces, or a late span re-paired an expired edge) is kept in `retired`,
 *   so no series ever goes down while the process runs.
 */
import { performance } from 'node:perf_hooks';
import type { CommitSummary, MetricsReads, StoreReader, TimeRangeNs } from '../store/index.ts';
import type { DerivedMetrics, MetricsIncrease } from './types.ts';
import { type Agg, EMPTY_AGG, mergeAll, mergeInto, retireDecreases, toIncrease } from './aggregate.ts';
import { Computer, type IdleOracle, SLOT_NS, type SlotResult } from './compute.ts';

export interface DerivedMetricsOptions {
  /** Extra dimensions for both processors (attribute names; resource attributes first, then span). */
  readonly dimensions?: readonly string[];
  /** Service-graph dimensions as client_<dim>/server_<dim> (Tempo's enable_client_server_prefix; default false). */
  readonly clientServerPrefix?: boolean;
  /** How long a trace must get no spans before its open edges expire (default 10 s, Tempo's `wait`). */
  readonly waitMs?: number;
  /** Wall clock in ms (tests move it). */
  readonly now?: () => number;
  /** Upper bound on cached slot cells (series × slots), default 300 000. */
  readonly maxCachedCells?: number;
}

export const SLOTS_PER_MINUTE = 12;
export const SLOTS_PER_BLOCK = 720;
const MINUTES_PER_BLOCK = SLOTS_PER_BLOCK / SLOTS_PER_MINUTE;
const BLOCK_NS = SLOT_NS * BigInt(SLOTS_PER_BLOCK);
const INT64_MAX = (1n << 63n) - 1n;
const EMPTY_INCREASE: MetricsIncrease = { counters: [], histograms: [] };
/** Minute aggregates kept (about two weeks of minutes with spans). */
const MAX_MINUTES = 20_000;

interface SlotEntry {
  /** Span metrics of the slot, kept exact by adding newly stored spans in place. */
  span: Agg | undefined;
  /** Service graph of the slot, recomputed when a trace it holds gets spans. */
  graph: Agg | undefined;
  graphValidUntil: number;
  /** Cells accounted for this entry in the cache budget. */
  cells: number;
}

/** A minute's or an hour's aggregate: the sum of its slots. */
interface GroupEntry {
  readonly agg: Agg;
  readonly validUntil: number;
  stale: boolean;
}

export interface IngestStats {
  /** Spans stored since this process began watching the store. */
  spansStored: number;
  /** Spans skipped as duplicates (in commits that stored something). */
  spansDuplicate: number;
  /** Commits (each one or more export requests) that stored spans. */
  commits: number;
}

export interface DeriveStats {
  /** Seconds spent reading spans for derived metrics (slot computations and new spans). */
  computeSeconds: number;
  /** Slot computations run (each covers a run of adjacent slots). */
  computations: number;
  /** Slots currently cached, and their cells. */
  cachedSlots: number;
  cachedCells: number;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a < 0n && q * b !== a ? q - 1n : q;
}

export class DerivedMetricsEngine implements DerivedMetrics {
  readonly ingest: IngestStats = { spansStored: 0, spansDuplicate: 0, commits: 0 };
  private readonly computer: Computer;
  private readonly now: () => number;
  private readonly waitMs: number;
  private readonly maxCells: number;
  /** Slot index → entry, least recently used first. */
  private readonly slots = new Map<number, SlotEntry>();
  private cells = 0;
  private readonly minutes = new Map<number, GroupEntry>();
  private readonly blocks = new Map<number, GroupEntry>();
  private retired: Agg = new Map();
  private lastSeenId: number;
  /** Per insert: wall time and the highest span rowid after it, oldest first; from `logHead`. */
  private log: { at: number; maxId: number }[] = [];
  private logHead = 0;
  /** Spans with rowids up to here arrived at least waitMs ago (or before this process). */
  private idleMark: number;
  private version = 0;
  private totalsCache: { version: number; validUntil: number; value: MetricsIncrease } | undefined;
  private computeMs = 0;
  private computations = 0;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly reads: MetricsReads;

  constructor(store: StoreReader, options: DerivedMetricsOptions = {}) {
    const dimensions = options.dimensions ?? [];
    this.reads = store.metricsReads({ slotNs: SLOT_NS, everySpanRaw: dimensions.length > 0 });
    this.computer = new Computer(this.reads, { dimensions, clientServerPrefix: options.clientServerPrefix ?? false });
    this.now = options.now ?? Date.now;
    this.waitMs = options.waitMs ?? 10_000;
    this.maxCells = options.maxCachedCells ?? 300_000;
    this.lastSeenId = this.maxSpanId();
    this.idleMark = this.lastSeenId;
    this.unsubscribe.push(store.onInsert((result) => this.inserted(result)));
    this.unsubscribe.push(store.onDelete((range) => this.deleted(range)));
  }

  /** Stops watching the store. */
  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  get stats(): DeriveStats {
    return { computeSeconds: this.computeMs / 1000, computations: this.computations, cachedSlots: this.slots.size, cachedCells: this.cells };
  }

  private maxSpanId(): number {
    return this.reads.maxSpanId();
  }

  // ------------------------------------------------------------------ store events

  private inserted(result: CommitSummary): void {
    this.ingest.spansStored += result.stored;
    this.ingest.spansDuplicate += result.duplicates;
    this.ingest.commits++;
    this.log.push({ at: this.now(), maxId: Math.max(result.maxSpanId, this.maxSpanId()) });
    this.version++;
    if (this.logHead > 1024 && this.logHead * 2 > this.log.length) {
      this.log = this.log.slice(this.logHead);
      this.logHead = 0;
    }
  }

  private deleted(range: TimeRangeNs | undefined): void {
    this.version++;
    const maxId = this.maxSpanId();
    if (range === undefined) {
      // Everything went: start over, counters included.
      this.slots.clear();
      this.cells = 0;
      this.minutes.clear();
      this.blocks.clear();
      this.retired = new Map();
      this.computer.forget();
    } else {
      this.invalidate(Number(floorDiv(range.startNs, SLOT_NS)), Number(floorDiv(range.endNs, SLOT_NS)), true);
    }
    // Rowids above the highest remaining one may be handed out again.
    if (this.lastSeenId > maxId) this.lastSeenId = maxId;
    if (this.idleMark > maxId) this.idleMark = maxId;
    for (let i = this.logHead; i < this.log.length; i++) if (this.log[i].maxId > maxId) this.log[i].maxId = maxId;
  }

  /** Marks the minutes and blocks holding slots [a, b] stale. */
  private staleGroups(a: number, b: number): void {
    const mark = (groups: Map<number, GroupEntry>, per: number): void => {
      const ga = Math.floor(a / per);
      const gb = Math.floor(b / per);
      if (gb - ga < groups.size) {
        for (let k = ga; k <= gb; k++) {
          const e = groups.get(k);
          if (e) e.stale = true;
        }
      } else {
        for (const [k, e] of groups) if (k >= ga && k <= gb) e.stale = true;
      }
    };
    mark(this.minutes, SLOTS_PER_MINUTE);
    mark(this.blocks, SLOTS_PER_BLOCK);
  }

  /** Drops the service-graph part (or, with `all`, everything) of slots [a, b]. */
  private invalidate(a: number, b: number, all = false): void {
    if (b < a) [a, b] = [b, a];
    this.version++;
    const drop = (s: number): void => {
      const e = this.slots.get(s);
      if (e === undefined) return;
      if (all) this.dropSlot(s);
      else if (e.graph !== undefined) {
        e.graph = undefined;
        this.account(s, e);
      }
    };
    if (b - a < this.slots.size) {
      for (let s = a; s <= b; s++) drop(s);
    } else {
      for (const s of [...this.slots.keys()]) if (s >= a && s <= b) drop(s);
    }
    this.staleGroups(a, b);
  }

  private dropSlot(s: number): void {
    const e = this.slots.get(s);
    if (e === undefined) return;
    this.cells -= e.cells;
    this.slots.delete(s);
  }

  /** Updates the cache budget after an entry changed; evicts least recently used slots. */
  private account(s: number, e: SlotEntry): void {
    const cells = 1 + (e.span?.size ?? 0) + (e.graph?.size ?? 0);
    this.cells += cells - e.cells;
    e.cells = cells;
    while (this.cells > this.maxCells && this.slots.size > 1) {
      const oldest = this.slots.keys().next().value as number;
      if (oldest === s) break;
      this.dropSlot(oldest);
    }
  }

  /**
   * Applies the spans stored since the last look: their span metrics go straight into
   * the cached slots; the service graph of every slot their traces reach is recomputed
   * on demand, since a new span can pair with any half of its trace.
   */
  private refresh(): void {
    const maxId = this.maxSpanId();
    if (maxId === this.lastSeenId) return;
    if (maxId < this.lastSeenId) {
      this.lastSeenId = maxId;
      return;
    }
    const t = performance.now();
    const changed = new Map<number, Agg | undefined>();
    const touched = this.computer.addNewSpans(this.lastSeenId, maxId, (slot) => {
      if (changed.has(slot)) return changed.get(slot);
      let e = this.slots.get(slot);
      let agg = e?.span;
      if (agg === undefined && !this.computer.hasSpansUpTo(slot, this.lastSeenId)) {
        // Nothing was stored in this slot before: its span metrics are exactly the new spans.
        if (e === undefined) this.slots.set(slot, (e = { span: undefined, graph: undefined, graphValidUntil: Infinity, cells: 0 }));
        e.span = agg = new Map();
      }
      changed.set(slot, agg);
      return agg;
    });
    for (const s of changed.keys()) {
      const e = this.slots.get(s);
      if (e !== undefined) this.account(s, e);
      this.staleGroups(s, s);
    }
    // Merge the traces' slot ranges before invalidating, so a busy slot is visited once.
    const ranges: [number, number][] = [];
    for (const [trace, [a, b]] of touched) {
      const extent = this.computer.traceSlots(trace);
      ranges.push(extent === undefined ? [a, b] : [Math.min(a, extent[0]), Math.max(b, extent[1])]);
    }
    ranges.sort((x, y) => x[0] - y[0]);
    let cur: [number, number] | undefined;
    for (const r of ranges) {
      if (cur !== undefined && r[0] <= cur[1] + 1) cur[1] = Math.max(cur[1], r[1]);
      else {
        if (cur !== undefined) this.invalidate(cur[0], cur[1]);
        cur = [r[0], r[1]];
      }
    }
    if (cur !== undefined) this.invalidate(cur[0], cur[1]);
    this.lastSeenId = maxId;
    this.version++;
    this.computeMs += performance.now() - t;
  }

  // ------------------------------------------------------------------ the wait window

  private currentIdleMark(now: number): number {
    const cutoff = now - this.waitMs;
    while (this.logHead < this.log.length && this.log[this.logHead].at <= cutoff) {
      const e = this.log[this.logHead++];
      if (e.maxId > this.idleMark) this.idleMark = e.maxId;
    }
    return this.idleMark;
  }

  private readonly oracle: IdleOracle = {
    pendingUntil: (traceRowid, maxLoaded) => {
      const now = this.now();
      const mark = this.currentIdleMark(now);
      let maxId = maxLoaded;
      if (maxId <= mark) {
        if (this.lastSeenId <= mark) return undefined;
        maxId = this.computer.maxSpanId(traceRowid);
        if (maxId <= mark) return undefined;
      }
      for (let i = this.logHead; i < this.log.length; i++) if (this.log[i].maxId >= maxId) return this.log[i].at + this.waitMs;
      return now + this.waitMs;
    },
  };

  // ------------------------------------------------------------------ slots, minutes, blocks

  private compute(startNs: bigint, endNs: bigint, part: 'span' | 'graph'): Map<number, SlotResult> {
    const t = performance.now();
    try {
      return this.computer.compute(startNs, endNs, part, this.oracle);
    } finally {
      this.computeMs += performance.now() - t;
      this.computations++;
    }
  }

  /** Both parts of whole slots [a, b) (at most a block), computing what is missing or expired. */
  private slotParts(a: number, b: number): { aggs: Agg[]; validUntil: number } {
    const now = this.now();
    const entries: SlotEntry[] = [];
    for (let s = a; s < b; s++) {
      let e = this.slots.get(s);
      if (e === undefined) e = { span: undefined, graph: undefined, graphValidUntil: Infinity, cells: 0 };
      else this.slots.delete(s); // re-inserted below: most recently used last
      if (e.graph !== undefined && e.graphValidUntil <= now) e.graph = undefined;
      this.slots.set(s, e);
      entries.push(e);
    }
    for (const part of ['span', 'graph'] as const) {
      let run = -1;
      for (let i = 0; i <= entries.length; i++) {
        const missing = i < entries.length && entries[i][part] === undefined;
        if (missing && run < 0) run = i;
        if (!missing && run >= 0) {
          const results = this.compute(BigInt(a + run) * SLOT_NS, BigInt(a + i) * SLOT_NS, part);
          for (let j = run; j < i; j++) {
            const r = results.get(a + j);
            const e = entries[j];
            // Span parts are added to in place later, so each gets a map of its own.
            if (part === 'span') e.span = r?.agg ?? new Map();
            else {
              e.graph = r?.agg ?? EMPTY_AGG;
              e.graphValidUntil = r?.validUntil ?? Infinity;
            }
          }
          run = -1;
        }
      }
    }
    const aggs: Agg[] = [];
    let validUntil = Infinity;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.span!.size > 0) aggs.push(e.span!);
      if (e.graph!.size > 0) aggs.push(e.graph!);
      if (e.graphValidUntil < validUntil) validUntil = e.graphValidUntil;
      this.account(a + i, e);
    }
    return { aggs, validUntil };
  }

  private minuteAgg(m: number): GroupEntry {
    const e = this.minutes.get(m);
    if (e !== undefined && !e.stale && e.validUntil > this.now()) return e;
    const { aggs, validUntil } = this.slotParts(m * SLOTS_PER_MINUTE, (m + 1) * SLOTS_PER_MINUTE);
    const entry: GroupEntry = { agg: mergeAll(aggs), validUntil, stale: false };
    this.minutes.delete(m);
    this.minutes.set(m, entry);
    if (this.minutes.size > MAX_MINUTES) this.minutes.delete(this.minutes.keys().next().value as number);
    return entry;
  }

  private blockAgg(k: number): GroupEntry {
    const e = this.blocks.get(k);
    if (e !== undefined && !e.stale && e.validUntil > this.now()) return e;
    // Fill the block's missing slots in as few passes as possible, then sum by minute.
    const first = k * MINUTES_PER_BLOCK;
    const needed: number[] = [];
    for (let m = first; m < first + MINUTES_PER_BLOCK; m++) {
      const me = this.minutes.get(m);
      if (me === undefined || me.stale || me.validUntil <= this.now()) needed.push(m);
    }
    if (needed.length > 4) this.slotParts(needed[0] * SLOTS_PER_MINUTE, (needed[needed.length - 1] + 1) * SLOTS_PER_MINUTE);
    const parts: Agg[] = [];
    let validUntil = Infinity;
    for (let m = first; m < first + MINUTES_PER_BLOCK; m++) {
      const me = this.minuteAgg(m);
      if (me.agg.size > 0) parts.push(me.agg);
      if (me.validUntil < validUntil) validUntil = me.validUntil;
    }
    const agg = mergeAll(parts);
    if (e !== undefined) retireDecreases(e.agg, agg, this.retired);
    const entry: GroupEntry = { agg, validUntil, stale: false };
    this.blocks.set(k, entry);
    return entry;
  }

  private direct(startNs: bigint, endNs: bigint): Agg {
    const out: Agg = new Map();
    for (const part of ['span', 'graph'] as const) for (const r of this.compute(startNs, endNs, part).values()) mergeInto(out, r.agg);
    return out;
  }

  private nextStart(fromNs: bigint): bigint | undefined {
    return this.reads.nextStart(fromNs);
  }

  /** The merged aggregate (with the viewer's fine histograms) of spans starting in [startNs, endNs). */
  window(startNs: bigint, endNs: bigint): Agg {
    this.refresh();
    const first = this.reads.firstStart();
    const last = this.reads.lastStart();
    if (first === undefined || last === undefined) return new Map();
    // Clamped to the slots holding spans, on slot boundaries so that they stay whole slots.
    const lo = floorDiv(first, SLOT_NS) * SLOT_NS;
    const hi = (floorDiv(last, SLOT_NS) + 1n) * SLOT_NS;
    let start = startNs < lo ? lo : startNs;
    let end = endNs > hi ? hi : endNs;
    if (start < 0n) start = 0n;
    if (end > INT64_MAX) end = INT64_MAX;
    if (end <= start) return new Map();
    const out: Agg = new Map();
    const s0 = -floorDiv(-start, SLOT_NS); // first whole slot
    const s1 = floorDiv(end, SLOT_NS); // end of the last whole slot (exclusive)
    if (s0 >= s1) {
      mergeInto(out, this.direct(start, end));
      return out;
    }
    if (start < s0 * SLOT_NS) mergeInto(out, this.direct(start, s0 * SLOT_NS));
    if (s1 * SLOT_NS < end) mergeInto(out, this.direct(s1 * SLOT_NS, end));
    // Whole slots: whole hours, then whole minutes, then slots, jumping over stretches without spans.
    const endSlot = Number(s1);
    let pos = Number(s0);
    while (pos < endSlot) {
      const next = this.nextStart(BigInt(pos) * SLOT_NS);
      if (next === undefined || next >= s1 * SLOT_NS) break;
      const nextSlot = Number(floorDiv(next, SLOT_NS));
      if (nextSlot > pos) pos = nextSlot;
      const bs = Math.floor(pos / SLOTS_PER_BLOCK) * SLOTS_PER_BLOCK;
      if (pos === bs && bs + SLOTS_PER_BLOCK <= endSlot) {
        mergeInto(out, this.blockAgg(bs / SLOTS_PER_BLOCK).agg);
        pos = bs + SLOTS_PER_BLOCK;
        continue;
      }
      const ms = Math.floor(pos / SLOTS_PER_MINUTE) * SLOTS_PER_MINUTE;
      if (pos === ms && ms + SLOTS_PER_MINUTE <= endSlot) {
        mergeInto(out, this.minuteAgg(ms / SLOTS_PER_MINUTE).agg);
        pos = ms + SLOTS_PER_MINUTE;
        continue;
      }
      const segEnd = Math.min(ms + SLOTS_PER_MINUTE, endSlot);
      for (const a of this.slotParts(pos, segEnd).aggs) mergeInto(out, a);
      pos = segEnd;
    }
    return out;
  }

  increase(startNs: bigint, endNs: bigint): MetricsIncrease {
    if (endNs <= startNs) return EMPTY_INCREASE;
    return toIncrease(this.window(startNs, endNs));
  }

  totals(): MetricsIncrease {
    this.refresh();
    const now = this.now();
    const cached = this.totalsCache;
    if (cached !== undefined && cached.version === this.version && cached.validUntil > now) return cached.value;
    const parts: Agg[] = [];
    const seen = new Set<number>();
    let validUntil = Infinity;
    let from = this.reads.firstStart();
    while (from !== undefined) {
      const block = floorDiv(from, BLOCK_NS);
      const k = Number(block);
      const e = this.blockAgg(k);
      parts.push(e.agg);
      if (e.validUntil < validUntil) validUntil = e.validUntil;
      seen.add(k);
      const nextBlockStart = (block + 1n) * BLOCK_NS;
      if (nextBlockStart > INT64_MAX) break;
      from = this.nextStart(nextBlockStart);
    }
    // Blocks whose spans are all gone: what they counted stays counted.
    for (const [k, e] of [...this.blocks]) {
      if (seen.has(k)) continue;
      retireDecreases(e.agg, EMPTY_AGG, this.retired);
      this.blocks.delete(k);
    }
    const value = toIncrease(mergeAll([this.retired, ...parts]));
    this.totalsCache = { version: this.version, validUntil, value };
    return value;
  }
}

/** A new engine over `store` (it watches the store until dispose()); the server builds one and hands it to whoever reads derived metrics. */
export function createDerivedMetrics(store: StoreReader, options: DerivedMetricsOptions = {}): DerivedMetricsEngine {
  return new DerivedMetricsEngine(store, options);
}
