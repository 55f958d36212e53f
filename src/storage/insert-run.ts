import type { Kysely } from "kysely";
import { StorageError } from "../definitions/errors.js";
import type { NewRun, RunRecord } from "./records.js";
import type { Database } from "./schema.js";
import { toRunRow } from "./sql-rows.js";

/**
 * Inserts a run and its tags inside a write transaction the caller holds (createRun, a schedule
 * tick's run, a sensor tick's runs), and returns it. Throws StorageError when the run id exists,
 * which rolls the caller's whole transaction back.
 */
export async function insertRun(trx: Kysely<Database>, run: NewRun, now: number): Promise<RunRecord> {
  const parentRunId = run.parentRunId ?? null;
  let rootRunId = run.rootRunId ?? null;
  if (rootRunId === null && parentRunId !== null) {
    const parent = await trx
      .selectFrom("runs")
      .select(["run_id", "root_run_id"])
      .where("run_id", "=", parentRunId)
      .executeTakeFirst();
    rootRunId = parent?.root_run_id ?? parentRunId;
  }
  const record: RunRecord = {
    runId: run.runId,
    status: run.status ?? "QUEUED",
    jobName: run.jobName,
    selection: run.selection,
    selectionExpression: run.selectionExpression ?? null,
    partition: run.partition ?? null,
    config: run.config ?? {},
    tags: run.tags ?? {},
    parentRunId,
    rootRunId,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    endedAt: null,
    workerId: null,
    heartbeatAt: null,
    process: null,
  };
  // DO NOTHING + row count detects a duplicate the same way on every dialect, and without a race
  // between a check and the insert.
  const inserted = await trx
    .insertInto("runs")
    .values(toRunRow(record))
    .onConflict((oc) => oc.column("run_id").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    throw new StorageError(
      `Run "${run.runId}" already exists. Run ids must be unique: create the run with a new id.`,
    );
  }
  const tags = Object.entries(record.tags);
  if (tags.length > 0) {
    await trx
      .insertInto("run_tags")
      .values(tags.map(([key, value]) => ({ run_id: run.runId, key, value })))
      .execute();
  }
  return record;
}
