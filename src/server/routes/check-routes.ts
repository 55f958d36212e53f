import { Hono } from "hono";
import { z } from "zod";
import { InputLimits } from "../../definitions/input-limits.js";
import type { AssetSnapshotJson, AssetChecksJson, CheckEvaluationsPageJson } from "../api-types.js";
import { checkEvaluationJson, emptyCheckSummary, outcomeOf, worseEvaluation } from "../check-json.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf } from "../validate.js";
import type { CheckEvaluationRecord } from "../../storage/records.js";

/** The most partitions a check lists in `latestByPartition` (the newest evaluated ones). */
export const MAX_CHECK_PARTITIONS_LISTED = 100;
/** The largest page of a check's history. */
export const MAX_CHECK_EVALUATIONS_PAGE = 100;

const evaluationsQuery = z
  .object({
    /** One partition's history; absent: every partition's. */
    partition: z.string().min(1).max(InputLimits.nameLength).optional(),
    // Larger pages are cut to the limit rather than refused: nextBefore leads on.
    limit: z.coerce.number().int().min(1).default(20).transform((n) => Math.min(n, MAX_CHECK_EVALUATIONS_PAGE)),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

/**
 * Asset checks: an asset's checks with their latest evaluations, and one check's history, newest
 * first. Mounted before the asset routes, whose `:key{.+}` would take "/checks" as part of a key.
 * Checks are launched through `POST /api/runs` with check keys (`ASSET:CHECK`) in `selection`.
 */
export function checkRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.get("/assets/:key{.+?}/checks", async (c) => {
    const asset = definedAsset(ctx, c.req.param("key"));
    const latest = asset.checks.length > 0 ? await ctx.storage.getLatestCheckEvaluations([asset.key]) : [];
    const byCheck = new Map<string, CheckEvaluationRecord[]>();
    for (const e of latest) {
      const list = byCheck.get(e.checkName);
      if (list) list.push(e);
      else byCheck.set(e.checkName, [e]);
    }
    const summary = emptyCheckSummary();
    const body: AssetChecksJson = {
      assetKey: asset.key,
      checks: asset.checks.map((check) => {
        const evaluations = (byCheck.get(check.name) ?? []).sort((a, b) => b.eventId - a.eventId);
        let worst: CheckEvaluationRecord | undefined;
        for (const e of evaluations) worst = worseEvaluation(worst, e);
        summary[worst ? outcomeOf(worst) : "missing"] += 1;
        return {
          name: check.name,
          description: check.description,
          blocking: check.blocking,
          latest: evaluations[0] ? checkEvaluationJson(evaluations[0]) : null,
          worst: worst ? checkEvaluationJson(worst) : null,
          latestByPartition: asset.partitions ? evaluations.slice(0, MAX_CHECK_PARTITIONS_LISTED).map(checkEvaluationJson) : null,
          evaluatedPartitions: evaluations.length,
        };
      }),
      summary,
      partitionsListed: MAX_CHECK_PARTITIONS_LISTED,
    };
    return c.json(body);
  });

  app.get("/assets/:key{.+?}/checks/:name/evaluations", async (c) => {
    const asset = definedAsset(ctx, c.req.param("key"));
    const name = c.req.param("name");
    const q = parseInput(evaluationsQuery, queryOf(c), "query");
    if (!asset.checks.some((check) => check.name === name)) {
      const names = asset.checks.map((check) => check.name);
      throw new HttpError(
        404,
        HttpErrorCode.NotFound,
        `Asset "${asset.key}" has no check "${name}"; ${names.length > 0 ? `its checks are ${names.map((n) => `"${n}"`).join(", ")}` : "it has no checks"}. List them with GET /api/assets/${asset.key}/checks.`,
        "params.name",
      );
    }
    if (q.partition !== undefined && !asset.partitions) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `Asset "${asset.key}" is not partitioned, so its check "${name}" has no partition "${q.partition}"; leave partition out.`, "query.partition");
    }
    // One more than asked tells whether another page follows.
    const rows = await ctx.storage.getCheckEvaluations(asset.key, name, {
      ...(q.partition !== undefined ? { partition: q.partition } : {}),
      limit: q.limit + 1,
      ...(q.before !== undefined ? { beforeEventId: q.before } : {}),
    });
    const page = rows.slice(0, q.limit);
    const body: CheckEvaluationsPageJson = {
      assetKey: asset.key,
      checkName: name,
      evaluations: page.map(checkEvaluationJson),
      nextBefore: rows.length > q.limit ? page[page.length - 1]!.eventId : null,
    };
    return c.json(body);
  });

  return app;
}

/** The snapshot of a defined asset; a 404 naming it otherwise (checks live in the definitions). */
function definedAsset(ctx: ServerContext, key: string): AssetSnapshotJson {
  if (key.length > InputLimits.nameLength) {
    throw new HttpError(400, HttpErrorCode.InvalidInput, `The asset key is ${key.length.toLocaleString("en-US")} characters long; at most ${InputLimits.nameLength.toLocaleString("en-US")} are allowed.`, "params.key");
  }
  const { snapshot } = requireLoaded(ctx);
  const asset = snapshot.assets.find((a) => a.key === key);
  if (!asset) throw new HttpError(404, HttpErrorCode.NotFound, `Asset "${key}" is not defined, so it has no checks. List assets with GET /api/assets.`, "params.key");
  return asset;
}
