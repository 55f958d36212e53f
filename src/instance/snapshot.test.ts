import { describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { assetCheck } from "../definitions/asset-check.js";
import { AutomationCondition } from "../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { EnvVar } from "../definitions/env-var.js";
import { assetJob, job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { dailyPartitions, hourlyPartitions, multiRun, timeWindowMapping } from "../definitions/partitions.js";
import { configured, resource } from "../definitions/resource.js";
import { schedule } from "../definitions/schedule.js";
import { sensor } from "../definitions/sensor.js";
import { configSchemaSnapshot, snapshotOf } from "./snapshot.js";

const db = resource({ config: z.object({ url: z.string(), pool: z.number().default(4) }), setup: (c) => c });
const raw = asset({ key: "raw/a", group: "ingest", config: z.object({ n: z.number().default(1) }), run: () => 1 });
const clean = asset({ key: "clean", ins: { a: raw }, deps: ["other"], resources: { db }, run: ({ a }) => a });
const other = asset({ key: "other", metadata: { rows: 3, when: new Date(0) }, run: () => 2 });
const first = op({ name: "first", config: z.object({ day: z.string() }), run: () => 1 });
const second = op({ name: "second", ins: { x: first }, deps: [], run: ({ x }) => x });

const defs = defineDefinitions({
  assets: [raw, clean, other],
  jobs: [job({ name: "ops", ops: [first, second], config: { ops: { first: { config: { day: EnvVar("DAY") } } } } }), assetJob({ name: "all", selection: "*" })],
  schedules: [schedule({ name: "nightly", cron: "0 3 * * *", job: "ops", resources: { db }, execute: () => ({}) })],
  sensors: [sensor({ name: "watcher", job: "ops", evaluate: () => [] })],
  resources: { db: configured(db, { url: EnvVar("DB_URL"), pool: 8 }) },
});

describe("snapshotOf", () => {
  const snap = snapshotOf(defs);

  it("lists each group's assets in the graph's order", () => {
    expect(snap.groups).toEqual([
      { name: "ingest", assetKeys: ["raw/a"] },
      { name: "default", assetKeys: [...snap.assets.filter((a) => a.group === "default").map((a) => a.key)] },
    ]);
    expect(snap.groups[1]!.assetKeys).toEqual(expect.arrayContaining(["clean", "other"]));
  });

  it("is plain JSON: serializing and parsing it changes nothing", () => {
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it("shows environment variables as {env: NAME}, never read", () => {
    const res = snap.resources.find((r) => r.name === "db")!;
    expect(res.values).toEqual({ url: { env: "DB_URL" }, pool: 8 });
    expect(snap.jobs.find((j) => j.name === "ops")!.defaultConfig).toEqual({ ops: { first: { config: { day: { env: "DAY" } } } } });
  });

  it("gives assets their edges both ways, inputs, jobs and config schema", () => {
    const clean = snap.assets.find((a) => a.key === "clean")!;
    expect(clean).toMatchObject({ deps: ["raw/a", "other"], ins: { a: "raw/a" }, resources: ["db"], jobs: ["all"] });
    expect(snap.assets.find((a) => a.key === "raw/a")!.children).toEqual(["clean"]);
    expect(snap.assets.find((a) => a.key === "raw/a")!.config.jsonSchema).toMatchObject({ type: "object", properties: { n: { type: "number", default: 1 } } });
    expect(snap.assets.find((a) => a.key === "other")!.metadata).toEqual({ rows: { type: "int", value: 3 }, when: { type: "timestamp", value: 0 } });
  });

  it("lists the resources each schedule and sensor uses", () => {
    expect(snap.schedules.find((s) => s.name === "nightly")!.resources).toEqual(["db"]);
    expect(snap.sensors.find((s) => s.name === "watcher")!.resources).toEqual([]);
  });

  it("gives op jobs their steps, edges and a run config schema", () => {
    const ops = snap.jobs.find((j) => j.name === "ops")!;
    expect(ops.steps.map((s) => s.key)).toEqual(["first", "second"]);
    expect(ops.edges).toEqual([{ from: "first", to: "second", input: "x" }]);
    const opsSchema = ops.runConfigSchema as any;
    expect(opsSchema.properties.ops.properties.first.properties.config.required).toEqual(["day"]);
    expect(opsSchema.properties.resources.properties.db.properties.config.properties.pool.default).toBe(4);
    const all = snap.jobs.find((j) => j.name === "all")!;
    expect(all.edges).toEqual(expect.arrayContaining([{ from: "raw/a", to: "clean", input: "a" }, { from: "other", to: "clean", input: null }]));
  });
});

describe("configSchemaSnapshot", () => {
  it("describes the input side of a schema (defaults make fields optional)", () => {
    const snap = configSchemaSnapshot(z.object({ a: z.string().default("x"), b: z.string().transform((s) => s.length) }));
    expect(snap.jsonSchema).toMatchObject({ properties: { a: { type: "string", default: "x" }, b: { type: "string" } }, required: ["b"] });
  });

  it("never throws: a schema zod cannot express gives an error text", () => {
    const broken = { "~standard": {}, _zod: { def: { type: "mystery" } } } as unknown as z.ZodType;
    const snap = configSchemaSnapshot(broken);
    expect(snap.jsonSchema).toBeNull();
    expect(snap.error).toMatch(/cannot be shown as JSON Schema/);
  });

  it("is null without a schema", () => {
    expect(configSchemaSnapshot(undefined)).toEqual({ jsonSchema: null });
  });

  it("shows, per partitioned upstream asset, the mapping in words (declared or default), and the backfill policy", () => {
    const hours = hourlyPartitions({ start: "2025-01-01-00:00" });
    const days = dailyPartitions({ start: "2025-01-01" });
    const hourly = asset({ key: "hourly", partitions: hours, run: () => 1 });
    const plain = asset({ key: "plain", run: () => 1 });
    const daily = asset({
      key: "daily",
      partitions: days,
      backfillPolicy: multiRun(7),
      ins: { hours: { asset: hourly, mapping: timeWindowMapping({ startOffset: -1 }) }, plain },
      run: () => 1,
    });
    const report = asset({ key: "report", deps: [daily], run: () => 1 });
    const assets = snapshotOf(defineDefinitions({ assets: [hourly, plain, daily, report] })).assets;
    const byKey = new Map(assets.map((a) => [a.key, a]));
    expect(byKey.get("daily")!.partitionMappings).toEqual({
      hourly: {
        type: "time_window",
        description: "timeWindowMapping({ startOffset: -1, endOffset: 0 }) (the upstream windows overlapping 1 window before through its own window)",
        declared: true,
      },
    });
    expect(byKey.get("daily")!.backfillPolicy).toEqual({ type: "multi_run", maxPartitionsPerRun: 7 });
    expect(byKey.get("report")!.partitionMappings).toEqual({ daily: { type: "all", description: "allPartitions() (every partition upstream; those materialized are read)", declared: false } });
    expect(byKey.get("report")!.backfillPolicy).toBeNull();
  });
});

describe("snapshotOf: asset checks", () => {
  it("lists each asset's checks, inline first, with description and blocking", () => {
    const orders = asset({ key: "orders", run: () => [1], checks: [{ name: "not_empty", blocking: true, run: (rows) => ({ passed: rows.length > 0 }) }] });
    const plain = asset({ key: "plain", run: () => 1 });
    const fresh = assetCheck({ asset: orders, name: "fresh", description: "loaded today", run: () => ({ passed: true }) });
    const snap = snapshotOf(defineDefinitions({ assets: [orders, plain], assetChecks: [fresh] }));
    expect(snap.assets.map((a) => [a.key, a.checks])).toEqual([
      [
        "orders",
        [
          { name: "not_empty", description: null, blocking: true },
          { name: "fresh", description: "loaded today", blocking: false },
        ],
      ],
      ["plain", []],
    ]);
  });
});

describe("snapshotOf: automation", () => {
  it("shows each asset's condition tree, null without one", () => {
    const up = asset({ key: "up", run: () => 1 });
    const down = asset({ key: "down", deps: [up], automation: AutomationCondition.onCron("0 * * * *", "Europe/Berlin"), run: () => 1 });
    const [upSnap, downSnap] = snapshotOf(defineDefinitions({ assets: [up, down] })).assets;
    expect(upSnap!.automation).toBeNull();
    expect(downSnap!.automation).toMatchObject({ type: "and", label: "on_cron" });
    expect(downSnap!.automation!.children.map((c) => c.description)).toContain('all deps updated since cron "0 * * * *" (Europe/Berlin)');
    expect(JSON.parse(JSON.stringify(downSnap!.automation))).toEqual(down.automation!.toJSON());
  });
});
