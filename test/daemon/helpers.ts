/**
 * Helpers for end-to-end tests of `sluice daemon`: a sandbox per test (instance home, fixture
 * directory, every process it started), polling storage, and reading what the fixture recorded.
 * Processes are started through test/cli/helpers.ts, as a user would start them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import type { DaemonPoint } from "../../src/daemon/daemon-hooks.js";
import { Instance } from "../../src/instance/instance.js";
import { RunStatus, type RunRecord } from "../../src/storage/records.js";
import type { Storage } from "../../src/storage/storage.js";
import { dropTestSchemas, newTestSchemaName, queryTestSchema, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";
import { REPO_ROOT, runCli, startCli, tempDir, describeResult, type CliOptions, type CliResult, type RunningCli } from "../cli/helpers.js";

/** The daemon fixture (an `etl` job: extract → transform → load, and schedule `every_minute`). */
export const DAEMON_DEFS = path.join(REPO_ROOT, "test", "fixtures", "daemon", "defs.ts");
/** The backfill fixture (asset `regional` on static partitions p1..p6). */
export const BACKFILL_DEFS = path.join(REPO_ROOT, "test", "fixtures", "daemon", "backfill-defs.ts");
/** The crash-point harness's daemon (see startDaemon's `crashAt`). */
export const CRASHING_DAEMON = path.join(REPO_ROOT, "test", "fixtures", "daemon", "crashing-daemon.ts");
/** tsx's loader, as a URL for `node --import` (which resolves a bare name from the working directory). */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Run statuses of a run in progress (counted against queue limits). */
export const IN_PROGRESS: readonly string[] = [RunStatus.Starting, RunStatus.Started, RunStatus.Canceling];

/** The storage backends every daemon test runs on (`describe.concurrent.each(STORAGE_BACKENDS)`). */
export const STORAGE_BACKENDS = ["sqlite", "postgres"] as const;
/** One of {@link STORAGE_BACKENDS}. */
export type StorageBackend = (typeof STORAGE_BACKENDS)[number];

/** A daemon process and what it printed so far. */
export interface DaemonProcess extends RunningCli {
  /** stderr so far (the daemon logs there). */
  log(): string;
  /** Worker pid of a run, from the daemon's "launched run ID (...) in worker pid N" line. */
  workerPid(runId: string): number | undefined;
  /** Resolves with the signal that ended it (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
}

/** Resolves once `check` returns a value other than undefined/false; rejects after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while a process with this pid exists (a zombie counts until its parent reaps it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One line of FIXTURE_DIR/calls.log: an op called in a run. */
export interface OpCall {
  op: string;
  runId: string;
}

/**
 * One test's world: a fresh instance home with its sluice.yaml, its storage (a SQLite file in the
 * home, or a fresh schema of the Postgres test database, dropped by {@link Sandbox.dispose}), the
 * fixture's directory (flags and call log), and every process started in it, all killed by
 * {@link Sandbox.dispose}.
 */
export class Sandbox {
  readonly home: string;
  readonly fixtureDir: string;
  readonly backend: StorageBackend;
  /** The Postgres schema of this sandbox (undefined on SQLite). */
  readonly schema: string | undefined;
  /** Every `sluice daemon` and `sluice worker` started in this sandbox. */
  readonly daemons: DaemonProcess[] = [];
  #instance: Instance | undefined;

  /** The Postgres database of this sandbox (undefined on SQLite). */
  readonly postgresUrl: string | undefined;

  /**
   * `settings`: the rest of sluice.yaml (its `storage:` is written here, from `backend`).
   * `postgresUrl`: the database of a Postgres sandbox (default: the shared test database); its
   * schema is dropped by {@link dispose} only on the shared one (a private cluster goes whole).
   * `postgresSettings`: more settings of `storage.postgres` (`{ reconnect_timeout_seconds: 1 }`).
   */
  constructor(options: { settings?: string; backend?: StorageBackend; postgresUrl?: string; postgresSettings?: Record<string, string | number> } = {}) {
    const root = tempDir("sluice-daemon-");
    this.home = path.join(root, "home");
    this.fixtureDir = path.join(root, "fixture");
    this.backend = options.backend ?? "sqlite";
    mkdirSync(this.home, { recursive: true });
    mkdirSync(this.fixtureDir, { recursive: true });
    let yaml = options.settings ?? "";
    if (this.backend === "postgres") {
      this.schema = newTestSchemaName("d");
      this.postgresUrl = options.postgresUrl ?? TEST_POSTGRES_URL;
      const more = Object.entries(options.postgresSettings ?? {}).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}\n`);
      yaml = `storage:\n  postgres:\n    url: ${JSON.stringify(this.postgresUrl)}\n    schema: ${this.schema}\n${more.join("")}${yaml}`;
    }
    if (yaml) writeFileSync(path.join(this.home, "sluice.yaml"), yaml);
  }

  /** CLI options for this sandbox: its home, and the fixture's directory. */
  cliOptions(extra: CliOptions = {}): CliOptions {
    return { ...extra, home: this.home, env: { FIXTURE_DIR: this.fixtureDir, ...(extra.env ?? {}) } };
  }

  /** Runs the CLI in this sandbox. */
  cli(args: readonly string[], extra: CliOptions = {}): Promise<CliResult> {
    return runCli(args, this.cliOptions(extra));
  }

  /** Runs the CLI and expects exit 0. */
  async cliOk(args: readonly string[], extra: CliOptions = {}): Promise<CliResult> {
    const result = await this.cli(args, extra);
    if (result.code !== 0) throw new Error(`sluice ${args.join(" ")} failed: ${describeResult(result)}`);
    return result;
  }

  /** `sluice job launch -j etl`: queues a run; returns its id. */
  async launch(tags?: Record<string, string>): Promise<string> {
    const args = ["job", "launch", "-j", "etl", "-f", DAEMON_DEFS, ...(tags ? ["--tags", JSON.stringify(tags)] : [])];
    const result = await this.cliOk(args);
    return result.stdout.trim().split("\n").pop()!.trim();
  }

  /**
   * Starts `sluice daemon -f DAEMON_DEFS` (or `options.defs`) and waits until it has loaded the
   * definitions. With `crashAt`, the daemon is the crash-point harness's instead (the same daemon,
   * given a hook that kills its process at that point): see fixtures/daemon/crashing-daemon.ts.
   */
  async startDaemon(env: Record<string, string | undefined> = {}, options: { waitReady?: boolean; defs?: string; crashAt?: DaemonPoint } = {}): Promise<DaemonProcess> {
    // tsx by its path: the daemon's working directory is outside the repository, where Node would not find it by name.
    const script = options.crashAt === undefined ? undefined : ["--import", TSX_LOADER, CRASHING_DAEMON, options.crashAt];
    const args = options.crashAt === undefined ? ["daemon", "-f", options.defs ?? DAEMON_DEFS] : ["-f", options.defs ?? DAEMON_DEFS, "--home", this.home];
    const running = startCli(args, this.cliOptions({ env, timeoutMs: 170_000, ...(script ? { script } : {}) }));
    const daemon = this.#track(running);
    if (options.waitReady !== false) await running.waitForStderr("started:");
    return daemon;
  }

  /**
   * Starts `sluice worker -f DAEMON_DEFS ...args` and waits until it has started. Its runs' processes
   * are in its log as a daemon's are (`workerPid`), and {@link dispose} kills them too.
   */
  async startWorker(args: readonly string[] = [], env: Record<string, string | undefined> = {}): Promise<DaemonProcess> {
    const running = startCli(["worker", "-f", DAEMON_DEFS, "--poll-interval", "0.2", ...args], this.cliOptions({ env, timeoutMs: 280_000 }));
    const worker = this.#track(running);
    await running.waitForStderr("started:");
    return worker;
  }

  #track(running: RunningCli): DaemonProcess {
    let stderr = "";
    running.child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => running.child.on("exit", (_code, signal) => resolve(signal)));
    const tracked: DaemonProcess = {
      ...running,
      log: () => stderr,
      workerPid: (runId) => {
        const match = new RegExp(`launched run ${runId} \\([^)]*\\) in worker pid (\\d+)`).exec(stderr);
        return match ? Number(match[1]) : undefined;
      },
      exited,
    };
    this.daemons.push(tracked);
    return tracked;
  }

  /** Stops a daemon as a user would (SIGTERM) and waits for it to exit. */
  async stopDaemon(daemon: DaemonProcess): Promise<void> {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGTERM");
    await daemon.done;
  }

  /** Storage of this instance (opened once per sandbox, in this process). */
  async storage(): Promise<Storage> {
    this.#instance ??= await Instance.open({ home: this.home });
    return this.#instance.storage;
  }

  /** A run as storage holds it now. */
  async run(runId: string): Promise<RunRecord> {
    const run = await (await this.storage()).getRun(runId);
    if (!run) throw new Error(`run ${runId} is not in storage`);
    return run;
  }

  /** Waits until a run has one of these statuses; returns it. */
  waitForStatus(runId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<RunRecord> {
    return waitFor(
      `run ${runId} to be ${statuses.join(" or ")}`,
      async () => {
        const run = await this.run(runId);
        return statuses.includes(run.status) ? run : undefined;
      },
      timeoutMs,
    );
  }

  /** Sets a fixture flag (a file in FIXTURE_DIR). */
  setFlag(name: string, content = ""): void {
    writeFileSync(path.join(this.fixtureDir, name), content);
  }

  /** Removes a fixture flag. */
  clearFlag(name: string): void {
    rmSync(path.join(this.fixtureDir, name), { force: true });
  }

  /** Every op call the fixture recorded, in order. */
  calls(): OpCall[] {
    const file = path.join(this.fixtureDir, "calls.log");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [op, runId] = line.split(" ");
        return { op: op!, runId: runId ?? "" };
      });
  }

  /** Ops the fixture recorded for one run, in call order. */
  callsOf(runId: string): string[] {
    return this.calls()
      .filter((c) => c.runId === runId)
      .map((c) => c.op);
  }

  /**
   * Moves a started schedule's stored state `ms` back in time, so the scheduler finds ticks due at
   * once instead of at the next minute boundary: the one place these tests reach under the storage
   * API (one UPDATE, on the SQLite file or in the sandbox's Postgres schema).
   */
  async backdateInstigator(name: string, ms: number): Promise<void> {
    const update = "UPDATE instigators SET updated_at = updated_at - $1 WHERE name = $2";
    let changed: number;
    if (this.schema !== undefined) {
      changed = (await queryTestSchema(this.schema, `${update} RETURNING name`, [ms, name], this.postgresUrl)).length;
    } else {
      const db = new BetterSqlite3(path.join(this.home, "sluice.db"));
      try {
        db.pragma("busy_timeout = 5000");
        changed = db.prepare(update.replace(/\$\d/g, "?")).run(ms, name).changes;
      } finally {
        db.close();
      }
    }
    if (changed !== 1) throw new Error(`no stored state for instigator "${name}" to backdate`);
  }

  /** Kills every process started in this sandbox (daemons, and their detached workers' process groups). */
  async dispose(): Promise<void> {
    const workerPids = new Set<number>();
    for (const daemon of this.daemons) {
      for (const match of daemon.log().matchAll(/in worker pid (\d+)/g)) workerPids.add(Number(match[1]));
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGKILL");
    }
    // Workers of a daemon we killed before it logged them are found by the home they were given.
    for (const pid of pgrep(this.home)) workerPids.add(pid);
    for (const pid of workerPids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
    await Promise.all(this.daemons.map((d) => d.done));
    await this.#instance?.close();
    this.#instance = undefined;
    if (this.schema !== undefined && this.postgresUrl === TEST_POSTGRES_URL) await dropTestSchemas([this.schema]);
  }
}

/** Pids of processes whose command line contains `text` (this sandbox's unique home path). */
export function pgrep(text: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", text], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The first event of a type in `sluice run logs --json` output. */
export function firstEvent<E extends { type: string }>(events: E[], type: string): E | undefined {
  return events.find((e) => e.type === type);
}
