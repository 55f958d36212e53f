import type { Kysely, Selectable } from "kysely";
import { RunNotFoundError } from "../definitions/errors.js";
import type { StorageDialect } from "./dialect.js";
import type { StorageGuard } from "./guard.js";
import { RunStatus, type RunProcess, type RunQueueLimits, type RunRecord, type TagConcurrencyLimit } from "./records.js";
import type { Database, RunsTable } from "./schema.js";
import { fromRunRow, runProcessColumns } from "./sql-rows.js";

/** Statuses that count against concurrency limits: claimed and not finished. */
export const IN_PROGRESS_RUN_STATUSES: readonly RunStatus[] = [
  RunStatus.Starting,
  RunStatus.Started,
  RunStatus.Canceling,
];

/** Queued runs read per query while looking for ones that fit the tag limits. */
const QUEUE_PAGE_SIZE = 100;

/**
 * Claims of queued runs (QUEUED → STARTING with a worker id): by the run coordinator within
 * concurrency limits, or one run by id for a foreground CLI run.
 */
export class RunQueue {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#guard = guard;
    this.#dialect = dialect;
    this.#db = db;
  }

  /** See `Storage.claimQueuedRuns`. Returns the claimed runs, oldest first. */
  claimQueuedRuns(workerId: string, max: number, limits: RunQueueLimits): Promise<RunRecord[]> {
    if (!(max > 0)) return Promise.resolve([]);
    return this.#guard.run("claim queued runs", () =>
      this.#dialect.writeTransaction(this.#db, async (trx) => {
        await this.#dialect.lockRunQueue(trx);
        const budget = await ConcurrencyBudget.load(trx, limits);
        const picked = await this.#pick(trx, budget, Math.min(max, budget.free));
        if (picked.length === 0) return [];
        const now = Date.now();
        // Still conditional on QUEUED: a claim must never take a run that something else moved.
        const claimed = await trx
          .updateTable("runs")
          .set({ status: RunStatus.Starting, worker_id: workerId, updated_at: now })
          .where("run_id", "in", picked.map((row) => row.run_id))
          .where("status", "=", RunStatus.Queued)
          .returningAll()
          .execute();
        const order = new Map(picked.map((row, i) => [row.run_id, i]));
        return claimed
          .map(fromRunRow)
          .sort((a, b) => order.get(a.runId)! - order.get(b.runId)!);
      }),
    );
  }

  /** See `Storage.claimRun`. Throws RunNotFoundError when the run does not exist. */
  claimRun(runId: string, workerId: string, process?: RunProcess): Promise<boolean> {
    return this.#guard.run(`claim run "${runId}"`, () =>
      this.#dialect.writeTransaction(this.#db, async (trx) => {
        const now = Date.now();
        const result = await trx
          .updateTable("runs")
          .set({
            status: RunStatus.Starting,
            worker_id: workerId,
            updated_at: now,
            ...(process ? { ...runProcessColumns(process), heartbeat_at: now } : {}),
          })
          .where("run_id", "=", runId)
          .where("status", "=", RunStatus.Queued)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) return true;
        await assertRunExists(trx, runId);
        return false;
      }),
    );
  }

  /** Queued runs, oldest first, that fit the budget, up to `capacity`; takes them from the budget. */
  async #pick(
    trx: Kysely<Database>,
    budget: ConcurrencyBudget,
    capacity: number,
  ): Promise<Selectable<RunsTable>[]> {
    const picked: Selectable<RunsTable>[] = [];
    // Without tag limits every queued run fits, so one page of `capacity` rows is enough.
    const pageSize = budget.hasTagLimits ? QUEUE_PAGE_SIZE : Math.min(capacity, QUEUE_PAGE_SIZE);
    let after: Selectable<RunsTable> | undefined;
    while (picked.length < capacity) {
      let query = trx.selectFrom("runs").selectAll().where("status", "=", RunStatus.Queued);
      if (after !== undefined) {
        const { created_at: createdAt, id } = after;
        query = query.where((eb) =>
          eb.or([
            eb("created_at", ">", Number(createdAt)),
            eb.and([eb("created_at", "=", Number(createdAt)), eb("id", ">", Number(id))]),
          ]),
        );
      }
      query = query.orderBy("created_at", "asc").orderBy("id", "asc").limit(pageSize);
      const page = await this.#dialect.forUpdateSkipLocked(query).execute();
      for (const row of page) {
        if (picked.length >= capacity) break;
        const tags = JSON.parse(row.tags) as Record<string, string>;
        if (!budget.admits(tags)) continue;
        budget.take(tags);
        picked.push(row);
      }
      if (page.length < pageSize) break;
      after = page[page.length - 1];
    }
    return picked;
  }
}

/** Throws RunNotFoundError when the run does not exist. */
export async function assertRunExists(trx: Kysely<Database>, runId: string): Promise<void> {
  const row = await trx.selectFrom("runs").select("run_id").where("run_id", "=", runId).executeTakeFirst();
  if (row === undefined) throw new RunNotFoundError(runId);
}

/**
 * What the in-progress runs leave of the limits: the instance-wide slots and, for each tag limit,
 * the runs counted against it. A run tagged k=v counts against `{key: k}`, against
 * `{key: k, value: v}`, and against the `v` share of `{key: k, perUniqueValue: true}`.
 */
export class ConcurrencyBudget {
  readonly #maxRuns: number;
  readonly #tagLimits: readonly TagConcurrencyLimit[];
  readonly #limitKeys: ReadonlySet<string>;
  #inProgress: number;
  /** In-progress runs per tag key (any value), for limit keys only. */
  readonly #byKey = new Map<string, number>();
  /** In-progress runs per tag key and value, for limit keys only. */
  readonly #byKeyValue = new Map<string, number>();

  private constructor(limits: RunQueueLimits, inProgress: number) {
    // A negative maximum means "no limit", as Dagster's max_concurrent_runs: -1.
    this.#maxRuns = limits.maxConcurrentRuns < 0 ? Infinity : limits.maxConcurrentRuns;
    this.#tagLimits = limits.tagLimits;
    this.#limitKeys = new Set(limits.tagLimits.map((limit) => limit.key));
    this.#inProgress = inProgress;
  }

  /** Counts the in-progress runs (and their tags that limits name) inside the claim transaction. */
  static async load(trx: Kysely<Database>, limits: RunQueueLimits): Promise<ConcurrencyBudget> {
    let inProgress = 0;
    if (Number.isFinite(limits.maxConcurrentRuns) && limits.maxConcurrentRuns >= 0) {
      const row = await trx
        .selectFrom("runs")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("status", "in", IN_PROGRESS_RUN_STATUSES)
        .executeTakeFirst();
      inProgress = Number(row?.n ?? 0);
    }
    const budget = new ConcurrencyBudget(limits, inProgress);
    if (budget.#limitKeys.size > 0) {
      const rows = await trx
        .selectFrom("run_tags")
        .innerJoin("runs", "runs.run_id", "run_tags.run_id")
        .select((eb) => ["run_tags.key", "run_tags.value", eb.fn.countAll().as("n")])
        .where("runs.status", "in", IN_PROGRESS_RUN_STATUSES)
        .where("run_tags.key", "in", [...budget.#limitKeys])
        .groupBy(["run_tags.key", "run_tags.value"])
        .execute();
      for (const row of rows) budget.#add(row.key, row.value, Number(row.n));
    }
    return budget;
  }

  /** Whether any tag limit is set (then queued runs may be skipped and the scan goes on). */
  get hasTagLimits(): boolean {
    return this.#tagLimits.length > 0;
  }

  /** Instance-wide slots left (Infinity without a limit). */
  get free(): number {
    return Math.max(0, this.#maxRuns - this.#inProgress);
  }

  /** Whether a run with these tags may start now. */
  admits(tags: Record<string, string>): boolean {
    if (this.#inProgress >= this.#maxRuns) return false;
    for (const limit of this.#tagLimits) {
      const value = tags[limit.key];
      if (value === undefined) continue;
      let running: number;
      if (limit.value !== undefined) {
        if (value !== limit.value) continue;
        running = this.#byKeyValue.get(keyValue(limit.key, value)) ?? 0;
      } else if (limit.perUniqueValue === true) {
        running = this.#byKeyValue.get(keyValue(limit.key, value)) ?? 0;
      } else {
        running = this.#byKey.get(limit.key) ?? 0;
      }
      if (running >= limit.limit) return false;
    }
    return true;
  }

  /** Counts a run with these tags as in progress. */
  take(tags: Record<string, string>): void {
    this.#inProgress += 1;
    for (const [key, value] of Object.entries(tags)) this.#add(key, value, 1);
  }

  #add(key: string, value: string, count: number): void {
    if (!this.#limitKeys.has(key)) return;
    this.#byKey.set(key, (this.#byKey.get(key) ?? 0) + count);
    const kv = keyValue(key, value);
    this.#byKeyValue.set(kv, (this.#byKeyValue.get(kv) ?? 0) + count);
  }
}

function keyValue(key: string, value: string): string {
  return JSON.stringify([key, value]);
}
