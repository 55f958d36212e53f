import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useApi } from "../api";
import { assetPath } from "../assets/asset-json";
import { Loading, Time } from "../components/common";
import { AutomationLoopCard } from "./AutomationLoopCard";
import { ConditionTree } from "./ConditionTree";
import type { AssetAutomationJson, AutomationEvaluationJson } from "./condition-types";
import { partitionCount, requestedText } from "./condition-text";
import { EvaluationList } from "./EvaluationList";
import { usePolling } from "./use-polling";
import "./conditions.css";

/** Evaluations per page of the list. */
const PAGE_SIZE = 20;

/**
 * An asset's Automation tab: its condition in words, the loop's status with start/stop, the kept
 * evaluations to pick from (paged), and the picked one's tree with each node true or false, what it
 * requested and the runs it went to. Without a condition: how to add one.
 */
export function AssetAutomationTab({ assetKey }: { assetKey: string }) {
  // The pages before the current one (their `before`), to go back to the newest.
  const [before, setBefore] = useState<number | null>(null);
  const path = `${assetPath(assetKey)}/automation?limit=${PAGE_SIZE}${before !== null ? `&before=${before}` : ""}`;
  const page = useApi<AssetAutomationJson>(path);
  usePolling(page.reload, 5000);
  // null: the newest of the page (it follows new evaluations as they are kept).
  const [selectedId, setSelectedId] = useState<number | null>(null);
  useEffect(() => setSelectedId(null), [assetKey, before]);

  const data = page.data;
  const selected: AutomationEvaluationJson | undefined = data && (data.evaluations.find((e) => e.id === selectedId) ?? data.evaluations[0]);
  return (
    <Loading error={data ? undefined : page.error}>
      {data &&
        (data.condition === null ? (
          <NoCondition assetKey={assetKey} />
        ) : (
          <div className="automation-tab" data-testid="automation-tab">
            <div className="automation-side">
              <section className="panel">
                <h2>Automation loop</h2>
                <AutomationLoopCard onChange={page.reload} />
              </section>
              <section className="panel">
                <h2>Evaluations</h2>
                {data.evaluations.length === 0 ? (
                  <p className="muted" data-testid="no-evaluations">
                    {before === null
                      ? "Not evaluated yet. The automation loop evaluates every automated asset while it runs (in sluice dev or sluice daemon): is it started?"
                      : "No older evaluations."}
                  </p>
                ) : (
                  <EvaluationList
                    evaluations={data.evaluations}
                    partitioned={data.partitioned}
                    selectedId={selected?.id ?? null}
                    onSelect={setSelectedId}
                    onOlder={data.nextBefore !== null ? () => setBefore(data.nextBefore) : undefined}
                    onNewest={before !== null ? () => setBefore(null) : undefined}
                  />
                )}
                <p className="muted small">An evaluation is kept when its result changed or it requested runs.</p>
              </section>
              <section className="panel">
                <h2>Condition</h2>
                <ConditionTree node={data.condition} partitioned={false} testId="condition-definition" />
              </section>
            </div>
            <div className="automation-detail">
              {selected ? <EvaluationDetail evaluation={selected} partitioned={data.partitioned} /> : null}
            </div>
          </div>
        ))}
    </Loading>
  );
}

function EvaluationDetail({ evaluation: e, partitioned }: { evaluation: AutomationEvaluationJson; partitioned: boolean }) {
  const result = e.tree.trueCount > 0;
  return (
    <section className="panel" data-testid="evaluation-detail" data-evaluation={e.evaluationId}>
      <h2>
        Evaluation #{e.evaluationId} <span className="muted small">{new Date(e.evaluatedAt).toISOString().replace("T", " ").slice(0, 19)} UTC · <Time iso={e.evaluatedAt} /></span>
      </h2>
      <dl className="evaluation-facts">
        <dt>Result</dt>
        <dd data-testid="evaluation-result">
          {partitioned ? `${result ? "true" : "false"} for ${partitionCount(e.tree.trueCount, e.tree.candidateCount)}` : result ? "true: the condition holds" : "false: the condition does not hold"}
        </dd>
        <dt>Requested</dt>
        <dd data-testid="evaluation-requested">
          {requestedText(e.requestedCount, partitioned)}
          {partitioned && e.requestedKeys.length > 0 && (
            <span className="mono small">
              {" "}
              ({e.requestedKeys.join(", ")}
              {e.requestedCount > e.requestedKeys.length ? ", …" : ""})
            </span>
          )}
        </dd>
        {e.requestedCount > 0 && (
          <>
            <dt>Runs</dt>
            <dd className="evaluation-runs" data-testid="evaluation-runs">
              {e.runIds.length === 0 ? (
                <span className="muted">none created</span>
              ) : (
                e.runIds.map((id) => (
                  <Link key={id} to={`/runs/${id}`} className="mono">
                    {id.slice(0, 8)}
                  </Link>
                ))
              )}
            </dd>
          </>
        )}
      </dl>
      <ConditionTree node={e.tree} partitioned={partitioned} testId="evaluation-tree" />
    </section>
  );
}

function NoCondition({ assetKey }: { assetKey: string }) {
  return (
    <section className="panel no-condition" data-testid="no-condition">
      <h2>No automation condition</h2>
      <p>
        The automation loop never materializes <span className="mono">{assetKey}</span> on its own. To keep it up to date declaratively, give it a
        condition in your definitions, for example:
      </p>
      <pre className="mono">{`import { asset, AutomationCondition } from "sluice";

asset({
  key: "${assetKey}",
  automation: AutomationCondition.eager(),   // or onCron("0 * * * *"), onMissing()
  run: async (inputs, context) => { ... },
});`}</pre>
      <p className="muted small">
        <span className="mono">eager()</span> materializes it when an upstream asset updates or it is missing. Then start the automation loop on
        the <Link to="/automation">Automation</Link> page or with <span className="mono">sluice automation start</span>.
      </p>
    </section>
  );
}
