/**
 * What the asset page and the lineage show of assets Sluice does not materialize: an external
 * asset's note (with the command that reports its materializations), an observable source asset's
 * data versions, observation history and Observe button, the "reported" label of a materialization
 * that has no run, and the small marker of lineage nodes.
 */
import { useState } from "react";
import { Link } from "react-router";
import { api, ApiError, useApi } from "../api";
import { assetPath, type AssetKindJson, type AssetObservationsJson, type AssetSnapshotJson, type MaterializationJson } from "../assets/asset-json";
import { useThrottled } from "../assets/use-throttled";
import { ErrorBox, Time } from "../components/common";
import { useLive } from "../live";
import type { RunAnswerJson, RunJson } from "../types";
import "./external.css";

/** The run of a materialization, or "reported" for one reported from outside Sluice (it has no run to link to). */
export function MaterializationRunRef({ m }: { m: Pick<MaterializationJson, "runId" | "reported"> }) {
  if (m.reported) {
    return (
      <span className="reported-label" data-testid="reported-label" title="Reported from outside Sluice: no Sluice run made it">
        reported
      </span>
    );
  }
  return (
    <Link className="mono" to={`/runs/${m.runId}`}>
      {m.runId.slice(0, 8)}
    </Link>
  );
}

/** The small "external" / "observable" marker of a lineage node (nothing for a materializable asset). */
export function AssetKindMarker({ kind }: { kind: AssetKindJson | undefined }) {
  if (kind !== "external" && kind !== "observable") return null;
  return (
    <span className={`asset-kind-marker ${kind}`} data-testid="asset-kind-marker" title={kind === "external" ? "External asset: materialized outside Sluice" : "Observable source asset: Sluice observes it"}>
      {kind}
    </span>
  );
}

/** True when the asset page should offer Materialize (not for external or observable assets). */
export function isMaterializable(def: AssetSnapshotJson | null): boolean {
  return def === null || def.kind === undefined || def.kind === "materializable";
}

/** The asset page's panel for an external or observable source asset; nothing for another. */
export function ExternalAssetPanel({ def }: { def: AssetSnapshotJson | null }) {
  if (def?.kind === "external") return <ExternalNote def={def} />;
  if (def?.kind === "observable") return <ObservablePanel def={def} />;
  return null;
}

/** A partition key to show in examples: the last one the snapshot knows, else a placeholder. */
function exampleKey(partitions: AssetSnapshotJson["partitions"]): string {
  if (!partitions) return "";
  if ("lastKey" in partitions && typeof partitions.lastKey === "string") return partitions.lastKey;
  if ("keys" in partitions && Array.isArray(partitions.keys)) return partitions.keys[partitions.keys.length - 1] ?? "KEY";
  return "KEY";
}

function ExternalNote({ def }: { def: AssetSnapshotJson }) {
  const partition = def.partitions ? ` --partition ${exampleKey(def.partitions)}` : "";
  return (
    <section className="panel external-note" data-testid="external-asset-note">
      <h2>External asset — materialized outside Sluice</h2>
      <p className="small">
        Sluice never materializes this asset: something else produces it. Report each materialization so that Sluice (and the assets downstream) know of it:
      </p>
      <pre className="mono external-command" data-testid="report-command">{`sluice asset report ${def.key}${partition} --metadata '{"rows": 120}'`}</pre>
      <p className="small muted">
        or <span className="mono">POST /api{assetPath(def.key)}/reports</span>, or <span className="mono">reportMaterialization()</span> from code.
      </p>
    </section>
  );
}

function ObservablePanel({ def }: { def: AssetSnapshotJson }) {
  const observations = useApi<AssetObservationsJson>(`${assetPath(def.key)}/observations?limit=50`);
  const refresh = useThrottled(observations.reload, 1000);
  useLive((m) => {
    if ((m.kind === "event" && m.event.assetKey === def.key) || m.kind === "definitions") refresh();
  });
  const [partition, setPartition] = useState(def.partitions ? exampleKey(def.partitions) : "");
  const [launching, setLaunching] = useState(false);
  const [launched, setLaunched] = useState<RunJson | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const observe = async () => {
    setLaunching(true);
    setLaunched(null);
    setError(null);
    try {
      const body = { selection: [def.key], observe: true, ...(def.partitions ? { partition } : {}) };
      setLaunched((await api<RunAnswerJson>("/runs", { body })).run);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };
  const data = observations.data;
  return (
    <section className="panel observable-panel" data-testid="observable-panel">
      <div className="row">
        <h2>Observable source asset</h2>
        <span className="spacer" />
        {def.partitions && (
          <input className="mono observe-partition" aria-label="Partition to observe" value={partition} onChange={(e) => setPartition(e.target.value)} />
        )}
        <button type="button" className="primary" data-testid="observe-asset" disabled={launching} onClick={() => void observe()}>
          {launching ? "Launching…" : "Observe"}
        </button>
      </div>
      <p className="small muted">Sluice observes this asset (records the version of its data) and never materializes it.</p>
      {launched && (
        <div className="banner" data-testid="observe-launched">
          Run <Link to={`/runs/${launched.runId}`} className="mono">{launched.runId}</Link> queued to observe it.
        </div>
      )}
      {error && <ErrorBox error={error} />}
      {observations.error && <ErrorBox error={observations.error} />}
      {data && (
        <>
          <h3>Latest data version</h3>
          {data.latest.length === 0 ? (
            <p className="muted" data-testid="latest-data-version">Never observed.</p>
          ) : (
            <ul className="data-versions" data-testid="latest-data-version">
              {data.latest.map((o) => (
                <li key={o.partition ?? ""}>
                  {o.partition && <span className="mono muted">{o.partition}: </span>}
                  <span className="mono data-version">{o.dataVersion}</span> <Time iso={o.timestamp} />
                </li>
              ))}
            </ul>
          )}
          {data.history.length > 0 && (
            <table data-testid="observation-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Run</th>
                  <th>Partition</th>
                  <th>Data version</th>
                </tr>
              </thead>
              <tbody>
                {data.history.map((o) => (
                  <tr key={o.eventId}>
                    <td className="nowrap">
                      <Time iso={o.timestamp} />
                    </td>
                    <td>
                      <Link className="mono" to={`/runs/${o.runId}`}>
                        {o.runId.slice(0, 8)}
                      </Link>
                    </td>
                    <td className="mono">{o.partition ?? <span className="muted">—</span>}</td>
                    <td className="mono">{o.dataVersion}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
