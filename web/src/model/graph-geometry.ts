/**
 * @module model/graph-geometry
 * Drawing a laid-out graph (model/service-graph's layoutGraph): an edge's curve through
 * its route, and where its label goes. Labels are placed one by one at the first spot
 * along their edge (middle first, then towards either end, above then below the line)
 * that overlaps no node, no node label and no label placed before; when every spot is
 * taken, the one overlapping least.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box by its top-left corner. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** How far from a node's centre its edges start or end: sideways (rx) and below (ry, for edges going back). */
export interface NodeExtent {
  readonly rx: number;
  readonly ry: number;
}

export interface EdgeCurve {
  /** SVG path data. */
  readonly d: string;
  /** The point at t ∈ [0, 1] along the curve. */
  readonly at: (t: number) => Point;
}

/** How far below the lower end an edge that goes back (right to left) dips. */
const BACK_DIP = 90;

function cubic(p0: Point, c0: Point, c1: Point, p1: Point, t: number): Point {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return { x: a * p0.x + b * c0.x + c * c1.x + d * p1.x, y: a * p0.y + b * c0.y + c * c1.y + d * p1.y };
}

/**
 * The curve of an edge along its route (source centre, the points where it crosses
 * layers, target centre): left to right as horizontal S-curves from the source's side to
 * the target's; right to left (a cycle's back edge) as one loop under both nodes.
 */
export function edgeCurve(route: readonly Point[], from: NodeExtent, to: NodeExtent): EdgeCurve {
  const a = route[0];
  const b = route[route.length - 1];
  const segs: Array<[Point, Point, Point, Point]> = [];
  if (b.x <= a.x) {
    const low = Math.max(a.y, b.y) + BACK_DIP;
    segs.push([{ x: a.x, y: a.y + from.ry }, { x: a.x, y: low }, { x: b.x, y: low }, { x: b.x, y: b.y + to.ry }]);
  } else {
    const p = route.map((q, i) => ({ x: i === 0 ? q.x + from.rx : i === route.length - 1 ? q.x - to.rx : q.x, y: q.y }));
    for (let i = 1; i < p.length; i++) {
      const dx = (p[i].x - p[i - 1].x) / 2;
      segs.push([p[i - 1], { x: p[i - 1].x + dx, y: p[i - 1].y }, { x: p[i].x - dx, y: p[i].y }, p[i]]);
    }
  }
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  const d = `M${f(segs[0][0].x)},${f(segs[0][0].y)}` + segs.map(([, c0, c1, p1]) => ` C${f(c0.x)},${f(c0.y)} ${f(c1.x)},${f(c1.y)} ${f(p1.x)},${f(p1.y)}`).join('');
  return {
    d,
    at: (t) => {
      const u = Math.min(1, Math.max(0, t)) * segs.length;
      const i = Math.min(segs.length - 1, Math.floor(u));
      const [p0, c0, c1, p1] = segs[i];
      return cubic(p0, c0, c1, p1, u - i);
    },
  };
}

/** Overlap area of two boxes. */
export function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Width of a text line in px, estimated (an SVG is laid out before it can be measured). */
export const textWidth = (text: string, fontPx: number): number => text.length * fontPx * 0.58;

/** A text's box centred on (x, y). */
export const centredBox = (x: number, y: number, w: number, h: number): Box => ({ x: x - w / 2, y: y - h / 2, w, h });

const ALONG = [0.5, 0.38, 0.62, 0.26, 0.74, 0.16, 0.84];

/** Where each label's centre goes (see the module doc); labels in the order given. */
export function placeLabels(labels: ReadonlyArray<{ readonly at: (t: number) => Point; readonly w: number; readonly h: number }>, obstacles: readonly Box[]): Point[] {
  const taken: Box[] = [...obstacles];
  return labels.map((l) => {
    let best: { p: Point; box: Box; cost: number } | undefined;
    for (const t of ALONG) {
      const on = l.at(t);
      for (const dy of [-(l.h / 2 + 3), l.h / 2 + 3]) {
        const p = { x: on.x, y: on.y + dy };
        const box = centredBox(p.x, p.y, l.w, l.h);
        const cost = taken.reduce((n, o) => n + overlap(box, o), 0);
        if (best === undefined || cost < best.cost) best = { p, box, cost };
        if (cost === 0) break;
      }
      if (best?.cost === 0) break;
    }
    const chosen = best as { p: Point; box: Box };
    taken.push(chosen.box);
    return chosen.p;
  });
}
