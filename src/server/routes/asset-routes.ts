import { Hono } from "hono";
import { z } from "zod";
import { iso, materializationJson, runJson } from "../api-json.js";
import type { AssetDetailJson, AssetPartitionsJson, AssetSummaryJson } from "../api-types.js";
import type { AssetSnapshot } from "../../instance/snapshot.js";
import { streamedJsonList } from "../streamed-json.js";
import { assetPartitionsJson, MAX_LISTED_PARTITIONS } from "../partition-statuses.js";
import { assetStates, numericSeries, recentAssetRuns } from "../asset-status.js";
import { assetFreshness } from "../../runs/asset-freshness.js";
import { freshnessJson } from "../freshness-json.js";
import { checkSummaries } from "../check-json.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { assetStaleness } from "../../runs/staleness.js";
import { stalenessJson } from "../staleness-json.js";
import { withLivePartitions } from "../live-partitions.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf } from "../validate.js";

const partitionsQuery = z.object({
  keys: z.enum(["true", "false"]).default("true"),
});

const detailQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Assets: every asset with its latest materialization and status; one asset with its history. */
export function assetRoutes(ctx: ServerContext): Hono {
  const app = new Hono();

  app.get("/assets", async (c) => {
    const loaded = requireLoaded(ctx);
    const { defs } = loaded;
    const snapshot = await withLivePartitions(ctx.storage, loaded);
    const [states, staleness, freshness, checks] = await Promise.all([
      assetStates(ctx.storage, snapshot, undefined, defs),
      assetStaleness(defs, ctx.storage),
      assetFreshness(defs, ctx.storage),
      checkSummaries(ctx.storage, snapshot),
    ]);
    // AssetsJson, streamed: each asset's JSON is made as the client takes it (see streamedJsonList).
    return streamedJsonList<AssetSnapshot>("assets", snapshot.assets, (a): AssetSummaryJson => ({
      key: a.key,
      group: a.group,
      description: a.description,
      deps: a.deps,
      kinds: a.kinds,
      tags: a.tags,
      owners: a.owners,
      // With materializedPartitions (below), enough for "12 of 365 partitions".
      partitions: a.partitions,
      kind: a.kind,
      ...states.get(a.key)!,
      freshness: freshness.has(a.key) ? freshnessJson(freshness.get(a.key)!) : null,
      staleness: stalenessJson(staleness.get(a.key)!),
      checkSummary: checks.get(a.key) ?? null,
    }));
  });

  // Before the asset's own route, whose key would swallow "/partitions" (a pattern spelled like its
  // own, `{.+}`, would be merged with it by the router and never match).
  app.get("/assets/:key{.+?}/partitions", async (c) => {
    const key = c.req.param("key");
    const q = parseInput(partitionsQuery, queryOf(c), "query");
    const { defs } = requireLoaded(ctx);
    const asset = defs.assets.get(key);
    if (!asset) throw new HttpError(404, HttpErrorCode.NotFound, `Asset "${key}" is not defined. List assets with GET /api/assets.`, "params.key");
    if (!asset.partitions) throw new HttpError(400, HttpErrorCode.InvalidInput, `Asset "${key}" is not partitioned: its status is in GET /api/assets/${key}.`, "params.key");
    const count = asset.partitions.count();
    if (count > MAX_LISTED_PARTITIONS) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `Asset "${key}" has ${count.toLocaleString("en-US")} partitions, more than the ${MAX_LISTED_PARTITIONS.toLocaleString("en-US")} this endpoint lists.`, "params.key");
    }
    const body: AssetPartitionsJson = await assetPartitionsJson(ctx.storage, key, asset.partitions, q.keys === "true");
    return c.json(body);
  });

  app.get("/assets/:key{.+}", async (c) => {
    const key = c.req.param("key");
    const q = parseInput(detailQuery, queryOf(c), "query");
    const loaded = requireLoaded(ctx);
    const { defs } = loaded;
    const snapshot = await withLivePartitions(ctx.storage, loaded);
    const asset = snapshot.assets.find((a) => a.key === key);
    // An asset no longer defined may still have history: show it, flagged.
    const materializations = await ctx.storage.getMaterializations(key, { limit: q.limit });
    if (!asset && materializations.length === 0) {
      throw new HttpError(404, HttpErrorCode.NotFound, `Asset "${key}" is not defined and has no materializations.`, "params.key");
    }
    const state = (await assetStates(ctx.storage, snapshot, [key], defs)).get(key)!;
    const checks = await checkSummaries(ctx.storage, snapshot, [key]);
    // An output of a multi-asset that cannot subset is computed by every run selecting one of its
    // siblings; runs of the asset's checks alone (`KEY:CHECK`; ":" cannot occur in a key) count as
    // its runs too.
    const computedBy = asset?.multiAsset && !asset.multiAsset.canSubset ? asset.multiAsset.assetKeys : [key];
    const runs = (await recentAssetRuns(ctx.storage, snapshot))
      .filter((r) => r.selection.some((s) => computedBy.some((k) => s === k || s.startsWith(`${k}:`))))
      .slice(0, 20);
    const fresh = (await assetFreshness(defs, ctx.storage, { assetKeys: [key] })).get(key);
    const staleness = asset ? (await assetStaleness(defs, ctx.storage, [key])).get(key) : undefined;
    const body: AssetDetailJson = {
      asset: asset ?? null,
      defined: asset !== undefined,
      staleness: staleness ? stalenessJson(staleness) : null,
      ...state,
      materializations: materializations.map(materializationJson),
      numericSeries: numericSeries(materializations),
      recentRuns: runs.map((r) => runJson(r)),
      freshness: fresh ? freshnessJson(fresh) : null,
      checkSummary: checks.get(key) ?? null,
      generatedAt: iso(Date.now()),
    };
    return c.json(body);
  });

  return app;
}
