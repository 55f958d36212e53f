import { describe, expect, it } from "vitest";
import { asset } from "../asset.js";
import { defineDefinitions } from "../definitions.js";
import { assetJob } from "../job.js";
import { staticPartitions } from "./static-partitions.js";
import { dailyPartitions, hourlyPartitions } from "./time-partition-factories.js";

function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

const days = dailyPartitions({ start: "2025-01-01" });

describe("partitions across assets, checked when definitions load", () => {
  it("accepts a chain whose partitioned assets share partitions (the same object, or equal by value), and unpartitioned assets on either side", () => {
    const raw = asset({ key: "raw", partitions: days, run: () => 1 });
    const clean = asset({ key: "clean", partitions: dailyPartitions({ start: "2025-01-01" }), ins: { raw }, run: ({ raw: r }) => r });
    const lookup = asset({ key: "lookup", run: () => ({}) });
    const joined = asset({ key: "joined", partitions: days, ins: { clean, lookup }, run: () => 1 });
    const report = asset({ key: "report", ins: { joined }, run: ({ joined: all }) => all });
    const defs = defineDefinitions({ assets: [raw, clean, lookup, joined, report], jobs: [assetJob({ name: "daily", selection: "*" })] });
    expect(defs.jobs.get("daily")!.partitions?.id).toBe(days.id);
  });

  it("names both assets and both partitions when a partitioned asset's upstream has other partitions", () => {
    const hourly = asset({ key: "hourly_events", partitions: hourlyPartitions({ start: "2025-01-01-00:00" }), run: () => 1 });
    const daily = asset({ key: "daily_events", partitions: days, deps: [hourly], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [hourly, daily] }))).toBe(
      'Asset "daily_events" is partitioned by daily partitions from "2025-01-01" (UTC), but its upstream asset "hourly_events" is ' +
        'partitioned by hourly partitions from "2025-01-01-00:00" (UTC). Partitions pass from one asset to the next one to one, so both must ' +
        "use the same partitions: share one definition between them, or make one of them unpartitioned.",
    );
  });

  it("refuses partitions that are not a partitions definition", () => {
    const bad = asset({ key: "bad", partitions: ["a", "b"] as never, run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [bad] }))).toContain('Asset "bad": partitions must come from dailyPartitions()');
  });

  it("refuses an asset job whose assets have different partitions, naming the job and both assets", () => {
    const a = asset({ key: "a", partitions: days, run: () => 1 });
    const b = asset({ key: "b", partitions: staticPartitions(["x"]), run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a, b], jobs: [assetJob({ name: "both", selection: "*" })] }))).toContain(
      'Job "both": Assets "a" (daily partitions from "2025-01-01" (UTC)) and "b" (static partitions ["x"]) have different partitions',
    );
  });
});
