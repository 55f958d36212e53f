import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { assetJob } from "../definitions/job.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { multiRun, singleRun } from "../definitions/partitions/backfill-policy.js";
import { staticMapping } from "../definitions/partitions/static-mapping.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { dailyPartitions, hourlyPartitions } from "../definitions/partitions/time-partition-factories.js";
import { timeWindowMapping } from "../definitions/partitions/time-window-mapping.js";
import { caught, expectSluiceError } from "../storage/testing/contract-helpers.js";
import { launchBackfill } from "./backfill-control.js";
import { backfillRun } from "./backfill-plan.js";
import { newRun } from "./new-run.js";
import { planBackfill, type BackfillRequest } from "./backfill-request.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

const days = dailyPartitions({ start: "2024-01-01", end: "2024-01-11" });
const hours = hourlyPartitions({ start: "2024-01-01-00:00", end: "2024-01-11-00:00" });
const events = asset({ key: "events", partitions: hours, run: () => 1 });
const daily = asset({ key: "daily", partitions: days, ins: { hours: { asset: events, mapping: timeWindowMapping() } }, run: () => 1 });
const dailyClean = asset({ key: "daily_clean", partitions: days, ins: { daily }, run: ({ daily: d }) => d });
const prices = asset({ key: "prices", partitions: days, run: () => 1 });
const hourlyPrices = asset({ key: "hourly_prices", partitions: hours, deps: ["prices"], run: () => 1 });
const tomorrow = asset({ key: "tomorrow", partitions: days, deps: [{ asset: "prices", mapping: timeWindowMapping({ startOffset: -1, endOffset: -1 }) }], run: () => 1 });
const countries = staticPartitions(["fr", "de", "us"]);
const regions = staticPartitions(["eu", "na", "apac"]);
const perCountry = asset({ key: "per_country", partitions: countries, run: () => 1 });
const perRegion = asset({ key: "per_region", partitions: regions, deps: [{ asset: "per_country", mapping: staticMapping({ fr: "eu", de: "eu", us: "na" }) }], run: () => 1 });
const rollup = asset({ key: "rollup", partitions: days, backfillPolicy: singleRun(), run: () => 1 });
const chunked = asset({ key: "chunked", partitions: days, backfillPolicy: multiRun(4), run: () => 1 });
const defs = defineDefinitions({
  assets: [events, daily, dailyClean, prices, hourlyPrices, tomorrow, perCountry, perRegion, rollup, chunked],
  jobs: [assetJob({ name: "prices_job", selection: ["prices", "tomorrow"], tags: { team: "pricing" } })],
});

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const plan = (selection: string | string[], partitionSet: BackfillRequest["partitionSet"]) => planBackfill(target.storage, { defs, target: { selection }, partitionSet, launchedBy: "test" });
const shape = (p: Awaited<ReturnType<typeof plan>>) => p.backfill.groups.map((g) => ({ name: g.name, assetKeys: g.assetKeys, upstream: g.upstream, count: g.partitionKeys.length, first: g.partitionKeys[0], last: g.partitionKeys.at(-1) }));

describe("backfill groups across mapped partitions", () => {
  it("hourly → daily: two groups, the days derived from the hours of the roots", async () => {
    const p = await plan(["events", "daily"], { kind: "range", first: "2024-01-02-00:00", last: "2024-01-03-23:00" });
    expect(shape(p)).toEqual([
      { name: "events", assetKeys: ["events"], upstream: [], count: 48, first: "2024-01-02-00:00", last: "2024-01-03-23:00" },
      { name: "daily", assetKeys: ["daily"], upstream: ["events"], count: 2, first: "2024-01-02", last: "2024-01-03" },
    ]);
    expect([p.partitionCount, p.runCount]).toEqual([50, 50]);
    // A day whose hours are partly in the range is backfilled too (its run reads the hours it has).
    const partial = await plan(["events", "daily"], { kind: "range", first: "2024-01-02-12:00", last: "2024-01-03-11:00" });
    expect(partial.backfill.groups[1]!.partitionKeys).toEqual(["2024-01-02", "2024-01-03"]);
  });

  it("daily → hourly: each day backfills its 24 hours", async () => {
    const p = await plan("prices+", { kind: "keys", keys: ["2024-01-05"] });
    expect(shape(p).map((g) => [g.name, g.count, g.first, g.last, g.upstream])).toEqual([
      ["prices", 1, "2024-01-05", "2024-01-05", []],
      ["hourly_prices", 24, "2024-01-05-00:00", "2024-01-05-23:00", ["prices"]],
      ["tomorrow", 1, "2024-01-06", "2024-01-06", ["prices"]],
    ]);
  });

  it("an identity chain stays in one group, also downstream of a mapping", async () => {
    const p = await plan(["events", "daily", "daily_clean"], { kind: "range", first: "2024-01-01-00:00", last: "2024-01-01-23:00" });
    expect(shape(p)).toEqual([
      { name: "events", assetKeys: ["events"], upstream: [], count: 24, first: "2024-01-01-00:00", last: "2024-01-01-23:00" },
      { name: "daily", assetKeys: ["daily", "daily_clean"], upstream: ["events"], count: 1, first: "2024-01-01", last: "2024-01-01" },
    ]);
    const one = await plan(["daily", "daily_clean"], { kind: "all" });
    expect(shape(one)).toEqual([{ name: "", assetKeys: ["daily", "daily_clean"], upstream: [], count: 10, first: "2024-01-01", last: "2024-01-10" }]);
  });

  it("an offset mapping between equal partitions splits the groups; a static table maps its keys", async () => {
    const p = await plan(["prices", "tomorrow"], { kind: "range", first: "2024-01-02", last: "2024-01-03" });
    expect(shape(p).map((g) => [g.name, g.first, g.last, g.upstream])).toEqual([
      ["prices", "2024-01-02", "2024-01-03", []],
      ["tomorrow", "2024-01-03", "2024-01-04", ["prices"]],
    ]);
    const table = await plan(["per_country", "per_region"], { kind: "keys", keys: ["fr", "de"] });
    expect(table.backfill.groups.map((g) => [g.name, g.partitionKeys])).toEqual([
      ["per_country", ["fr", "de"]],
      ["per_region", ["eu"]],
    ]);
  });

  it("refuses roots with different partitions and a group no key maps to, recording nothing", async () => {
    const roots = await caught(plan(["events", "prices"], { kind: "all" }));
    expectSluiceError(roots, "PARTITION_ERROR", /"events" \(hourly partitions.*"prices" \(daily partitions.*neither reads the other.*Backfill them separately/s);
    // The day after the last one does not exist: "tomorrow" would have nothing to materialize.
    const none = await caught(launchBackfill(target.storage, { defs, target: { selection: ["prices", "tomorrow"] }, partitionSet: { kind: "keys", keys: ["2024-01-10"] }, launchedBy: "t" }));
    expectSluiceError(none, "PARTITION_ERROR", /partition "2024-01-10" of "prices" \(daily.*map to no partition of "tomorrow".*Valid partitions: "2024-01-01" to "2024-01-10"/s);
    expectSluiceError(await caught(plan(["per_country", "per_region"], { kind: "keys", keys: ["apac"] })), "PARTITION_ERROR", /"apac".*Valid partitions: "fr" to "us"/s);
    expect(await target.storage.listBackfills()).toEqual([]);
    expect(await target.storage.countRuns()).toBe(0);
  });

  it("counts the runs of backfill policies: singleRun one per consecutive range, multiRun(n) chunks of n", async () => {
    const single = await plan("rollup", { kind: "all" });
    expect([single.partitionCount, single.runCount]).toEqual([10, 1]);
    const gaps = await plan("rollup", { kind: "keys", keys: ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06", "2024-01-09"] });
    expect(gaps.runCount).toBe(3);
    const chunks = await plan("chunked", { kind: "all" });
    expect([chunks.partitionCount, chunks.runCount]).toEqual([10, 3]);
    const { backfill } = await launchBackfill(target.storage, { defs, target: { selection: "chunked" }, partitionSet: { kind: "all" }, launchedBy: "t" });
    expect(backfill.groups).toEqual([{ name: "", assetKeys: ["chunked"], upstream: [], partitionCount: 10, runCount: 3 }]);
    expect(backfill.partitionCount).toBe(10);
  });
});

describe("a job's backfill in several groups", () => {
  it("runs each group's steps of the job, keeping the job's name and tags", async () => {
    const { backfill } = await launchBackfill(target.storage, { defs, target: { job: "prices_job" }, partitionSet: { kind: "keys", keys: ["2024-01-02"] }, launchedBy: "t" });
    expect(backfill.groups.map((g) => [g.name, g.assetKeys])).toEqual([
      ["prices", ["prices"]],
      ["tomorrow", ["tomorrow"]],
    ]);
    const run = backfillRun(defs, backfill, { group: backfill.groups[1]!, partitions: ["2024-01-03"] });
    expect(run).toMatchObject({ jobName: "prices_job", selection: ["tomorrow"], partition: "2024-01-03", tags: { team: "pricing", "sluice/backfill": backfill.backfillId } });
    expect(() => newRun({ defs, target: { job: "prices_job", steps: ["events"] }, partition: "2024-01-03" })).toThrow(/Step "events" is not a step of job "prices_job". Its steps: "prices", "tomorrow"/);
  });
});

describe("scale", () => {
  it("plans and records 10,000 days mapped into a second group in well under 2 s", async () => {
    const many = dailyPartitions({ start: "1990-01-01", end: "2017-05-19" });
    const a = asset({ key: "a", partitions: many, run: () => 1 });
    const b = asset({ key: "b", partitions: many, deps: [{ asset: "a", mapping: timeWindowMapping({ startOffset: -1, endOffset: -1 }) }], run: () => 1 });
    const big = defineDefinitions({ assets: [a, b] });
    expect(many.count()).toBe(10_000);
    const started = performance.now();
    const { backfill } = await launchBackfill(target.storage, { defs: big, target: { selection: ["a", "b"] }, partitionSet: { kind: "all" }, launchedBy: "t" });
    const elapsed = performance.now() - started;
    expect(elapsed, `planned and recorded in ${elapsed.toFixed(0)} ms`).toBeLessThan(2000);
    expect(backfill.groups.map((g) => [g.name, g.partitionCount])).toEqual([
      ["a", 10_000],
      ["b", 9_999],
    ]);
  });
});
