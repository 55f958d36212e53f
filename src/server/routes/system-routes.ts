import { Hono } from "hono";
import { RunStatus } from "../../storage/records.js";
import type { DefinitionsSnapshot } from "../../instance/snapshot.js";
import { DAEMON_STALE_AFTER_MS, heartbeatJson, iso, runJson } from "../api-json.js";
import type { DefinitionsJson, DefinitionsSnapshotJson, DefinitionsStatusJson, HealthJson, OverviewJson, ReloadAnswerJson } from "../api-types.js";
import { withLivePartitions } from "../live-partitions.js";
import type { ServerContext } from "../server-context.js";

/** Health, definitions (snapshot and load error), reload, and the overview page's data. */
export function systemRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.get("/health", (c) => {
    const body: HealthJson = {
      ok: true,
      mode: ctx.mode,
      version: ctx.version,
      pid: process.pid,
      home: ctx.home,
      startedAt: iso(ctx.startedAt),
      daemonInProcess: ctx.daemonInProcess(),
      definitions: definitionsStatus(ctx),
    };
    return c.json(body);
  });

  app.get("/definitions", async (c) => {
    const current = ctx.location.current;
    const body: DefinitionsJson = { ...definitionsStatus(ctx), snapshot: snapshotJson(current ? await withLivePartitions(ctx.storage, current) : undefined) };
    return c.json(body);
  });

  app.post("/reload", async (c) => {
    const outcome = await ctx.location.load();
    const body: ReloadAnswerJson = { ...outcome, definitions: definitionsStatus(ctx) };
    return c.json(body);
  });

  app.get("/overview", async (c) => {
    const storage = ctx.storage;
    // Counted in the database: reading every queued run to count them cost a run per queued run.
    const [recent, failures, queued, inProgress, heartbeats] = await Promise.all([
      storage.listRuns({ limit: 20 }),
      storage.listRuns({ statuses: [RunStatus.Failure], limit: 10 }),
      storage.countRuns({ statuses: [RunStatus.Queued] }),
      storage.countRuns({ statuses: [RunStatus.Starting, RunStatus.Started, RunStatus.Canceling] }),
      storage.getDaemonHeartbeats(),
    ]);
    const now = Date.now();
    const beats = heartbeats.sort((a, b) => a.daemonType.localeCompare(b.daemonType) || b.timestamp - a.timestamp).map((h) => heartbeatJson(h, now));
    const fresh = heartbeats.filter((h) => now - h.timestamp <= DAEMON_STALE_AFTER_MS);
    const loaded = ctx.location.current;
    const body: OverviewJson = {
      recentRuns: recent.map((r) => runJson(r)),
      recentFailures: failures.map((r) => runJson(r)),
      queued,
      inProgress,
      daemon: {
        running: fresh.length > 0,
        healthy: fresh.length > 0 && fresh.every((h) => h.errors.length === 0),
        inProcess: ctx.daemonInProcess(),
        heartbeats: beats,
      },
      definitions: {
        ...definitionsStatus(ctx),
        counts: loaded
          ? {
              assets: loaded.snapshot.assets.length,
              jobs: loaded.snapshot.jobs.length,
              schedules: loaded.snapshot.schedules.length,
              sensors: loaded.snapshot.sensors.length,
            }
          : null,
      },
    };
    return c.json(body);
  });

  return app;
}

/** Whether definitions are loaded, which generation, and the last load error. */
function definitionsStatus(ctx: ServerContext): DefinitionsStatusJson {
  const current = ctx.location.current;
  return {
    loaded: current !== undefined,
    generation: current?.generation ?? 0,
    loadedAt: current ? iso(current.loadedAt) : null,
    source: current?.source ?? null,
    loadError: ctx.location.loadError ?? null,
  };
}

/**
 * The snapshot as the API returns it. The snapshot is built below the server (instance/), which
 * cannot import the API's types; this typed assignment makes a snapshot change that breaks the
 * API's shape fail `tsc` here.
 */
function snapshotJson(snapshot: DefinitionsSnapshot | undefined): DefinitionsSnapshotJson | null {
  return snapshot ?? null;
}

/** Fails `tsc` unless T is `true`. */
type Holds<T extends true> = T;
/** The other way round: a field the snapshot gains must be declared in api-types.ts too, or `tsc` fails here. */
type SnapshotDeclaredInFull = Holds<DefinitionsSnapshotJson extends DefinitionsSnapshot ? true : false>;
