/** The lineage node's small marker for an overdue asset (see freshness-panel.tsx for the page's panel). */
import type { FreshnessJson } from "./asset-json";
import "./freshness.css";

/** A lineage node's small marker when its asset is overdue; nothing otherwise. */
export function FreshnessMarker({ freshness }: { freshness: FreshnessJson | null | undefined }) {
  if (freshness?.status !== "OVERDUE") return null;
  return (
    <span className="freshness-marker" data-testid="node-overdue" title={`Overdue: ${freshness.policy.description}`}>
      overdue
    </span>
  );
}
