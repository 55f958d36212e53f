import { describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { ConfigError } from "../definitions/errors.js";
import { job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { configured, resource } from "../definitions/resource.js";
import { prepareRun } from "./prepare-run.js";

const rawOrders = asset({
  key: "raw/orders",
  config: z.object({
    path: z.string().default("data/orders.csv"),
    limits: z.object({ max: z.number().default(10), min: z.number().default(0) }).default({ max: 10, min: 0 }),
    columns: z.array(z.object({ name: z.string(), type: z.string().optional() })).default([]),
    extra: z.looseObject({ kind: z.string().optional() }).optional(),
  }),
  run: (_inputs, { config }) => config,
});
const warehouse = resource({
  config: z.object({ url: z.string(), pool: z.object({ size: z.number().default(5) }).default({ size: 5 }) }),
  setup: (config) => config,
});
const load = asset({ key: "load", resources: { warehouse }, run: () => 1 });
const bill = op({ name: "bill", config: z.object({ target_date: z.string() }), run: () => 1 });
const defs = defineDefinitions({
  assets: [rawOrders, load],
  jobs: [job({ name: "billing", ops: [bill] })],
  resources: { warehouse: configured(warehouse, { url: "duckdb://x" }) },
});

/** The ConfigError prepareRun throws for this run config. */
function configError(runConfig: unknown, target: Parameters<typeof prepareRun>[1] = { kind: "assets", keys: ["raw/orders", "load"] }): ConfigError {
  try {
    prepareRun(defs, target, runConfig);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("run config: unknown keys inside an op's, asset's or resource's config are refused, as Dagster does", () => {
  it("names the full path of a misspelled key, the keys known there, and the likely one", () => {
    const error = configError({ ops: { "raw/orders": { config: { pth: "in.csv" } } } });
    expect(error.path).toBe("ops.raw/orders.config.pth");
    expect(error.message).toContain('Config of asset "raw/orders" is invalid:');
    expect(error.message).toContain('ops.raw/orders.config.pth: unknown key "pth" (did you mean "path"?); known keys here: path, limits, columns, extra');
  });

  it("at any depth: objects in objects and in arrays; under Dagster's op name too", () => {
    const error = configError({ ops: { raw__orders: { config: { limits: { maxx: 3 }, columns: [{ name: "a" }, { name: "b", typ: "int" }] } } } });
    expect(error.path).toBe("ops.raw__orders.config.limits.maxx");
    expect(error.message).toContain('ops.raw__orders.config.limits.maxx: unknown key "maxx" (did you mean "max"?); known keys here: max, min');
    expect(error.message).toContain('ops.raw__orders.config.columns.1.typ: unknown key "typ" (did you mean "type"?); known keys here: name, type');
  });

  it("reports unknown keys with the schema's own problems", () => {
    const error = configError({ ops: { "raw/orders": { config: { limits: { max: "ten", mn: 1 } } } } });
    expect(error.message).toContain("ops.raw/orders.config.limits.mn: unknown key");
    expect(error.message).toContain("ops.raw/orders.config.limits.max: Invalid input");
  });

  it("keeps extra keys where the schema opted in (looseObject), and values unchanged otherwise", () => {
    const prepared = prepareRun(defs, { kind: "assets", keys: ["raw/orders"] }, { ops: { "raw/orders": { config: { path: "x.csv", extra: { kind: "k", free: 1 } } } } });
    expect(prepared.assetConfigs.get("raw/orders")).toEqual({ path: "x.csv", limits: { max: 10, min: 0 }, columns: [], extra: { kind: "k", free: 1 } });
  });

  it("in op config", () => {
    const error = configError({ ops: { bill: { config: { target_date: "2025-01-01", dry_run: true } } } }, { kind: "job", jobName: "billing" });
    expect(error.path).toBe("ops.bill.config.dry_run");
    expect(error.message).toContain('Config of op "bill" is invalid');
  });

  it("in resource config, from run config or from Definitions", () => {
    const fromRun = configError({ resources: { warehouse: { config: { pool: { sise: 2 } } } } });
    expect(fromRun.path).toBe("resources.warehouse.config.pool.sise");
    expect(fromRun.message).toContain('Config of resource "warehouse" is invalid');
    expect(fromRun.message).toContain('unknown key "sise" (did you mean "size"?); known keys here: size');

    const typo = defineDefinitions({ assets: [load], resources: { warehouse: configured(warehouse, { url: "x", pol: {} } as never) } });
    expect(() => prepareRun(typo, { kind: "assets", keys: ["load"] }, {})).toThrow(/resources\.warehouse\.config\.pol: unknown key "pol"/);
  });
});
