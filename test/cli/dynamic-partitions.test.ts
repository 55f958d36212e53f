/**
 * Dynamic partitions end to end through the CLI: `sluice partitions add|list|remove NAME`, a run
 * of a stored key (`materialize`, `job execute`, `job launch`, a range), and the bad input: a key
 * that does not exist (exit 2, nothing recorded), a malformed key, an undeclared name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cliJson, describeResult, fixture, listRuns, materializeOk, removeTempDirs, runCli, showRun, tempDir } from "./helpers.js";

const DEFS = fixture("partitions", "dynamic.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface AddJson {
  name: string;
  added: string[];
  existing: string[];
  keys: string[];
}

describe("sluice partitions", () => {
  const home = tempDir();

  it("adds keys, idempotently, and lists them in the order they were added", async () => {
    const first = await runCli(["partitions", "add", "tenants", "globex", "acme", "-f", DEFS], { home });
    expect(first.code, describeResult(first)).toBe(0);
    expect(first.stdout).toBe("");
    expect(first.stderr).toContain('Added 2 keys to dynamic partitions "tenants"; 2 keys in all.');
    const again = await cliJson<AddJson>(["partitions", "add", "tenants", "acme", "initech", "--json", "-f", DEFS], { home });
    expect(again).toEqual({ name: "tenants", added: ["initech"], existing: ["acme"], keys: ["globex", "acme", "initech"] });
    const list = await runCli(["partitions", "list", "tenants", "-f", DEFS], { home });
    expect(list.code, describeResult(list)).toBe(0);
    expect(list.stdout).toBe("globex\nacme\ninitech\n");
    expect(list.stderr).toContain('Dynamic partitions "tenants" (assets tenant_usage, tenant_invoice): 3 keys.');
    expect(await cliJson(["partitions", "list", "tenants", "--json", "-f", DEFS], { home })).toEqual({
      name: "tenants",
      keys: ["globex", "acme", "initech"],
      assets: ["tenant_usage", "tenant_invoice"],
    });
  });

  it("materializes a stored key, and runs a job and a range of keys", async () => {
    const runId = await materializeOk(["-f", DEFS, "--partition", "acme"], { home });
    const run = await showRun(home, runId);
    expect(run).toMatchObject({ status: "SUCCESS", partition: "acme", tags: { "sluice/partition": "acme" } });
    const range = await runCli(["job", "execute", "-j", "invoices", "--partition-range", "acme...initech", "-f", DEFS], { home });
    expect(range.code, describeResult(range)).toBe(0);
    const runs = await listRuns(home);
    expect(runs.filter((r) => r.jobName === "invoices").map((r) => r.partition).sort()).toEqual(["acme", "initech"]);
    const launch = await runCli(["job", "launch", "-j", "invoices", "--partition", "globex", "-f", DEFS], { home });
    expect(launch.code, describeResult(launch)).toBe(0);
    expect((await showRun(home, launch.stdout.trim())).status).toBe("QUEUED");
  });

  it("refuses a key that does not exist with exit 2, naming the key, the command that adds it and the keys that exist; records nothing", async () => {
    const before = (await listRuns(home)).length;
    for (const args of [
      ["materialize", "-f", DEFS, "--partition", "umbrella"],
      ["job", "launch", "-j", "invoices", "--partition", "umbrella", "-f", DEFS],
      ["job", "execute", "-j", "invoices", "--partition-range", "acme...umbrella", "-f", DEFS],
    ]) {
      const result = await runCli(args, { home });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain('Partition "umbrella" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants umbrella` (3 keys exist: "globex", "acme", "initech")');
    }
    expect((await listRuns(home)).length).toBe(before);
  });

  it("refuses malformed keys and undeclared names with exit 2, storing nothing", async () => {
    const bad = await runCli(["partitions", "add", "tenants", "ok", "a|b", "-f", DEFS], { home });
    expect(bad.code, describeResult(bad)).toBe(2);
    expect(bad.stderr).toContain('keys[1]: key "a|b" of dynamic partitions "tenants" contains "|"');
    const undeclared = await runCli(["partitions", "list", "tenant", "-f", DEFS], { home });
    expect(undeclared.code, describeResult(undeclared)).toBe(2);
    expect(undeclared.stderr).toContain('Dynamic partitions "tenant" are not declared in these definitions: the declared dynamic partitions are "tenants".');
    const addUndeclared = await runCli(["partitions", "add", "tenant", "x", "-f", DEFS], { home });
    expect(addUndeclared.code, describeResult(addUndeclared)).toBe(2);
    expect(await cliJson(["partitions", "list", "tenants", "--json", "-f", DEFS], { home })).toMatchObject({ keys: ["globex", "acme", "initech"] });
  });

  it("sensor preview shows the keys a tick would add, with the run of one of them, and stores neither", async () => {
    const preview = await cliJson<{ status: string; requests: { partition: string }[]; dynamicPartitionsRequests: unknown }>(["sensor", "preview", "signups", "-f", DEFS], { home });
    expect(preview.status).toBe("SUCCESS");
    expect(preview.dynamicPartitionsRequests).toEqual([{ partitionsName: "tenants", add: ["umbrella"] }]);
    expect(preview.requests.map((r) => r.partition)).toEqual(["umbrella"]);
    expect(await cliJson(["partitions", "list", "tenants", "--json", "-f", DEFS], { home })).toMatchObject({ keys: ["globex", "acme", "initech"] });
  });

  it("removes keys, says which did not exist (exit 0), and runs of a removed key are refused", async () => {
    const removed = await runCli(["partitions", "remove", "tenants", "globex", "nobody", "-f", DEFS], { home });
    expect(removed.code, describeResult(removed)).toBe(0);
    expect(removed.stderr).toContain('Removed 1 key of dynamic partitions "tenants" (not partitions of "tenants", nothing to remove: nobody); 2 keys left.');
    expect(await cliJson(["partitions", "remove", "tenants", "nobody", "--json", "-f", DEFS], { home })).toEqual({ name: "tenants", removed: [], notFound: ["nobody"], keys: ["acme", "initech"] });
    const gone = await runCli(["materialize", "-f", DEFS, "--partition", "globex"], { home });
    expect(gone.code, describeResult(gone)).toBe(2);
    expect(gone.stderr).toContain('Partition "globex" of dynamic partitions "tenants" does not exist');
  });
});
