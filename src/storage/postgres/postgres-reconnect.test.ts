/**
 * The Postgres storage across lost connections: a server crash and restart, a backend terminated
 * in the middle of a transaction, and one terminated while committing. On a private cluster
 * (PrivatePostgres), since the shared test server must never be restarted.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught, expectSluiceError, queuedRecord } from "../testing/contract-helpers.js";
import { PostgresProxy } from "../testing/postgres-proxy.js";
import { PrivatePostgres } from "../testing/private-postgres.js";
import type { Storage } from "../storage.js";
import { openPostgresStorage } from "./postgres-storage.js";

let cluster: PrivatePostgres;
let schemas = 0;

beforeAll(async () => {
  cluster = await PrivatePostgres.create();
}, 60_000);

afterAll(async () => {
  await cluster?.remove();
});

/** Storage in a fresh schema of the private cluster, closed after the test. */
async function open(onTestFinished: (fn: () => Promise<void>) => void, options: { reconnectTimeoutMs?: number } = {}): Promise<Storage> {
  const storage = await openPostgresStorage(cluster.url(), { schema: `reconnect_${++schemas}`, ...options });
  onTestFinished(() => storage.close());
  return storage;
}

/** Runs `fn` with a plain client of the cluster (search path: `schema`). */
async function withClient<T>(schema: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query(`set search_path to "${schema}"`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Whether a promise is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol("pending");
  const winner = await Promise.race([promise.then(() => undefined, () => undefined), new Promise((resolve) => setTimeout(() => resolve(marker), ms))]);
  return winner === marker;
}

// One server for the whole file, stopped and started by some tests: they run one after another.
describe("postgres storage across lost connections", () => {
  it("an operation while the server is down waits for it to come back, then completes once", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const storage = await open(onTestFinished);
    await storage.createRun(queuedRecord("r"));
    await cluster.stop("immediate");
    let restarted = false;
    onTestFinished(async () => {
      if (!restarted) await cluster.start();
    });
    const stored = storage.storeEvent({ runId: "r", type: "RUN_START" });
    expect(await pendingAfter(stored, 1500), "the write waits while the server is down").toBe(true);
    await cluster.start();
    restarted = true;
    const event = await stored;
    expect(event.type).toBe("RUN_START");
    expect((await storage.getEvents("r")).map((e) => e.type)).toEqual(["RUN_START"]);
    expect((await storage.getRun("r"))?.status).toBe("STARTED");
  });

  it("beyond the reconnect window: StorageUnavailableError naming the server (no password), what failed and the setting", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const storage = await open(onTestFinished, { reconnectTimeoutMs: 1000 });
    await storage.createRun(queuedRecord("r"));
    await cluster.stop("fast");
    onTestFinished(() => cluster.start());
    const started = Date.now();
    const err = await caught(storage.storeEvent({ runId: "r", type: "RUN_START" }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expectSluiceError(err, "STORAGE_ERROR", /^Storage failed to store events: lost its connection to Postgres at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres and could not reconnect within 1 s \(.*ECONNREFUSED.*\)\..*reconnect_timeout_seconds/);
    expect((err as { name: string }).name).toBe("StorageUnavailableError");
    expect((err as { outcomeUnknown: boolean }).outcomeUnknown).toBe(false);
  });

  it("open with waitForServer waits for a server that is starting; without it, fails at once", { timeout: 60_000 }, async ({ onTestFinished }) => {
    await cluster.stop("fast");
    let restarted = false;
    onTestFinished(async () => {
      if (!restarted) await cluster.start();
    });
    const err = await caught(openPostgresStorage(cluster.url(), { schema: "reconnect_open" }));
    expectSluiceError(err, "STORAGE_ERROR", /^Cannot connect to Postgres at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/);

    const opening = openPostgresStorage(cluster.url(), { schema: "reconnect_open", waitForServer: true });
    expect(await pendingAfter(opening, 1000)).toBe(true);
    await cluster.start();
    restarted = true;
    const storage = await opening;
    onTestFinished(() => storage.close());
    expect(await storage.listRuns()).toEqual([]);
  });

  it("a connection killed in the middle of a transaction: the whole transaction is tried again, and done once", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const storage = await open(onTestFinished);
    const schema = `reconnect_${schemas}`;
    await storage.createRun(queuedRecord("queued"));
    // Hold the run queue's lock, so the claim waits inside its transaction; then kill its backend.
    const claimed = await withClient(schema, async (holder) => {
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock(1397489666, hashtext($1))", [schema]);
      const claim = storage.claimQueuedRuns("w", 10, { maxConcurrentRuns: 10, tagLimits: [] });
      const waiting = async (): Promise<number[]> => {
        // Statistics views are a snapshot per transaction, and the holder stays in its own.
        await holder.query("select pg_stat_clear_snapshot()");
        return (await holder.query<{ pid: number }>("select pid from pg_stat_activity where application_name = 'sluice' and wait_event_type = 'Lock'")).rows.map((r) => r.pid);
      };
      let pids: number[] = [];
      for (let i = 0; i < 100 && pids.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pids = await waiting();
      }
      expect(pids.length, "the claim waits for the lock").toBe(1);
      await holder.query("select pg_terminate_backend($1)", [pids[0]]);
      // The claim comes back on a new connection and waits again.
      let again: number[] = [];
      for (let i = 0; i < 100 && (again.length === 0 || again[0] === pids[0]); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await waiting();
      }
      expect(again.length === 1 && again[0] !== pids[0], "the claim was tried again on a new connection").toBe(true);
      await holder.query("commit");
      return claim;
    });
    expect(claimed.map((r) => r.runId)).toEqual(["queued"]);
    expect((await storage.getRun("queued"))?.status).toBe("STARTING");
  });

  it("a commit that the server aborted as its connection died is read back as aborted and tried again, once", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const storage = await open(onTestFinished);
    const schema = `reconnect_${schemas}`;
    // A deferred constraint trigger runs inside COMMIT: it counts the attempts (sequences ignore
    // rollbacks) and, on the first only, terminates its own backend there, as a crash would.
    await withClient(schema, async (client) => {
      await client.query("create sequence commit_attempts");
      await client.query(`create function die_at_first_commit() returns trigger language plpgsql as $$
        begin
          if nextval('commit_attempts') = 1 then
            perform pg_terminate_backend(pg_backend_pid());
            perform pg_sleep(5);
          end if;
          return null;
        end $$`);
      await client.query(`create constraint trigger die_at_first_commit after insert on runs deferrable initially deferred
        for each row execute function die_at_first_commit()`);
    });
    const created = await storage.createRun(queuedRecord("doomed-once"));
    expect(created.runId).toBe("doomed-once");
    const [{ last_value }] = (await withClient(schema, (c) => c.query<{ last_value: string }>("select last_value from commit_attempts"))).rows as [{ last_value: string }];
    expect(Number(last_value), "two attempts: the first aborted, the second committed").toBe(2);
    expect((await storage.listRuns()).map((r) => r.runId)).toEqual(["doomed-once"]);
  });

  describe("through a proxy that cuts the connection at COMMIT", () => {
    let proxy: PostgresProxy;

    beforeAll(async () => {
      proxy = await PostgresProxy.start({ host: "127.0.0.1", port: cluster.port });
    });

    afterAll(async () => {
      await proxy?.close();
    });

    async function openThroughProxy(onTestFinished: (fn: () => Promise<void>) => void, options: { reconnectTimeoutMs?: number } = {}): Promise<Storage> {
      const storage = await openPostgresStorage(cluster.url().replace(`:${cluster.port}/`, `:${proxy.port}/`), { schema: `reconnect_${++schemas}`, ...options });
      onTestFinished(async () => {
        proxy.refuseConnections(false);
        await storage.close();
      });
      return storage;
    }

    it("committed, but the answer was lost: read back as committed, not written twice", { timeout: 60_000 }, async ({ onTestFinished }) => {
      const storage = await openThroughProxy(onTestFinished);
      await storage.createRun(queuedRecord("r"));
      for (const type of ["RUN_START", "STEP_START"] as const) {
        const cuts = proxy.cuts;
        proxy.cutNextCommit("after-server");
        const event = await storage.storeEvent({ runId: "r", type, stepKey: type === "STEP_START" ? "a" : null });
        expect(proxy.cuts).toBe(cuts + 1);
        expect(event.type).toBe(type);
      }
      // A batch (one insert of several events and one statement of upserts) reads the id back too.
      const cuts = proxy.cuts;
      proxy.cutNextCommit("after-server");
      const batch = await storage.storeEvents([
        { runId: "r", type: "STEP_OUTPUT", stepKey: "a", assetKey: "a" },
        { runId: "r", type: "ASSET_MATERIALIZATION", stepKey: "a", assetKey: "a" },
        { runId: "r", type: "STEP_SUCCESS", stepKey: "a", assetKey: "a" },
      ]);
      expect(proxy.cuts).toBe(cuts + 1);
      expect(batch).toHaveLength(3);
      // createRun takes no lock whose answer carries the transaction id: it asks before COMMIT.
      proxy.cutNextCommit("after-server");
      await storage.createRun(queuedRecord("second"));
      expect((await storage.getEvents("r")).map((e) => e.type)).toEqual(["RUN_START", "STEP_START", "STEP_OUTPUT", "ASSET_MATERIALIZATION", "STEP_SUCCESS"]);
      expect((await storage.getAssetIndex()).map((e) => e.assetKey)).toEqual(["a"]);
      expect((await storage.listRuns()).map((r) => r.runId).sort()).toEqual(["r", "second"]);
    });

    it("cut before the server got the COMMIT: read back as aborted, tried again, stored once", { timeout: 60_000 }, async ({ onTestFinished }) => {
      const storage = await openThroughProxy(onTestFinished);
      await storage.createRun(queuedRecord("r"));
      const cuts = proxy.cuts;
      proxy.cutNextCommit("before-server");
      await storage.storeEvents([{ runId: "r", type: "RUN_START" }, { runId: "r", type: "LOG", message: "once" }]);
      expect(proxy.cuts).toBe(cuts + 1);
      expect((await storage.getEvents("r")).map((e) => e.message)).toEqual(["", "once"]);
    });

    it("when the outcome cannot be read back: StorageUnavailableError with outcomeUnknown, not tried again", { timeout: 60_000 }, async ({ onTestFinished }) => {
      const storage = await openThroughProxy(onTestFinished, { reconnectTimeoutMs: 1000 });
      await storage.createRun(queuedRecord("r"));
      const before = proxy.cuts;
      proxy.cutNextCommit("after-server");
      const stored = storage.storeEvent({ runId: "r", type: "RUN_START" });
      // The server is out of reach (to this process) from the cut on, past the reconnect window.
      await waitForCut(proxy, before);
      proxy.refuseConnections(true);
      const err = await caught(stored);
      expectSluiceError(err, "STORAGE_ERROR", /^Storage failed to store events: the connection to Postgres at postgres:\/\/.* was lost while committing \(.*\), so whether it was stored is unknown; it was not tried again\./);
      expect((err as { outcomeUnknown: boolean }).outcomeUnknown).toBe(true);
      proxy.refuseConnections(false);
      // It was in fact committed, once.
      expect((await storage.getEvents("r")).map((e) => e.type)).toEqual(["RUN_START"]);
    });
  });
});

/** Resolves once the proxy has cut a commit more than `before`. */
async function waitForCut(proxy: PostgresProxy, before: number): Promise<void> {
  for (let i = 0; i < 1000 && proxy.cuts === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(proxy.cuts).toBe(before + 1);
}
