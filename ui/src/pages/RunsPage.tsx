import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api, ApiError, useApi } from "../api";
import { ErrorBox } from "../components/common";
import { ASSET_JOB_NAME, type DefinitionsJson } from "../jobs/job-types";
import { mayHaveMissed, useLive } from "../live";
import { filterFromSearch, parseTag, RUN_STATUSES, runMatches, runsApiPath, searchFromFilter, type RunsFilter } from "../runs/run-filters";
import { RunsTable } from "../runs/RunsTable";
import type { RunJson, RunsPageJson, RunStatus } from "../types";
import "../runs/runs.css";

const DEFAULT_PAGE_SIZE = 50;

/** Newest first, as the server lists them. */
function byCreatedDesc(a: RunJson, b: RunJson): number {
  return b.createdAt.localeCompare(a.createdAt);
}

/**
 * `/runs`: every run, newest first, filtered by status (several), job and tags, with the filters
 * in the URL; pages with the server's cursor ("Load more"); rows follow the live stream, and new
 * runs that pass the filter appear at the top.
 */
export function RunsPage() {
  const [search, setSearch] = useSearchParams();
  const searchKey = search.toString();
  const filter = useMemo(() => filterFromSearch(new URLSearchParams(searchKey)), [searchKey]);
  const pageSize = Math.min(1000, Math.max(1, Number(search.get("limit")) || DEFAULT_PAGE_SIZE));
  const firstPath = runsApiPath(filter, pageSize);

  const [runs, setRuns] = useState<RunJson[] | undefined>();
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError>();
  const [moreError, setMoreError] = useState<ApiError>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [version, setVersion] = useState(0);
  // When the live stream (re)connects the list is fetched again; this many rows, so that the
  // pages already loaded with "Load more" stay shown.
  const reloadRows = useRef<number | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    const rows = reloadRows.current;
    reloadRows.current = undefined;
    const path = rows !== undefined && rows > pageSize ? runsApiPath(filter, Math.min(1000, rows)) : firstPath;
    api<RunsPageJson>(path, { signal: controller.signal }).then(
      (page) => {
        setRuns(page.runs);
        setNextCursor(page.nextCursor);
        setError(undefined);
        setMoreError(undefined);
      },
      (err: unknown) => {
        if ((err as Error).name !== "AbortError") setError(err as ApiError);
      },
    );
    return () => controller.abort();
  }, [firstPath, version]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await api<RunsPageJson>(runsApiPath(filter, pageSize, nextCursor));
      setRuns((current) => {
        const seen = new Set((current ?? []).map((r) => r.runId));
        return [...(current ?? []), ...page.runs.filter((r) => !seen.has(r.runId))];
      });
      setNextCursor(page.nextCursor);
      setMoreError(undefined);
    } catch (err) {
      setMoreError(err as ApiError);
    } finally {
      setLoadingMore(false);
    }
  };

  useLive((m) => {
    if (mayHaveMissed(m)) {
      reloadRows.current = runs?.length;
      setVersion((v) => v + 1);
    }
    if (m.kind !== "run") return;
    const run = m.run;
    setRuns((current) => {
      if (!current) return current;
      const index = current.findIndex((r) => r.runId === run.runId);
      const matches = runMatches(run, filter);
      if (index >= 0) {
        if (!matches) return current.filter((r) => r.runId !== run.runId);
        const next = [...current];
        next[index] = { ...current[index]!, ...run };
        return next;
      }
      if (!matches) return current;
      // A run older than the last one loaded belongs to a page not loaded yet.
      const oldest = current[current.length - 1];
      if (nextCursor && oldest && run.createdAt < oldest.createdAt) return current;
      return [...current, run].sort(byCreatedDesc);
    });
  });

  const setFilter = useCallback(
    (next: RunsFilter) => {
      const params = searchFromFilter(next);
      if (search.get("limit")) params.set("limit", search.get("limit")!);
      setSearch(params);
    },
    [search, setSearch],
  );

  const addTag = (tag: string) => {
    if (!filter.tags.includes(tag)) setFilter({ ...filter, tags: [...filter.tags, tag] });
  };

  return (
    <div className="runs-page">
      <h1>Runs</h1>
      <RunsFilterBar filter={filter} onChange={setFilter} />
      {error && <ErrorBox error={error} />}
      {runs === undefined && !error && <p className="muted">Loading…</p>}
      {runs && (
        <>
          <RunsTable
            runs={runs}
            onTag={addTag}
            empty={filter.statuses.length || filter.job || filter.tags.length ? "No runs match these filters." : "No runs yet: launch one from Jobs or Assets."}
          />
          <div className="row runs-footer">
            <span className="muted small" data-testid="runs-count">
              {runs.length} run{runs.length === 1 ? "" : "s"} shown{nextCursor ? ", more below" : ""}
            </span>
            {nextCursor && (
              <button type="button" onClick={loadMore} disabled={loadingMore} data-testid="load-more">
                {loadingMore ? "Loading…" : "Load more"}
              </button>
            )}
          </div>
          {moreError && <ErrorBox error={moreError} />}
        </>
      )}
    </div>
  );
}

/** Status toggles, a job picker and tag chips; every change goes to the URL. */
function RunsFilterBar({ filter, onChange }: { filter: RunsFilter; onChange: (next: RunsFilter) => void }) {
  const definitions = useApi<DefinitionsJson>("/definitions");
  const [tagText, setTagText] = useState("");
  const [tagError, setTagError] = useState<string>();
  const jobNames = [...(definitions.data?.snapshot?.jobs.map((j) => j.name) ?? []), ASSET_JOB_NAME];
  if (filter.job && !jobNames.includes(filter.job)) jobNames.push(filter.job);

  const toggleStatus = (status: RunStatus) => {
    const statuses = filter.statuses.includes(status) ? filter.statuses.filter((s) => s !== status) : [...filter.statuses, status];
    onChange({ ...filter, statuses: RUN_STATUSES.filter((s) => statuses.includes(s)) });
  };
  const submitTag = (e: FormEvent) => {
    e.preventDefault();
    const text = tagText.trim();
    if (!parseTag(text)) {
      setTagError("A tag filter is key:value, e.g. team:data");
      return;
    }
    setTagError(undefined);
    setTagText("");
    if (!filter.tags.includes(text)) onChange({ ...filter, tags: [...filter.tags, text] });
  };
  const any = filter.statuses.length > 0 || filter.job !== null || filter.tags.length > 0;

  return (
    <div className="panel filter-bar" data-testid="runs-filters">
      <div className="row">
        <span className="filter-label">Status</span>
        {RUN_STATUSES.map((status) => (
          <button
            type="button"
            key={status}
            className={`chip${filter.statuses.includes(status) ? " on" : ""}`}
            aria-pressed={filter.statuses.includes(status)}
            onClick={() => toggleStatus(status)}
          >
            {status}
          </button>
        ))}
      </div>
      <div className="row">
        <label className="row">
          <span className="filter-label">Job</span>
          <select value={filter.job ?? ""} onChange={(e) => onChange({ ...filter, job: e.target.value || null })} data-testid="job-filter">
            <option value="">All jobs</option>
            {jobNames.map((name) => (
              <option key={name} value={name}>
                {name === ASSET_JOB_NAME ? "Asset materializations" : name}
              </option>
            ))}
          </select>
        </label>
        <form className="row" onSubmit={submitTag}>
          <span className="filter-label">Tag</span>
          <input value={tagText} onChange={(e) => setTagText(e.target.value)} placeholder="key:value" aria-label="Tag filter" data-testid="tag-input" />
          <button type="submit">Add</button>
        </form>
        {filter.tags.map((tag) => (
          <span className="tag-chip removable" key={tag}>
            {tag}
            <button type="button" aria-label={`Remove tag filter ${tag}`} onClick={() => onChange({ ...filter, tags: filter.tags.filter((t) => t !== tag) })}>
              ×
            </button>
          </span>
        ))}
        {any && (
          <button type="button" className="link-button" onClick={() => onChange({ statuses: [], job: null, tags: [] })}>
            Clear filters
          </button>
        )}
      </div>
      {tagError && <div className="field-error">{tagError}</div>}
    </div>
  );
}
