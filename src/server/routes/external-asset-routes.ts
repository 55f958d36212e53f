import { Hono } from "hono";
import { z } from "zod";
import { checkMaterializationReport, storeReportedMaterialization } from "../../runs/report-materialization.js";
import type { EventRecord, ObservationRecord } from "../../storage/records.js";
import { iso, materializationJson } from "../api-json.js";
import type { AssetObservationsJson, ObservationJson, ReportedMaterializationJson } from "../api-types.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf, readJsonBody } from "../validate.js";

const reportBody = z
  .object({
    partition: z.string().min(1).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    description: z.string().optional(),
  })
  .strict();

const observationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Reported materializations and observations: `POST /assets/:key/reports` records a
 * materialization made outside Sluice; `GET /assets/:key/observations` reads an observable source
 * asset's data versions. Registered before the asset routes, whose `/assets/:key{.+}` would take
 * these paths.
 */
export function externalAssetRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.post("/assets/:key{.+?}/reports", async (c) => {
    const key = c.req.param("key");
    const body = parseInput(reportBody, await readJsonBody(c), "body");
    const { defs } = requireLoaded(ctx);
    if (!defs.assets.has(key)) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `Asset "${key}" is not defined, so there is nothing to report a materialization of. List assets with GET /api/assets.`, "params.key");
    }
    const report = { assetKey: key, partition: body.partition ?? null, metadata: body.metadata as Record<string, object> | undefined, description: body.description ?? null };
    // Checked in full before anything is stored: a bad report is a 400 and records nothing.
    await checkMaterializationReport(ctx.storage, defs, report, "body");
    const event = await storeReportedMaterialization(ctx.storage, report);
    const answer: ReportedMaterializationJson = { materialization: materializationJson(event) };
    return c.json(answer, 201);
  });

  app.get("/assets/:key{.+?}/observations", async (c) => {
    const key = c.req.param("key");
    const q = parseInput(observationsQuery, queryOf(c), "query");
    const [latest, history] = await Promise.all([ctx.storage.getLatestObservations([key]), ctx.storage.getObservations(key, { limit: q.limit })]);
    const body: AssetObservationsJson = { assetKey: key, latest: latest.map(latestJson), history: history.map(historyJson) };
    return c.json(body);
  });

  return app;
}

function latestJson(record: ObservationRecord): ObservationJson {
  return { eventId: record.eventId, runId: record.runId, partition: record.partition, timestamp: iso(record.timestamp), dataVersion: record.dataVersion, metadata: record.metadata };
}

function historyJson(event: EventRecord): ObservationJson {
  return { eventId: event.id, runId: event.runId, partition: event.partition, timestamp: iso(event.timestamp), dataVersion: String(event.data.dataVersion ?? ""), metadata: event.data.metadata ?? {} };
}
