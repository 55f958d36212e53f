/**
 * One check's history under its row of the Checks section: its evaluations, newest first, a page
 * at a time ("Older" asks for the next). It starts over from the newest when `version` changes (a
 * new evaluation arrived).
 */
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api, ApiError } from "../api";
import { MetadataInline } from "../assets/metadata-view";
import { ErrorBox, Time } from "../components/common";
import { CheckStatusPill } from "./CheckStatusPill";
import { checksPath, type CheckEvaluationJson, type CheckEvaluationsPageJson } from "./check-types";

/** Evaluations per page. */
export const HISTORY_PAGE = 10;

/** Props of CheckHistory. */
export interface CheckHistoryProps {
  assetKey: string;
  checkName: string;
  partitioned: boolean;
  /** Bumped by the section when the asset's evaluations may have changed. */
  version: number;
}

/** The paged history of one check. */
export function CheckHistory({ assetKey, checkName, partitioned, version }: CheckHistoryProps) {
  const [rows, setRows] = useState<CheckEvaluationJson[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const base = `${checksPath(assetKey)}/${encodeURIComponent(checkName)}/evaluations?limit=${HISTORY_PAGE}`;

  useEffect(() => {
    const controller = new AbortController();
    api<CheckEvaluationsPageJson>(base, { signal: controller.signal }).then(
      (page) => {
        setRows(page.evaluations);
        setNextBefore(page.nextBefore);
        setError(null);
      },
      (err: unknown) => {
        if ((err as Error).name !== "AbortError") setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
      },
    );
    return () => controller.abort();
  }, [base, version]);

  const older = async () => {
    if (nextBefore === null) return;
    setLoadingMore(true);
    try {
      const page = await api<CheckEvaluationsPageJson>(`${base}&before=${nextBefore}`);
      setRows((prev) => [...(prev ?? []), ...page.evaluations]);
      setNextBefore(page.nextBefore);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLoadingMore(false);
    }
  };

  if (error && !rows) return <ErrorBox error={error} />;
  if (!rows) return <p className="muted small">Loading…</p>;
  if (rows.length === 0) return <p className="muted small">Never evaluated.</p>;
  return (
    <div data-testid="check-history" data-check={checkName}>
      {error && <ErrorBox error={error} />}
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Result</th>
            {partitioned && <th>Partition</th>}
            <th>Run</th>
            <th>Description</th>
            <th>Metadata</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.eventId} data-testid="check-history-row" data-run={e.runId}>
              <td className="nowrap">
                <Time iso={e.timestamp} />
              </td>
              <td>
                <CheckStatusPill evaluation={e} />
              </td>
              {partitioned && <td className="mono">{e.partition ?? <span className="muted">—</span>}</td>}
              <td>
                <Link className="mono" to={`/runs/${e.runId}`}>
                  {e.runId.slice(0, 8)}
                </Link>
              </td>
              <td className="small">{e.description ?? <span className="muted">—</span>}</td>
              <td>
                <MetadataInline metadata={e.metadata} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextBefore !== null && (
        <button type="button" className="small check-history-more" data-testid="check-history-older" disabled={loadingMore} onClick={() => void older()}>
          {loadingMore ? "Loading…" : "Older"}
        </button>
      )}
    </div>
  );
}
