import type { Kysely, Selectable } from "kysely";
import { StorageError } from "../definitions/errors.js";
import type {
  AssetAutomationState,
  AssetEvaluationRecord,
  AutomationCursor,
  AutomationTickResult,
  AutomationTickWrite,
  ConditionNodeEvaluation,
  NewAssetEvaluation,
} from "./automation-records.js";
import { AUTOMATION_INSTIGATOR } from "./automation-records.js";
import type { StorageDialect } from "./dialect.js";
import type { StorageGuard } from "./guard.js";
import { insertRuns } from "./insert-run.js";
import { InstigatorType, TickStatus } from "./records.js";
import type { AutomationEvaluationsTable, Database } from "./schema.js";

/** Evaluations kept per asset: older ones are deleted when a newer one is written. */
export const MAX_EVALUATIONS_PER_ASSET = 500;
/** Evaluations read at most per call. */
export const MAX_EVALUATIONS_READ = 1000;
/** A stored tree's JSON is cut to its root beyond this many characters. */
export const MAX_TREE_CHARS = 200_000;
/** The one row of `automation_cursor`. */
const CURSOR_ROW = 1;

/** Options of `Storage.getAutomationEvaluations`. */
export interface AutomationEvaluationsQuery {
  /** At most this many (default and cap {@link MAX_EVALUATIONS_READ}). */
  limit?: number;
  /** Only those with a row id below this (paging). */
  beforeId?: number;
  /** Only those evaluated at or before this time (epoch ms). */
  at?: number;
}

/**
 * The automation loop's records: its cursor, per-asset condition states and kept evaluations,
 * written together with the runs the evaluation requested and a tick, in one transaction guarded by
 * a compare-and-set on the cursor, so that two daemons evaluating at once record one evaluation.
 */
export class AutomationStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#dialect = dialect;
    this.#db = db;
    this.#guard = guard;
  }

  /** See `Storage.getAutomationCursor`. */
  getAutomationCursor(): Promise<AutomationCursor | undefined> {
    return this.#guard.run("read the automation cursor", async () => {
      const row = await this.#db.selectFrom("automation_cursor").selectAll().where("id", "=", CURSOR_ROW).executeTakeFirst();
      if (row === undefined) return undefined;
      return {
        evaluationId: Number(row.evaluation_id),
        evaluatedAt: row.evaluated_at === null ? null : Number(row.evaluated_at),
        lastEventId: Number(row.last_event_id),
      };
    });
  }

  /** See `Storage.getAutomationStates`. */
  getAutomationStates(): Promise<AssetAutomationState[]> {
    return this.#guard.run("read the automation states of assets", async () => {
      const rows = await this.#db.selectFrom("automation_asset_states").selectAll().orderBy("asset_key").execute();
      return rows.map((row) => ({ ...(JSON.parse(row.state) as AssetAutomationState), assetKey: row.asset_key }));
    });
  }

  /** See `Storage.recordAutomationTick`. */
  recordAutomationTick(write: AutomationTickWrite): Promise<AutomationTickResult> {
    return this.#guard.run(`record automation evaluation ${write.cursor.evaluationId}`, () =>
      this.#dialect.writeTransaction(this.#db, async (trx) => {
        const now = Date.now();
        if (!(await claimCursor(trx, write, now))) return { recorded: false, runs: [] };

        const runs = await insertRuns(trx, write.launches.map((launch) => launch.run), now);
        const runIdsByAsset = new Map<string, string[]>();
        write.launches.forEach((launch, i) => {
          for (const key of launch.assetKeys) {
            const ids = runIdsByAsset.get(key) ?? [];
            ids.push(runs[i]!.runId);
            runIdsByAsset.set(key, ids);
          }
        });

        for (const evaluation of write.evaluations) {
          await trx.insertInto("automation_evaluations").values(toEvaluationRow(evaluation, runIdsByAsset.get(evaluation.assetKey) ?? [])).execute();
        }
        await pruneEvaluations(trx, new Set(write.evaluations.map((e) => e.assetKey)));

        for (const state of write.assetStates) {
          const json = JSON.stringify(state);
          await trx
            .insertInto("automation_asset_states")
            .values({ asset_key: state.assetKey, state: json })
            .onConflict((oc) => oc.column("asset_key").doUpdateSet({ state: json }))
            .execute();
        }
        for (let at = 0; at < write.deleteAssetStates.length; at += 500) {
          const keys = write.deleteAssetStates.slice(at, at + 500);
          await trx.deleteFrom("automation_asset_states").where("asset_key", "in", keys).execute();
        }

        await trx
          .insertInto("ticks")
          .values({
            instigator_name: AUTOMATION_INSTIGATOR,
            type: InstigatorType.Automation,
            tick_time: write.cursor.evaluatedAt ?? now,
            status: runs.length > 0 ? TickStatus.Success : TickStatus.Skipped,
            run_ids: JSON.stringify(runs.map((run) => run.runId)),
            skipped_run_keys: "[]",
            skip_reason: runs.length > 0 ? null : "No asset's condition requested a run.",
            error: null,
            // The evaluation id: which evaluation a tick was (explanations are found by it).
            cursor: String(write.cursor.evaluationId),
            created_at: now,
            updated_at: now,
          })
          .execute();
        return { recorded: true, runs };
      }),
    );
  }

  /** See `Storage.getAutomationEvaluations`. */
  getAutomationEvaluations(assetKey: string, query: AutomationEvaluationsQuery = {}): Promise<AssetEvaluationRecord[]> {
    return this.#guard.run(`read the automation evaluations of "${assetKey}"`, async () => {
      const limit = Math.min(Math.max(query.limit ?? MAX_EVALUATIONS_READ, 0), MAX_EVALUATIONS_READ);
      if (limit === 0) return [];
      let q = this.#db.selectFrom("automation_evaluations").selectAll().where("asset_key", "=", assetKey);
      if (query.beforeId !== undefined) q = q.where("id", "<", query.beforeId);
      if (query.at !== undefined) q = q.where("evaluated_at", "<=", query.at);
      const rows = await q.orderBy("id", "desc").limit(limit).execute();
      return rows.map(fromEvaluationRow);
    });
  }
}

/**
 * The optimistic check, made atomic: moves the cursor only if it is still at
 * `previousEvaluationId`. An UPDATE with that condition locks the row on Postgres, so a second
 * writer waits for the first to commit, then matches nothing; the first evaluation inserts the row,
 * and the primary key lets only one insert through.
 */
async function claimCursor(trx: Kysely<Database>, write: AutomationTickWrite, now: number): Promise<boolean> {
  const { cursor, previousEvaluationId } = write;
  if (cursor.evaluationId <= previousEvaluationId) {
    throw new StorageError(
      `Automation evaluation ${cursor.evaluationId} does not follow evaluation ${previousEvaluationId}: ` +
        `an evaluation's cursor must have a greater evaluationId than the cursor it was computed from.`,
    );
  }
  const values = { evaluation_id: cursor.evaluationId, evaluated_at: cursor.evaluatedAt, last_event_id: cursor.lastEventId, updated_at: now };
  if (previousEvaluationId === 0) {
    const inserted = await trx
      .insertInto("automation_cursor")
      .values({ id: CURSOR_ROW, ...values })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    // A row at evaluation 0 (never written that way, but harmless) also counts as "none yet".
  }
  const updated = await trx
    .updateTable("automation_cursor")
    .set(values)
    .where("id", "=", CURSOR_ROW)
    .where("evaluation_id", "=", previousEvaluationId)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Deletes the evaluations of these assets beyond the newest {@link MAX_EVALUATIONS_PER_ASSET}. */
async function pruneEvaluations(trx: Kysely<Database>, assetKeys: ReadonlySet<string>): Promise<void> {
  for (const assetKey of assetKeys) {
    const boundary = await trx
      .selectFrom("automation_evaluations")
      .select("id")
      .where("asset_key", "=", assetKey)
      .orderBy("id", "desc")
      .offset(MAX_EVALUATIONS_PER_ASSET - 1)
      .limit(1)
      .executeTakeFirst();
    if (boundary === undefined) continue;
    await trx.deleteFrom("automation_evaluations").where("asset_key", "=", assetKey).where("id", "<", Number(boundary.id)).execute();
  }
}

function toEvaluationRow(evaluation: NewAssetEvaluation, runIds: string[]) {
  return {
    asset_key: evaluation.assetKey,
    evaluation_id: evaluation.evaluationId,
    evaluated_at: evaluation.evaluatedAt,
    requested_count: evaluation.requestedCount,
    requested_keys: JSON.stringify(evaluation.requestedKeys.slice(0, 100)),
    run_ids: JSON.stringify(runIds),
    tree: boundedTree(evaluation.tree),
  };
}

/** The tree's JSON; a tree too large to keep is stored as its root alone, saying so. */
function boundedTree(tree: ConditionNodeEvaluation): string {
  const json = JSON.stringify(tree);
  if (json.length <= MAX_TREE_CHARS) return json;
  return JSON.stringify({
    ...tree,
    description: `${tree.description} (its ${json.length}-character evaluation tree was too large to keep; the root alone is shown)`,
    children: [],
  });
}

function fromEvaluationRow(row: Selectable<AutomationEvaluationsTable>): AssetEvaluationRecord {
  return {
    id: Number(row.id),
    assetKey: row.asset_key,
    evaluationId: Number(row.evaluation_id),
    evaluatedAt: Number(row.evaluated_at),
    requestedCount: Number(row.requested_count),
    requestedKeys: JSON.parse(row.requested_keys) as string[],
    runIds: JSON.parse(row.run_ids) as string[],
    tree: JSON.parse(row.tree) as ConditionNodeEvaluation,
  };
}
