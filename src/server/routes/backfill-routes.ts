import { Hono } from "hono";
import { z } from "zod";
import { BackfillNotFoundError, ErrorCode, isSluiceError, UsageError } from "../../definitions/errors.js";
import { checkName, checkSelectionKeys, checkTags, InputLimits } from "../../definitions/input-limits.js";
import { cancelBackfill, launchBackfill, requireBackfill, resumeBackfill, retryFailedBackfill } from "../../runs/backfill-control.js";
import { MAX_BACKFILL_PARTITIONS, planBackfill, type BackfillRequest } from "../../runs/backfill-request.js";
import { BackfillStatus } from "../../storage/backfill-records.js";
import type { BackfillAnswerJson, BackfillLaunchAnswerJson, BackfillPreviewJson, BackfillsPageJson } from "../api-types.js";
import { backfillPartitionJson, readBackfillJson } from "../backfill-json.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf, readJsonBody } from "../validate.js";

const BACKFILL_STATUSES = Object.values(BackfillStatus) as string[];
/** Partitions of a backfill per page of `GET /api/backfills/:id`, at most. */
const PARTITIONS_PAGE = 10_000;

const key = z.string().min(1).max(InputLimits.nameLength);
const partitionSet = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("range"), first: key, last: key }).strict(),
  z.object({ kind: z.literal("keys"), keys: z.array(key).min(1).max(MAX_BACKFILL_PARTITIONS) }).strict(),
  z.object({ kind: z.literal("all") }).strict(),
  z.object({ kind: z.literal("missing") }).strict(),
  z.object({ kind: z.literal("failed") }).strict(),
]);

const launchBody = z
  .object({
    selection: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    job: z.string().min(1).optional(),
    partitionSet,
    tags: z.record(z.string().min(1), z.string()).optional(),
    preview: z.boolean().default(false),
  })
  .strict();

const listQuery = z.object({
  status: z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean))
    .refine((values) => values.every((v) => BACKFILL_STATUSES.includes(v)), { message: `each status must be one of ${BACKFILL_STATUSES.join(", ")}` })
    .optional(),
  limit: z.coerce.number().int().min(1).default(50).transform((n) => Math.min(n, InputLimits.runsPageSize)),
  cursor: z.string().min(1).max(InputLimits.nameLength).optional(),
});

const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).default(1000).transform((n) => Math.min(n, PARTITIONS_PAGE)),
});

/**
 * Backfills: launch (or preview), list, read with a page of partitions, cancel, resume, retry the
 * failed partitions. Launching records the backfill; the daemon executes it.
 */
export function backfillRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const storage = ctx.storage;

  app.post("/backfills", async (c) => {
    const body = parseInput(launchBody, await readJsonBody(c), "body");
    if ((body.selection === undefined) === (body.job === undefined)) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, 'Give either "selection" (an expression or asset keys) or "job" (a job name), not both or neither.', "body.selection");
    }
    if (Array.isArray(body.selection)) checkSelectionKeys(body.selection, "body.selection");
    if (body.job !== undefined) checkName(body.job, "body.job");
    if (body.tags) checkTags(body.tags, "body.tags");
    const { defs } = requireLoaded(ctx);
    const request: BackfillRequest = {
      defs,
      target: body.job !== undefined ? { job: body.job } : { selection: body.selection! },
      partitionSet: body.partitionSet,
      tags: body.tags ?? {},
      launchedBy: "api",
    };
    if (body.preview) {
      const plan = await withInputPaths(() => planBackfill(storage, request));
      const keys = plan.backfill.groups[0]!.partitionKeys;
      const groups = plan.backfill.groups.map((g) => ({ name: g.name, assetKeys: g.assetKeys, upstream: g.upstream, partitionCount: g.partitionKeys.length, runCount: g.runCount ?? g.partitionKeys.length }));
      const answer: BackfillPreviewJson = { preview: true, target: plan.backfill.target, partitionCount: plan.partitionCount, runCount: plan.runCount, firstKey: keys[0]!, lastKey: keys[keys.length - 1]!, groups };
      return c.json(answer);
    }
    const { backfill } = await withInputPaths(() => launchBackfill(storage, request));
    const answer: BackfillLaunchAnswerJson = { backfill: await readBackfillJson(storage, backfill) };
    return c.json(answer, 201);
  });

  app.get("/backfills", async (c) => {
    const q = parseInput(listQuery, queryOf(c), "query");
    let backfills;
    try {
      backfills = await storage.listBackfills({ ...(q.status ? { statuses: q.status as BackfillStatus[] } : {}), ...(q.cursor ? { before: q.cursor } : {}), limit: q.limit + 1 });
    } catch (err) {
      if (err instanceof BackfillNotFoundError) throw new HttpError(400, HttpErrorCode.InvalidInput, `cursor "${q.cursor}" is not a backfill of this instance; pass the nextCursor of the previous page.`, "query.cursor");
      throw err;
    }
    const page = backfills.slice(0, q.limit);
    const body: BackfillsPageJson = {
      backfills: await Promise.all(page.map((b) => readBackfillJson(storage, b))),
      nextCursor: backfills.length > q.limit ? page[page.length - 1]!.backfillId : null,
    };
    return c.json(body);
  });

  app.get("/backfills/:id", async (c) => {
    const q = parseInput(pageQuery, queryOf(c), "query");
    const backfill = await requireBackfill(storage, c.req.param("id"));
    const json = await readBackfillJson(storage, backfill);
    const partitions = await storage.getBackfillPartitions(backfill.backfillId, { offset: q.offset, limit: q.limit });
    const total = Object.values(json.counts).reduce((a, b) => a + b, 0);
    const body: BackfillAnswerJson = { backfill: json, partitions: partitions.map(backfillPartitionJson), page: { offset: q.offset, limit: q.limit, total } };
    return c.json(body);
  });

  app.post("/backfills/:id/cancel", async (c) => {
    const backfill = await conflictOnUsage(() => cancelBackfill(storage, c.req.param("id")));
    const body: BackfillLaunchAnswerJson = { backfill: await readBackfillJson(storage, backfill) };
    return c.json(body);
  });

  app.post("/backfills/:id/resume", async (c) => {
    const { backfill } = await conflictOnUsage(() => resumeBackfill(storage, c.req.param("id")));
    const body: BackfillLaunchAnswerJson = { backfill: await readBackfillJson(storage, backfill) };
    return c.json(body);
  });

  app.post("/backfills/:id/retry-failed", async (c) => {
    const { defs } = requireLoaded(ctx);
    const { backfill } = await conflictOnUsage(() => retryFailedBackfill(storage, defs, c.req.param("id"), "api"));
    const body: BackfillLaunchAnswerJson = { backfill: await readBackfillJson(storage, backfill) };
    return c.json(body, 201);
  });

  return app;
}

/** A SelectionError becomes a 400 at `body.selection`, a PartitionError or a malformed set one at `body.partitionSet`. */
async function withInputPaths<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isSluiceError(err) && err.code === ErrorCode.Selection) throw new HttpError(400, ErrorCode.Selection, err.message, "body.selection");
    if (isSluiceError(err) && (err.code === ErrorCode.Partition || err.code === ErrorCode.InputTooLarge)) throw new HttpError(400, err.code, err.message, "body.partitionSet");
    throw err;
  }
}

/** What cannot be done in the backfill's status (cancel a finished one...) is a 409. */
async function conflictOnUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError) throw new HttpError(409, HttpErrorCode.Conflict, err.message);
    throw err;
  }
}
