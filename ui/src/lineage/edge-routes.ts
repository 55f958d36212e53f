/**
 * Routes of lineage edges around the boxes of a layered layout, so that no edge is drawn behind a
 * node it does not touch (which would suggest lineage that does not exist).
 *
 * A layered layout puts boxes in columns (its ranks) with empty gaps between the columns. An edge
 * that skips columns gets one horizontal run through each column it crosses, at a height where that
 * column has no box (a gap between two boxes, or above or below them: the "dummy point" of that
 * column), nearest to a line that moves steadily from the source's height to the target's; between
 * columns it curves in the empty gap. An edge that goes back (or stays in its column, as between
 * groups that feed each other) leaves to the right, runs above every box, and comes down left of
 * its target. `smoothPath` (edge-path.ts) draws the points with horizontal tangents, which
 * keeps each curve between its two columns.
 *
 * Cost: sorting the boxes into columns once, then per column crossed a binary search; edges between
 * adjacent columns of equal widths (most of them) need no points at all.
 *
 * Pure: no DOM, so it runs in the layout worker and in unit tests.
 */
import type { Point } from "./layered-layout.js";

/** The size of a box. */
export interface BoxSize {
  width: number;
  height: number;
}

/** Where routes may go above and below the boxes, and where edges that go back run. */
export interface RouteBounds {
  /** The lowest y a route may use (a group's inside starts at its padding); -Infinity for none. */
  top: number;
  /** The highest y a route may use; Infinity for none. */
  bottom: number;
  /** The y of the run of edges that go back: above every box, inside `top`. */
  loopY: number;
}

/**
 * The points of a route as they are found, shifted by (dx, dy) (from a group's inner layout to the
 * graph's coordinates). One is reused for every edge: most edges need no point at all.
 */
export class RoutePoints {
  private list: Point[] = [];
  dx = 0;
  dy = 0;

  /** Adds the point (x, y) of the current coordinates; one that extends a horizontal run replaces the run's end. */
  push(x: number, y: number): void {
    const point = { x: x + this.dx, y: y + this.dy };
    const n = this.list.length;
    if (n >= 2 && this.list[n - 1]!.y === point.y && this.list[n - 2]!.y === point.y && point.x >= this.list[n - 1]!.x) this.list[n - 1] = point;
    else this.list.push(point);
  }

  /** The points added since the last take (undefined for none), and starts anew. */
  take(): Point[] | undefined {
    this.dx = 0;
    this.dy = 0;
    if (this.list.length === 0) return undefined;
    const points = this.list;
    this.list = [];
    return points;
  }
}

/**
 * How close to a box a route passes at most: in a gap narrower than twice this (the 18 px between
 * two assets), in its middle, so that an edge never reads as a node's border.
 */
const CLEARANCE = 12;
/** The width of the gap beside the first or last column, for the runs of edges that go back. */
const OUTER_GAP = 48;

/** The boxes of one layout by column, to route edges between them. */
export class EdgeRouter {
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  /** Per column, the tops and bottoms of its boxes, from the top down. */
  private readonly tops: Float64Array[] = [];
  private readonly bottoms: Float64Array[] = [];
  /** Each box's corner, size and column. */
  private readonly slots = new Map<string, Slot>();

  /**
   * `positions`: top-left corners of the boxes by id; `size`: one size for all, or each box's.
   * Boxes whose spans of x overlap make one column (a layered layout's rank).
   */
  constructor(
    positions: ReadonlyMap<string, Point>,
    size: BoxSize | ReadonlyMap<string, BoxSize>,
    private readonly bounds: RouteBounds,
  ) {
    const slots: Slot[] = [];
    for (const [id, p] of positions) {
      const { width, height } = "width" in size ? size : size.get(id)!;
      const slot: Slot = { x: p.x, y: p.y, width, height, column: 0 };
      slots.push(slot);
      this.slots.set(id, slot);
    }
    slots.sort((a, b) => a.x - b.x);
    let members: Slot[] = [];
    const close = () => {
      if (members.length === 0) return;
      members.sort((a, b) => a.y - b.y);
      this.tops.push(Float64Array.from(members, (m) => m.y));
      this.bottoms.push(Float64Array.from(members, (m) => m.y + m.height));
      members = [];
    };
    for (const slot of slots) {
      const c = this.left.length - 1;
      if (c >= 0 && slot.x < this.right[c]!) {
        this.right[c] = Math.max(this.right[c]!, slot.x + slot.width);
      } else {
        close();
        this.left.push(slot.x);
        this.right.push(slot.x + slot.width);
      }
      members.push(slot);
      slot.column = this.left.length - 1;
    }
    close();
  }

  /** The column of box `id`. */
  column(id: string): number {
    return this.slot(id).column;
  }

  /** The height of box `id`'s middle, where its edges leave and arrive. */
  middleY(id: string): number {
    const slot = this.slot(id);
    return slot.y + slot.height / 2;
  }

  private slot(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`No box "${id}" to route an edge from or to.`);
    return slot;
  }

  /**
   * The bends of an edge from box `from` (its right side) to box `to` (its left side). None when a
   * plain curve is clear: the boxes are in adjacent columns, flush with the column sides they face.
   */
  route(from: string, to: string, out: RoutePoints): void {
    const source = this.slot(from);
    const target = this.slot(to);
    // The common case, at once: adjacent columns, both boxes flush with the sides they face.
    if (target.column === source.column + 1 && source.x + source.width === this.right[source.column] && target.x === this.left[target.column]) return;
    const y = source.y + source.height / 2;
    this.leave(from, y, out);
    this.arrive(source.column, y, to, target.y + target.height / 2, out);
  }

  /**
   * Bends from the right side of box `from` at height `y` through every column after its own: the
   * way out of a group's box. Returns the height reached (the last column's free height).
   */
  exitRight(from: string, y: number, out: RoutePoints): number {
    this.leave(from, y, out);
    return this.through(this.column(from) + 1, this.left.length, y, y, out);
  }

  /**
   * Bends from the left of the first column, at height `y`, through the columns before box `to`'s
   * to its left side at height `targetY`: the way into a group's box.
   */
  enterLeft(to: string, y: number, targetY: number, out: RoutePoints): void {
    this.through(0, this.column(to), y, targetY, out);
    this.enter(to, targetY, out);
  }

  /** From box `from`'s right side, at height `y`, straight to the right side of its column. */
  leave(from: string, y: number, out: RoutePoints): void {
    const slot = this.slot(from);
    const right = this.right[slot.column]!;
    if (slot.x + slot.width < right) out.push(right, y);
  }

  /**
   * From the right side of column `start` (at height `y`) into box `to` at height `targetY`: through
   * the columns between when `to` is further right, else around them (right, above every box, down).
   */
  arrive(start: number, y: number, to: string, targetY: number, out: RoutePoints): void {
    const end = this.column(to);
    if (start < end) {
      this.through(start + 1, end, y, targetY, out);
    } else {
      const outX = this.right[start]! + (start + 1 < this.left.length ? this.left[start + 1]! - this.right[start]! : OUTER_GAP) / 2;
      const inX = this.left[end]! - (end > 0 ? this.left[end]! - this.right[end - 1]! : OUTER_GAP) / 2;
      const { loopY } = this.bounds;
      out.push(outX, y);
      out.push(outX, loopY);
      out.push(inX, loopY);
      out.push(inX, targetY);
    }
    this.enter(to, targetY, out);
  }

  /**
   * Through columns [from, to): one horizontal run across each at a free height, the heights moving
   * from `y` toward `targetY` a share per column. Returns the height of the last run (or `y`).
   */
  through(from: number, to: number, y: number, targetY: number, out: RoutePoints): number {
    let at = y;
    for (let c = from; c < to; c++) {
      at = this.freeY(c, at + (targetY - at) / (to - c + 1));
      out.push(this.left[c]!, at);
      out.push(this.right[c]!, at);
    }
    return at;
  }

  /** The height nearest `wanted` where column `c` has no box (keeping a clearance when there is room). */
  freeY(c: number, wanted: number): number {
    const tops = this.tops[c]!;
    const bottoms = this.bottoms[c]!;
    // k: how many boxes start above `wanted`; the gap k lies between box k-1 and box k.
    let lo = 0;
    let hi = tops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tops[mid]! <= wanted) lo = mid + 1;
      else hi = mid;
    }
    const k = lo;
    if (k === 0 || wanted >= bottoms[k - 1]!) return this.intoGap(c, k, wanted);
    // Inside box k-1: the nearer of the gaps above and below it.
    const above = this.intoGap(c, k - 1, wanted);
    const below = this.intoGap(c, k, wanted);
    return wanted - above <= below - wanted ? above : below;
  }

  /** `wanted` moved into gap `k` of column `c`, keeping the clearance when the gap allows it. */
  private intoGap(c: number, k: number, wanted: number): number {
    const tops = this.tops[c]!;
    const top = k === 0 ? this.bounds.top : this.bottoms[c]![k - 1]!;
    const bottom = k === tops.length ? this.bounds.bottom : tops[k]!;
    const margin = Math.min(CLEARANCE, (bottom - top) / 2);
    return Math.min(Math.max(wanted, top + margin), bottom - margin);
  }

  /** Into box `to` at `targetY`: from the left side of its column, straight on when the box starts further in. */
  private enter(to: string, targetY: number, out: RoutePoints): void {
    const slot = this.slot(to);
    const left = this.left[slot.column]!;
    if (slot.x > left) out.push(left, targetY);
  }
}

/** A box as the router keeps it. */
interface Slot {
  x: number;
  y: number;
  width: number;
  height: number;
  column: number;
}
