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
  const [record] = await insertRuns(trx, [run], now);
  return record!;
}

/** Runs per INSERT statement: 19 parameters a run stays well under every driver's bound. */
const RUNS_PER_INSERT = 1000;

/**
 * Inserts several runs and their tags with a few statements (a backfill's batch of launches), inside
 * a write transaction the caller holds; returns them in order. Throws StorageError when a run id
 * exists, which rolls the caller's whole transaction back.
 */
export async function insertRuns(trx: Kysely<Database>, runs: readonly NewRun[], now: number): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const run of runs) records.push(await recordOf(trx, run, now));
  for (let at = 0; at < records.length; at += RUNS_PER_INSERT) {
    const chunk = records.slice(at, at + RUNS_PER_INSERT);
    // DO NOTHING + row count detects a duplicate the same way on every dialect, and without a race
    // between a check and the insert.
    const inserted = await trx
      .insertInto("runs")
      .values(chunk.map(toRunRow))
      .onConflict((oc) => oc.column("run_id").doNothing())
      .returning("run_id")
      .execute();
    if (inserted.length !== chunk.length) {
      // RETURNING lists the rows inserted: the first run left out is the duplicate.
      const stored = new Set(inserted.map((r) => r.run_id));
      const duplicate = chunk.find((r) => !stored.delete(r.runId))!;
      throw new StorageError(`Run "${duplicate.runId}" already exists. Run ids must be unique: create the run with a new id.`);
    }
    const tags = chunk.flatMap((r) => Object.entries(r.tags).map(([key, value]) => ({ run_id: r.runId, key, value })));
    for (let t = 0; t < tags.length; t += RUNS_PER_INSERT * 2) await trx.insertInto("run_tags").values(tags.slice(t, t + RUNS_PER_INSERT * 2)).execute();
  }
  return records;
}

/** The record of a new run: its root is its parent's root (looked up), else its parent. */
async function recordOf(trx: Kysely<Database>, run: NewRun, now: number): Promise<RunRecord> {
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
  return record;
}
