import type { Kysely } from "kysely";
import { RUNLESS_RUN_ID, type RunsFilter } from "./records.js";
import type { Database } from "./schema.js";

/**
 * The runs matching a filter's statuses, job, ids, parents and tags (listRuns and countRuns); never
 * the reserved run of run-less events, which no user launched.
 */
export function runsWhere(db: Kysely<Database>, filter: RunsFilter) {
  const { statuses, jobName, runIds, parentRunIds, tags } = filter;
  let query = db.selectFrom("runs").where("runs.run_id", "<>", RUNLESS_RUN_ID);
  if (statuses !== undefined) query = query.where("status", "in", statuses);
  if (jobName !== undefined) query = query.where("job_name", "=", jobName);
  if (runIds !== undefined) query = query.where("run_id", "in", runIds);
  if (parentRunIds !== undefined) query = query.where("parent_run_id", "in", parentRunIds);
  for (const [key, value] of Object.entries(tags ?? {})) {
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("run_tags")
          .select("run_tags.run_id")
          .whereRef("run_tags.run_id", "=", "runs.run_id")
          .where("run_tags.key", "=", key)
          .where("run_tags.value", "=", value),
      ),
    );
  }
  return query;
}

/** True when a list in the filter is empty: it matches no run, and SQL `in ()` is not valid. */
export function matchesNothing(filter: RunsFilter): boolean {
  return [filter.statuses, filter.runIds, filter.parentRunIds].some((list) => list?.length === 0);
}
