/**
 * `sluice ... | head`: a reader that stops early closes the pipe. Every command then exits quietly
 * (no EPIPE stack trace) with the exit code it would have had anyway, whether stdout, stderr or
 * both are closed. The pipes here are real: the test closes its end before the CLI writes.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI, fixture, removeTempDirs, stripAnsi, tempDir } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** Runs the CLI with stdout and/or stderr closed by their reader before it writes anything. */
function runWithClosed(args: readonly string[], closed: { stdout?: boolean; stderr?: boolean }, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: tempDir("sluice-cwd-"),
    env: { ...process.env, SLUICE_HOME: home, CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  if (closed.stdout) child.stdout.destroy();
  else child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  if (closed.stderr) child.stderr.destroy();
  else child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr: stripAnsi(stderr) })));
}

const MANY = fixture("many-assets.ts");
const FAILING = fixture("failing.ts");

describe("a closed stdout or stderr (sluice ... | head)", () => {
  const home = tempDir();
  const cases: { name: string; args: string[]; code: number }[] = [
    { name: "asset list --json", args: ["asset", "list", "-f", MANY, "--json"], code: 0 },
    { name: "asset list", args: ["asset", "list", "-f", MANY], code: 0 },
    { name: "--help", args: ["--help"], code: 0 },
    { name: "materialize (a run that succeeds)", args: ["materialize", "-f", MANY], code: 0 },
    { name: "materialize (a run that fails)", args: ["materialize", "-f", FAILING], code: 1 },
    { name: "bad usage", args: ["asset", "list", "--bogus"], code: 2 },
    { name: "definitions that do not exist", args: ["asset", "list", "-f", "missing.ts"], code: 2 },
  ];

  for (const { name, args, code } of cases) {
    it(`${name}: stdout closed → exits ${code} quietly`, async () => {
      const result = await runWithClosed(args, { stdout: true }, home);
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|Unexpected error/);
      expect(result.code, result.stderr).toBe(code);
    });

    it(`${name}: stderr closed → exits ${code}`, async () => {
      const result = await runWithClosed(args, { stderr: true }, home);
      expect(result.code, result.stdout).toBe(code);
    });

    it(`${name}: both closed → exits ${code}`, async () => {
      expect((await runWithClosed(args, { stdout: true, stderr: true }, home)).code).toBe(code);
    });
  }
});
