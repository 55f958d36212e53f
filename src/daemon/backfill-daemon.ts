import type { Definitions } from "../definitions/definitions.js";
import { errorMessage } from "../definitions/errors.js";
import { BackfillDependencies, backfillRun, groupPolicy, missingPartition, runsToLaunch, upstreamInBackfill } from "../runs/backfill-plan.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import {
  BackfillPartitionStatus,
  BackfillStatus,
  type BackfillGroup,
  type BackfillLaunch,
  type BackfillPartitionRecord,
  type BackfillPartitionUpdate,
  type BackfillRecord,
} from "../storage/backfill-records.js";
import { RunStatus } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DaemonHooks } from "./daemon-hooks.js";

/** What the backfill daemon needs. */
export interface BackfillDaemonOptions {
  storage: Storage;
  defs: Definitions;
  /** Runs launched per iteration at most, across backfills (default 100). */
  launchBatchSize?: number;
  /** Runs of one backfill left QUEUED at most (default 1,000): more are launched as these start. */
  maxQueuedRuns?: number;
  /** Test hooks (the crash-point harness); none in production. */
  hooks?: DaemonHooks;
  log?: (line: string) => void;
}

/** The partition status a finished run gives its backfill partition. */
const DONE_OF_RUN: Partial<Record<RunStatus, BackfillPartitionStatus>> = {
  [RunStatus.Success]: BackfillPartitionStatus.Succeeded,
  [RunStatus.Failure]: BackfillPartitionStatus.Failed,
  [RunStatus.Canceled]: BackfillPartitionStatus.Canceled,
};

/**
 * The backfill loop of the daemon. Each `tick()`, for every backfill in progress: partitions whose
 * runs finished take their runs' outcome; a REQUESTED backfill launches pending partitions whose
 * upstream partitions in the backfill succeeded (and fails those whose upstream failed), as QUEUED
 * runs for the run coordinator, within the per-iteration and per-backfill queue bounds; a
 * CANCELING one launches nothing more and is CANCELED once its runs in flight have finished; a
 * backfill with every partition done is COMPLETED, or FAILED when any failed or was canceled.
 * Everything lives in storage: a daemon killed at any point resumes where it was, and each launch is
 * one transaction with its run, so no partition is launched twice nor lost.
 */
export class BackfillDaemon {
  readonly #storage: Storage;
  readonly #defs: Definitions;
  readonly #batch: number;
  readonly #maxQueued: number;
  readonly #hooks: DaemonHooks;
  readonly #log: (line: string) => void;
  /** Per backfill in progress: its groups' edges and each partition's upstream partitions, computed once. */
  readonly #deps = new Map<string, BackfillDependencies>();

  constructor(options: BackfillDaemonOptions) {
    this.#storage = options.storage;
    this.#defs = options.defs;
    this.#batch = Math.max(1, options.launchBatchSize ?? 100);
    this.#maxQueued = Math.max(1, options.maxQueuedRuns ?? 1000);
    this.#hooks = options.hooks ?? {};
    this.#log = options.log ?? (() => undefined);
  }

  /** One iteration over the backfills in progress, oldest first; returns how many runs it launched. */
  async tick(): Promise<number> {
    const active = await this.#storage.listBackfills({ statuses: [BackfillStatus.Requested, BackfillStatus.Canceling] });
    // Runs are checked against the instance's dynamic partition keys as they are now.
    if (active.length > 0) await loadDynamicPartitions(this.#defs, this.#storage);
    for (const id of this.#deps.keys()) if (!active.some((b) => b.backfillId === id)) this.#deps.delete(id);
    let budget = this.#batch;
    for (const backfill of active.reverse()) {
      try {
        budget -= await this.#advance(backfill, budget);
      } catch (err) {
        // One backfill's trouble (storage, mostly) holds up no other; it is tried again next time.
        this.#log(`Backfill ${backfill.backfillId}: ${errorMessage(err)}; retrying on the next iteration.`);
      }
    }
    return this.#batch - budget;
  }

  /** Moves one backfill on; returns how many runs it launched. */
  async #advance(backfill: BackfillRecord, budget: number): Promise<number> {
    const id = backfill.backfillId;
    // Only the partitions whose runs ended are read: a tick costs the same at any size of backfill.
    const ended = await this.#storage.getBackfillPartitions(id, {
      statuses: [BackfillPartitionStatus.Launched],
      runStatuses: [RunStatus.Success, RunStatus.Failure, RunStatus.Canceled, null],
    });
    const finished: BackfillPartitionUpdate[] = ended.map((p) => ({
      group: p.group,
      partition: p.partition,
      status: p.runStatus === null ? BackfillPartitionStatus.Failed : DONE_OF_RUN[p.runStatus]!,
      reason: p.runStatus === null ? `its run ${p.runId} no longer exists` : null,
    }));
    const runs = await this.#storage.countBackfillRunStatuses(id);
    const queued = runs[RunStatus.Queued] ?? 0;
    const inFlight = Object.entries(runs).reduce((sum, [status, n]) => (DONE_OF_RUN[status as RunStatus] === undefined ? sum + (n ?? 0) : sum), 0);
    if (finished.length > 0) {
      await this.#storage.updateBackfillPartitions(id, finished, { onlyFrom: [BackfillPartitionStatus.Launched] });
      this.#hooks.at?.("backfill_partitions_updated");
    }
    if (backfill.status === BackfillStatus.Canceling) {
      await this.#storage.cancelPendingBackfillPartitions(id, "the backfill was canceled before this partition was launched");
      if (inFlight === 0 && (await this.#storage.setBackfillStatus(id, BackfillStatus.Canceled, { onlyFrom: [BackfillStatus.Canceling] }))) {
        this.#log(`Backfill ${id} canceled.`);
        this.#hooks.at?.("backfill_finished");
      }
      return 0;
    }
    const launchedNow = await this.#launchReady(backfill, Math.min(budget, this.#maxQueued - queued));
    const counts = await this.#storage.countBackfillPartitions(id);
    if (counts.pending === 0 && counts.launched === 0) {
      const failed = counts.failed + counts.canceled;
      const status = failed === 0 ? BackfillStatus.Completed : BackfillStatus.Failed;
      const error = failed === 0 ? null : `${counts.failed} partition${counts.failed === 1 ? "" : "s"} failed, ${counts.canceled} canceled, ${counts.succeeded} succeeded.`;
      if (await this.#storage.setBackfillStatus(id, status, { onlyFrom: [BackfillStatus.Requested], error })) {
        this.#log(`Backfill ${id} ${status === BackfillStatus.Completed ? "completed" : `failed: ${error}`}`);
        this.#hooks.at?.("backfill_finished");
      }
    }
    return launchedNow;
  }

  /**
   * Launches up to `budget` runs of pending partitions that are ready, in the backfill's order (one
   * per key, or one per range of consecutive keys in a group under a backfill policy), and fails
   * the pending partitions whose upstream partitions in the backfill failed or were canceled, and
   * those whose dynamic key was removed since the backfill was recorded.
   */
  async #launchReady(backfill: BackfillRecord, budget: number): Promise<number> {
    if (budget <= 0) return 0;
    const id = backfill.backfillId;
    const now = new Date();
    const independent = backfill.groups.every((g) => g.upstream.length === 0);
    const ranged = backfill.groups.some((g) => groupPolicy(this.#defs, g) !== undefined);
    // Without dependencies between groups every pending partition is ready: read only what launches
    // (all pending ones when a run may take a range). With them, every partition's status is read
    // in one query, and each pending one checks its upstream keys in memory.
    const rows = independent
      ? await this.#storage.getBackfillPartitions(id, { statuses: [BackfillPartitionStatus.Pending], ...(ranged ? {} : { limit: budget }) })
      : await this.#storage.getBackfillPartitions(id);
    const statusOf = new Map<string, BackfillPartitionStatus>(independent ? [] : rows.map((r) => [slot(r.group, r.partition), r.status]));
    const deps = independent ? undefined : (this.#deps.get(id) ?? this.#deps.set(id, new BackfillDependencies(this.#defs, backfill.groups, now)).get(id)!);
    const groups = new Map(backfill.groups.map((g) => [g.name, g]));
    const failing: BackfillPartitionUpdate[] = [];
    const ready = new Map<string, string[]>();
    for (const row of rows) {
      if (row.status !== BackfillPartitionStatus.Pending) continue;
      const group = groups.get(row.group);
      const verdict = !group ? `its asset group "${row.group}" is not part of the backfill` : deps ? readiness(deps, group, row, statusOf) : "ready";
      if (verdict === "waiting") continue;
      // A dynamic key removed since the backfill was recorded fails its partition, not the backfill.
      const gone = verdict === "ready" ? missingPartition(this.#defs, group!, row.partition, now) : verdict;
      if (gone !== undefined) failing.push({ group: row.group, partition: row.partition, status: BackfillPartitionStatus.Failed, reason: gone });
      else (ready.get(row.group) ?? ready.set(row.group, []).get(row.group)!).push(row.partition);
    }
    const launches: BackfillLaunch[] = [];
    for (const group of backfill.groups) {
      for (const request of runsToLaunch(this.#defs, group, ready.get(group.name) ?? [], now)) {
        if (launches.length >= budget) break;
        try {
          launches.push({ group: group.name, partitions: request.partitions, run: backfillRun(this.#defs, backfill, request) });
        } catch (err) {
          // The run could not start (the definitions changed since the backfill was recorded).
          for (const partition of request.partitions) failing.push({ group: group.name, partition, status: BackfillPartitionStatus.Failed, reason: errorMessage(err) });
        }
      }
    }
    if (failing.length > 0) await this.#storage.updateBackfillPartitions(id, failing, { onlyFrom: [BackfillPartitionStatus.Pending] });
    // One transaction for the batch: each run is created with its partitions marked launched, or not at all.
    const created = await this.#storage.launchBackfillPartitions(id, launches);
    if (created.length > 0) this.#hooks.at?.("backfill_run_created");
    return created.length;
  }
}

/**
 * `ready`, `waiting` (an upstream partition in the backfill is not done), or why it fails (an
 * upstream partition failed or was canceled). Upstream keys that are not partitions of the
 * backfill are not waited for.
 */
function readiness(deps: BackfillDependencies, group: BackfillGroup, row: BackfillPartitionRecord, statusOf: ReadonlyMap<string, BackfillPartitionStatus>): string {
  let waiting = false;
  for (const up of upstreamInBackfill(deps, group, row.partition, (p) => statusOf.has(slot(p.group, p.partition)))) {
    const status = statusOf.get(slot(up.group, up.partition));
    if (status === BackfillPartitionStatus.Failed || status === BackfillPartitionStatus.Canceled) {
      return `upstream partition "${up.partition}" of ${up.group === "" ? "the backfill" : `group "${up.group}"`} ${status}`;
    }
    if (status !== BackfillPartitionStatus.Succeeded) waiting = true;
  }
  return waiting ? "waiting" : "ready";
}

function slot(group: string, partition: string): string {
  return `${group}\u0000${partition}`;
}
