/**
 * `sluice dev` with a sensor whose function loops forever (issue 11, item 15): the function runs in
 * an evaluation thread, so the HTTP API keeps answering within a second while it loops; the thread
 * is stopped at the evaluation timeout and the tick recorded FAILURE. After a reload, evaluations
 * run the new code (a new daemon term starts new threads).
 *
 * Runs on SQLite and on a fresh Postgres schema, one after the other (each keeps a core busy).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Instance } from "../../src/instance/instance.js";
import { TickStatus, type TickRecord } from "../../src/storage/records.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { ServerSandbox, tempProject, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const DEFS = `import { appendFileSync } from "node:fs";
import path from "node:path";
import { defineDefinitions, job, op, sensor, skip } from "sluice";

const noop = job({ name: "noop", ops: [op({ name: "nothing", run: () => 1 })] });

/** Never returns, and never yields to the event loop; FIXTURE_DIR/loops.log says when it began. */
function loopForever(): never {
  appendFileSync(path.join(process.env.FIXTURE_DIR ?? "/tmp", "loops.log"), \`\${Date.now()}\\n\`);
  for (;;) {
    // Busy, as a synchronous endless loop is.
  }
}

export default defineDefinitions({
  jobs: [noop],
  sensors: [
    sensor({ name: "spin", job: noop, defaultStatus: "RUNNING", minimumIntervalSeconds: 5, evaluate: () => loopForever() }),
    sensor({ name: "steady", job: noop, defaultStatus: "RUNNING", minimumIntervalSeconds: 1, evaluate: () => skip("steady v1") }),
  ],
});
`;

/** One GET /api/health: when it started and how long it took (Infinity: no answer within 1 s). */
interface HealthCall {
  startedAt: number;
  ms: number;
}

async function health(url: string): Promise<HealthCall> {
  const startedAt = Date.now();
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
    await res.json();
    return { startedAt, ms: res.ok ? Date.now() - startedAt : Infinity };
  } catch {
    return { startedAt, ms: Infinity };
  }
}

describe.each(["sqlite", "postgres"] as const)("sluice dev with a sensor that loops forever (%s storage)", (backend) => {
  const sandbox = new ServerSandbox();
  const schema = newTestSchemaName("loop");
  let instance: Instance | undefined;
  afterAll(async () => {
    await sandbox.dispose();
    await instance?.close();
    if (backend === "postgres") await dropTestSchemas([schema]);
  });

  it("answers /api/health within a second while the sensor loops; its ticks fail at the timeout; a reload runs the new code", { timeout: 150_000 }, async () => {
    const project = tempProject({ "defs.ts": DEFS });
    const home = path.join(project, ".sluice");
    mkdirSync(home, { recursive: true });
    const storageYaml = backend === "postgres" ? `storage:\n  postgres:\n    url: ${JSON.stringify(TEST_POSTGRES_URL)}\n    schema: ${schema}\n` : "";
    writeFileSync(path.join(home, "sluice.yaml"), `${storageYaml}schedules_and_sensors:\n  evaluation_timeout_seconds: 2\n`);
    const dev = await sandbox.startServer("dev", ["-f", "defs.ts"], { cwd: project, home });
    instance = await Instance.open({ home });
    const storage = instance.storage;
    const failuresOfSpin = async (): Promise<TickRecord[]> => (await storage.listTicks("spin", { limit: 100 })).filter((t) => t.status === TickStatus.Failure);

    const calls: HealthCall[] = [];
    await waitFor(
      "two FAILURE ticks of the looping sensor",
      async () => {
        calls.push(await health(dev.url));
        return (await failuresOfSpin()).length >= 2;
      },
      90_000,
      100,
    );
    const failures = await failuresOfSpin();
    for (const tick of failures) expect(tick.error?.message).toMatch(/^Sensor "spin" did not finish within 2 s/);
    // Each loop: from when it began (the fixture's log) to when its FAILURE was recorded.
    const starts = readFileSync(path.join(sandbox.fixtureDir, "loops.log"), "utf8").split("\n").filter(Boolean).map(Number);
    const loops = failures.map((t) => ({ from: starts.filter((s) => s >= t.tickTime && s <= t.createdAt).at(-1) ?? t.createdAt, to: t.createdAt }));
    const whileLooping = calls.filter((c) => loops.some((l) => c.startedAt >= l.from && c.startedAt + Math.min(c.ms, 1000) <= l.to));
    expect(whileLooping.length, "health calls made while the sensor looped").toBeGreaterThanOrEqual(3);
    const slow = calls.filter((c) => c.ms >= 1000);
    expect(slow, "health calls that took a second or more (Infinity: no answer)").toEqual([]);

    // A reload starts a new daemon term, whose threads load the edited code.
    const file = path.join(project, "defs.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("steady v1", "steady v2"));
    await waitFor(
      "a tick of `steady` evaluated by the new code",
      async () => (await storage.listTicks("steady", { limit: 5 })).some((t) => t.skipReason === "steady v2"),
      60_000,
      200,
    );
    expect((await health(dev.url)).ms).toBeLessThan(1000);
    expect(dev.log()).toMatch(/Sensor "spin" failed: Sensor "spin" did not finish within 2 s/);
  });
});
