/**
 * A full disk (a real, small tmpfs holding the instance home): a value larger than the free space
 * fails its step naming ENOSPC and the path, leaves no partial file, ends the run FAILURE, and the
 * next run works. When the disk fills up under the run's own storage (SQLite cannot write its
 * events), the run's end is recorded once space is back.
 *
 * Needs permission to mount a tmpfs (root, as on the CI machines); skipped, saying so, elsewhere.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  filesUnder,
  fixture,
  lastLine,
  listRuns,
  materializeOk,
  removeTempDirs,
  runCli,
  runEvents,
  showRun,
  startCli,
  tempDir,
} from "./helpers.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";

const DEFS = fixture("disk-full.ts");
const DISK_BYTES = 2 * 1024 * 1024;
const STORAGE_BACKENDS = ["sqlite", "postgres"] as const;

const mounted: string[] = [];

/** Mounts a tmpfs of `bytes` at a new directory (unmounted after the tests). */
function mountSmallDisk(bytes: number): string {
  const dir = tempDir("sluice-small-disk-");
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { stdio: "pipe" });
  mounted.push(dir);
  return dir;
}

/**
 * Why a tmpfs cannot be mounted here (not root, no mount(8), a container without the capability),
 * or null. Unmounted at once: when a filter skips every test, no afterAll runs.
 */
function cannotMount(): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim() || "mount failed";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const mountProblem = cannotMount();

beforeAll(assertBuilt);
const schemas: string[] = [];
afterAll(async () => {
  // Lazy: a process a failed test left behind must not keep the disk, or the other tests' cleanup, busy.
  for (const dir of mounted.splice(0)) execFileSync("umount", ["-l", dir]);
  removeTempDirs();
  await dropTestSchemas(schemas);
});

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

describe.skipIf(mountProblem !== null)(`a full disk${mountProblem ? ` (skipped: mounting a tmpfs is not permitted here: ${mountProblem})` : ""}`, () => {
  for (const { what, chars, leaveFree, backend } of [
    { what: "larger than the whole disk (written asynchronously)", chars: DISK_BYTES * 2, leaveFree: undefined },
    // Under the synchronous-write limit (256 K characters), and more than the disk has left.
    { what: "smaller, on a disk nearly full (written synchronously)", chars: 255_000, leaveFree: 245_000 },
  ].flatMap((c) => STORAGE_BACKENDS.map((backend) => ({ ...c, backend })))) {
    it(`a value ${what} (${backend} storage): the step fails naming ENOSPC and the path, no partial file, FAILURE, and the next run succeeds`, async () => {
      const disk = mountSmallDisk(DISK_BYTES);
      const home = path.join(disk, "home");
      if (backend === "postgres") {
        // The run's events go to Postgres; only the values' files are on the small disk.
        const schema = newTestSchemaName("disk");
        schemas.push(schema);
        mkdirSync(home);
        writeFileSync(path.join(home, "sluice.yaml"), `storage:\n  postgres:\n    url: ${JSON.stringify(TEST_POSTGRES_URL)}\n    schema: ${schema}\n`);
      }
      // A first run creates the instance (its database) on the small disk.
      await materializeOk(["-f", DEFS, "--select", "big"], { home });
      let filler: string | undefined;
      if (leaveFree !== undefined) {
        filler = path.join(disk, "filler");
        writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(disk) - leaveFree)));
      }
      const before = freeBytes(disk);

      const result = await runCli(["materialize", "-f", DEFS, "--select", "big"], { home, env: { BIG_CHARS: String(chars) } });
      expect(result.code, describeResult(result)).toBe(1);
      const file = path.join(home, "storage", "big.json");
      expect(result.stderr).toContain("ENOSPC");
      expect(result.stderr).toContain(file);
      const runId = lastLine(result.stdout);
      expect((await showRun(home, runId)).status).toBe("FAILURE");
      const failure = (await runEvents(home, runId)).find((e) => e.type === "STEP_FAILURE" && e.stepKey === "big");
      expect(failure?.message).toContain("ENOSPC");
      expect(failure?.message).toContain(file);
      expect(filesUnder(path.join(home, "storage")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      // The partial file's space is back (the database may have grown by a few pages).
      expect(freeBytes(disk)).toBeGreaterThan(before - 64 * 1024);

      if (filler) rmSync(filler);
      const next = await materializeOk(["-f", DEFS, "--select", "big"], { home, env: { BIG_CHARS: "20" } });
      expect((await showRun(home, next)).status).toBe("SUCCESS");
      expect((await listRuns(home)).map((r) => r.status)).toEqual(["SUCCESS", "FAILURE", "SUCCESS"]);
    });
  }

  it("the disk fills up under the run's own database: its end is recorded FAILURE once space is back", { timeout: 90_000 }, async () => {
    const disk = mountSmallDisk(DISK_BYTES);
    const home = path.join(disk, "home");
    mkdirSync(home);
    const filler = path.join(disk, "filler");
    const running = startCli(["materialize", "-f", DEFS, "--select", "fill_disk"], { home, env: { FILLER_FILE: filler } });
    // The run cannot store its events while the disk is full: it waits for space, saying so.
    await running.waitForStderr("trying again every second");
    expect(freeBytes(disk)).toBeLessThan(64 * 1024);
    rmSync(filler);
    const result = await running.done;
    expect(result.code, describeResult(result)).toBe(1);
    const runId = lastLine(result.stdout);
    const run = await showRun(home, runId);
    expect(run.status).toBe("FAILURE");
    const events = await runEvents(home, runId);
    expect(events.find((e) => e.type === "RUN_FAILURE")?.message).toMatch(/disk is full|ENOSPC/);
    const next = await materializeOk(["-f", DEFS, "--select", "big"], { home });
    expect((await showRun(home, next)).status).toBe("SUCCESS");
  });
});
