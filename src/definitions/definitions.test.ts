import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { asset, type AssetDefinition } from "./asset.js";
import { defineDefinitions } from "./definitions.js";
import { EnvVar } from "./env-var.js";
import { configured, resource } from "./resource.js";

const leaf = (key: string, extra: Partial<Parameters<typeof asset>[0]> = {}): AssetDefinition => asset({ key, run: () => key, ...extra });

/** Runs fn, expecting a DefinitionError; returns its message. */
function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    expect((err as Error).name).toBe("DefinitionError");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("defineDefinitions", () => {
  it("sorts assets topologically, keeping declaration order among independents", () => {
    const a = leaf("a");
    const b = asset({ key: "b", ins: { a }, run: ({ a: v }) => v });
    const c = asset({ key: "c", deps: ["b", "a"], run: () => 1 });
    const z1 = leaf("z");
    const defs = defineDefinitions({ assets: [c, z1, b, a] });
    expect(defs.assetGraph.keys()).toEqual(["a", "b", "c", "z"]);
    expect(defs.assetGraph.parents("c")).toEqual(["b", "a"]);
    expect(defs.assetGraph.children("a")).toEqual(["b", "c"]);
  });

  it("accepts path-like keys and rejects malformed ones", () => {
    expect(defineDefinitions({ assets: [leaf("raw/orders"), leaf("a.b-c_d/e")] }).assets.size).toBe(2);
    for (const bad of ["", "raw//orders", "/raw", "raw/", "has space", 'quote"d']) {
      expect(definitionError(() => defineDefinitions({ assets: [leaf(bad)] }))).toContain(`Asset key "${bad}" is not valid`);
    }
  });

  it("rejects keys with a \".\" or \"..\" component, naming the asset: its value would be stored outside the instance", () => {
    for (const bad of ["../../../../tmp/x", "./../x", "raw/../orders", "raw/.", "..", "."]) {
      const message = definitionError(() => defineDefinitions({ assets: [leaf(bad)] }));
      expect(message).toContain(`Asset key "${bad}"`);
      expect(message).toMatch(/"\.\.?" component/);
    }
    // Dots inside a component are fine.
    expect(defineDefinitions({ assets: [leaf("v1.2/..x"), leaf("a.../b")] }).assets.size).toBe(2);
  });

  it("rejects duplicate keys", () => {
    expect(definitionError(() => defineDefinitions({ assets: [leaf("orders"), leaf("orders")] }))).toBe(
      'Asset key "orders" is defined twice. Each asset needs its own key; rename one of them.',
    );
  });

  it("names a missing dependency and the asset that needs it", () => {
    expect(definitionError(() => defineDefinitions({ assets: [asset({ key: "orders", deps: ["customers"], run: () => 1 })] }))).toBe(
      'Asset "orders" depends on "customers", which is not defined. Add "customers" to the assets of your Definitions, or fix the key.',
    );
    expect(definitionError(() => defineDefinitions({ assets: [asset({ key: "t", ins: { o: "orders" }, run: () => 1 })] }))).toContain(
      'Asset "t" takes input "o" from asset "orders", which is not defined',
    );
  });

  it("prints the whole path of a cycle", () => {
    const a = asset({ key: "a", deps: ["c"], run: () => 1 });
    const b = asset({ key: "b", deps: ["a"], run: () => 1 });
    const c = asset({ key: "c", deps: ["b"], run: () => 1 });
    const message = definitionError(() => defineDefinitions({ assets: [leaf("root"), a, b, c] }));
    // c is needed by a, a by b, b by c: the message walks the cycle in that direction.
    expect(message).toContain('Assets form a dependency cycle: "b" → "c" → "a" → "b"');
    const self = asset({ key: "self", deps: ["self"], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [self] }))).toContain('"self" → "self"');
  });

  it("handles a 10,000-asset chain without overflowing the stack", () => {
    const assets = [leaf("n0")];
    for (let i = 1; i < 10_000; i++) assets.push(asset({ key: `n${i}`, deps: [`n${i - 1}`], run: () => i }));
    const defs = defineDefinitions({ assets: assets.reverse() });
    expect(defs.assetGraph.keys()[0]).toBe("n0");
    expect(defs.assetGraph.keys()[9_999]).toBe("n9999");
  });

  it("rejects an unknown resource, naming the asset and the resource", () => {
    const a = asset({ key: "loader", resources: { warehouse: "warehouse" }, run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a] }))).toBe(
      'Asset "loader" needs resource "warehouse", which is not defined. Add it to Definitions: resources: { warehouse: resource({...}) }.',
    );
    const b = asset({ key: "b", ioManager: "s3_io", run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [b] }))).toContain('needs resource "s3_io"');
  });

  it("binds config given in Definitions to the resource the assets declare", () => {
    const warehouse = resource({ config: z.object({ url: z.string() }), setup: ({ url }) => url });
    const a = asset({ key: "a", resources: { warehouse }, run: (_i, { resources }) => resources.warehouse });
    const defs = defineDefinitions({ assets: [a], resources: { warehouse: { url: EnvVar("WAREHOUSE_URL") } } });
    const binding = defs.resources.get("warehouse")!;
    expect(binding.definition).toBeDefined();
    expect(JSON.stringify(binding.config)).toBe('{"url":{"env":"WAREHOUSE_URL"}}');
    expect(definitionError(() => defineDefinitions({ assets: [leaf("x")], resources: { orphan: { url: "x" } } }))).toContain(
      'Definitions give config for resource "orphan", but no asset declares which resource "orphan" is',
    );
  });

  it("rejects static resource config that fails its schema, but leaves EnvVar fields for run time", () => {
    const api = resource({ config: z.object({ url: z.url(), retries: z.number() }), setup: (c) => c });
    const a = asset({ key: "a", resources: { api }, run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a], resources: { api: { url: "not a url", retries: 1 } } }))).toContain(
      'Resource "api": config field "url" is invalid',
    );
    expect(() => defineDefinitions({ assets: [a], resources: { api: configured(api, { url: EnvVar("API_URL"), retries: 2 }) } })).not.toThrow();
  });

  it("rejects config defaults that fail their own schema, naming asset and field", () => {
    const a = asset({
      key: "report",
      config: z.object({ limits: z.object({ max: z.number().int().min(1).default(0) }).default({ max: 5 }) }),
      run: () => 1,
    });
    expect(definitionError(() => defineDefinitions({ assets: [a] }))).toContain(
      'Asset "report": the default of config field "limits.max" fails its own schema',
    );
    const ok = asset({ key: "ok", config: z.object({ n: z.number().default(3), s: z.string().optional() }), run: () => 1 });
    expect(() => defineDefinitions({ assets: [ok] })).not.toThrow();
  });

  it("rejects a bad retry policy and two different resources under one name", () => {
    expect(definitionError(() => defineDefinitions({ assets: [leaf("r", { retry: { maxRetries: -1 } })] }))).toContain(
      'Asset "r": retry.maxRetries must be a whole number >= 0',
    );
    const r1 = resource({ setup: () => 1 });
    const r2 = resource({ setup: () => 2 });
    const a = asset({ key: "a", resources: { db: r1 }, run: () => 1 });
    const b = asset({ key: "b", resources: { db: r2 }, run: () => 1 });
    expect(definitionError(() => defineDefinitions({ assets: [a, b] }))).toContain('Resource name "db" stands for two different resources');
    expect(() => defineDefinitions({ assets: [a, b], resources: { db: r1 } })).not.toThrow();
  });

  it("takes the executor's kind, defaults it, and names the bad field of a wrong setting", () => {
    const a = asset({ key: "a", run: () => 1 });
    expect(defineDefinitions({ assets: [a] }).executor).toEqual({ kind: "in_process", maxConcurrent: 4 });
    expect(defineDefinitions({ assets: [a], executor: { kind: "multiprocess", maxConcurrent: 3 } }).executor).toEqual({ kind: "multiprocess", maxConcurrent: 3 });
    expect(defineDefinitions({ assets: [a], executor: { kind: "multiprocess" } }).executor.maxConcurrent).toBe(availableParallelism());
    expect(() => defineDefinitions({ assets: [a], executor: { kind: "threads" as "multiprocess" } })).toThrow(
      'executor.kind must be "in_process" or "multiprocess", got "threads".',
    );
    expect(() => defineDefinitions({ assets: [a], executor: { kind: "multiprocess", maxConcurrent: 0 } })).toThrow("executor.maxConcurrent must be a whole number >= 1, got 0.");
  });

  it("rejects things that are not assets", () => {
    expect(definitionError(() => defineDefinitions({ assets: [{ key: "x" } as never] }))).toContain("assets[0] is not an asset");
  });
});

describe("jobs, schedules and sensors", () => {
  // Imported lazily so the asset tests above stay independent of these modules.
  it("validates op jobs: unknown inputs, duplicate ops, cycles", async () => {
    const { job } = await import("./job.js");
    const { op } = await import("./op.js");
    const a = op({ name: "a", run: () => 1 });
    const b = op({ name: "b", ins: { x: a }, run: ({ x }) => x });
    expect(definitionError(() => defineDefinitions({ jobs: [job({ name: "j", ops: [b] })] }))).toContain(
      'Job "j": op "b" takes input "x" from op "a", which is not an op of this job',
    );
    expect(definitionError(() => defineDefinitions({ jobs: [job({ name: "j", ops: [a, a] })] }))).toContain('Job "j" has two ops named "a"');
    const p = op({ name: "p", deps: ["q"], run: () => 1 });
    const q = op({ name: "q", deps: ["p"], run: () => 1 });
    expect(definitionError(() => defineDefinitions({ jobs: [job({ name: "j", ops: [p, q] })] }))).toContain('Ops of job "j" form a dependency cycle');
    expect(definitionError(() => defineDefinitions({ jobs: [job({ name: "bad name", ops: [a] })] }))).toContain('Job name "bad name" is not valid');
  });

  it("validates schedules: cron, time zone, target, duplicate names", async () => {
    const { job } = await import("./job.js");
    const { op } = await import("./op.js");
    const { schedule } = await import("./schedule.js");
    const { sensor } = await import("./sensor.js");
    const j = job({ name: "j", ops: [op({ name: "a", run: () => 1 })] });
    expect(definitionError(() => defineDefinitions({ jobs: [j], schedules: [schedule({ name: "s", cron: "61 * * * *", job: j })] }))).toContain(
      'Schedule "s": ',
    );
    expect(
      definitionError(() => defineDefinitions({ jobs: [j], schedules: [schedule({ name: "s", cron: "0 * * * *", timezone: "Mars/Base", job: j })] })),
    ).toContain("Mars/Base");
    expect(definitionError(() => defineDefinitions({ schedules: [schedule({ name: "s", cron: "0 * * * *", job: "missing" })] }))).toContain(
      'Schedule "s" targets job "missing", which is not defined',
    );
    const both = [schedule({ name: "x", cron: "0 * * * *", job: j }), sensor({ name: "x", job: j, evaluate: () => [] })];
    expect(definitionError(() => defineDefinitions({ jobs: [j], schedules: [both[0] as never], sensors: [both[1] as never] }))).toContain(
      "the name is used twice",
    );
    const ok = defineDefinitions({ jobs: [j], schedules: [schedule({ name: "hourly", cron: "5 * * * *", timezone: "Europe/Berlin", job: j })] });
    expect(ok.schedules.get("hourly")?.cron.nextAfter(new Date("2026-01-01T00:00:00Z")).toISOString()).toBe("2026-01-01T00:05:00.000Z");
  });
});
