import { Hono } from "hono";
import { RunStatus } from "../../storage/records.js";
import { DAEMON_STALE_AFTER_MS, heartbeatJson, iso, runJson } from "../api-json.js";
import type { ServerContext } from "../server-context.js";

/** Health, definitions (snapshot and load error), reload, and the overview page's data. */
export function systemRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.get("/health", (c) =>
    c.json({
      ok: true,
      mode: ctx.mode,
      version: ctx.version,
      pid: process.pid,
      home: ctx.home,
      startedAt: iso(ctx.startedAt),
      daemonInProcess: ctx.daemonInProcess(),
      definitions: definitionsStatus(ctx),
    }),
  );

  app.get("/definitions", (c) => {
    const current = ctx.location.current;
    return c.json({ ...definitionsStatus(ctx), snapshot: current?.snapshot ?? null });
  });

  app.post("/reload", async (c) => {
    const outcome = await ctx.location.load();
    return c.json({ ...outcome, definitions: definitionsStatus(ctx) });
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
    return c.json({
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
    });
  });

  return app;
}

/** Whether definitions are loaded, which generation, and the last load error. */
function definitionsStatus(ctx: ServerContext): Record<string, unknown> {
  const current = ctx.location.current;
  return {
    loaded: current !== undefined,
    generation: current?.generation ?? 0,
    loadedAt: current ? iso(current.loadedAt) : null,
    source: current?.source ?? null,
    loadError: ctx.location.loadError ?? null,
  };
}
