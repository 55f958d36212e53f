/**
 * Helpers for end-to-end tests of the `sluice` CLI: spawn `bin/sluice.js` as a user would, with a
 * fresh instance home, and read what it prints.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where package.json and bin/ live). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The CLI entry point users run. */
export const CLI = path.join(REPO_ROOT, "bin", "sluice.js");
/** Definitions files the CLI tests load. */
export const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "cli");

/** Absolute path of a fixture file. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** Fails with a clear message when the CLI has not been built (the test script builds first). */
export function assertBuilt(): void {
  const main = path.join(REPO_ROOT, "dist", "cli", "main.js");
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: build first with \`npx tsc -p tsconfig.build.json\` (npm test does it).`);
  }
}

/** What one CLI invocation did. */
export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  stdout: string;
  /** stderr as printed (may hold color escapes). */
  stderrRaw: string;
  /** stderr without ANSI escapes, for matching messages. */
  stderr: string;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** SLUICE_HOME of the child (left unset when undefined). */
  home?: string;
  /**
   * Working directory (default: an empty temp directory outside the repository). Inside the
   * repository tsx applies its tsconfig.json `paths`, which map "sluice" to src/index.ts; outside
   * it, definitions get "sluice" as users do, through package.json "exports" (dist/).
   */
  cwd?: string;
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** What Node runs instead of `bin/sluice.js` (with its own leading arguments), e.g. a test harness script. */
  script?: readonly string[];
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Removes ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

function childEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "1" };
  // The parent's instance must not leak into a test.
  delete env.SLUICE_HOME;
  if (options.home !== undefined) env.SLUICE_HOME = options.home;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

let defaultCwd: string | undefined;

/** An empty working directory outside the repository, shared by the tests of one file. */
function outsideRepo(): string {
  defaultCwd ??= tempDir("sluice-cwd-");
  return defaultCwd;
}

/** Spawns `node bin/sluice.js ...args` and resolves when it exits (never rejects on a non-zero exit). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env = childEnv(options);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd ?? outsideRepo(), env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number" && !error.signal) return reject(error);
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderrRaw: stderr, stderr: stripAnsi(stderr) });
      },
    );
  });
}

/** A CLI process still running: send it signals, wait for output, await its end. */
export interface RunningCli {
  child: ChildProcess;
  /** Resolves once stderr (without ANSI escapes) contains `text`; rejects if the process ends first. */
  waitForStderr(text: string): Promise<void>;
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
}

/** Starts `node bin/sluice.js ...args` without waiting for it (same environment as {@link runCli}). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...(options.script ?? [CLI]), ...args], { cwd: options.cwd ?? outsideRepo(), env: childEnv(options), stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (stripAnsi(stderr).includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    check();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.reject(new Error(`exited (${code}) before stderr showed ${JSON.stringify(w.text)}:\n${stripAnsi(stderr)}`));
      resolve({ code, stdout, stderrRaw: stderr, stderr: stripAnsi(stderr) });
    });
  });
  return {
    child,
    done,
    waitForStderr: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve, reject });
        check();
      }),
  };
}

/** Formats a result for assertion messages. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** The last non-empty line of stdout: the run id for `materialize`. */
export function lastLine(stdout: string): string {
  const lines = stdout.trimEnd().split("\n");
  return lines[lines.length - 1]!.trim();
}

const tempDirs: string[] = [];

/** A fresh temp directory (removed by {@link removeTempDirs}). */
export function tempDir(prefix = "sluice-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir}; call from afterAll. */
export function removeTempDirs(): void {
  defaultCwd = undefined;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Every file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, "utf8");
  return filesUnder(dir).filter((file) => readFileSync(file).includes(bytes));
}

/** One step of `run show --json`. */
export interface StepJson {
  key: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
}

/** `run show --json` (and, without steps, one element of `run list --json`). */
export interface RunJson {
  runId: string;
  status: string;
  jobName: string;
  selection: string[];
  partition: string | null;
  tags: Record<string, string>;
  parentRunId: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  steps?: StepJson[];
}

/** A serialized error as events carry it. */
export interface ErrorJson {
  className: string;
  message: string;
  stack: string | null;
  cause: ErrorJson | null;
}

/** One element of `run logs --json`. */
export interface EventJson {
  timestamp: string;
  type: string;
  stepKey: string | null;
  level: string;
  message: string;
  assetKey?: string;
  error?: ErrorJson;
  metadata?: Record<string, { type: string; value: unknown }>;
  [field: string]: unknown;
}

/** Runs a `--json` command and parses its whole stdout as one JSON document. */
export async function cliJson<T>(args: readonly string[], options: CliOptions = {}): Promise<T> {
  const result = await runCli(args, options);
  if (result.code !== 0) throw new Error(`sluice ${args.join(" ")} failed: ${describeResult(result)}`);
  return JSON.parse(result.stdout) as T;
}

/** `sluice run show RUN_ID --json`. */
export function showRun(home: string, runId: string): Promise<RunJson> {
  return cliJson<RunJson>(["run", "show", runId, "--json"], { home });
}

/** `sluice run logs RUN_ID --json`. */
export function runEvents(home: string, runId: string): Promise<EventJson[]> {
  return cliJson<EventJson[]>(["run", "logs", runId, "--json"], { home });
}

/** `sluice run list --json ...extra`. */
export function listRuns(home: string, extra: readonly string[] = []): Promise<RunJson[]> {
  return cliJson<RunJson[]>(["run", "list", "--json", ...extra], { home });
}

/** Runs `materialize`, expects exit 0, and returns the run id (stdout's last line). */
export async function materializeOk(args: readonly string[], options: CliOptions): Promise<string> {
  const result = await runCli(["materialize", ...args], options);
  if (result.code !== 0) throw new Error(`sluice materialize ${args.join(" ")} failed: ${describeResult(result)}`);
  return lastLine(result.stdout);
}

/** An ISO-8601 UTC timestamp as `Date.prototype.toISOString` writes it. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A run id as `materialize` prints it: one token, no spaces. */
export const RUN_ID = /^[\w-]+$/;
