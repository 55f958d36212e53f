/**
 * The asset page's staleness panel: whether the latest materialization is what the asset's code and
 * upstream data would give now (src/runs/staleness.ts), why not, and the versions it was made with.
 */
import { Link } from "react-router";
import type { MaterializationJson, StalenessJson, StaleReasonJson } from "../../../src/server/api-types";
import { assetPath } from "./asset-json";
import "./staleness.css";

/** What the badge says for each staleness status. */
const LABEL: Record<StalenessJson["status"], string> = { UP_TO_DATE: "Up to date", STALE: "Stale", MISSING: "Never materialized" };

/** Staleness, reasons, and the code and data versions of the latest materialization. */
export function StalenessPanel({ staleness, latest, codeVersion }: { staleness: StalenessJson; latest: MaterializationJson | null; codeVersion: string | null }) {
  return (
    <section className="panel staleness-panel" data-testid="staleness" data-status={staleness.status}>
      <h2>
        Versions <span className={`badge ${staleness.status === "STALE" ? "warn" : staleness.status === "UP_TO_DATE" ? "ok" : "muted"}`}>{LABEL[staleness.status]}</span>
      </h2>
      {staleness.reasons.length > 0 && (
        <ul className="stale-reasons" data-testid="stale-reasons">
          {staleness.reasons.map((r) => (
            <li key={`${r.kind}:${"upstream" in r ? r.upstream : ""}`}>
              <ReasonText reason={r} />
            </li>
          ))}
        </ul>
      )}
      {staleness.stalePartitionCount > 0 && (
        <p className="small muted" data-testid="stale-partitions">
          {staleness.stalePartitionCount.toLocaleString("en-US")} stale partition{staleness.stalePartitionCount === 1 ? "" : "s"}: <span className="mono">{staleness.stalePartitions.slice(0, 10).join(", ")}</span>
          {staleness.stalePartitionCount > 10 ? " …" : ""}
        </p>
      )}
      <dl className="asset-facts small">
        <dt>Code version</dt>
        <dd className="mono" data-testid="code-version">{codeVersion ?? <span className="muted">none</span>}</dd>
        {latest && (
          <>
            <dt>Materialized with</dt>
            <dd className="mono" data-testid="materialized-code-version">{latest.codeVersion ?? <span className="muted">none</span>}</dd>
            <dt>Data version</dt>
            <dd className="mono" data-testid="data-version">{latest.dataVersion ?? <span className="muted">unknown</span>}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** A reason in words, its upstream asset a link. */
function ReasonText({ reason }: { reason: StaleReasonJson }) {
  if (reason.kind === "code_version") return <>{reason.message}</>;
  return (
    <>
      upstream{" "}
      <Link className="mono" to={assetPath(reason.upstream)}>
        {reason.upstream}
      </Link>{" "}
      {reason.kind === "upstream_data" ? "updated" : "is stale"}
    </>
  );
}
