/**
 * The asset page's Checks section: each check of the asset with its latest evaluation (outcome,
 * severity, when, run, description, metadata) and, on demand, its history; "Run checks" launches a
 * run of the asset's checks alone (for a partitioned asset, of one partition chosen in the
 * partition picker) and links to it. Nothing is drawn for an asset without checks. Live: it
 * refetches when an event of the asset arrives.
 */
import { Fragment, useState } from "react";
import { Link } from "react-router";
import { api, ApiError, useApi } from "../api";
import type { AssetSnapshotJson } from "../assets/asset-json";
import { MetadataInline } from "../assets/metadata-view";
import { useThrottled } from "../assets/use-throttled";
import { ErrorBox, Time } from "../components/common";
import { mayHaveMissed, useLive } from "../live";
import { PartitionPicker } from "../partitions/PartitionPicker";
import type { RunAnswerJson, RunJson } from "../types";
import { CheckHistory } from "./CheckHistory";
import { CheckStatusPill } from "./CheckStatusPill";
import { checkKey, checksPath, OUTCOME_LOOK, type AssetCheckJson, type AssetChecksJson, type CheckSummaryJson } from "./check-types";
import "./checks.css";

/** Props of AssetChecks. */
export interface AssetChecksProps {
  assetKey: string;
  /** The asset's definition (null: no longer defined, so nothing can be launched). */
  asset: AssetSnapshotJson | null;
  /** The partition keys of a partitioned asset, for the picker (null while unknown). */
  partitionKeys: readonly string[] | null;
}

/** The Checks section of an asset's page. */
export function AssetChecks({ assetKey, asset, partitionKeys }: AssetChecksProps) {
  const checks = useApi<AssetChecksJson>(assetKey ? checksPath(assetKey) : null);
  const [version, setVersion] = useState(0);
  const refresh = useThrottled(() => {
    checks.reload();
    setVersion((v) => v + 1);
  }, 1000);
  useLive((m) => {
    if ((m.kind === "event" && m.event.assetKey === assetKey) || m.kind === "definitions" || mayHaveMissed(m)) refresh();
  });
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [picking, setPicking] = useState(false);
  const [launching, setLaunching] = useState(false);
  const [launched, setLaunched] = useState<RunJson | null>(null);
  const [launchError, setLaunchError] = useState<ApiError | null>(null);

  const data = checks.data;
  if (!data) return checks.error && checks.error.status !== 404 ? <ErrorBox error={checks.error} /> : null;
  if (data.checks.length === 0) return null;
  const partitioned = asset?.partitions != null;
  const selection = data.checks.map((c) => checkKey(assetKey, c.name));

  const runChecks = async () => {
    setLaunching(true);
    setLaunched(null);
    setLaunchError(null);
    try {
      const { run } = await api<RunAnswerJson>("/runs", { body: { selection } });
      setLaunched(run);
    } catch (err) {
      setLaunchError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };
  const toggle = (name: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(name)) next.add(name);
      return next;
    });
  const columns = partitioned ? 7 : 6;

  return (
    <section className="asset-checks" data-testid="asset-checks">
      <h2>
        Checks <SummaryText summary={data.summary} />
        <span className="spacer" />
        <button
          type="button"
          data-testid="run-checks"
          disabled={launching || !asset}
          aria-expanded={partitioned ? picking : undefined}
          title={`Run ${selection.length === 1 ? "this check" : `these ${selection.length} checks`} alone, without materializing ${assetKey}`}
          onClick={() => {
            setLaunched(null);
            setLaunchError(null);
            if (partitioned) setPicking((p) => !p);
            else void runChecks();
          }}
        >
          {launching ? "Launching…" : partitioned ? "Run checks…" : "Run checks"}
        </button>
      </h2>
      {partitioned && picking && asset && (
        <PartitionPicker
          // Counted and keyed as the asset's partitions; launched with the check keys (one key only: backfills run assets).
          target={{ selection: [assetKey] }}
          runExtras={{ selection }}
          modes={["key"]}
          keys={partitionKeys}
          partitions={asset.partitions}
          onRunLaunched={(run) => {
            setLaunched(run);
            setPicking(false);
          }}
          onClose={() => setPicking(false)}
        />
      )}
      {launched && (
        <div className="banner asset-launched" data-testid="checks-launched-run">
          Check run <Link to={`/runs/${launched.runId}`} className="mono">{launched.runId}</Link> queued
          {launched.partition ? ` for partition ${launched.partition}` : ""}. <Link to={`/runs/${launched.runId}`}>Watch it →</Link>
        </div>
      )}
      {launchError && <ErrorBox error={launchError} />}
      {checks.error && <ErrorBox error={checks.error} />}
      <table data-testid="checks-table">
        <thead>
          <tr>
            <th>Check</th>
            <th>Latest</th>
            {partitioned && <th>Partition</th>}
            <th>When</th>
            <th>Run</th>
            <th>Metadata</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data.checks.map((check) => (
            <Fragment key={check.name}>
              <CheckRow check={check} partitioned={partitioned} open={open.has(check.name)} onToggle={() => toggle(check.name)} />
              {open.has(check.name) && (
                <tr className="check-history">
                  <td colSpan={columns}>
                    <CheckHistory assetKey={assetKey} checkName={check.name} partitioned={partitioned} version={version} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** "2 passed, 1 failed" beside the heading. */
function SummaryText({ summary }: { summary: CheckSummaryJson }) {
  const order: (keyof CheckSummaryJson)[] = ["failed", "executionFailed", "warning", "passed", "missing"];
  return (
    <span className="small muted" data-testid="checks-summary">
      {order
        .filter((k) => summary[k] > 0)
        .map((k) => `${summary[k]} ${OUTCOME_LOOK[k === "executionFailed" ? "executionFailed" : k].label}`)
        .join(", ")}
    </span>
  );
}

function CheckRow({ check, partitioned, open, onToggle }: { check: AssetCheckJson; partitioned: boolean; open: boolean; onToggle: () => void }) {
  const latest = check.latest;
  return (
    <tr data-testid="check-row" data-check={check.name}>
      <td>
        <span className="mono check-name">{check.name}</span>
        {check.blocking && (
          <span className="check-blocking" title="A failure with severity ERROR stops the asset's downstream steps in the same run.">
            blocking
          </span>
        )}
        {check.description && <p className="check-description small muted">{check.description}</p>}
      </td>
      <td>
        <CheckStatusPill evaluation={latest} />
        {latest && !latest.passed && latest.status !== "EXECUTION_FAILED" && <span className="small muted"> {latest.severity}</span>}
        {latest?.description && <div className="small" data-testid="check-result-description">{latest.description}</div>}
        {partitioned && check.worst && check.worst.eventId !== latest?.eventId && (
          <div className="small muted" data-testid="check-worst">
            worst: <CheckStatusPill evaluation={check.worst} /> on <span className="mono">{check.worst.partition}</span>
          </div>
        )}
      </td>
      {partitioned && (
        <td className="mono">
          {latest?.partition ?? <span className="muted">—</span>}
          {check.evaluatedPartitions > 1 && <div className="small muted">{check.evaluatedPartitions.toLocaleString("en-US")} partitions evaluated</div>}
        </td>
      )}
      <td className="nowrap">
        <Time iso={latest?.timestamp} />
      </td>
      <td>
        {latest ? (
          <Link className="mono" to={`/runs/${latest.runId}`}>
            {latest.runId.slice(0, 8)}
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>{latest ? <MetadataInline metadata={latest.metadata} /> : <span className="muted">—</span>}</td>
      <td>
        <button type="button" className="small" data-testid="check-history-toggle" aria-expanded={open} onClick={onToggle}>
          {open ? "Hide history" : "History"}
        </button>
      </td>
    </tr>
  );
}
