import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunStatus } from "../storage/records.js";
import { RunMonitor } from "./run-monitor.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const HEARTBEAT_TIMEOUT_MS = 4000;
const POLL_MS = 500;

/** A claimed run that heartbeated once, now; and a monitor whose clock is `start + offset`. */
async function setUp(): Promise<{ monitor: RunMonitor; at: (offsetMs: number) => void; lines: string[] }> {
  await target.storage.createRun({ runId: "r", jobName: "job", selection: [], status: RunStatus.Queued });
  await target.storage.claimRun("r", "w");
  await target.storage.heartbeatRun("r");
  const start = Date.now();
  let offset = 0;
  const lines: string[] = [];
  const monitor = new RunMonitor({
    storage: target.storage,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    cancelTimeoutMs: 10_000,
    pollIntervalMs: POLL_MS,
    now: () => start + offset,
    log: (line) => lines.push(line),
  });
  return { monitor, at: (ms) => (offset = ms), lines };
}

describe("RunMonitor", () => {
  it("fails a run whose heartbeat is older than the timeout, saying why", async () => {
    const { monitor, at } = await setUp();
    for (let t = 0; t < HEARTBEAT_TIMEOUT_MS; t += POLL_MS) {
      at(t);
      expect(await monitor.tick(), `at ${t} ms`).toEqual([]);
    }
    at(HEARTBEAT_TIMEOUT_MS + 100);
    expect(await monitor.tick()).toEqual(["r"]);
    const run = await target.storage.getRun("r");
    expect(run?.status).toBe("FAILURE");
    const [failure] = await target.storage.getEvents("r", { types: ["RUN_FAILURE"] });
    expect(failure?.message).toMatch(/stopped heartbeating 4 s ago/);
  });

  it("after a stretch without storage (a database restart), counts runs' silence from when it sees storage again", async () => {
    const { monitor, at, lines } = await setUp();
    at(0);
    await monitor.tick();
    // The next read returns 6 s later (it waited for the database): every run's heartbeat is
    // older than the timeout, because no run could heartbeat meanwhile.
    at(6000);
    expect(await monitor.tick(), "not failed the moment storage is back").toEqual([]);
    expect(lines.join("\n")).toMatch(/run monitoring saw no storage for 6 s/);
    for (let t = 6000 + POLL_MS; t < 6000 + HEARTBEAT_TIMEOUT_MS; t += POLL_MS) {
      at(t);
      expect(await monitor.tick(), `at ${t} ms`).toEqual([]);
    }
    // A run whose worker did die is still failed, one timeout after storage came back.
    at(6000 + HEARTBEAT_TIMEOUT_MS + 100);
    expect(await monitor.tick()).toEqual(["r"]);
    expect((await target.storage.getRun("r"))?.status).toBe("FAILURE");
  });

  it("a first pass (a daemon just started) judges heartbeats at once: a run whose worker died while no daemon ran is failed", async () => {
    const { monitor, at } = await setUp();
    at(HEARTBEAT_TIMEOUT_MS + 100);
    expect(await monitor.tick()).toEqual(["r"]);
  });
});
