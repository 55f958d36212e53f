import { Hono } from "hono";
import { z } from "zod";
import { InputLimits } from "../../definitions/input-limits.js";
import { selectionStatusOf } from "../../runs/asset-statuses.js";
import { previewAutomation } from "../../runs/automation/preview-automation.js";
import { resolveSelection } from "../../runs/run-target.js";
import type { AssetAutomationJson, AutomationPreviewJson } from "../api-types.js";
import { automationEvaluationJson, automationPreviewJson, parseInstantText } from "../automation-json.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf } from "../validate.js";

/** The largest page of an asset's kept evaluations. */
export const MAX_AUTOMATION_EVALUATIONS_PAGE = 100;
/** The longest `at` read: an ISO 8601 time with nanoseconds and an offset is 35 characters. */
const MAX_INSTANT_LENGTH = 40;

const evaluationsQuery = z
  .object({
    // Larger pages are cut to the limit rather than refused: nextBefore leads on.
    limit: z.coerce.number().int().min(1).default(20).transform((n) => Math.min(n, MAX_AUTOMATION_EVALUATIONS_PAGE)),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    at: z
      .string()
      .max(MAX_INSTANT_LENGTH)
      .transform((text, ctx) => {
        const ms = parseInstantText(text);
        if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a time: give ISO 8601 (2026-12-07T18:00:00Z) or epoch milliseconds` });
        return ms ?? 0;
      })
      .optional(),
  })
  .strict();

const previewQuery = z
  .object({
    select: z.string().min(1).max(InputLimits.selectionLength).optional(),
  })
  .strict();

/**
 * Why automation did what it did: an asset's condition with its kept evaluations (newest first,
 * paged by id), and a preview of the next evaluation (evaluates, launches and records nothing).
 * Mounted before the asset routes, whose `:key{.+}` would take "/automation" as part of a key.
 */
export function automationExplainRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.get("/assets/:key{.+?}/automation", async (c) => {
    const key = c.req.param("key");
    if (key.length > InputLimits.nameLength) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `The asset key is ${key.length.toLocaleString("en-US")} characters long; at most ${InputLimits.nameLength.toLocaleString("en-US")} are allowed.`, "params.key");
    }
    const q = parseInput(evaluationsQuery, queryOf(c), "query");
    const { defs } = requireLoaded(ctx);
    const asset = defs.assets.get(key);
    if (!asset) throw new HttpError(404, HttpErrorCode.NotFound, `Asset "${key}" is not defined. List assets with GET /api/assets.`, "params.key");
    const rows = asset.automation
      ? await ctx.storage.getAutomationEvaluations(key, { limit: q.limit + 1, ...(q.before !== undefined ? { beforeId: q.before } : {}), ...(q.at !== undefined ? { at: q.at } : {}) })
      : [];
    const page = rows.slice(0, q.limit);
    const body: AssetAutomationJson = {
      assetKey: key,
      condition: asset.automation ? asset.automation.toJSON() : null,
      partitioned: asset.partitions !== undefined,
      evaluations: page.map(automationEvaluationJson),
      nextBefore: rows.length > q.limit ? page[page.length - 1]!.id : null,
    };
    return c.json(body);
  });

  app.get("/automation/preview", async (c) => {
    const q = parseInput(previewQuery, queryOf(c), "query");
    const { defs } = requireLoaded(ctx);
    const selected = q.select === undefined ? undefined : new Set(resolveSelection(defs, q.select, await selectionStatusOf(defs, ctx.storage, q.select)));
    const body: AutomationPreviewJson = automationPreviewJson(defs, await previewAutomation(defs, ctx.storage), selected);
    return c.json(body);
  });

  return app;
}
