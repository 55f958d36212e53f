import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../storage/testing/postgres-test-schemas.js";
import { materializeAssets } from "./materialize-assets.js";

const schema = newTestSchemaName("values");
const dirs: string[] = [];
const machineDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-machine-"));
  dirs.push(dir);
  return path.join(dir, "storage");
};

afterAll(async () => {
  await dropTestSchemas([schema]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("values on Postgres", () => {
  it("are read by a later run on another machine: the value is in the database, not in a local file", async () => {
    const orders = asset({ key: "raw/orders", run: () => [{ id: 1, amount: 12.5 }, { id: 2, amount: 7 }] });
    const total = asset({ key: "total", ins: { orders }, run: ({ orders: rows }) => rows.reduce((sum, r) => sum + r.amount, 0) });
    const defs = defineDefinitions({ assets: [orders, total] });

    // Machine A materializes the upstream; its storage directory stays empty.
    const storageA = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    const dirA = machineDir();
    try {
      const first = await materializeAssets({ storage: storageA, valuesDir: dirA }, defs, { selection: ["raw/orders"] });
      expect(first.success).toBe(true);
    } finally {
      await storageA.close();
    }
    expect(readdirSync(path.dirname(dirA))).toEqual([]);

    // Machine B, with nothing on its disk, runs the downstream alone.
    const storageB = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    try {
      const second = await materializeAssets({ storage: storageB, valuesDir: machineDir() }, defs, { selection: ["total"] });
      expect(second.success).toBe(true);
      expect(second.outputOf("total")).toBe(19.5);
    } finally {
      await storageB.close();
    }
  });
});
