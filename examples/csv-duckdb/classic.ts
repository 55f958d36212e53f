/**
 * "Classic mode": the same assets run by a plain script, no CLI, no server. The run is still
 * recorded in the project's instance (./.sluice, or SLUICE_HOME), so `sluice run list` and the UI
 * show it beside the scheduled ones.
 *
 *   npx tsx classic.ts
 */
import path from "node:path";
import { materialize } from "sluice";
import defs from "./definitions.js";

const result = await materialize(defs, { home: process.env.SLUICE_HOME ?? path.join(import.meta.dirname, ".sluice") });
if (result.success) {
  // Steps are assets (a multi-asset's step materializes several) and their checks (ASSET:CHECK);
  // csv_files, an observable source asset, is observed rather than materialized.
  const checks = result.succeeded.filter((key) => defs.checks.has(key)).length;
  const observed = result.materialized.filter((key) => defs.assets.get(key)?.assetKind === "observable").length;
  console.log(`run ${result.runId}: ${result.materialized.length - observed} assets materialized, ${observed} observed, ${checks} checks run`);
  console.table(result.outputOf("SUMMARY"));
} else {
  console.error(`run ${result.runId} failed:`);
  for (const failure of result.failures) console.error(`  ${failure.stepKey}: ${failure.error.message}`);
  if (result.runError) console.error(`  ${result.runError.message}`);
  process.exitCode = 1;
}
