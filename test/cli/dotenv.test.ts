/**
 * `.env` in the working directory is loaded when a command starts, before the home is resolved and
 * the definitions are imported; variables already set in the environment win over the file.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, fixture, lastLine, removeTempDirs, runCli, runEvents, tempDir } from "./helpers.js";

const DEFS = fixture("dotenv.ts");
const UNSET = { SLUICE_DOTENV_GREETING: undefined, SLUICE_DOTENV_PASSWORD: undefined };

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** A working directory with this `.env`. */
function projectWithDotEnv(text: string): string {
  const dir = tempDir("sluice-project-");
  writeFileSync(path.join(dir, ".env"), text);
  return dir;
}

/** Materializes in `cwd` and returns the metadata of the `greeting` materialization. */
async function greetingMetadata(cwd: string, env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const home = tempDir();
  const result = await runCli(["materialize", "-f", DEFS], { home, cwd, env: { ...UNSET, ...env } });
  expect(result.code, describeResult(result)).toBe(0);
  const events = await runEvents(home, lastLine(result.stdout));
  const materialization = events.find((e) => e.type === "ASSET_MATERIALIZATION" && e.stepKey === "greeting");
  return Object.fromEntries(Object.entries(materialization?.metadata ?? {}).map(([k, v]) => [k, v.value]));
}

describe(".env loading", () => {
  const dotenv = "# project settings\nSLUICE_DOTENV_GREETING=from-dotenv\nSLUICE_DOTENV_PASSWORD='hunter2-dotenv'\n";

  it("without a .env, a variable the definitions need is missing (exit 2 naming it)", async () => {
    const result = await runCli(["materialize", "-f", DEFS], { home: tempDir(), cwd: tempDir("sluice-project-"), env: UNSET });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("SLUICE_DOTENV_PASSWORD");
  });

  it("a .env in the working directory sets variables read at import time and through EnvVar()", async () => {
    const metadata = await greetingMetadata(projectWithDotEnv(dotenv), {});
    expect(metadata).toEqual({ greeting: "from-dotenv", password_length: "hunter2-dotenv".length });
  });

  it("a variable already set in the environment wins over the .env file", async () => {
    const metadata = await greetingMetadata(projectWithDotEnv(dotenv), {
      SLUICE_DOTENV_GREETING: "from-environment",
      SLUICE_DOTENV_PASSWORD: "pw",
    });
    expect(metadata).toEqual({ greeting: "from-environment", password_length: 2 });
  });

  it("is loaded before anything else, so it can set SLUICE_HOME for every command", async () => {
    const cwd = projectWithDotEnv(`${dotenv}SLUICE_HOME=instance-home\n`);
    const run = await runCli(["materialize", "-f", DEFS], { cwd, env: UNSET });
    expect(run.code, describeResult(run)).toBe(0);
    expect(existsSync(path.join(cwd, "instance-home", "sluice.db"))).toBe(true);
    // A command that loads no definitions reads the same home.
    const listed = await runCli(["run", "list", "--json"], { cwd, env: UNSET });
    expect(listed.code, describeResult(listed)).toBe(0);
    expect((JSON.parse(listed.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([lastLine(run.stdout)]);
    // --home still wins over it.
    const elsewhere = tempDir();
    const other = await runCli(["run", "list", "--json", "--home", elsewhere], { cwd, env: UNSET });
    expect(JSON.parse(other.stdout)).toEqual([]);
  });
});
