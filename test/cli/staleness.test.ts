/** `sluice asset list --stale`: which assets are stale and why, after upstream and code changes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cliJson, describeResult, fixture, materializeOk, removeTempDirs, runCli, tempDir } from "./helpers.js";

const DEFS = fixture("versions.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface StaleJson {
  key: string;
  stale: boolean;
  reasons: { kind: string; message: string; upstream?: string; from?: string | null; to?: string | null }[];
}

describe("sluice asset list --stale", () => {
  const home = tempDir();

  beforeAll(async () => {
    await materializeOk(["-f", DEFS, "--select", "*"], { home });
  });

  it("lists nothing right after everything was materialized", async () => {
    expect(await cliJson<StaleJson[]>(["asset", "list", "-f", DEFS, "--stale", "--json"], { home })).toEqual([]);
    const plain = await runCli(["asset", "list", "-f", DEFS, "--stale"], { home });
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stdout).toBe("");
    expect(plain.stderr).toContain("0 of 3 assets stale.");
  });

  it("names the upstream that was updated, and the stale ones downstream of it", async () => {
    await materializeOk(["-f", DEFS, "--select", "raw/orders"], { home });
    const stale = await cliJson<StaleJson[]>(["asset", "list", "-f", DEFS, "--stale", "--json"], { home });
    expect(stale.map((s) => [s.key, s.stale, s.reasons])).toEqual([
      ["clean", true, [{ kind: "upstream_data", upstream: "raw/orders", message: "upstream raw/orders updated" }]],
      ["report", true, [{ kind: "upstream_stale", upstream: "clean", message: "upstream clean is stale" }]],
    ]);
    const plain = await runCli(["asset", "list", "-f", DEFS, "--stale"], { home });
    expect(plain.stdout.trimEnd().split("\n").map((line) => line.replace(/\s+/g, " ").trim())).toEqual([
      "ASSET STALE BECAUSE",
      "clean upstream raw/orders updated",
      "report upstream clean is stale",
    ]);
    // --select narrows the list, as for asset list.
    const selected = await cliJson<StaleJson[]>(["asset", "list", "-f", DEFS, "--stale", "--json", "--select", "report"], { home });
    expect(selected.map((s) => s.key)).toEqual(["report"]);
  });

  it("says which code version changed once the definitions change", async () => {
    await materializeOk(["-f", DEFS, "--select", "clean+"], { home });
    expect(await cliJson<StaleJson[]>(["asset", "list", "-f", DEFS, "--stale", "--json"], { home })).toEqual([]);
    const stale = await cliJson<StaleJson[]>(["asset", "list", "-f", DEFS, "--stale", "--json"], { home, env: { CLEAN_CODE_VERSION: "v2" } });
    expect(stale.map((s) => [s.key, s.reasons.map((r) => r.message)])).toEqual([
      ["clean", ["code version changed (v1 → v2)"]],
      ["report", ["upstream clean is stale"]],
    ]);
    expect(stale[0]!.reasons[0]).toMatchObject({ kind: "code_version", from: "v1", to: "v2" });
  });
});
