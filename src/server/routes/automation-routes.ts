import { Hono } from "hono";
import path from "node:path";
import { z } from "zod";
import { readInstanceSettings } from "../../instance/instance-settings.js";
import { readAutomationStatus, type AutomationStatus } from "../../runs/automation/automation-status.js";
import { AUTOMATION_INSTIGATOR } from "../../storage/automation-records.js";
import { InstigatorStatus, InstigatorType } from "../../storage/records.js";
import { iso, tickJson } from "../api-json.js";
import type { AutomationJson } from "../api-types.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf } from "../validate.js";

const statusQuery = z.object({ ticks: z.coerce.number().int().min(0).max(500).default(25) });

/** The declarative automation loop: its status (GET), started and stopped (POST) like a sensor. */
export function automationRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const storage = ctx.storage;

  app.get("/automation", async (c) => {
    const { ticks } = parseInput(statusQuery, queryOf(c), "query");
    return c.json(await automationJson(ctx, ticks));
  });

  app.post("/automation/:action{start|stop}", async (c) => {
    await storage.setInstigatorStatus(AUTOMATION_INSTIGATOR, InstigatorType.Automation, c.req.param("action") === "start" ? InstigatorStatus.Running : InstigatorStatus.Stopped);
    return c.json(await automationJson(ctx, 1));
  });

  return app;
}

async function automationJson(ctx: ServerContext, ticks: number): Promise<AutomationJson> {
  const { snapshot } = requireLoaded(ctx);
  const status: AutomationStatus = await readAutomationStatus(ctx.storage, snapshot.automation.defaultStatus, ticks);
  // Read when asked: the daemon reads the same file, which may have changed since this server started.
  const settings = readInstanceSettings(path.join(ctx.home, "sluice.yaml"));
  return {
    status: status.status,
    isDefault: status.isDefault,
    updatedAt: status.updatedAt === null ? null : iso(status.updatedAt),
    intervalSeconds: settings.automation.evaluation_interval_seconds,
    automatedAssets: snapshot.automation.assetKeys,
    cursor: status.cursor ? { ...status.cursor, evaluatedAt: status.cursor.evaluatedAt === null ? null : iso(status.cursor.evaluatedAt) } : null,
    ticks: status.ticks.map(tickJson),
  };
}
