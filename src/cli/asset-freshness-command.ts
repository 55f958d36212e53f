import type { Command } from "commander";
import { formatDuration } from "../definitions/freshness-policy.js";
import { assetFreshness } from "../runs/asset-freshness.js";
import { resolveSelection } from "../runs/run-target.js";
import { freshnessJson } from "../server/freshness-json.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { table } from "./format.js";

/**
 * `sluice asset freshness [--select EXPR] [--json]`: the freshness of each asset with a policy
 * (of the selection), computed now from the instance's asset index.
 */
export function registerAssetFreshnessCommand(asset: Command): void {
  asset
    .command("freshness")
    .description("the freshness of assets with a freshness policy: status, last materialization, lag, next deadline")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("--json", "print [{assetKey, status, policy, lastMaterializationAt, lagMs, nextDeadline, partition, evaluatedAt}]")
    .action(async (flags: LocationOptions & { select?: string; json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      const keys = flags.select === undefined ? defs.assetGraph.keys() : resolveSelection(defs, flags.select);
      await withInstance(flags, async (instance) => {
        const found = await assetFreshness(defs, instance.storage, { assetKeys: keys });
        // In the selection's (topological) order.
        const rows = keys.flatMap((k) => (found.has(k) ? [freshnessJson(found.get(k)!)] : []));
        if (flags.json) return printJson(rows);
        if (rows.length === 0) {
          process.stderr.write(`No asset${flags.select === undefined ? "" : " of this selection"} has a freshness policy. Give one with asset({ ..., freshness: { maximumLag: "1h" } }).\n`);
          return;
        }
        const lines = rows.map((r) => [
          r.assetKey,
          r.status,
          r.lastMaterializationAt ?? "never",
          r.lagMs === null ? "" : formatDuration(r.lagMs),
          r.nextDeadline,
          r.policy.description,
        ]);
        process.stdout.write(`${table([["ASSET", "STATUS", "LAST MATERIALIZATION", "LAG", "DEADLINE", "POLICY"], ...lines])}\n`);
      });
    });
}
