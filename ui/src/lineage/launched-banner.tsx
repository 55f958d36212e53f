import { Link } from "react-router";
import type { LaunchedRun } from "./use-materialize";

const assets = (n: number) => `${n.toLocaleString()} asset${n === 1 ? "" : "s"}`;

/**
 * The confirmation of a run launched from the lineage page, saying what it was launched for:
 * the selected assets, every asset, or the assets a filter shows (with the filter). Should the
 * server have selected another number of assets than were shown (the definitions changed in
 * between), it says so.
 */
export function LaunchedBanner({ launched, onDismiss }: { launched: LaunchedRun; onDismiss: () => void }) {
  const { run, scope } = launched;
  const link = `/runs/${run.runId}`;
  return (
    <div className="banner lineage-launched" data-testid="launched-run">
      <span>
        Run{" "}
        <Link to={link} className="mono">
          {run.runId}
        </Link>{" "}
        queued for{" "}
        {scope.kind === "all" ? (
          "every asset"
        ) : scope.kind === "selected" ? (
          assets(run.selection.length)
        ) : (
          <>
            the {assets(scope.count)} shown by the filter <span className="mono">{scope.filter}</span>
          </>
        )}
        .{" "}
        {scope.kind === "shown" && run.selection.length !== scope.count && (
          <strong data-testid="launched-mismatch">The server selected {assets(run.selection.length)}: the definitions changed since they were shown. </strong>
        )}
        <Link to={link}>Watch it →</Link>
      </span>
      <button type="button" aria-label="Dismiss" title="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
