/** Runs over a range of partitions, for assets with a backfill policy. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset, type PartitionKeyRange } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dailyPartitions, multiRun, singleRun } from "../definitions/partitions.js";
import type { TimeWindow } from "../definitions/partitions/partitions-definition.js";
import { PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG } from "../execution/run-partition.js";
import { EventType, RunStatus } from "../storage/records.js";
import { executeJob } from "./execute-job.js";
import { materializeAssets } from "./materialize-assets.js";
import { newRun } from "./new-run.js";
import { reexecutionOf } from "./reexecution.js";
import { runInForeground } from "./foreground-run.js";
import { hasStoredValue, storedValue } from "./testing/stored-value.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const days = dailyPartitions({ start: "2025-01-01" });

interface Seen {
  range: PartitionKeyRange | null;
  keys: readonly string[];
  window: TimeWindow | null;
  keyError: string;
}

function rangeDefs() {
  const seen: Seen[] = [];
  const events = asset({
    key: "events",
    partitions: days,
    backfillPolicy: singleRun(),
    run: (_in, ctx) => {
      let keyError = "";
      try {
        void ctx.partitionKey;
      } catch (err) {
        keyError = (err as Error).message;
      }
      seen.push({ range: ctx.partitionKeyRange, keys: ctx.partitionKeysInRun, window: ctx.partitionTimeWindow, keyError });
      return { rows: ctx.partitionKeysInRun.length };
    },
  });
  const weekly = asset({
    key: "rollup",
    partitions: days,
    backfillPolicy: multiRun(3),
    ins: { events },
    run: ({ events: byDay }) => Object.keys(byDay),
  });
  const perDay = asset({ key: "per_day", partitions: days, ins: { events }, run: ({ events: e }, { partitionKey }) => ({ day: partitionKey, rows: e.rows }) });
  const defs = defineDefinitions({ assets: [events, weekly, perDay], jobs: [assetJob({ name: "range_job", selection: ["events", "rollup"] })] });
  return { defs, seen };
}

describe("runs over a partition range", () => {
  it("materializes every key of the range in one run: context, one materialization per key, the value stored per key, tags", async () => {
    const { defs, seen } = rangeDefs();
    const result = await materializeAssets(target, defs, { selection: ["events", "rollup"], partitionRange: { start: "2025-01-02", end: "2025-01-04" } });
    expect(result.status).toBe(RunStatus.Success);
    expect(seen).toEqual([
      {
        range: { start: "2025-01-02", end: "2025-01-04" },
        keys: ["2025-01-02", "2025-01-03", "2025-01-04"],
        window: { start: new Date("2025-01-02T00:00:00Z"), end: new Date("2025-01-05T00:00:00Z") },
        keyError:
          'Asset "events" runs over partition range "2025-01-02...2025-01-04" (3 partitions), so context.partitionKey names none of them: ' +
          "use context.partitionKeyRange, context.partitionKeysInRun or context.partitionTimeWindow.",
      },
    ]);
    // Inputs of the range: every upstream key of every key of the range.
    expect(result.outputOf("rollup")).toEqual(["2025-01-02", "2025-01-03", "2025-01-04"]);
    const run = (await target.storage.getRun(result.runId))!;
    expect(run.partition).toBeNull();
    expect(run.tags).toMatchObject({ [PARTITION_RANGE_START_TAG]: "2025-01-02", [PARTITION_RANGE_END_TAG]: "2025-01-04" });
    expect(run.tags[PARTITION_TAG]).toBeUndefined();
    const materialized = (await target.storage.getEvents(result.runId, { types: [EventType.AssetMaterialization] })).map((e) => [e.assetKey, e.partition]);
    expect(materialized).toEqual([
      ["events", "2025-01-02"],
      ["events", "2025-01-03"],
      ["events", "2025-01-04"],
      ["rollup", "2025-01-02"],
      ["rollup", "2025-01-03"],
      ["rollup", "2025-01-04"],
    ]);
    expect((await target.storage.getAssetIndex(["events"])).map((r) => r.partition).sort()).toEqual(["2025-01-02", "2025-01-03", "2025-01-04"]);
    for (const day of ["2025-01-02", "2025-01-04"]) {
      expect(await storedValue(target, "events", day)).toEqual({ rows: 3 });
    }
    expect(await hasStoredValue(target, "events", "2025-01-05")).toBe(false);

    // A one-key run downstream reads one partition that the range run stored.
    const one = await materializeAssets(target, defs, { selection: ["per_day"], partitionKey: "2025-01-03" });
    expect(one.outputOf("per_day")).toEqual({ day: "2025-01-03", rows: 3 });
  });

  it("gives a one-key run of an asset with a policy its key, a one-key range, and its inputs as records", async () => {
    const { defs, seen } = rangeDefs();
    const result = await executeJob(target, defs, "range_job", { partitionKey: "2025-01-06" });
    expect(result.status).toBe(RunStatus.Success);
    expect(seen[0]).toMatchObject({ range: { start: "2025-01-06", end: "2025-01-06" }, keys: ["2025-01-06"], keyError: "" });
    expect(result.outputOf("rollup")).toEqual(["2025-01-06"]);
  });

  it("re-executes a range run over the same range, read back from its tags", async () => {
    const { defs, seen } = rangeDefs();
    const first = await executeJob(target, defs, "range_job", { partitionRange: { start: "2025-01-01", end: "2025-01-02" } });
    const again = await runInForeground(target, defs, await reexecutionOf(target.storage, first.runId, { fromFailure: false }));
    expect(again.status).toBe(RunStatus.Success);
    expect(seen.map((s) => s.keys)).toEqual([
      ["2025-01-01", "2025-01-02"],
      ["2025-01-01", "2025-01-02"],
    ]);
  });

  it("refuses bad ranges before recording anything, naming the assets and the valid range", async () => {
    const { defs } = rangeDefs();
    const range = (start: string, end: string) => materializeAssets(target, defs, { selection: ["events", "rollup"], partitionRange: { start, end } });
    await expect(range("2025-01-04", "2025-01-02")).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      message: expect.stringMatching(/^Partition range "2025-01-04\.\.\.2025-01-02" is backwards: "2025-01-04" comes after "2025-01-02"\. Valid keys run from "2025-01-01" to "\d{4}-\d{2}-\d{2}" \(\d+ partitions\)\. \(Partitioned: assets "events", "rollup"\.\)$/),
    });
    await expect(range("2024-12-30", "2025-01-02")).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      partitionKey: "2024-12-30",
      message: expect.stringContaining('Partition range "2024-12-30...2025-01-02": Partition "2024-12-30" is before the first partition'),
    });
    await expect(range("2025-01-01", "2025-01-04")).rejects.toThrow(
      'Partition range "2025-01-01...2025-01-04" holds 4 partitions, and asset "rollup" has backfillPolicy multiRun(3): one run materializes at most 3. Split the range.',
    );
    await expect(materializeAssets(target, defs, { selection: ["events", "per_day"], partitionRange: { start: "2025-01-01", end: "2025-01-02" } })).rejects.toThrow(
      'A run over partition range "2025-01-01...2025-01-02" needs every partitioned asset to allow it, and asset "per_day" has no backfillPolicy. ' +
        "Set backfillPolicy: singleRun() (or multiRun(n)) on it, or run one partition key at a time.",
    );
    await expect(materializeAssets(target, defs, { selection: ["events"], partitionKey: "2025-01-01", partitionRange: { start: "2025-01-01", end: "2025-01-02" } })).rejects.toThrow(
      'A run takes a partition key or a partition range, not both (got "2025-01-01" and "2025-01-01...2025-01-02").',
    );
    expect(() => newRun({ defs, target: { assets: ["events"] }, partition: "2025-01-01", tags: { [PARTITION_RANGE_START_TAG]: "2025-01-01" } })).toThrow(
      `Tag "${PARTITION_RANGE_START_TAG}" is set by Sluice from the run's partition range`,
    );
    expect(await target.storage.listRuns()).toEqual([]);
  });
});
