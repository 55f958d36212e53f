import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { EnvVar } from "../definitions/env-var.js";
import { meta } from "../definitions/metadata.js";
import { output } from "../definitions/output.js";
import { resource } from "../definitions/resource.js";
import { EventType, RunStatus } from "../storage/records.js";
import { materializeAssets } from "./materialize-assets.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("executeRun", () => {
  it("passes upstream values to downstream functions and records every step", async () => {
    const a = asset({ key: "a", run: () => [1, 2, 3] });
    const b = asset({ key: "b", ins: { nums: a }, run: ({ nums }) => nums.map((n) => n * 10) });
    const c = asset({ key: "c", ins: { nums: b }, run: ({ nums }) => nums.reduce((x, y) => x + y, 0) });
    const defs = defineDefinitions({ assets: [c, b, a] });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("c")).toBe(60);
    const run = await target.storage.getRun(result.runId);
    expect(run?.status).toBe("SUCCESS");
    expect(run?.selection).toEqual(["a", "b", "c"]);
    const steps = await target.storage.getStepStats(result.runId);
    expect(steps.map((s) => [s.key, s.status, s.attempts])).toEqual([
      ["a", "SUCCESS", 1],
      ["b", "SUCCESS", 1],
      ["c", "SUCCESS", 1],
    ]);
    const types = (await target.storage.getEvents(result.runId)).map((e) => `${e.type}:${e.stepKey ?? ""}`);
    expect(types[0]).toBe("RUN_START:");
    expect(types.at(-1)).toBe("RUN_SUCCESS:");
    expect(types.indexOf("STEP_SUCCESS:a")).toBeLessThan(types.indexOf("STEP_START:b"));
  });

  it("runs independent steps concurrently, up to the limit", async () => {
    let running = 0;
    let peak = 0;
    let limit = 4;
    // Steps hold until as many run at once as the limit allows (however slowly the machine starts
    // them), then all go on; should fewer ever run at once, they give up waiting after 10 s and
    // the peak below says so.
    let open!: () => void;
    let gate = new Promise<void>((resolve) => (open = resolve));
    const make = (key: string) =>
      asset({
        key,
        run: async () => {
          running++;
          peak = Math.max(peak, running);
          if (running === limit) open();
          await Promise.race([gate, sleep(10_000)]);
          running--;
          return key;
        },
      });
    const assets = Array.from({ length: 10 }, (_, i) => make(`leaf_${i}`));
    const defs = defineDefinitions({ assets });
    await materializeAssets(target, defs);
    expect(peak).toBe(4);
    peak = 0;
    limit = 2;
    gate = new Promise<void>((resolve) => (open = resolve));
    await materializeAssets(target, defs, { maxConcurrent: 2 });
    expect(peak).toBe(2);
  });

  it("records a failure with its stack, skips downstream steps, and lets independent branches finish", async () => {
    class PriceFeedError extends Error {}
    const bad = asset({
      key: "bad",
      run: () => {
        throw new PriceFeedError("feed returned 503", { cause: new Error("socket hang up") });
      },
    });
    const child = asset({ key: "child", ins: { x: bad }, run: ({ x }) => x });
    const grandchild = asset({ key: "grandchild", deps: [child], run: () => 1 });
    const good = asset({ key: "good", run: async () => (await sleep(20), "ok") });
    const defs = defineDefinitions({ assets: [bad, child, grandchild, good] });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.succeeded).toEqual(["good"]);
    expect(result.skipped.sort()).toEqual(["child", "grandchild"]);
    expect(result.failures.map((f) => f.stepKey)).toEqual(["bad"]);

    const events = await target.storage.getEvents(result.runId);
    const failure = events.find((e) => e.type === EventType.StepFailure)!;
    expect(failure.stepKey).toBe("bad");
    expect(failure.data.error?.className).toBe("PriceFeedError");
    expect(failure.data.error?.message).toBe("feed returned 503");
    expect(failure.data.error?.stack).toContain("execute-run.test.ts");
    expect(failure.data.error?.cause?.message).toBe("socket hang up");
    const runFailure = events.find((e) => e.type === EventType.RunFailure)!;
    expect(runFailure.message).toContain('"bad" (Error: feed returned 503)');
    expect(runFailure.data.failedSteps).toEqual(["bad"]);
    expect(events.filter((e) => e.type === EventType.StepSkipped).map((e) => e.stepKey).sort()).toEqual(["child", "grandchild"]);
    expect((await target.storage.getRun(result.runId))?.status).toBe("FAILURE");
  });

  it("retries a failed step and succeeds on the second attempt", async () => {
    let calls = 0;
    const flaky = asset({
      key: "flaky",
      retry: { maxRetries: 3, delayMs: 5, backoff: "exponential" },
      run: (_i, { attempt }) => {
        calls++;
        if (attempt === 1) throw new Error("temporary glitch");
        return attempt;
      },
    });
    const defs = defineDefinitions({ assets: [flaky] });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe("SUCCESS");
    expect(calls).toBe(2);
    expect(result.outputOf("flaky")).toBe(2);
    const events = await target.storage.getEvents(result.runId);
    const retry = events.find((e) => e.type === EventType.StepUpForRetry)!;
    expect(retry.data.error?.message).toBe("temporary glitch");
    expect(retry.data.retryDelayMs).toBe(5);
    const [step] = await target.storage.getStepStats(result.runId);
    expect(step).toMatchObject({ key: "flaky", status: "SUCCESS", attempts: 2 });
  });

  it("gives up after maxRetries and fails the step", async () => {
    let calls = 0;
    const broken = asset({ key: "broken", retry: { maxRetries: 2 }, run: () => { calls++; throw new Error("always"); } });
    const result = await materializeAssets(target, defineDefinitions({ assets: [broken] }));
    expect(calls).toBe(3);
    expect(result.status).toBe("FAILURE");
    const [step] = await target.storage.getStepStats(result.runId);
    expect(step).toMatchObject({ status: "FAILURE", attempts: 3 });
  });

  it("records metadata of every kind on the materialization and in the asset index", async () => {
    const rows = [{ id: 1, name: "x" }];
    const a = asset({
      key: "with/metadata",
      run: (_i, ctx) => {
        ctx.addMetadata({ extra: "added" });
        return output(rows, {
          rowCount: rows.length,
          metadata: {
            count: 3,
            ratio: 0.5,
            label: "text",
            ok: true,
            config: { nested: [1, 2] },
            link: meta.url("https://example.com/x"),
            notes: meta.md("# Title"),
            preview: meta.table(rows),
          },
        });
      },
    });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a] }));
    const [indexed] = await target.storage.getAssetIndex(["with/metadata"]);
    expect(indexed?.runId).toBe(result.runId);
    expect(indexed?.metadata).toMatchObject({
      count: { type: "int", value: 3 },
      ratio: { type: "float", value: 0.5 },
      label: { type: "text", value: "text" },
      ok: { type: "bool", value: true },
      config: { type: "json", value: { nested: [1, 2] } },
      link: { type: "url", value: "https://example.com/x" },
      notes: { type: "markdown", value: "# Title" },
      preview: { type: "table", value: { rows, columns: [{ name: "id", type: "number" }, { name: "name", type: "string" }] } },
      "sluice/row_count": { type: "int", value: 1 },
      extra: { type: "text", value: "added" },
    });
  });

  it("sets up each resource once per run and tears it down in reverse order, even when the run fails", async () => {
    const log: string[] = [];
    const db = resource({
      config: z.object({ name: z.string() }),
      setup: ({ name }) => (log.push(`setup ${name}`), { name }),
      teardown: (v) => void log.push(`teardown ${v.name}`),
    });
    const cache = resource({ setup: () => (log.push("setup cache"), new Map<string, number>()), teardown: () => void log.push("teardown cache") });
    const one = asset({ key: "one", resources: { db, cache }, run: (_i, { resources }) => resources.db.name });
    const two = asset({ key: "two", resources: { db }, run: () => { throw new Error("boom"); } });
    const defs = defineDefinitions({ assets: [one, two], resources: { db: { name: "main" } } });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe("FAILURE");
    expect(result.outputOf("one")).toBe("main");
    expect(log).toEqual(["setup main", "setup cache", "teardown cache", "teardown main"]);
  });

  it("fails the run when a resource fails to set up, and tears down those already set up", async () => {
    const log: string[] = [];
    const ok = resource({ setup: () => (log.push("setup ok"), 1), teardown: () => void log.push("teardown ok") });
    const broken = resource({ setup: () => { throw new Error("cannot connect"); } });
    const a = asset({ key: "a", resources: { ok, broken }, run: () => 1 });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a] }));
    expect(result.status).toBe("FAILURE");
    expect(result.runError?.message).toContain('Resource "broken" failed to set up: Error: cannot connect');
    expect(log).toEqual(["setup ok", "teardown ok"]);
    const steps = await target.storage.getStepStats(result.runId);
    expect(steps).toMatchObject([{ key: "a", status: "SKIPPED", attempts: 0 }]);
  });

  it("checks config before recording a run, naming the config path", async () => {
    const a = asset({ key: "raw/orders", config: z.object({ path: z.string(), limit: z.number().default(10) }), run: (_i, { config }) => config });
    const defs = defineDefinitions({ assets: [a] });
    await expect(materializeAssets(target, defs, { config: { ops: { "raw/orders": { config: { path: 42 } } } } })).rejects.toMatchObject({
      code: "CONFIG_ERROR",
      path: "ops.raw/orders.config.path",
    });
    await expect(materializeAssets(target, defs, { config: { ops: { nope: { config: {} } } } })).rejects.toMatchObject({
      code: "CONFIG_ERROR",
      path: "ops.nope",
    });
    expect(await target.storage.listRuns()).toEqual([]);
    const result = await materializeAssets(target, defs, { config: { ops: { raw__orders: { config: { path: "in.csv" } } } } });
    expect(result.outputOf("raw/orders")).toEqual({ path: "in.csv", limit: 10 });
  });

  it("resolves env vars when the run starts, never storing or logging their values", async () => {
    const secret = "pa55w0rd-do-not-leak";
    const client = resource({ config: z.object({ token: z.string() }), setup: ({ token }) => ({ token }) });
    const a = asset({
      key: "a",
      resources: { client },
      config: z.object({ region: z.string() }),
      run: (_i, { resources, log, config }) => {
        log.info(`token is ${resources.client.token} in ${config.region}`);
        throw new Error(`auth failed for ${resources.client.token}`);
      },
    });
    const defs = defineDefinitions({ assets: [a], resources: { client: { token: EnvVar("TEST_SLUICE_TOKEN") } } });
    delete process.env.TEST_SLUICE_TOKEN;
    await expect(materializeAssets(target, defs, { config: { ops: { a: { config: { region: "eu" } } } } })).rejects.toMatchObject({
      code: "MISSING_ENV_VAR",
      varName: "TEST_SLUICE_TOKEN",
      path: "resources.client.config.token",
    });
    process.env.TEST_SLUICE_TOKEN = secret;
    // Not a value other tests use: once resolved from a secret EnvVar, it is a secret of this process.
    process.env.TEST_SLUICE_REGION = "ap-south-2";
    try {
      const result = await materializeAssets(target, defs, { config: { ops: { a: { config: { region: { env: "TEST_SLUICE_REGION" } } } } } });
      const events = JSON.stringify(await target.storage.getEvents(result.runId));
      const run = JSON.stringify(await target.storage.getRun(result.runId));
      expect(events).toContain("token is ********");
      expect(events).not.toContain(secret);
      expect(run).not.toContain(secret);
      expect(run).toContain("TEST_SLUICE_REGION");
      expect(readFileSync(path.join(target.dir, "sluice.db")).includes(secret)).toBe(false);
    } finally {
      delete process.env.TEST_SLUICE_TOKEN;
      delete process.env.TEST_SLUICE_REGION;
    }
  });

  it("reads a non-secret EnvVar without masking it, and uses its default when the variable is unset", async () => {
    const api = resource({
      config: z.object({ baseUrl: z.string(), token: z.string() }),
      setup: (config) => config,
    });
    const a = asset({
      key: "a",
      resources: { api },
      run: (_i, { resources, log }) => {
        log.info(`calling ${resources.api.baseUrl} with ${resources.api.token}`);
        return resources.api.baseUrl;
      },
    });
    const defs = defineDefinitions({
      assets: [a],
      resources: {
        api: {
          baseUrl: EnvVar("TEST_SLUICE_API_URL", { secret: false, default: "http://127.0.0.1:9/api" }),
          token: EnvVar("TEST_SLUICE_API_TOKEN", { default: "dev-token-123" }),
        },
      },
    });
    delete process.env.TEST_SLUICE_API_URL;
    delete process.env.TEST_SLUICE_API_TOKEN;
    const first = await materializeAssets(target, defs);
    expect(first.outputOf("a")).toBe("http://127.0.0.1:9/api");
    const logged = (await target.storage.getEvents(first.runId)).map((e) => e.message ?? "");
    // The URL stays readable; the token, a secret even when it comes from its default, is masked.
    expect(logged).toContain("calling http://127.0.0.1:9/api with ********");

    process.env.TEST_SLUICE_API_URL = "https://api.example.com/v2";
    try {
      const second = await materializeAssets(target, defs);
      expect(second.outputOf("a")).toBe("https://api.example.com/v2");
      const messages = (await target.storage.getEvents(second.runId)).map((e) => e.message ?? "");
      expect(messages).toContain("calling https://api.example.com/v2 with ********");
    } finally {
      delete process.env.TEST_SLUICE_API_URL;
    }
  });

  it("accepts the JSON form of a non-secret EnvVar in run config, and refuses bad EnvVar options", async () => {
    const a = asset({ key: "a", config: z.object({ region: z.string() }), run: (_i, { config, log }) => (log.info(`in ${config.region}`), config.region) });
    const defs = defineDefinitions({ assets: [a] });
    const result = await materializeAssets(target, defs, {
      config: { ops: { a: { config: { region: { env: "TEST_SLUICE_UNSET_REGION", secret: false, default: "eu-west-1" } } } } },
    });
    expect(result.outputOf("a")).toBe("eu-west-1");
    expect((await target.storage.getEvents(result.runId)).map((e) => e.message)).toContain("in eu-west-1");
    expect(JSON.stringify(EnvVar("X", { secret: false }))).toBe('{"env":"X","secret":false}');
    expect(JSON.stringify(EnvVar("X"))).toBe('{"env":"X"}');
    expect(() => EnvVar("X", { default: 3 as unknown as string })).toThrow('EnvVar("X"): default must be a string');
  });

  it("loads inputs of a downstream-only run from the values an earlier run stored", async () => {
    let upstreamCalls = 0;
    const up = asset({ key: "up", run: () => (upstreamCalls++, { rows: [1, 2] }) });
    const down = asset({ key: "down", ins: { u: up }, run: ({ u }) => u.rows.length });
    const defs = defineDefinitions({ assets: [up, down] });
    const first = await materializeAssets(target, defs, { selection: "down" });
    expect(first.status).toBe("FAILURE");
    const error = (await target.storage.getEvents(first.runId)).find((e) => e.type === EventType.StepFailure)!.data.error!;
    expect(error.className).toBe("InputNotMaterializedError");
    expect(error.message).toContain('Asset "down" needs input "u" from asset "up", which has never been materialized');
    await materializeAssets(target, defs, { selection: ["up"] });
    const second = await materializeAssets(target, defs, { selection: "key:down" });
    expect(second.status).toBe("SUCCESS");
    expect(second.outputOf("down")).toBe(2);
    expect(upstreamCalls).toBe(1);
  });

  it("refuses a value JSON cannot hold, naming where it is", async () => {
    const a = asset({ key: "dates", run: () => ({ rows: [{ at: "2026-01-01" }, { at: new Date() }] }) });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a] }));
    expect(result.status).toBe("FAILURE");
    expect(result.failures[0]?.error.className).toBe("SerializationError");
    expect(result.failures[0]?.error.message).toContain("$.rows[1].at is a Date");
  });

  it("uses an IO manager supplied as a resource", async () => {
    const store = new Map<string, unknown>();
    const memory = resource({
      setup: () => ({
        handleOutput: (ctx: { assetKey: string }, value: unknown) => void store.set(ctx.assetKey, value),
        loadInput: (ctx: { assetKey: string }) => store.get(ctx.assetKey),
      }),
    });
    const up = asset({ key: "up", run: () => new Date(0) });
    const down = asset({ key: "down", ins: { d: up }, run: ({ d }) => d.getTime() });
    const defs = defineDefinitions({ assets: [up, down], resources: { io_manager: memory } });
    await materializeAssets(target, defs, { selection: ["up"] });
    expect(store.get("up")).toEqual(new Date(0));
    const result = await materializeAssets(target, defs, { selection: ["down"] });
    expect(result.outputOf("down")).toBe(0);
  });

  it("ends the run CANCELED when aborted, without starting further steps", async () => {
    const controller = new AbortController();
    let sawAbort = false;
    const slow = asset({
      key: "slow",
      run: (_i, { signal }) =>
        new Promise<number>((resolve) => {
          signal.addEventListener("abort", () => ((sawAbort = true), resolve(1)));
          setTimeout(() => controller.abort(), 10);
        }),
    });
    const after = asset({ key: "after", deps: [slow], run: () => 2 });
    const result = await materializeAssets(target, defineDefinitions({ assets: [slow, after] }), { signal: controller.signal });
    expect(sawAbort).toBe(true);
    expect(result.status).toBe("CANCELED");
    expect(result.succeeded).not.toContain("after");
    expect((await target.storage.getRun(result.runId))?.status).toBe("CANCELED");
  });

  it("storage lost in the middle of a run: the run rejects with the storage error, without hanging or an unhandled rejection", { timeout: 10_000 }, async () => {
    // Closing the storage is a real failure of every write that follows (as a database gone for
    // longer than the reconnect window): the output, success and downstream start of `lost`.
    const lost = asset({ key: "lost", run: async () => (await target.storage.close(), [1]) });
    const downstream = asset({ key: "downstream", ins: { rows: lost }, run: ({ rows }) => rows.length });
    // Skipped when `downstream` fails: the skip is one more write that fails.
    const last = asset({ key: "last", ins: { n: downstream }, run: ({ n }) => n });
    const other = asset({ key: "other", run: async () => (await sleep(50), 1) });
    const after = asset({ key: "after", ins: { o: other }, run: ({ o }) => o });
    const defs = defineDefinitions({ assets: [lost, downstream, last, other, after] });
    const err = await materializeAssets(target, defs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string } | undefined)?.code).toBe("STORAGE_ERROR");
    expect((err as Error).message).toMatch(/^Storage failed to store events/);
  });
});
