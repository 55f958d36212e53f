/**
 * The pipeline from a plain script: loads .env (as the CLI does), then `materialize()`s every
 * asset and prints what came out. The run is recorded in ./.sluice (or SLUICE_HOME).
 *
 *   npx tsx run.ts
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { materialize } from "sluice";

const envFile = path.join(import.meta.dirname, ".env");
if (existsSync(envFile)) process.loadEnvFile(envFile); // variables already set win
// Imported after .env is loaded: the definitions read RECEIPTS_LLM_BASE_URL when they load.
const { default: defs } = await import("./definitions.js");

const result = await materialize(defs, { home: process.env.SLUICE_HOME ?? path.join(import.meta.dirname, ".sluice") });
const stored = result.outputOf("receipts/stored") as { stored: number; failed: number } | undefined;
if (result.success && stored) {
  console.log(`run ${result.runId}: ${stored.stored} receipts stored, ${stored.failed} images could not be read (see: sluice run logs ${result.runId})`);
} else {
  console.error(`run ${result.runId} failed: ${[...result.failures.map((f) => `${f.stepKey}: ${f.error.message}`), result.runError?.message].filter(Boolean).join("; ")}`);
  process.exitCode = 1;
}
