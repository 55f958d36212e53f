/**
 * `sluice automation explain` and `preview` end to end: errors before anything was evaluated (an
 * unknown key, an asset without a condition, a bad --at, the loop not started), a preview that
 * launches and records nothing, then evaluations really made by `sluice daemon`'s automation loop
 * and explained: the latest one, one at a time (--at), a list (--limit), and --json.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../daemon/helpers.js";
import { assertBuilt, cliJson, describeResult, listRuns, materializeOk, removeTempDirs, REPO_ROOT, runCli, startCli, tempDir } from "./helpers.js";

const DEFS = path.join(REPO_ROOT, "test", "fixtures", "automation", "explain-defs.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface PreviewJson {
  evaluationId: number;
  evaluatedAssets: number;
  requests: { assetKeys: string[]; partition: string | null }[];
  assets: { assetKey: string; requestedCount: number; requestedKeys: string[]; tree: { trueCount: number; candidateCount: number } }[];
}

interface EvaluationJson {
  id: number;
  evaluationId: number;
  evaluatedAt: string;
  requestedCount: number;
  requestedKeys: string[];
  runIds: string[];
  tree: { type: string; label: string | null; trueCount: number; candidateCount: number; children: unknown[] };
}

describe("sluice automation explain and preview", () => {
  const home = tempDir();
  writeFileSync(path.join(home, "sluice.yaml"), "automation:\n  evaluation_interval_seconds: 1\n");
  const explain = (...args: string[]) => runCli(["automation", "explain", ...args, "-f", DEFS], { home });

  it("refuses an unknown asset with a did-you-mean, an asset without a condition, and a bad --at (exit 2)", async () => {
    const unknown = await explain("clen");
    expect(unknown.code, describeResult(unknown)).toBe(2);
    expect(unknown.stderr).toContain('Asset "clen" is not defined (did you mean "clean"?)');
    const none = await explain("raw");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Asset "raw" has no automation condition');
    expect(none.stderr).toContain("AutomationCondition.eager()");
    const badAt = await explain("clean", "--at", "yesterday");
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toContain('--at "yesterday" is not a time');
    const badLimit = await explain("clean", "--limit", "0");
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain("--limit");
  });

  it("says the loop has not evaluated an asset yet, and asks whether it is started", async () => {
    const result = await explain("clean");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Asset "clean" has not been evaluated yet');
    expect(result.stderr).toContain('Is it started? It is STOPPED (by default): start it with "sluice automation start"');
  });

  it("previews what the next evaluation would request, launching and recording nothing", async () => {
    // Nothing materialized: raw is missing, so clean waits; each missing region partition is requested.
    const preview = await cliJson<PreviewJson>(["automation", "preview", "-f", DEFS, "--json"], { home });
    expect(preview.evaluationId).toBe(1);
    expect(preview.evaluatedAssets).toBe(3);
    expect(preview.requests).toEqual([
      { assetKeys: ["regions"], partition: "apac" },
      { assetKeys: ["regions"], partition: "eu" },
      { assetKeys: ["regions"], partition: "us" },
    ]);
    expect(preview.assets.map((a) => [a.assetKey, a.requestedCount, a.tree.trueCount, a.tree.candidateCount])).toEqual([["regions", 3, 3, 3]]);

    const plain = await runCli(["automation", "preview", "-f", DEFS], { home });
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stdout).toContain("Would request 3 runs:");
    expect(plain.stdout).toContain("  regions  (partition eu)");
    expect(plain.stdout).toContain('Asset "regions": requested 3 partitions: apac, eu, us');
    expect(plain.stdout).toContain("✓ true   eager (all of)  [3 of 3 partitions]");

    const selected = await runCli(["automation", "preview", "-f", DEFS, "--select", "clean"], { home });
    expect(selected.stdout).toContain("Nothing to request.");
    // Recorded nothing: no run, and the next preview is still evaluation 1.
    expect(await listRuns(home)).toEqual([]);
    expect((await cliJson<PreviewJson>(["automation", "preview", "-f", DEFS, "--json"], { home })).evaluationId).toBe(1);
  });

  it("previews the whole eager chain in one run once its root is materialized", async () => {
    await materializeOk(["-f", DEFS, "--select", "raw"], { home });
    const preview = await cliJson<PreviewJson>(["automation", "preview", "-f", DEFS, "--json", "--select", "clean or report"], { home });
    expect(preview.requests).toEqual([{ assetKeys: ["clean", "report"], partition: null }]);
    expect(preview.assets.map((a) => a.assetKey)).toEqual(["clean", "report"]);
  });

  it("explains the evaluations the daemon's loop really made: latest, --at, --limit and --json", { timeout: 120_000 }, async () => {
    const started = await runCli(["automation", "start", "-f", DEFS], { home });
    expect(started.code, describeResult(started)).toBe(0);
    const waiting = await explain("clean");
    expect(waiting.code).toBe(2);
    expect(waiting.stderr).toContain('It is RUNNING but has evaluated nothing yet: is "sluice dev" or "sluice daemon" running for this instance?');
    const daemon = startCli(["daemon", "-f", DEFS], { home, timeoutMs: 110_000 });
    let history: EvaluationJson[] = [];
    try {
      // The first evaluation requests clean+report and the regions; once those runs succeeded, a
      // later one finds clean updated and no longer true (a changed result: kept again).
      await waitFor(
        "two kept evaluations of clean",
        async () => {
          const result = await explain("clean", "--limit", "10", "--json");
          if (result.code !== 0) return false;
          history = (JSON.parse(result.stdout) as { evaluations: EvaluationJson[] }).evaluations;
          return history.length >= 2 && history[0]!.requestedCount === 0;
        },
        100_000,
        500,
      );
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
    // Read again now that the loop stopped: it may have kept more since.
    history = (await cliJson<{ evaluations: EvaluationJson[] }>(["automation", "explain", "clean", "-f", DEFS, "--json", "--limit", "10"], { home })).evaluations;
    const requested = history.find((e) => e.requestedCount > 0)!;
    expect(requested.runIds).toHaveLength(1);
    const latest = history[0]!;
    expect(latest.requestedCount).toBe(0);
    expect(latest.evaluationId).toBeGreaterThan(requested.evaluationId);

    const plain = await explain("clean");
    expect(plain.code, describeResult(plain)).toBe(0);
    const lines = plain.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`Asset "clean": evaluation ${latest.evaluationId} at ${latest.evaluatedAt}`);
    expect(lines[1]).toBe("Requested: nothing");
    expect(lines).toContain("✗ false  eager (all of)");
    expect(lines).toContain("  ✓ true   in latest time window");

    // --at the time of the requesting evaluation (ISO, then epoch ms): that one, with its run.
    for (const at of [requested.evaluatedAt, String(Date.parse(requested.evaluatedAt))]) {
      const then = await explain("clean", "--at", at);
      expect(then.code, describeResult(then)).toBe(0);
      expect(then.stdout).toContain(`evaluation ${requested.evaluationId} at ${requested.evaluatedAt}`);
      expect(then.stdout).toContain("Requested: a run");
      expect(then.stdout).toContain(`Runs: ${requested.runIds[0]}`);
      expect(then.stdout).toContain("✓ true   eager (all of)");
      // clean had never been materialized when the loop first evaluated it: newly missing.
      expect(then.stdout).toContain("      ✓ true   newly_missing (newly true)");
    }
    const before = await explain("clean", "--at", "2000-01-01T00:00:00Z");
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("no kept evaluation at or before 2000-01-01T00:00:00Z");

    const list = await explain("clean", "--limit", "10");
    expect(list.stdout.trimEnd().split("\n")).toHaveLength(history.length);
    expect(list.stdout).toMatch(new RegExp(`^\\s+${requested.evaluationId}  \\S+  true\\s+requested a run  runs ${requested.runIds[0]!.slice(0, 8)}$`, "m"));

    const json = await cliJson<{ assetKey: string; partitioned: boolean; condition: { label: string }; evaluation: EvaluationJson }>(["automation", "explain", "clean", "-f", DEFS, "--json"], { home });
    expect(json).toMatchObject({ assetKey: "clean", partitioned: false, condition: { label: "eager" }, evaluation: { id: latest.id, tree: { label: "eager" } } });

    // The partitioned asset: k of n partitions on each node, and the partitions requested.
    const regions = await cliJson<{ evaluations: EvaluationJson[] }>(["automation", "explain", "regions", "-f", DEFS, "--json", "--limit", "50"], { home });
    const first = regions.evaluations[regions.evaluations.length - 1]!;
    expect(first).toMatchObject({ requestedCount: 3, requestedKeys: ["apac", "eu", "us"] });
    expect(first.runIds).toHaveLength(3);
    const regionsThen = await explain("regions", "--at", first.evaluatedAt);
    expect(regionsThen.stdout).toContain("Requested: 3 partitions: apac, eu, us");
    expect(regionsThen.stdout).toContain("✓ true   eager (all of)  [3 of 3 partitions]");
  });
});
