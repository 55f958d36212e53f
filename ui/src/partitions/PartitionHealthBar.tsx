/**
 * An asset's partitions as a horizontal bar coloured by status (materialized, failed, in progress,
 * missing), drawn on a canvas from the run-length ranges of GET /api/assets/:key/partitions:
 * 100,000 keys draw in a few milliseconds. Hover names the key and its status; the wheel zooms
 * around the pointer (re-drawing the visible slice), a drag pans, a click picks the key. Counts
 * beside it.
 */
import { useEffect, useLayoutEffect, useRef, useState, type PointerEvent } from "react";
import { drawBar, type BarWindow } from "./health-bar-draw";
import { PARTITION_COLORS, plural, statusAt, type AssetPartitionsJson, type AssetPartitionStatus } from "./partition-types";
import "./partitions.css";

const HEIGHT = 28;
/** Fewest keys a zoom shows. */
const MIN_KEYS = 10;
const LABEL: Record<AssetPartitionStatus, string> = { MATERIALIZED: "materialized", FAILED: "failed", IN_PROGRESS: "in progress", MISSING: "missing" };

/** Props of PartitionHealthBar. */
export interface PartitionHealthBarProps {
  data: AssetPartitionsJson;
  /** A click on a key. */
  onPick?: (key: string) => void;
  /** `performance.now()` when the data was asked for: the bar records how long until it was painted. */
  requestedAt?: number;
}

function clampWindow(w: BarWindow, total: number): BarWindow {
  const size = Math.min(total, Math.max(Math.min(MIN_KEYS, total), Math.round(w.to - w.from)));
  const from = Math.max(0, Math.min(total - size, Math.round(w.from)));
  return { from, to: from + size };
}

/** The bar, its zoom controls, the hovered key, and counts. */
export function PartitionHealthBar({ data, onPick, requestedAt }: PartitionHealthBarProps) {
  const total = data.counts.total;
  const [window, setWindow] = useState<BarWindow>({ from: 0, to: total });
  const view = clampWindow(window.to > total || window.to - window.from === 0 ? { from: 0, to: total } : window, total);
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<{ x: number; index: number } | null>(null);
  const drag = useRef<{ x: number; from: number; moved: boolean } | null>(null);
  const firstPaint = useRef(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = canvas.current;
    if (!el || width === 0) return;
    const t0 = performance.now();
    const ratio = globalThis.devicePixelRatio || 1;
    el.width = Math.round(width * ratio);
    el.height = Math.round(HEIGHT * ratio);
    drawBar(el, data.ranges, view);
    const drawn = performance.now();
    el.dataset.drawMs = (drawn - t0).toFixed(2);
    // Painted at the next frame: what a person waits for, from the request of the data on the first paint.
    requestAnimationFrame(() => {
      const painted = performance.now();
      el.dataset.paintedMs = (painted - t0).toFixed(2);
      if (firstPaint.current && requestedAt !== undefined) el.dataset.renderMs = (painted - requestedAt).toFixed(1);
      firstPaint.current = false;
      el.dataset.paintedAt = String(painted);
    });
  }, [data, view.from, view.to, width]);

  const indexAt = (clientX: number): number => {
    const rect = canvas.current!.getBoundingClientRect();
    const x = Math.min(rect.width - 0.01, Math.max(0, clientX - rect.left));
    return view.from + Math.floor((x / rect.width) * (view.to - view.from));
  };

  const zoom = (factor: number, around: number) => {
    setWindow(() => {
      const size = (view.to - view.from) * factor;
      const at = (around - view.from) / (view.to - view.from);
      return clampWindow({ from: around - at * size, to: around - at * size + size }, total);
    });
  };

  // The wheel zooms the bar, not the page: a non-passive listener, so that it may prevent the scroll.
  const zoomRef = useRef(zoom);
  zoomRef.current = zoom;
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      zoomRef.current(e.deltaY < 0 ? 0.8 : 1.25, indexAt(e.clientX));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  });

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    drag.current = { x: e.clientX, from: view.from, moved: false };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    setHover({ x: e.clientX - rect.left, index: indexAt(e.clientX) });
    const d = drag.current;
    if (d && Math.abs(e.clientX - d.x) > 3) {
      d.moved = true;
      const perPixel = (view.to - view.from) / rect.width;
      const from = d.from - (e.clientX - d.x) * perPixel;
      setWindow(clampWindow({ from, to: from + (view.to - view.from) }, total));
    }
  };
  const onPointerUp = (e: PointerEvent<HTMLCanvasElement>) => {
    const d = drag.current;
    drag.current = null;
    if (d && !d.moved && onPick && data.keys) onPick(data.keys[indexAt(e.clientX)]!);
  };

  const keyAt = (i: number) => data.keys?.[i] ?? `#${i + 1}`;
  const hoverStatus = hover ? statusAt(data.ranges, hover.index) : null;
  const zoomed = view.from > 0 || view.to < total;
  const c = data.counts;
  return (
    <section className="panel partition-health" data-testid="partition-health">
      <div className="row">
        <h2>Partitions</h2>
        <span className="small muted">{plural(total, "partition")}</span>
        <span className="spacer" />
        <span className="row partition-counts small" data-testid="partition-counts">
          {(["MATERIALIZED", "FAILED", "IN_PROGRESS", "MISSING"] as const).map((s) => {
            const n = s === "MATERIALIZED" ? c.materialized : s === "FAILED" ? c.failed : s === "IN_PROGRESS" ? c.inProgress : c.missing;
            return (
              <span key={s} className="partition-count" data-status={s} data-count={n}>
                <span className="swatch" style={{ background: PARTITION_COLORS[s] }} />
                {n.toLocaleString("en-US")} {LABEL[s]}
              </span>
            );
          })}
        </span>
      </div>
      <div className="health-bar-box" ref={box}>
        <canvas
          ref={canvas}
          className="health-bar"
          data-testid="health-bar"
          data-from={view.from}
          data-to={view.to}
          data-total={total}
          style={{ width: "100%", height: HEIGHT }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerLeave={() => setHover(null)}
          aria-label={`Partition statuses: ${c.materialized} materialized, ${c.failed} failed, ${c.inProgress} in progress, ${c.missing} missing`}
          role="img"
        />
        {hover && hoverStatus && (
          <div className="health-tooltip" data-testid="health-tooltip" data-key={keyAt(hover.index)} data-status={hoverStatus} style={{ left: Math.min(Math.max(0, hover.x - 90), Math.max(0, width - 200)) }}>
            <span className="mono">{keyAt(hover.index)}</span> <span className="swatch" style={{ background: PARTITION_COLORS[hoverStatus] }} /> {LABEL[hoverStatus]}
          </div>
        )}
      </div>
      <div className="row small muted health-axis">
        <span className="mono" data-testid="health-first">{keyAt(view.from)}</span>
        <span className="spacer" />
        {zoomed && <span>{`${(view.to - view.from).toLocaleString("en-US")} of ${total.toLocaleString("en-US")} shown · drag to pan`}</span>}
        <button type="button" className="small" onClick={() => zoom(0.5, (view.from + view.to) / 2)} disabled={view.to - view.from <= MIN_KEYS} data-testid="health-zoom-in" aria-label="Zoom in">
          +
        </button>
        <button type="button" className="small" onClick={() => zoom(2, (view.from + view.to) / 2)} disabled={!zoomed} aria-label="Zoom out">
          −
        </button>
        <button type="button" className="small" onClick={() => setWindow({ from: 0, to: total })} disabled={!zoomed} data-testid="health-zoom-reset">
          All
        </button>
        <span className="spacer" />
        <span className="mono" data-testid="health-last">{keyAt(view.to - 1)}</span>
      </div>
      {onPick && <p className="small muted health-hint">Scroll on the bar to zoom; click a key to pick it for a launch.</p>}
    </section>
  );
}
