import { Hono } from "hono";
import { z } from "zod";
import { ErrorCode, RunNotFoundError, isSluiceError } from "../../definitions/errors.js";
import { checkName, checkRunConfig, checkSelectionKeys, checkTags, InputLimits } from "../../definitions/input-limits.js";
import { CancelOutcome, requestCancel } from "../../runs/cancel-run.js";
import { loadDynamicPartitions } from "../../runs/dynamic-partitions.js";
import { selectionStatusOf } from "../../runs/asset-statuses.js";
import { newRun } from "../../runs/new-run.js";
import { reexecutionOf } from "../../runs/reexecution.js";
import { RunStatus, type RunsFilter } from "../../storage/records.js";
import { eventJson, runJson } from "../api-json.js";
import type { CancelAnswerJson, RunAnswerJson, RunEventsPageJson, RunsPageJson } from "../api-types.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, queryOf, readJsonBody } from "../validate.js";
import { unknownJobError } from "../../execution/plan.js";

const RUN_STATUSES = Object.values(RunStatus) as string[];
const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const listQuery = z.object({
  status: oneOrMany
    .transform((values) => values.flatMap((v) => v.split(",")).map((v) => v.trim().toUpperCase()).filter(Boolean))
    .refine((values) => values.every((v) => RUN_STATUSES.includes(v)), { message: `each status must be one of ${RUN_STATUSES.join(", ")}` })
    .optional(),
  job: z.string().min(1).optional(),
  tag: oneOrMany
    .refine((values) => values.every((v) => /^[^:]+:/.test(v)), { message: "a tag filter is KEY:VALUE, e.g. tag=team:data" })
    .optional(),
  // Larger pages are cut to the limit rather than refused: nextCursor leads on.
  limit: z.coerce.number().int().min(1).default(50).transform((n) => Math.min(n, InputLimits.runsPageSize)),
  cursor: z.string().min(1).optional(),
});

const eventsQuery = z.object({
  afterId: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).default(1000).transform((n) => Math.min(n, InputLimits.eventsPageSize)),
});

const tagsSchema = z.record(z.string().min(1), z.string());
const launchBody = z
  .object({
    /** A selection expression, or asset keys. */
    selection: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    job: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    tags: tagsSchema.optional(),
    /** The partition to materialize, for targets with partitioned assets. */
    partition: z.string().min(1).optional(),
    /** With a selection: observe its observable source assets instead of materializing. */
    observe: z.boolean().optional(),
  })
  .strict();

const reexecuteBody = z.object({ fromFailure: z.boolean().default(false), tags: tagsSchema.optional() }).strict();

/** Runs: list, read, events, launch (QUEUED for the daemon), cancel, re-execute. */
export function runRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const storage = ctx.storage;

  app.get("/runs", async (c) => {
    const q = parseInput(listQuery, queryOf(c), "query");
    const filter: RunsFilter = {};
    if (q.status) filter.statuses = q.status as RunStatus[];
    if (q.job) filter.jobName = q.job;
    if (q.tag) {
      filter.tags = {};
      for (const t of q.tag) {
        const at = t.indexOf(":");
        filter.tags[t.slice(0, at)] = t.slice(at + 1);
      }
    }
    const before = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    let runs;
    try {
      // One more than asked tells whether another page follows.
      runs = await storage.listRuns({ ...filter, ...(before !== undefined ? { before } : {}), limit: q.limit + 1 });
    } catch (err) {
      if (before !== undefined && err instanceof RunNotFoundError) {
        throw new HttpError(400, HttpErrorCode.InvalidInput, `cursor points after run "${before}", which no longer exists; start again from the first page.`, "query.cursor");
      }
      throw err;
    }
    const page = runs.slice(0, q.limit);
    const body: RunsPageJson = {
      runs: page.map((r) => runJson(r)),
      nextCursor: runs.length > q.limit ? encodeCursor(page[page.length - 1]!.runId) : null,
    };
    return c.json(body);
  });

  app.get("/runs/:id", async (c) => {
    const runId = c.req.param("id");
    const run = await storage.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    const body: RunAnswerJson = { run: runJson(run, await storage.getStepStats(runId)) };
    return c.json(body);
  });

  app.get("/runs/:id/events", async (c) => {
    const runId = c.req.param("id");
    const q = parseInput(eventsQuery, queryOf(c), "query");
    const run = await storage.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    const events = await storage.getEvents(runId, { ...(q.afterId !== undefined ? { afterId: q.afterId } : {}), limit: q.limit });
    const body: RunEventsPageJson = {
      runId,
      runStatus: run.status,
      events: events.map(eventJson),
      lastEventId: events.length > 0 ? events[events.length - 1]!.id : (q.afterId ?? 0),
      hasMore: events.length === q.limit,
    };
    return c.json(body);
  });

  app.post("/runs", async (c) => {
    const body = parseInput(launchBody, await readJsonBody(c), "body");
    if ((body.selection === undefined) === (body.job === undefined)) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, 'Give either "selection" (an expression or asset keys) or "job" (a job name), not both or neither.', "body.selection");
    }
    if (body.observe === true && body.job !== undefined) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, '"observe" goes with "selection": a job runs as its definition says (an asset job of observable source assets observes them).', "body.observe");
    }
    checkLaunchLimits(body);
    const { defs } = requireLoaded(ctx);
    if (body.job !== undefined && !defs.jobs.has(body.job)) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, unknownJobError(defs, body.job).message, "body.job");
    }
    // Checks config, env vars and the partition now: a bad launch is a 400, not a failed run.
    await loadDynamicPartitions(defs, storage);
    // status: in an expression is answered from the instance now; its errors are the selection's.
    const statusOf = await selectionStatusOf(defs, storage, body.selection).catch((err: unknown) => withInputPaths(() => { throw err; }));
    const record = withInputPaths(() =>
      newRun({
        defs,
        target: body.job !== undefined ? { job: body.job } : { assets: body.selection, statusOf, observe: body.observe === true },
        config: body.config ?? {},
        tags: body.tags ?? {},
        partition: body.partition ?? null,
      }),
    );
    const run = await storage.createRun(record);
    const answer: RunAnswerJson = { run: runJson(run) };
    return c.json(answer, 201);
  });

  app.post("/runs/:id/cancel", async (c) => {
    const runId = c.req.param("id");
    const { outcome, run } = await requestCancel(storage, runId);
    if (outcome === CancelOutcome.AlreadyFinished) {
      throw new HttpError(409, HttpErrorCode.Conflict, `Run "${runId}" has already finished (${run.status}); there is nothing to cancel.`);
    }
    const body: CancelAnswerJson = { outcome, run: runJson(run) };
    return c.json(body);
  });

  app.post("/runs/:id/reexecute", async (c) => {
    const runId = c.req.param("id");
    const body = parseInput(reexecuteBody, await readJsonBody(c), "body");
    if (body.tags) checkTags(body.tags, "body.tags");
    const run = await storage.createRun(await reexecutionOf(storage, runId, { fromFailure: body.fromFailure, ...(body.tags ? { tags: body.tags } : {}) }));
    const answer: RunAnswerJson = { run: runJson(run) };
    return c.json(answer, 201);
  });

  return app;
}

/** The opaque cursor of the next page: the last run of this one (storage pages with `before`). */
function encodeCursor(lastRunId: string): string {
  return Buffer.from(JSON.stringify({ before: lastRunId }), "utf8").toString("base64url");
}

function decodeCursor(text: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as { before?: unknown };
    if (typeof decoded?.before === "string" && decoded.before.length > 0) return decoded.before;
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(400, HttpErrorCode.InvalidInput, "cursor is not one this server returned; pass the nextCursor of the previous page.", "query.cursor");
}

/**
 * Refuses a launch over the limits of `input-limits.ts` (400 naming the field) before anything is
 * resolved or stored. An expression's own limits are the parser's (a SelectionError at body.selection).
 */
function checkLaunchLimits(body: z.output<typeof launchBody>): void {
  if (Array.isArray(body.selection)) checkSelectionKeys(body.selection, "body.selection");
  if (body.job !== undefined) checkName(body.job, "body.job");
  if (body.partition !== undefined) checkName(body.partition, "body.partition");
  if (body.tags) checkTags(body.tags, "body.tags");
  if (body.config) checkRunConfig(body.config, "body.config");
}

/** Runs fn; a SelectionError becomes a 400 pointing at `body.selection`, a PartitionError one at `body.partition`. */
function withInputPaths<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isSluiceError(err) && err.code === ErrorCode.Selection) throw new HttpError(400, ErrorCode.Selection, err.message, "body.selection");
    if (isSluiceError(err) && err.code === ErrorCode.Partition) throw new HttpError(400, ErrorCode.Partition, err.message, "body.partition");
    throw err;
  }
}
