/**
 * The Postgres storage across lost connections: a server crash and restart, a backend terminated
 * in the middle of a transaction, and one terminated while committing. On a private cluster
 * (PrivatePostgres), since the shared test server must never be restarted.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught, expectSluiceError, newRun } from "../testing/contract-helpers.js";
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
    await storage.createRun(newRun("r"));
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
    await storage.createRun(newRun("r"));
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
    await storage.createRun(newRun("queued"));
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

  it("a connection lost while committing: StorageUnavailableError with outcomeUnknown, and the write is not tried again", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const storage = await open(onTestFinished);
    const schema = `reconnect_${schemas}`;
    // A deferred constraint trigger runs inside COMMIT: it counts the attempt (sequences ignore
    // rollbacks) and terminates its own backend there, as a server crash during a commit would.
    await withClient(schema, async (client) => {
      await client.query("create sequence commit_attempts");
      await client.query(`create function die_at_commit() returns trigger language plpgsql as $$
        begin
          perform nextval('commit_attempts');
          perform pg_terminate_backend(pg_backend_pid());
          perform pg_sleep(5);
          return null;
        end $$`);
      await client.query(`create constraint trigger die_at_commit after insert on runs deferrable initially deferred
        for each row when (new.run_id = 'doomed') execute function die_at_commit()`);
    });
    const err = await caught(storage.createRun(newRun("doomed")));
    expectSluiceError(err, "STORAGE_ERROR", /^Storage failed to create run "doomed": the connection to Postgres at postgres:\/\/.* was lost while committing \(.*\), so whether it was stored is unknown; it was not tried again\./);
    expect((err as { outcomeUnknown: boolean }).outcomeUnknown).toBe(true);
    const [{ last_value }] = (await withClient(schema, (c) => c.query<{ last_value: string }>("select last_value from commit_attempts"))).rows as [{ last_value: string }];
    expect(Number(last_value), "one attempt").toBe(1);
    // The storage goes on working on a new connection.
    await storage.createRun(newRun("fine"));
    expect((await storage.listRuns()).map((r) => r.runId)).toEqual(["fine"]);
  });
});
