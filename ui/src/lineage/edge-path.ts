/**
 * The shape of a lineage edge through its points: cubic curves that leave and arrive horizontally
 * (the control points halfway across, as xyflow's bezier edges have them). Each curve stays between
 * the x of its two ends and the y of its two ends, which is what lets edge-routes.ts keep edges in
 * the empty gaps. Pure, so the unit tests sample the very curves the page draws.
 */
import type { Point } from "./layered-layout.js";

/** An SVG path through `points` made of cubic segments that leave and arrive horizontally. */
export function smoothPath(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (!first) return "";
  let d = `M ${first.x},${first.y}`;
  let prev = first;
  for (const p of rest) {
    const half = (p.x - prev.x) / 2;
    d += ` C ${prev.x + half},${prev.y} ${p.x - half},${p.y} ${p.x},${p.y}`;
    prev = p;
  }
  return d;
}

/** `perSegment` points along each cubic of `smoothPath(points)` (the ends included once). */
export function samplePath(points: readonly Point[], perSegment: number): Point[] {
  const out: Point[] = points.length > 0 ? [points[0]!] : [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const half = (b.x - a.x) / 2;
    for (let k = 1; k <= perSegment; k++) {
      const t = k / perSegment;
      const u = 1 - t;
      // Control points (a.x + half, a.y) and (b.x - half, b.y).
      const x = u * u * u * a.x + 3 * u * u * t * (a.x + half) + 3 * u * t * t * (b.x - half) + t * t * t * b.x;
      const y = u * u * u * a.y + 3 * u * u * t * a.y + 3 * u * t * t * b.y + t * t * t * b.y;
      out.push({ x, y });
    }
  }
  return out;
}
