import { Hono } from "hono";
import { z } from "zod";
import { isSluiceError } from "../../definitions/errors.js";
import { checkDynamicPartitionKeys } from "../../definitions/partitions/dynamic-partitions.js";
import { declaredDynamicPartitions, type DeclaredDynamicPartitions } from "../../definitions/partitions/declared-dynamic-partitions.js";
import type { DynamicPartitionKeysJson, DynamicPartitionsChangeJson } from "../api-types.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import { parseInput, readJsonBody } from "../validate.js";

const changeBody = z
  .object({
    add: z.array(z.string()).optional(),
    remove: z.array(z.string()).optional(),
  })
  .strict();

/**
 * Dynamic partitions: their keys (`GET /partitions/:name`), and adding or removing keys
 * (`POST /partitions/:name` with `{add?, remove?}`). The name must be declared by the loaded
 * definitions (404 otherwise, naming the declared ones); malformed keys are a 400 naming the key's
 * path (`body.add.1`), and then nothing is stored.
 */
export function partitionRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const storage = ctx.storage;

  app.get("/partitions/:name", async (c) => {
    const declared = findDeclared(ctx, c.req.param("name"));
    const keys = await storage.getDynamicPartitions(declared.name);
    const body: DynamicPartitionKeysJson = { name: declared.name, keys, count: keys.length, assets: [...declared.assetKeys] };
    return c.json(body);
  });

  app.post("/partitions/:name", async (c) => {
    const declared = findDeclared(ctx, c.req.param("name"));
    const input = parseInput(changeBody, await readJsonBody(c), "body");
    if ((input.add ?? []).length === 0 && (input.remove ?? []).length === 0) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `Give keys to add or remove: {"add": ["key", ...]} or {"remove": ["key", ...]}.`, "body");
    }
    // Both lists are checked before anything is written: a bad key stores nothing.
    const add = checked(declared.name, input.add ?? [], "body.add");
    const remove = checked(declared.name, input.remove ?? [], "body.remove");
    const both = add.find((k) => remove.includes(k));
    if (both !== undefined) {
      throw new HttpError(400, HttpErrorCode.InvalidInput, `Key ${JSON.stringify(both)} is both added and removed; give it in one of "add" and "remove".`, "body.remove");
    }
    const added = add.length > 0 ? await storage.addDynamicPartitions(declared.name, add) : [];
    const removed = remove.length > 0 ? await storage.deleteDynamicPartitions(declared.name, remove) : [];
    const keys = await storage.getDynamicPartitions(declared.name);
    const body: DynamicPartitionsChangeJson = { name: declared.name, added, removed, keys, count: keys.length };
    return c.json(body);
  });

  return app;
}

/** The declared dynamic partitions `name`, or a 404 naming the declared ones. */
function findDeclared(ctx: ServerContext, name: string): DeclaredDynamicPartitions {
  const { defs } = requireLoaded(ctx);
  const declared = declaredDynamicPartitions(defs.assets);
  const found = declared.get(name);
  if (found) return found;
  const names = [...declared.keys()].map((n) => JSON.stringify(n));
  throw new HttpError(
    404,
    HttpErrorCode.NotFound,
    `Dynamic partitions ${JSON.stringify(name)} are not declared in the loaded definitions; ${names.length > 0 ? `declared: ${names.join(", ")}` : "they declare none (dynamicPartitions(NAME) on an asset)"}.`,
    "params.name",
  );
}

/** The keys, checked, without repeats; a bad key is a 400 at its path (`body.add.3`). */
function checked(name: string, keys: readonly string[], path: string): string[] {
  try {
    return checkDynamicPartitionKeys(name, keys, path);
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    const at = /\[(\d+)\]/.exec(err.message)?.[1];
    throw new HttpError(400, err.code, err.message, at !== undefined ? `${path}.${at}` : path);
  }
}
