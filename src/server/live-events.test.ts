import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { EventType, RunStatus } from "../storage/records.js";
import { LiveEventHub, type LiveMessage } from "./live-events.js";

let target: TempTarget;
let hub: LiveEventHub;
beforeEach(async () => {
  target = await tempTarget();
  hub = new LiveEventHub(target.storage, { intervalMs: 50 });
});
afterEach(async () => {
  hub.close();
  await target.dispose();
});

function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe("LiveEventHub", () => {
  it("starts at the newest event: a subscriber gets only what is written after it subscribed", async () => {
    const storage = target.storage;
    await storage.createRun({ runId: "old", jobName: "j", selection: ["a"] });
    await storage.storeEvent({ runId: "old", type: EventType.RunStart, message: "old start" });
    const received: LiveMessage[] = [];
    const sub = await hub.subscribe((m) => received.push(m), () => {});
    expect(sub.cursor).toBeGreaterThan(0);
    await storage.storeEvent({ runId: "old", type: EventType.Log, message: "new line" });
    const event = await until("the new event", () => received.find((m) => m.kind === "event"));
    expect(event.kind === "event" && event.event.message).toBe("new line");
    expect(received.filter((m) => m.kind === "event")).toHaveLength(1);
    sub.unsubscribe();
  });

  it("never sends a run's end before the event that ended it, even when that event commits between its reads", async () => {
    const storage = target.storage;
    const received: LiveMessage[] = [];
    const sub = await hub.subscribe((m) => received.push(m), () => {});
    await storage.createRun({ runId: "r", jobName: "j", selection: ["a"] });
    expect(await storage.claimRun("r", "w")).toBe(true);
    await storage.storeEvent({ runId: "r", type: EventType.RunStart, message: "go" });
    // The run's end is stored just after the hub has read the events and before it reads the runs.
    let endNow = false;
    const listRuns = storage.listRuns.bind(storage);
    storage.listRuns = async (filter) => {
      if (endNow) {
        endNow = false;
        await storage.storeEvent({ runId: "r", type: EventType.RunSuccess, message: "done" });
      }
      return listRuns(filter);
    };
    await until("STARTED", () => received.find((m) => m.kind === "run" && m.run.status === RunStatus.Started));
    endNow = true;
    await until("SUCCESS", () => received.find((m) => m.kind === "run" && m.run.status === RunStatus.Success));
    const order = received.flatMap((m) => (m.kind === "run" ? [`run ${m.run.status}`] : m.kind === "event" ? [`event ${m.event.type}`] : []));
    expect(order.indexOf("event RUN_SUCCESS"), order.join(", ")).toBeGreaterThanOrEqual(0);
    expect(order.indexOf("event RUN_SUCCESS")).toBeLessThan(order.indexOf("run SUCCESS"));
    sub.unsubscribe();
  });

  it("reports run status changes, including ones no event records (QUEUED, STARTING, CANCELING)", async () => {
    const storage = target.storage;
    const statuses: string[] = [];
    const sub = await hub.subscribe((m) => {
      if (m.kind === "run" && m.run.runId === "r1") statuses.push(m.run.status);
    }, () => {});
    await storage.createRun({ runId: "r1", jobName: "j", selection: ["a"] });
    await until("QUEUED", () => (statuses.includes(RunStatus.Queued) ? true : undefined));
    expect(await storage.claimRun("r1", "w")).toBe(true);
    await until("STARTING", () => (statuses.includes(RunStatus.Starting) ? true : undefined));
    await storage.storeEvent({ runId: "r1", type: EventType.RunStart, message: "go" });
    await until("STARTED", () => (statuses.includes(RunStatus.Started) ? true : undefined));
    await storage.setRunStatus("r1", RunStatus.Canceling);
    await until("CANCELING", () => (statuses.includes(RunStatus.Canceling) ? true : undefined));
    await storage.storeEvent({ runId: "r1", type: EventType.RunCanceled, message: "stopped" });
    await until("CANCELED", () => (statuses.includes(RunStatus.Canceled) ? true : undefined));
    expect(statuses).toEqual([RunStatus.Queued, RunStatus.Starting, RunStatus.Started, RunStatus.Canceling, RunStatus.Canceled]);
    sub.unsubscribe();
  });

  it("sees a run finish even when it is no longer among the newest runs", async () => {
    const storage = target.storage;
    await storage.createRun({ runId: "long", jobName: "j", selection: ["a"] });
    await storage.storeEvent({ runId: "long", type: EventType.RunStart, message: "go" });
    const statuses: string[] = [];
    const sub = await hub.subscribe((m) => {
      if (m.kind === "run" && m.run.runId === "long") statuses.push(m.run.status);
    }, () => {});
    for (let i = 0; i < 25; i++) await storage.createRun({ runId: `later-${i}`, jobName: "j", selection: ["a"], status: RunStatus.Success });
    await new Promise((r) => setTimeout(r, 150));
    await storage.storeEvent({ runId: "long", type: EventType.RunSuccess, message: "done" });
    await until("SUCCESS", () => (statuses.includes(RunStatus.Success) ? true : undefined));
    sub.unsubscribe();
  });

  it("ends subscriptions when closed, and refuses new ones", async () => {
    let closed = false;
    await hub.subscribe(() => {}, () => (closed = true));
    hub.close();
    expect(closed).toBe(true);
    await expect(hub.subscribe(() => {}, () => {})).rejects.toThrow(/closed/);
  });
});
