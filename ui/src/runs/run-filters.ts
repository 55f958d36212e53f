/**
 * The runs list's filters, kept in the page URL (`?status=SUCCESS,FAILURE&job=x&tag=k:v&tag=…`)
 * so that a filtered list can be bookmarked and shared, and turned into the query of
 * `GET /api/runs` (which takes the same parameters).
 */
import type { RunJson, RunStatus } from "../types";

/** Every run status, in the order a run goes through them. */
export const RUN_STATUSES: readonly RunStatus[] = ["QUEUED", "STARTING", "STARTED", "CANCELING", "SUCCESS", "FAILURE", "CANCELED"];

/** What the runs list shows. */
export interface RunsFilter {
  statuses: RunStatus[];
  job: string | null;
  /** `key:value` pairs; a run must carry all of them. */
  tags: string[];
}

/** Reads the filter from the page's query string; unknown statuses are dropped. */
export function filterFromSearch(search: URLSearchParams): RunsFilter {
  const statuses = (search.get("status") ?? "")
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  const tags = search.getAll("tag").filter((t) => t.includes(":"));
  return { statuses: [...new Set(statuses)], job: search.get("job") || null, tags: [...new Set(tags)] };
}

/** Writes the filter into a query string (empty parts left out). */
export function searchFromFilter(filter: RunsFilter): URLSearchParams {
  const search = new URLSearchParams();
  if (filter.statuses.length > 0) search.set("status", filter.statuses.join(","));
  if (filter.job) search.set("job", filter.job);
  for (const tag of filter.tags) search.append("tag", tag);
  return search;
}

/** The `GET /api/runs` path for a filter, page size and cursor. */
export function runsApiPath(filter: RunsFilter, limit: number, cursor?: string | null): string {
  const search = searchFromFilter(filter);
  search.set("limit", String(limit));
  if (cursor) search.set("cursor", cursor);
  return `/runs?${search.toString()}`;
}

/** Parses `key:value` as the server does (the first colon splits); null when there is no key. */
export function parseTag(text: string): { key: string; value: string } | null {
  const at = text.indexOf(":");
  if (at <= 0) return null;
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** True when the run passes the filter, as the server would decide: lets live runs join the list. */
export function runMatches(run: RunJson, filter: RunsFilter): boolean {
  if (filter.statuses.length > 0 && !filter.statuses.includes(run.status)) return false;
  if (filter.job && run.jobName !== filter.job) return false;
  for (const tag of filter.tags) {
    const parsed = parseTag(tag);
    if (parsed && run.tags[parsed.key] !== parsed.value) return false;
  }
  return true;
}
