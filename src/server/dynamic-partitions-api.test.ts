import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dynamicPartitions } from "../definitions/partitions.js";
import type { TempTarget } from "../runs/testing/temp-target.js";
import type { DynamicPartitionKeysJson, DynamicPartitionsChangeJson } from "./api-types.js";
import { inProcessApp } from "./testing/in-process-app.js";
import type { createApp } from "./app.js";

const tenants = dynamicPartitions("tenants");
const usage = asset({ key: "tenant_usage", partitions: tenants, run: (_in, { partitionKey }) => ({ tenant: partitionKey }) });
const defs = defineDefinitions({ assets: [usage], jobs: [assetJob({ name: "usage_job", selection: [usage] })] });

let target: TempTarget;
let app: ReturnType<typeof createApp>;
beforeEach(async () => {
  ({ target, app } = await inProcessApp(defs));
});
afterEach(async () => {
  await target.dispose();
});

const headers = { host: "127.0.0.1:3000", "content-type": "application/json" };
const get = (path: string) => app.request(path, { headers: { host: "127.0.0.1:3000" } });
const post = (path: string, body: unknown) => app.request(path, { method: "POST", headers, body: JSON.stringify(body) });

describe("/api/partitions/:name", () => {
  it("lists, adds and removes keys, answering with what changed and the keys after it", async () => {
    expect(await (await get("/api/partitions/tenants")).json()).toEqual({ name: "tenants", keys: [], count: 0, assets: ["tenant_usage"] } satisfies DynamicPartitionKeysJson);
    const added = await post("/api/partitions/tenants", { add: ["globex", "acme", "globex"] });
    expect(added.status).toBe(200);
    expect(await added.json()).toEqual({ name: "tenants", added: ["globex", "acme"], removed: [], keys: ["globex", "acme"], count: 2 } satisfies DynamicPartitionsChangeJson);
    const both = await post("/api/partitions/tenants", { add: ["acme", "initech"], remove: ["globex", "nobody"] });
    expect(await both.json()).toEqual({ name: "tenants", added: ["initech"], removed: ["globex"], keys: ["acme", "initech"], count: 2 });
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual(["acme", "initech"]);
  });

  it("answers 400 at the offending path for bad input and stores nothing", async () => {
    await target.storage.addDynamicPartitions("tenants", ["acme"]);
    const cases: [unknown, string, string, RegExp][] = [
      [{ add: ["ok", "a|b"] }, "PARTITION_ERROR", "body.add.1", /body\.add\[1\]: key "a\|b" of dynamic partitions "tenants" contains "\|"/],
      [{ add: ["ok"], remove: [""] }, "PARTITION_ERROR", "body.remove.0", /is empty/],
      [{ add: ["x".repeat(1025)] }, "INPUT_TOO_LARGE", "body.add.0", /at most 1,024 are allowed/],
      [{ add: Array.from({ length: 10_001 }, (_, i) => `k${i}`) }, "INPUT_TOO_LARGE", "body.add", /at most 10,000 are allowed per request/],
      [{ add: ["ok", 3] }, "INVALID_INPUT", "body.add.1", /body\.add\.1/],
      [{ adds: ["ok"] }, "INVALID_INPUT", "body.adds", /body\.adds/],
      [{}, "INVALID_INPUT", "body", /Give keys to add or remove/],
      [{ add: ["ok"], remove: ["ok"] }, "INVALID_INPUT", "body.remove", /"ok" is both added and removed/],
    ];
    for (const [body, code, path, message] of cases) {
      const res = await post("/api/partitions/tenants", body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; path: string; message: string } };
      expect([error.code, error.path]).toEqual([code, path]);
      expect(error.message).toMatch(message);
    }
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual(["acme"]);
  });

  it("answers 404 for a name the definitions do not declare, naming the declared ones", async () => {
    for (const res of [await get("/api/partitions/tenant"), await post("/api/partitions/tenant", { add: ["a"] })]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { code: "NOT_FOUND", path: "params.name", message: 'Dynamic partitions "tenant" are not declared in the loaded definitions; declared: "tenants".' },
      });
    }
    expect(await target.storage.getDynamicPartitions("tenant")).toEqual([]);
  });

  it("follows the API's rules for state changes: JSON only", async () => {
    const res = await app.request("/api/partitions/tenants", { method: "POST", headers: { host: "127.0.0.1:3000", "content-type": "text/plain" }, body: '{"add":["a"]}' });
    expect(res.status).toBe(415);
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual([]);
  });
});

describe("runs and snapshots of dynamic partitions", () => {
  it("POST /api/runs queues a stored key, and answers 400 PARTITION_ERROR for a missing one without creating a run", async () => {
    await post("/api/partitions/tenants", { add: ["acme"] });
    const ok = await post("/api/runs", { job: "usage_job", partition: "acme" });
    expect(ok.status).toBe(201);
    const missing = await post("/api/runs", { selection: ["tenant_usage"], partition: "initech" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: {
        code: "PARTITION_ERROR",
        path: "body.partition",
        message: 'Partition "initech" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants initech` (1 key exists: "acme"). (Partitioned: asset "tenant_usage".)',
      },
    });
    expect((await target.storage.listRuns()).map((r) => r.partition)).toEqual(["acme"]);
  });

  it("shows the keys as stored now in /api/assets and /api/definitions, not as of the load", async () => {
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex"]);
    const { assets } = (await (await get("/api/assets")).json()) as { assets: { key: string; partitions: unknown }[] };
    expect(assets.find((a) => a.key === "tenant_usage")!.partitions).toEqual({ type: "dynamic", name: "tenants", keys: ["acme", "globex"], count: 2 });
    await target.storage.deleteDynamicPartitions("tenants", ["acme"]);
    const { snapshot } = (await (await get("/api/definitions")).json()) as { snapshot: { assets: { partitions: unknown }[]; jobs: { name: string; partitions: unknown }[] } };
    expect(snapshot.assets[0]!.partitions).toEqual({ type: "dynamic", name: "tenants", keys: ["globex"], count: 1 });
    expect(snapshot.jobs.find((j) => j.name === "usage_job")!.partitions).toMatchObject({ type: "dynamic", count: 1 });
    const detail = (await (await get("/api/assets/tenant_usage")).json()) as { asset: { partitions: unknown } };
    expect(detail.asset.partitions).toMatchObject({ type: "dynamic", count: 1 });
  });
});
