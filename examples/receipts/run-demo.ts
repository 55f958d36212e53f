/**
 * Runs the example without an API account: starts the local stand-in for the Messages API,
 * runs run.ts against it (RECEIPTS_LLM_BASE_URL and a demo key), stops it. RECEIPTS_DATABASE_URL
 * defaults to the local Postgres.
 *
 *   npx tsx run-demo.ts
 */
import { spawn } from "node:child_process";
import { startLlmStandin } from "./llm-standin.js";

const KEY = "demo-key";
const standin = await startLlmStandin({ apiKey: KEY, overloadedFirst: 1 });
const env = {
  ...process.env,
  RECEIPTS_LLM_BASE_URL: standin.url,
  RECEIPTS_LLM_API_KEY: KEY,
  RECEIPTS_DATABASE_URL: process.env.RECEIPTS_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
};
const child = spawn(process.execPath, ["--import", "tsx", "run.ts"], { cwd: import.meta.dirname, env, stdio: "inherit" });
const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
await standin.close();
process.exitCode = code ?? 1;
