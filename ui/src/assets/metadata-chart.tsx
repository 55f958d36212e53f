/**
 * A small time-series chart of one numeric metadata entry across materializations (uPlot: a
 * canvas, fast with thousands of points). Its width follows its container.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { MetadataPointJson } from "./asset-json";

const HEIGHT = 150;

/** One chart: the values of `name`, oldest first, against materialization time. */
export function MetadataChart({ name, points }: { name: string; points: readonly MetadataPointJson[] }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const xs = points.map((p) => new Date(p.timestamp).getTime() / 1000);
    const ys = points.map((p) => p.value);
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 200),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        series: [{}, { label: name, stroke: "#2f6fde", width: 2, fill: "rgba(47, 111, 222, 0.08)", points: { show: true, size: 6, fill: "#2f6fde" } }],
        axes: [{ stroke: "#6b7585", grid: { stroke: "#eef0f3" } }, { stroke: "#6b7585", grid: { stroke: "#eef0f3" }, size: 56 }],
      },
      [xs, ys],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [name, points]);
  const last = points[points.length - 1];
  return (
    <figure className="metadata-chart" data-testid="metadata-chart" data-series={name} data-points={points.length}>
      <figcaption>
        <span className="mono">{name}</span>
        {last && (
          <span className="small muted">
            latest {last.value.toLocaleString()} · {points.length} point{points.length === 1 ? "" : "s"}
          </span>
        )}
      </figcaption>
      <div ref={holder} className="metadata-chart-plot" />
    </figure>
  );
}
