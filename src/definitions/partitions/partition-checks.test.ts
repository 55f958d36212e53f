import { describe, expect, it } from "vitest";
import { asset } from "../asset.js";
import { defineDefinitions } from "../definitions.js";
import { assetJob } from "../job.js";
import { multiRun, singleRun } from "./backfill-policy.js";
import { dimensionMapping } from "./dimension-mapping.js";
import { multiPartitions } from "./multi-partitions.js";
import { identityMapping, lastPartition } from "./simple-mappings.js";
import { staticMapping } from "./static-mapping.js";
import { staticPartitions } from "./static-partitions.js";
import { timeWindowMapping } from "./time-window-mapping.js";
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

  it("accepts different partitions where a mapping applies: declared, or the default one (hourly deps of a daily asset)", () => {
    const hourly = asset({ key: "hourly_events", partitions: hourlyPartitions({ start: "2025-01-01-00:00" }), run: () => 1 });
    const daily = asset({ key: "daily_events", partitions: days, deps: [hourly], run: () => 1 });
    const rollup = asset({ key: "rollup", partitions: days, ins: { hours: { asset: hourly, mapping: timeWindowMapping() } }, run: ({ hours }) => Object.keys(hours).length });
    expect(() => defineDefinitions({ assets: [hourly, daily, rollup] })).not.toThrow();
  });

  it("names both assets, both partitions and the mappings to declare when no default applies", () => {
    const countries = asset({ key: "countries", partitions: staticPartitions(["fr", "us"]), run: () => 1 });
    const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "na"]), deps: [countries], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [countries, regions] }))).toBe(
      'Asset "regions" is partitioned by static partitions ["eu", "na"], and its upstream asset "countries" by static partitions ["fr", "us"]: ' +
        'no partition mapping applies between these by default. Declare one in its ins or deps as { asset: "countries", mapping } with mapping one of: ' +
        'staticMapping({ "fr": "eu", … }), identityMapping(), allPartitions(), lastPartition().',
    );
  });

  it("asks for a declared mapping when an input would read several partitions into a value typed as one", () => {
    const hourly = asset({ key: "hourly_events", partitions: hourlyPartitions({ start: "2025-01-01-00:00" }), run: () => 1 });
    const daily = asset({ key: "daily_events", partitions: days, ins: { events: hourly }, run: ({ events }) => events });
    const message = definitionError(() => defineDefinitions({ assets: [hourly, daily] }));
    expect(message).toContain('Asset "daily_events" (daily partitions from "2025-01-01" (UTC)) reads input "events" from asset "hourly_events" (hourly partitions');
    expect(message).toContain('ins: { events: { asset: "hourly_events", mapping: timeWindowMapping() } }');
  });

  it("refuses a declared mapping that does not fit the partitions, naming both assets and why", () => {
    const byDay = multiPartitions({ date: days, device: staticPartitions(["d1", "d2"]) });
    const readings = asset({ key: "readings", partitions: byDay, run: () => 1 });
    const perRegion = asset({ key: "per_day", partitions: days, ins: { r: { asset: readings, mapping: dimensionMapping("region") } }, run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [readings, perRegion] }))).toContain(
      'Asset "per_day" (daily partitions from "2025-01-01" (UTC)) reads asset "readings" (multi partitions (date: daily partitions from "2025-01-01" (UTC); ' +
        'device: static partitions ["d1", "d2"])) through dimensionMapping("region") (multi partitions ↔ their "region" dimension), which does not fit: ' +
        '"readings" has no dimension "region"; its dimensions are "date" and "device".',
    );

    const a = asset({ key: "a", partitions: staticPartitions(["x"]), run: () => 1 });
    const b = asset({ key: "b", partitions: staticPartitions(["y"]), deps: [{ asset: a, mapping: timeWindowMapping() }], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a, b] }))).toContain('it relates time windows, and "a" and "b" have no time-window partitions');

    const c = asset({ key: "c", partitions: staticPartitions(["y"]), deps: [{ asset: a, mapping: staticMapping({ x: "y", nope: "y" }) }], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a, c] }))).toContain('upstream key "nope" is not a key of "a" (valid: "x")');
    const d = asset({ key: "d", partitions: staticPartitions(["y"]), deps: [{ asset: a, mapping: staticMapping({ x: ["y", "z"] }) }], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a, d] }))).toContain('downstream key "z" is not a key of "d" (valid: "y")');

    const plain = asset({ key: "plain", run: () => 1 });
    const e = asset({ key: "e", partitions: days, deps: [{ asset: plain, mapping: lastPartition() }], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [plain, e] }))).toContain('but "plain" is not partitioned: there is nothing to map');
  });

  it("refuses two mappings for one upstream asset, and a backfill policy without partitions", () => {
    const a = asset({ key: "a", partitions: days, run: () => 1 });
    expect(definitionError(() => asset({ key: "b", partitions: days, ins: { x: { asset: a, mapping: identityMapping() } }, deps: [{ asset: a, mapping: lastPartition() }], run: () => 1 }))).toContain(
      'Asset "b" declares two partition mappings for upstream asset "a"',
    );
    expect(definitionError(() => asset({ key: "b", partitions: days, deps: [{ asset: undefined as never, mapping: lastPartition() }], run: () => 1 }))).toBe(
      'Asset "b": deps[0] is { asset, mapping } without an asset: give the upstream asset or its key as asset.',
    );
    const c = asset({ key: "c", backfillPolicy: singleRun(), run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [c] }))).toBe(
      'Asset "c" has backfillPolicy singleRun() but no partitions; a backfill policy says how many partitions one run may materialize.',
    );
    expect(definitionError(() => multiRun(0))).toContain("multiRun takes the most partitions one run may materialize");
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
