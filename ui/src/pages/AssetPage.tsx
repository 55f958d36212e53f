import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, useApi } from "../api";
import { assetPath, type AssetDetailJson, type AssetSnapshotJson } from "../assets/asset-json";
import { MultiAssetFact } from "../assets/multi-asset-fact";
import "../assets/asset-page.css";
import { FreshnessPanel } from "../assets/freshness-panel";
import { MetadataChart } from "../assets/metadata-chart";
import { AssetChecks } from "../checks/AssetChecks";
import { AssetAutomationTab } from "../automation/AssetAutomationTab";
import { AssetTabs, useAssetTab } from "../automation/AssetTabs";
import { MetadataInline, MetadataTable } from "../assets/metadata-view";
import { StalenessPanel } from "../assets/staleness-panel";
import { useClock } from "../assets/use-clock";
import { useThrottled } from "../assets/use-throttled";
import { duration, ErrorBox, Loading, StatusBadge, Time } from "../components/common";
import { ExternalAssetPanel, isMaterializable, MaterializationRunRef } from "../external/external-asset-panel";
import { mayHaveMissed, useLive } from "../live";
import { PartitionHealthBar } from "../partitions/PartitionHealthBar";
import { PartitionPicker } from "../partitions/PartitionPicker";
import { useAssetPartitions } from "../partitions/use-asset-partitions";
import type { RunAnswerJson, RunJson } from "../types";

/** The job name of ad-hoc materializations (src/execution/materialize-assets.ts). */
const ASSET_JOB_NAME = "__asset_job";
/** How many materializations the page asks for (the API allows up to 1,000). */
const HISTORY_LIMIT = 100;

/**
 * One asset (route /assets/<key with slashes>): its definition, status, latest materialization,
 * history with numeric metadata charted over time, upstream and downstream, recent runs, and a
 * Materialize button; for a partitioned asset, the partition health bar and a partition picker
 * behind Materialize. Live: it refetches when a run or backfill touches the asset.
 */
export function AssetPage() {
  const key = useParams()["*"] ?? "";
  const tab = useAssetTab();
  const detail = useApi<AssetDetailJson>(key ? `${assetPath(key)}?limit=${HISTORY_LIMIT}` : null);
  const partitioned = detail.data?.asset?.partitions ? key : null;
  const partitions = useAssetPartitions(partitioned);
  const refresh = useThrottled(detail.reload, 1000);
  const refreshPartitions = useThrottled(partitions.reload, 1000);
  useLive((m) => {
    if (m.kind === "event" && m.event.assetKey === key) {
      refresh();
      refreshPartitions();
    } else if (m.kind === "run" && (m.run.selection === null || m.run.selection.includes(key))) {
      refresh();
      refreshPartitions();
    } else if (m.kind === "event" && m.event.type === "ASSET_MATERIALIZATION") refresh(); // another asset's data may make this one stale
    else if (m.kind === "backfill" && m.backfill.target.assetKeys.includes(key)) refreshPartitions();
    else if (m.kind === "definitions" || mayHaveMissed(m)) {
      refresh();
      refreshPartitions();
    }
  });
  // The picker (for a partitioned asset), and the key it starts with (a click on the health bar).
  const [picking, setPicking] = useState<{ key: string | null; version: number } | null>(null);

  const [launching, setLaunching] = useState(false);
  const [launched, setLaunched] = useState<RunJson | null>(null);
  const [launchError, setLaunchError] = useState<ApiError | null>(null);
  const materialize = async () => {
    setLaunching(true);
    // The banner of the previous launch goes at once: until the new run is queued, no link may
    // point at a run that this click did not launch.
    setLaunched(null);
    setLaunchError(null);
    try {
      const { run } = await api<RunAnswerJson>("/runs", { body: { selection: [key] } });
      setLaunched(run);
      refresh();
    } catch (err) {
      setLaunched(null);
      setLaunchError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };

  // Re-renders every 30 s, so that relative times age between refetches.
  useClock();
  const data = detail.data;
  const def = data?.asset ?? null;
  return (
    <div className="asset-page" data-testid="asset-page">
      <div className="asset-header">
        <div className="small muted">
          <Link to="/assets">Assets</Link>
          {def && (
            <>
              {" "}
              / group <Link to={`/assets?select=${encodeURIComponent(`group:${def.group}`)}`}>{def.group}</Link>
            </>
          )}
        </div>
        <div className="row">
          <h1 className="mono asset-key">{key}</h1>
          {data && <StatusBadge status={data.status} />}
          {def?.kinds.map((k) => (
            <span key={k} className="asset-kind">
              {k}
            </span>
          ))}
          <span className="spacer" />
          {isMaterializable(def) && <button
            type="button"
            className="primary"
            data-testid="materialize-asset"
            disabled={launching || !data?.defined}
            aria-expanded={partitioned ? picking !== null : undefined}
            onClick={() => (partitioned ? setPicking((p) => (p ? null : { key: null, version: 0 })) : void materialize())}
          >
            {launching ? "Launching…" : partitioned ? "Materialize…" : "Materialize"}
          </button>}
        </div>
      </div>
      {partitioned && picking && def && (
        <PartitionPicker
          key={picking.version}
          target={{ selection: [key] }}
          keys={partitions.data?.keys ?? null}
          partitions={def.partitions}
          initialKey={picking.key}
          onRunLaunched={(run) => {
            setLaunched(run);
            setPicking(null);
            refresh();
          }}
          onClose={() => setPicking(null)}
        />
      )}
      {launched && (
        <div className="banner asset-launched" data-testid="launched-run">
          Run <Link to={`/runs/${launched.runId}`} className="mono">{launched.runId}</Link> queued. <Link to={`/runs/${launched.runId}`}>Watch it →</Link>
        </div>
      )}
      {launchError && <ErrorBox error={launchError} />}
      {isMaterializable(def) && data?.defined && <AssetTabs current={tab} />}
      {tab === "automation" && isMaterializable(def) && data?.defined ? (
        <AssetAutomationTab assetKey={key} />
      ) : <Loading error={data ? undefined : detail.error}>
        {data && (
          <>
            {detail.error && <ErrorBox error={detail.error} />}
            {!data.defined && (
              <div className="banner asset-note" data-testid="asset-undefined">
                This asset is not in the current definitions; its history is kept.
              </div>
            )}
            <div className="asset-columns">
              <div className="asset-main">
                {def?.description && <p className="asset-description" data-testid="asset-description">{def.description}</p>}
                <ExternalAssetPanel def={def} />
                {partitioned && partitions.error && <ErrorBox error={partitions.error} />}
                {partitioned && partitions.data && (
                  <PartitionHealthBar data={partitions.data} requestedAt={partitions.requestedAt} onPick={(k) => setPicking((p) => ({ key: k, version: (p?.version ?? 0) + 1 }))} />
                )}
                <FreshnessPanel freshness={data.freshness} onDue={refresh} />
                {data.staleness && <StalenessPanel staleness={data.staleness} latest={data.latestMaterialization} codeVersion={def?.codeVersion ?? null} />}
                <LatestMaterialization data={data} />
                <AssetChecks assetKey={key} asset={def} partitionKeys={partitions.data?.keys ?? null} />
                <NumericCharts series={data.numericSeries} />
                <History data={data} />
                <RecentRuns runs={data.recentRuns} />
              </div>
              <aside className="asset-side">
                {def ? <Definition def={def} /> : <p className="muted">No definition.</p>}
              </aside>
            </div>
          </>
        )}
      </Loading>}
    </div>
  );
}

function LatestMaterialization({ data }: { data: AssetDetailJson }) {
  const latest = data.latestMaterialization;
  return (
    <section className="panel" data-testid="latest-materialization">
      <h2>Latest materialization</h2>
      {!latest ? (
        <p className="muted">Never materialized.</p>
      ) : (
        <>
          <p className="row small">
            <Time iso={latest.timestamp} />
            <span className="muted">{latest.reported ? "" : "in run"}</span>
            <MaterializationRunRef m={latest} />
            {latest.partition && <span className="mono">partition {latest.partition}</span>}
            {data.materializedPartitions > 1 && <span className="muted">{data.materializedPartitions} partitions materialized</span>}
          </p>
          <MetadataTable metadata={latest.metadata} testId="latest-metadata" />
        </>
      )}
      {data.latestRun && data.latestRun.runId !== latest?.runId && (
        <p className="small">
          Latest run: <Link to={`/runs/${data.latestRun.runId}`} className="mono">{data.latestRun.runId.slice(0, 8)}</Link> <StatusBadge status={data.latestRun.status} />
        </p>
      )}
    </section>
  );
}

function NumericCharts({ series }: { series: AssetDetailJson["numericSeries"] }) {
  const names = Object.keys(series).sort();
  if (names.length === 0) return null;
  return (
    <section data-testid="numeric-metadata">
      <h2>Numeric metadata over time</h2>
      <div className="metadata-charts">
        {names.map((name) => (
          <MetadataChart key={name} name={name} points={series[name]!} />
        ))}
      </div>
    </section>
  );
}

function History({ data }: { data: AssetDetailJson }) {
  const rows = data.materializations;
  return (
    <section>
      <h2>
        Materializations <span className="muted small">{rows.length >= HISTORY_LIMIT ? `latest ${HISTORY_LIMIT}` : rows.length}</span>
      </h2>
      {rows.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table data-testid="materialization-history">
          <thead>
            <tr>
              <th>When</th>
              <th>Run</th>
              <th>Partition</th>
              <th>Metadata</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.eventId}>
                <td className="nowrap">
                  <Time iso={m.timestamp} />
                </td>
                <td>
                  <MaterializationRunRef m={m} />
                </td>
                <td className="mono">{m.partition ?? <span className="muted">—</span>}</td>
                <td>
                  <MetadataInline metadata={m.metadata} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RecentRuns({ runs }: { runs: RunJson[] }) {
  return (
    <section>
      <h2>Recent runs</h2>
      {runs.length === 0 ? (
        <p className="muted">No run has included this asset.</p>
      ) : (
        <table data-testid="asset-runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th>Job</th>
              <th>Created</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId}>
                <td>
                  <Link className="mono" to={`/runs/${r.runId}`}>
                    {r.runId.slice(0, 8)}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td className="mono">
                  {r.jobName && r.jobName !== ASSET_JOB_NAME ? <Link to={`/jobs/${encodeURIComponent(r.jobName)}`}>{r.jobName}</Link> : <span className="muted">ad hoc</span>}
                </td>
                <td>
                  <Time iso={r.createdAt} />
                </td>
                <td>{duration(r.startedAt, r.endedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AssetLinks({ keys, testId }: { keys: string[]; testId: string }) {
  if (keys.length === 0) return <p className="muted small">None.</p>;
  return (
    <ul className="asset-links" data-testid={testId}>
      {keys.map((k) => (
        <li key={k}>
          <Link className="mono" to={assetPath(k)}>
            {k}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Definition({ def }: { def: AssetSnapshotJson }) {
  const tags = Object.entries(def.tags);
  return (
    <>
      <section className="panel">
        <h2>Upstream</h2>
        <AssetLinks keys={def.deps} testId="upstream" />
        <h2>Downstream</h2>
        <AssetLinks keys={def.children} testId="downstream" />
      </section>
      <section className="panel" data-testid="asset-definition">
        <h2>Definition</h2>
        <dl className="asset-facts">
          <dt>Group</dt>
          <dd>{def.group}</dd>
          <MultiAssetFact def={def} />
          <dt>Kinds</dt>
          <dd>{def.kinds.length ? def.kinds.join(", ") : <span className="muted">—</span>}</dd>
          <dt>Owners</dt>
          <dd>{def.owners.length ? def.owners.join(", ") : <span className="muted">—</span>}</dd>
          <dt>Tags</dt>
          <dd>
            {tags.length ? (
              tags.map(([k, v]) => (
                <span key={k} className="asset-tag mono">
                  {v ? `${k}=${v}` : k}
                </span>
              ))
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
          <dt>IO manager</dt>
          <dd className="mono">{def.ioManager}</dd>
          <dt>Resources</dt>
          <dd className="mono">{def.resources.length ? def.resources.join(", ") : <span className="muted">—</span>}</dd>
          <dt>Jobs</dt>
          <dd>
            {def.jobs.length ? (
              def.jobs.map((j) => (
                <Link key={j} to={`/jobs/${encodeURIComponent(j)}`} className="mono asset-job">
                  {j}
                </Link>
              ))
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
          {def.retry && (
            <>
              <dt>Retry</dt>
              <dd className="mono small">{JSON.stringify(def.retry)}</dd>
            </>
          )}
        </dl>
      </section>
      <section className="panel">
        <h2>Definition metadata</h2>
        <MetadataTable metadata={def.metadata} testId="definition-metadata" />
      </section>
      {(def.config.jsonSchema || def.config.error) && (
        <section className="panel">
          <h2>Config schema</h2>
          {def.config.error ? <p className="small">{def.config.error}</p> : <pre className="mono asset-schema">{JSON.stringify(def.config.jsonSchema, null, 2)}</pre>}
        </section>
      )}
    </>
  );
}
